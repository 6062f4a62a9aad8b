// transaction-nesting on Django: an atomic migration already runs in Django's transaction, so
// COMMIT in its RunSQL ends that transaction early; with atomic = False it is the author's own block.
#include <gtest/gtest.h>

#include "app/check_command.h"
#include "test_support.h"

namespace {

std::string plan(bool atomic) {
  return std::string(
             "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": "
             "[{\"app\": "
             "\"shop\", \"name\": \"0002_backfill\", \"id\": \"shop.0002_backfill\", \"plan_index\": 0, "
             "\"file\": "
             "\"/nonexistent/shop/migrations/0002_backfill.py\", \"file_relative\": "
             "\"shop/migrations/0002_backfill.py\", \"sha256\": \"ab\", \"dependencies\": [], \"atomic\": ") +
         (atomic ? "true" : "false") +
         ", \"operations\": [{\"index\": 1, \"class\": \"RunSQL\", \"describe\": \"Raw SQL\", \"line\": 9, "
         "\"reversible\": true, \"forward_sql\": [\"BEGIN;\", \"UPDATE shop_item SET n = 0 WHERE n IS "
         "NULL;\", "
         "\"COMMIT;\"]}]}]}";
}

std::vector<std::string> nesting_findings(bool atomic) {
  sm::test::TempDir d;
  auto path = d.write("plan.json", plan(atomic));
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  std::vector<std::string> out;
  for (const auto& f : run.findings)
    if (f.rule == "transaction-nesting") out.push_back(f.message);
  return out;
}

TEST(DjangoTransactionNesting, AtomicMigrationWithBeginAndCommit) {
  auto found = nesting_findings(true);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].find("BEGIN inside Django"), std::string::npos) << found[0];
  EXPECT_NE(found[1].find("ends the framework's transaction early"), std::string::npos) << found[1];
}

TEST(DjangoTransactionNesting, NonAtomicMigrationOwnsItsBlock) {
  EXPECT_TRUE(nesting_findings(false).empty());
}

}  // namespace

// Issue 12, "a first run on a real project is worth reading": what the annotated fixtures in
// fixtures/rules/ cannot say, because they compare only lines and rule ids: the words of the
// messages and help (the right table, the right old type, advice that follows the order), and
// the text report putting project-wide conditions first.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/check_command.h"
#include "history_helpers.h"

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const model::Finding* find(const app::CheckRun& run, const std::string& rule,
                           const std::string& migration = "") {
  for (const auto& f : run.findings)
    if (f.rule == rule && (migration.empty() || f.migration == migration)) return &f;
  return nullptr;
}

app::CheckRun check(const PrismaProject& p, const std::string& prisma_version = "6.19.3") {
  app::CheckOptions options;
  options.paths = {p.migrations().string()};
  options.prisma_version = prisma_version;
  options.table_sizes = true;  // as the CLI does: sizes "unknown" without a database
  return app::run_check(options, nullptr);
}

// Prisma changes an enum by creating Type_new, converting the columns, and renaming Type_new back
// to Type. The second change must start from "SurveyStatus", not from "SurveyStatus_new".
TEST(FirstRun, TypeChangesFollowAlterTypeRename) {
  PrismaProject p;
  p.add("20240101000000_init",
        "CREATE TYPE \"SurveyStatus\" AS ENUM ('a', 'b');\n"
        "CREATE TABLE \"Survey\" (\"id\" TEXT NOT NULL, \"status\" \"SurveyStatus\" NOT NULL);\n");
  const std::string change =
      "BEGIN;\n"
      "CREATE TYPE \"SurveyStatus_new\" AS ENUM ('a', 'b', 'c');\n"
      "ALTER TABLE \"Survey\" ALTER COLUMN \"status\" TYPE \"SurveyStatus_new\" USING "
      "(\"status\"::text::\"SurveyStatus_new\");\n"
      "ALTER TYPE \"SurveyStatus\" RENAME TO \"SurveyStatus_old\";\n"
      "ALTER TYPE \"SurveyStatus_new\" RENAME TO \"SurveyStatus\";\n"
      "DROP TYPE \"SurveyStatus_old\";\n"
      "COMMIT;\n";
  p.add("20240102000000_add_c", change);
  p.add("20240103000000_add_d", change);
  app::CheckRun run = check(p);
  for (const char* id : {"20240102000000_add_c", "20240103000000_add_d"}) {
    const model::Finding* f = find(run, "changing-column-type", id);
    ASSERT_NE(f, nullptr) << id;
    EXPECT_THAT(f->message, HasSubstr("from SurveyStatus to SurveyStatus_new")) << f->message;
  }
}

// The data change first, the schema change after it on the same table: the data change prepares
// what the schema change needs, so it moves before, not after.
TEST(FirstRun, MixedSchemaAndDataAdviceFollowsTheOrder) {
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"User\" (\"id\" TEXT NOT NULL, \"plan\" TEXT);\n");
  p.add("20240102000000_normalise",
        "UPDATE \"User\" SET \"plan\" = 'free' WHERE \"plan\" IS NULL;\n"
        "ALTER TABLE \"User\" ALTER COLUMN \"plan\" SET DEFAULT 'free';\n");
  p.add("20240103000000_backfill",
        "ALTER TABLE \"User\" ADD COLUMN \"tier\" TEXT;\n"
        "UPDATE \"Account\" SET \"tier\" = 'a' WHERE \"id\" = '1';\n");
  p.add("20240104000000_expand_backfill_contract",
        "ALTER TABLE \"User\" ADD COLUMN \"team\" TEXT;\n"
        "UPDATE \"User\" SET \"team\" = 'a' WHERE \"id\" = '1';\n"
        "ALTER TABLE \"User\" ALTER COLUMN \"team\" SET DEFAULT 'a';\n");
  app::CheckRun run = check(p);
  const model::Finding* before = find(run, "mixed-schema-and-data", "20240102000000_normalise");
  ASSERT_NE(before, nullptr);
  EXPECT_THAT(before->message,
              HasSubstr("changes data before a schema change in the same migration (line 2"));
  EXPECT_THAT(before->help, HasSubstr("runs before the schema change"));
  const model::Finding* after = find(run, "mixed-schema-and-data", "20240103000000_backfill");
  ASSERT_NE(after, nullptr);
  EXPECT_THAT(after->help, HasSubstr("after the schema change"));
  const model::Finding* three = find(run, "mixed-schema-and-data", "20240104000000_expand_backfill_contract");
  ASSERT_NE(three, nullptr);
  EXPECT_THAT(three->help, HasSubstr("Split it in three migrations"));
}

// DROP INDEX names the table it locks; missing-lock-timeout calls an index an index, counts in
// good English, and no message gives a size to a table its own statement creates.
TEST(FirstRun, MessagesNameTheRightThings) {
  PrismaProject p;
  p.add("20240101000000_init",
        "SET lock_timeout = '5s';\n"
        "CREATE TABLE \"User\" (\"id\" SERIAL NOT NULL, \"email\" TEXT, CONSTRAINT \"User_pkey\" PRIMARY KEY "
        "(\"id\"));\n"
        "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n");
  p.add("20240102000000_drops",
        "SET lock_timeout = 0;\n"
        "DROP INDEX \"Legacy_idx\";\n"
        "DROP INDEX \"User_email_idx\";\n");
  p.add("20240103000000_one_more",
        "SET lock_timeout = 0;\nALTER TABLE \"User\" ADD COLUMN \"a\" TEXT;\n"
        "ALTER TABLE \"Post\" ADD COLUMN \"b\" TEXT;\n");
  app::CheckRun run = check(p);
  std::vector<std::string> drops;
  for (const auto& f : run.findings)
    if (f.rule == "require-concurrent-index-deletion") drops.push_back(f.message);
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_THAT(drops[0], HasSubstr("on the table the index belongs to"));
  EXPECT_THAT(drops[1], HasSubstr("takes ACCESS EXCLUSIVE on its table \"User\" (size unknown)"));
  const model::Finding* timeout = find(run, "missing-lock-timeout", "20240102000000_drops");
  ASSERT_NE(timeout, nullptr);
  EXPECT_THAT(timeout->message, HasSubstr("on the table of index Legacy_idx"));
  EXPECT_THAT(timeout->message, Not(HasSubstr("existing table Legacy_idx")));
  EXPECT_THAT(timeout->message, HasSubstr("(and 1 more statement after it)"));
  const model::Finding* keys = find(run, "prefer-bigint-for-keys");
  ASSERT_NE(keys, nullptr);
  EXPECT_THAT(keys->message, Not(HasSubstr("size unknown")));
  EXPECT_TRUE(keys->table_size.empty());
  const model::Finding* one_more = find(run, "missing-lock-timeout", "20240103000000_one_more");
  ASSERT_NE(one_more, nullptr);
  EXPECT_THAT(one_more->message, HasSubstr("(and 1 more statement after it)"));
}

// The text report says the project-wide conditions first, once, with the count of migrations
// and the one thing to do, then the per-file findings, and counts them in its summary line.
TEST(FirstRun, TextReportStartsWithProjectWideConditions) {
  PrismaProject p;
  for (int i = 1; i <= 3; ++i)
    p.add("2024010" + std::to_string(i) + "000000_m" + std::to_string(i),
          "ALTER TABLE \"User\" ADD COLUMN \"c" + std::to_string(i) +
              "\" TEXT;\nALTER TABLE \"User\" ADD COLUMN \"d" + std::to_string(i) + "\" TEXT;\n");
  p.add("20240104000000_drop", "ALTER TABLE \"User\" DROP COLUMN \"c1\";\n");
  RunResult r = run_cli("check --no-color --prisma-version 7.8.0 " + p.arg());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  size_t head = r.out.find("Project-wide (said once, not on every migration):");
  ASSERT_EQ(head, 0u) << r.out;
  size_t atomic = r.out.find("warning[non-atomic-migration] Prisma 7.8.0 (≥ 7.4) runs each statement");
  size_t down = r.out.find("warning[no-down-migration] no migration of this project has a down.sql");
  size_t timeout = r.out.find("warning[missing-lock-timeout] no migration of this project sets lock_timeout");
  size_t per_file = r.out.find("20240104000000_drop/migration.sql:1:");
  ASSERT_NE(atomic, std::string::npos) << r.out;
  ASSERT_NE(down, std::string::npos) << r.out;
  ASSERT_NE(timeout, std::string::npos) << r.out;
  ASSERT_NE(per_file, std::string::npos) << r.out;
  EXPECT_LT(std::max({atomic, down, timeout}), per_file) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(3 of 4 migrations)"));  // non-atomic: the three two-statement files
  // no-down: the DROP COLUMN carries dropping-column, so it counts in the condition too (issue 19).
  EXPECT_THAT(r.out.substr(down, r.out.find('\n', down) - down), HasSubstr("(4 of 4 migrations)"));
  EXPECT_THAT(r.out, HasSubstr("(4 of 4 migrations)"));  // missing-lock-timeout
  EXPECT_THAT(r.out, HasSubstr("= help: Set a lock_timeout for every deploy"));
  EXPECT_THAT(r.out, HasSubstr("4 migrations, 7 statements: 3 project-wide conditions (above), 0 errors"));
  // Said once: no per-file non-atomic or lock-timeout finding.
  EXPECT_THAT(r.out, Not(HasSubstr("migration.sql:2:1: warning[non-atomic-migration]")));
  EXPECT_THAT(r.out, Not(HasSubstr("]: warning[missing-lock-timeout] takes")));
  // JSON: the same conditions as entries with a scope.
  RunResult j = run_cli("check --format json --prisma-version 7.8.0 " + p.arg());
  EXPECT_THAT(j.out, HasSubstr("\"scope\": \"project\", \"migrations_concerned\": 3"));
}

}  // namespace
}  // namespace sm::test

// The C++ reader of export_plan.py's JSON: the model it builds, and bad plans.
#include "adapters/django/django_plan_reader.h"

#include <gtest/gtest.h>

#include "app/check_command.h"
#include "test_support.h"

namespace {

using sm::test::TempDir;

std::string op_json(const std::string& cls, int line, const std::string& sql, const std::string& extra = "") {
  return "{\"index\": 1, \"class\": \"" + cls + "\", \"describe\": \"" + cls +
         " op\", \"line\": " + std::to_string(line) + ", \"reversible\": true, \"forward_sql\": [" + sql +
         "]" + extra + "}";
}

std::string migration_json(const std::string& app, const std::string& name, int index, const std::string& ops,
                           const std::string& deps = "[]", const std::string& extra = "") {
  return "{\"app\": \"" + app + "\", \"name\": \"" + name + "\", \"id\": \"" + app + "." + name +
         "\", \"plan_index\": " + std::to_string(index) + ", \"file\": \"/nonexistent/" + app +
         "/migrations/" + name + ".py\", \"file_relative\": \"" + app + "/migrations/" + name +
         ".py\", \"sha256\": \"ab\", \"dependencies\": " + deps + ", \"atomic\": true, \"operations\": [" +
         ops + "]" + extra + "}";
}

std::string plan_json(const std::string& migrations, const std::string& version = "1.0",
                      const std::string& extra = "") {
  return "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"" + version +
         "\", \"migrations\": [" + migrations + "]" + extra + "}";
}

TEST(DjangoPlanReader, BuildsTheModelWithParsedSql) {
  TempDir d;
  std::string plan = plan_json(
      migration_json(
          "shop", "0001_initial", 0,
          op_json("CreateModel", 10, "\"CREATE TABLE \\\"shop_product\\\" (\\\"id\\\" bigserial);\"")) +
      "," +
      migration_json(
          "shop", "0002_sku", 1,
          op_json("AddField", 12,
                  "\"ALTER TABLE \\\"shop_product\\\" ADD COLUMN \\\"sku\\\" text NOT NULL;\"") +
              "," +
              op_json("RunPython", 20, "",
                      ", \"code\": {\"module\": \"shop.migrations.0002_sku\", \"qualname\": \"fill\", "
                      "\"file\": \"/x/0002_sku.py\", \"line\": 5, \"source\": \"def fill(apps, se):\\n    "
                      "pass\\n\"}, \"reverse_code\": null"),
          "[[\"shop\", \"0001_initial\"]]"));
  auto path = d.write("plan.json", plan);
  auto set = sm::django::read_plan(path, 1 << 20);
  ASSERT_TRUE(set.input_findings.empty()) << set.input_findings[0].message;
  ASSERT_EQ(set.migrations.size(), 2u);
  const auto& m = set.migrations[1];
  EXPECT_EQ(m.id, "shop.0002_sku");
  EXPECT_EQ(m.app, "shop");
  EXPECT_EQ(m.dependencies, std::vector<std::string>{"shop.0001_initial"});
  EXPECT_EQ(m.files[0].path, (d.path() / "shop/migrations/0002_sku.py").string())
      << "falls back to file_relative";
  ASSERT_EQ(m.operations.size(), 2u);
  EXPECT_EQ(m.operations[0].kind, "AddField");
  ASSERT_EQ(m.operations[0].statements.size(), 1u);
  EXPECT_EQ(m.operations[0].statements[0].node, "AlterTableStmt");
  EXPECT_EQ(m.operations[0].statements[0].loc.line, 12u) << "Django SQL points at the operation's line";
  EXPECT_TRUE(m.operations[1].runs_python);
  EXPECT_FALSE(m.operations[1].reversible);
  ASSERT_TRUE(m.operations[1].code.has_value());
  EXPECT_EQ(m.operations[1].code->line, 5u);
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, sm::model::ExecutionMode::OneTransaction);
}

TEST(DjangoPlanReader, FindingsPointAtTheOperation) {
  TempDir d;
  std::string plan = plan_json(migration_json(
      "shop", "0002_sku", 0,
      op_json("AddField", 12, "\"ALTER TABLE \\\"shop_product\\\" ADD COLUMN \\\"sku\\\" text NOT NULL;\"") +
          "," +
          op_json("AddIndex", 18, "\"CREATE INDEX \\\"i\\\" ON \\\"shop_product\\\" (\\\"sku\\\");\"")));
  auto path = d.write("plan.json", plan);
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  ASSERT_FALSE(run.input_error);
  bool not_null = false, index = false;
  for (const auto& f : run.findings) {
    if (f.rule == "adding-not-null-column") {
      not_null = true;
      EXPECT_EQ(f.loc.line, 12u);
      EXPECT_EQ(f.operation, "operation 1: AddField");
      EXPECT_NE(f.help.find("null=True"), std::string::npos) << "Django's own advice: " << f.help;
    }
    if (f.rule == "require-concurrent-index-creation") {
      index = true;
      EXPECT_EQ(f.loc.line, 18u);
      EXPECT_NE(f.help.find("AddIndexConcurrently"), std::string::npos) << f.help;
    }
    EXPECT_NE(f.rule, "no-down-migration") << "Django reversibility is per operation";
  }
  EXPECT_TRUE(not_null);
  EXPECT_TRUE(index);
}

// A lock_timeout that the connection sets (DATABASES OPTIONS, or the role's settings) covers
// every statement: missing-lock-timeout must not fire then, and must fire without it.
TEST(DjangoPlanReader, ConnectionLockTimeoutSatisfiesMissingLockTimeout) {
  std::string migrations = migration_json(
      "shop", "0002_sku", 0,
      op_json("AddField", 12, "\"ALTER TABLE \\\"shop_product\\\" ADD COLUMN \\\"sku\\\" text;\""));
  auto fires = [&](const std::string& database) {
    TempDir d;
    auto path = d.write("plan.json", plan_json(migrations, "1.0", database));
    sm::app::CheckOptions options;
    options.paths = {path.string()};
    auto run = sm::app::run_check(options, nullptr);
    EXPECT_FALSE(run.input_error);
    for (const auto& f : run.findings)
      if (f.rule == "missing-lock-timeout") return true;
    return false;
  };
  EXPECT_TRUE(fires(""));
  EXPECT_TRUE(fires(", \"database\": {\"lock_timeout\": null}"));
  EXPECT_FALSE(fires(", \"database\": {\"lock_timeout\": \"5s\"}"));
}

TEST(DjangoPlanReader, MalformedJsonNamesLineAndColumn) {
  TempDir d;
  auto path = d.write("plan.json",
                      "{\n  \"format\": \"safemigrate-django-plan\",\n  \"migrations\": [1, 2,, 3]\n}\n");
  auto set = sm::django::read_plan(path, 1 << 20);
  ASSERT_EQ(set.input_findings.size(), 1u);
  const auto& f = set.input_findings[0];
  EXPECT_EQ(f.rule, "input-error");
  EXPECT_NE(f.message.find("malformed JSON"), std::string::npos) << f.message;
  EXPECT_EQ(f.loc.line, 3u);
  EXPECT_EQ(f.loc.column, 23u) << "the second comma";
}

TEST(DjangoPlanReader, UnknownMajorVersionIsRejected) {
  TempDir d;
  auto path = d.write("plan.json", plan_json("", "2.0"));
  auto set = sm::django::read_plan(path, 1 << 20);
  ASSERT_EQ(set.input_findings.size(), 1u);
  EXPECT_NE(set.input_findings[0].message.find("\"2.0\" is not supported"), std::string::npos)
      << set.input_findings[0].message;
  auto minor = sm::django::read_plan(d.write("minor.json", plan_json("", "1.7")), 1 << 20);
  EXPECT_TRUE(minor.input_findings.empty()) << "a newer minor version only adds fields";
}

TEST(DjangoPlanReader, NotAPlan) {
  TempDir d;
  auto set = sm::django::read_plan(d.write("package.json", "{\"name\": \"x\"}"), 1 << 20);
  ASSERT_EQ(set.input_findings.size(), 1u);
  EXPECT_NE(set.input_findings[0].message.find("not a safemigrate Django plan"), std::string::npos);
}

TEST(DjangoPlanReader, ThousandsOfMigrationsAndNonAsciiNames) {
  TempDir d;
  std::string migrations;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    if (i) migrations += ",";
    std::string name = "m" + std::to_string(i) + "_café";
    migrations += migration_json("boutique", name, i,
                                 op_json("AddField", 9,
                                         "\"ALTER TABLE \\\"boutique_article\\\" ADD COLUMN \\\"prix_" +
                                             std::to_string(i) + "\\\" integer NULL;\""));
  }
  auto path = d.write("plan.json", plan_json(migrations));
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  ASSERT_FALSE(run.input_error);
  ASSERT_EQ(run.sets.size(), 1u);
  ASSERT_EQ(run.sets[0].migrations.size(), static_cast<size_t>(n));
  EXPECT_EQ(run.sets[0].migrations[42].id, "boutique.m42_café");
  EXPECT_EQ(run.statements, static_cast<size_t>(n));
}

TEST(DjangoPlanReader, ConflictsAndInconsistentHistory) {
  TempDir d;
  std::string plan = plan_json(
      migration_json("shop", "0001_initial", 0, "", "[]", ", \"applied\": false") + "," +
          migration_json("shop", "0002_a", 1, "", "[[\"shop\", \"0001_initial\"]]", ", \"applied\": true") +
          "," +
          migration_json("shop", "0002_b", 2, "", "[[\"shop\", \"0001_initial\"]]", ", \"applied\": false"),
      "1.0", ", \"leaf_nodes\": {\"shop\": [\"0002_a\", \"0002_b\"]}");
  sm::app::CheckOptions options;
  options.paths = {d.write("plan.json", plan).string()};
  auto run = sm::app::run_check(options, nullptr);
  int conflicts = 0, inconsistent = 0;
  for (const auto& f : run.findings) {
    if (f.rule == "migration-conflict") {
      ++conflicts;
      EXPECT_NE(f.message.find("0002_a, 0002_b"), std::string::npos) << f.message;
    }
    if (f.rule == "inconsistent-history") {
      ++inconsistent;
      EXPECT_EQ(f.migration, "shop.0002_a");
    }
  }
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(inconsistent, 1);
}

}  // namespace

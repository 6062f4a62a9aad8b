// Findings on Django data migrations that were false (issue 11): Django's query API imported from
// django.db.models is not a model import; a forward RunPython.noop changes no data.
#include <gtest/gtest.h>

#include <regex>

#include "app/check_command.h"
#include "report/sanitize.h"
#include "test_support.h"

namespace {

// A plan of one migration: an AddField's SQL, then a RunPython whose code is `code` (JSON object).
std::string plan(const std::string& code, const std::string& reverse = "null") {
  return "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": [{\"app\": "
         "\"shop\", \"name\": \"0002_fill\", \"id\": \"shop.0002_fill\", \"plan_index\": 1, \"file\": "
         "\"/nonexistent/shop/migrations/0002_fill.py\", \"file_relative\": "
         "\"shop/migrations/0002_fill.py\", "
         "\"dependencies\": [], \"atomic\": true, \"operations\": [{\"index\": 1, \"class\": \"AddField\", "
         "\"line\": 8, \"reversible\": true, \"forward_sql\": [\"ALTER TABLE \\\"shop_item\\\" ADD COLUMN "
         "\\\"n\\\" integer NULL;\"]}, {\"index\": 2, \"class\": \"RunPython\", \"line\": 9, \"reversible\": "
         "true, \"reduces_to_sql\": false, \"forward_sql\": [], \"code\": " +
         code + ", \"reverse_code\": " + reverse + "}]}]}";
}

std::string python_code(const std::string& module, const std::string& qualname, const std::string& source,
                        const std::string& import_line = "") {
  std::string imports = "[]";
  if (!import_line.empty())
    imports = "[{\"line\": 1, \"text\": " + sm::report::json_quote(import_line) +
              ", \"names\": [\"Q\", \"Count\", \"Item\"]}]";
  return "{\"module\": " + sm::report::json_quote(module) +
         ", \"qualname\": " + sm::report::json_quote(qualname) +
         ", \"file\": \"/nonexistent/shop/migrations/0002_fill.py\", \"line\": 4, \"source\": " +
         sm::report::json_quote(source) + ", \"module_imports\": " + imports + "}";
}

// "rule: message" of each finding.
std::vector<std::string> findings(const std::string& code, const std::string& reverse = "null") {
  sm::test::TempDir d;
  auto path = d.write("plan.json", plan(code, reverse));
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  std::vector<std::string> out;
  for (const auto& f : run.findings) out.push_back(f.rule + ": " + f.message);
  return out;
}

std::vector<std::string> rules(const std::string& code) {
  sm::test::TempDir d;
  auto path = d.write("plan.json", plan(code));
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  std::vector<std::string> out;
  for (const auto& f : run.findings) out.push_back(f.rule);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& rule) {
  return std::find(v.begin(), v.end(), rule) != v.end();
}

TEST(DjangoDataMigrationRules, QueryApiFromDjangoDbModelsIsNotAModelImport) {
  const std::string body =
      "def fill(apps, schema_editor):\n    Item = apps.get_model('shop', 'Item')\n"
      "    Item.objects.filter(Q(n__isnull=True)).annotate(c=Count('id')).update(n=0)\n";
  auto inside =
      rules(python_code("shop.migrations.0002_fill", "fill",
                        "def fill(apps, schema_editor):\n    from django.db.models import Q, Count\n" +
                            body.substr(body.find('\n') + 1)));
  EXPECT_FALSE(has(inside, "run-python-imports-models"));
  auto top =
      rules(python_code("shop.migrations.0002_fill", "fill", body, "from django.db.models import Q, Count"));
  EXPECT_FALSE(has(top, "run-python-imports-models"));
  // The control: an app's models are still reported.
  auto app = rules(python_code("shop.migrations.0002_fill", "fill",
                               "def fill(apps, schema_editor):\n    Item.objects.update(n=0)\n",
                               "from shop.models import Item"));
  EXPECT_TRUE(has(app, "run-python-imports-models"));
}

TEST(DjangoDataMigrationRules, ForwardNoopChangesNoData) {
  auto noop =
      rules(python_code("django.db.migrations.operations.special", "RunPython.noop",
                        "    @staticmethod\n    def noop(apps, schema_editor):\n        return None\n"));
  EXPECT_FALSE(has(noop, "mixed-schema-and-data"));
  auto real =
      rules(python_code("shop.migrations.0002_fill", "fill",
                        "def fill(apps, schema_editor):\n    apps.get_model('shop', 'Item').objects.filter("
                        "n__isnull=True).update(n=0)\n"));
  EXPECT_TRUE(has(real, "mixed-schema-and-data"));
}

bool has_finding(const std::vector<std::string>& v, const std::string& rule, const std::string& part) {
  for (const std::string& f : v)
    if (f.rfind(rule + ": ", 0) == 0 && f.find(part) != std::string::npos) return true;
  return false;
}

// Missed before: .delete() one row at a time, an unfiltered .delete(), and the reverse code.
TEST(DjangoDataMigrationRules, DeleteLoopsAndReverseCodeAreChecked) {
  auto loop =
      findings(python_code("shop.migrations.0002_fill", "purge",
                           "def purge(apps, schema_editor):\n    Item = apps.get_model('shop', 'Item')\n"
                           "    for item in Item.objects.filter(n=0):\n        item.delete()\n"));
  EXPECT_TRUE(has_finding(loop, "run-python-whole-table", "calls .delete() in a loop"));
  auto all = findings(python_code("shop.migrations.0002_fill", "purge",
                                  "def purge(apps, schema_editor):\n    apps.get_model('shop', "
                                  "'Item').objects.all().delete()\n"));
  EXPECT_TRUE(has_finding(all, "run-python-whole-table", "deletes every row"));
  auto reverse = findings(
      python_code(
          "shop.migrations.0002_fill", "fill",
          "def fill(apps, schema_editor):\n    apps.get_model('shop', 'Item').objects.filter(n=None)\n"),
      // Another function of the same file (lines from 20).
      std::regex_replace(python_code("shop.migrations.0002_fill", "unfill",
                                     "def unfill(apps, schema_editor):\n    from shop.models import Item\n"
                                     "    Item.objects.update(n=None)\n"),
                         std::regex("\"line\": 4,"), "\"line\": 20,"));
  EXPECT_TRUE(has_finding(reverse, "run-python-whole-table", "unfill (reverse code) updates every row"));
  EXPECT_TRUE(has_finding(reverse, "run-python-imports-models", "unfill"));
  EXPECT_FALSE(has_finding(reverse, "run-python-whole-table", "fill updates"));
}

// The SQL a RunPython sends itself (read by the exporter from the function's source, as
// `cursor_sql`) is checked like a migration's SQL, at the line of the call; SQL built at run time
// is a finding of its own, never passed over.
TEST(DjangoDataMigrationRules, SqlSentThroughACursorIsChecked) {
  auto with_sql = [](const std::string& qualname, int line, const std::string& items) {
    std::string code = python_code("shop.migrations.0002_fill", qualname,
                                   "def " + qualname + "(apps, schema_editor):\n    pass\n");
    code = std::regex_replace(code, std::regex("\"line\": 4,"), "\"line\": " + std::to_string(line) + ",");
    return code.substr(0, code.size() - 1) + ", \"cursor_sql\": " + items + "}";
  };
  auto forward =
      findings(with_sql("fill", 4,
                        "[{\"line\": 6, \"call\": \"cursor.execute\", \"sql\": \"UPDATE shop_item "
                        "SET n = $1\"}, {\"line\": 7, \"call\": \"cursor.execute\", \"sql\": "
                        "\"CREATE INDEX i ON shop_item (n)\"}, {\"line\": 8, \"call\": \"c.execute\", "
                        "\"sql\": null, \"why\": \"the SQL is built at run time\"}, {\"line\": 9, "
                        "\"call\": \"c.execute\", \"sql\": \"UPDATE shop_item SET\"}]"),
               with_sql("unfill", 20,
                        "[{\"line\": 22, \"call\": \"cursor.execute\", \"sql\": \"DELETE FROM "
                        "shop_item\"}]"));
  std::string all;
  for (const auto& f : forward) all += f + "\n";
  EXPECT_TRUE(has_finding(forward, "whole-table-write", "UPDATE of every row of shop_item")) << all;
  EXPECT_TRUE(has_finding(forward, "require-concurrent-index-creation", "")) << all;
  EXPECT_TRUE(has_finding(forward, "run-python-dynamic-sql", "c.execute() that safemigrate cannot read"))
      << all;
  EXPECT_TRUE(has_finding(forward, "syntax-error", "")) << all;
  EXPECT_TRUE(
      has_finding(forward, "run-python-whole-table", "unfill (reverse code) sends DELETE of every row"))
      << all;

  // Where: the forward SQL's findings are at their calls' lines in the Python file.
  sm::test::TempDir d;
  auto path = d.write("plan.json", plan(with_sql("fill", 4,
                                                 "[{\"line\": 6, \"call\": \"cursor.execute\", \"sql\": "
                                                 "\"UPDATE shop_item SET n = 0\"}]")));
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  auto run = sm::app::run_check(options, nullptr);
  bool found = false;
  for (const auto& f : run.findings)
    if (f.rule == "whole-table-write") {
      found = true;
      EXPECT_EQ(f.loc.line, 6u);
      EXPECT_NE(f.loc.file.find("0002_fill.py"), std::string::npos) << f.loc.file;
    }
  EXPECT_TRUE(found);
}

}  // namespace

// The C++ reader of export_plan.py's JSON: the model it builds, and bad plans.
#include "adapters/django/django_plan_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "app/check_command.h"
#include "json_tree.h"
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

// Format 1.1's unmanaged_tables (models with Meta.managed = False, which drift leaves out): read
// when present; a 1.0 plan without it (the committed fixture's) reads as before, with none; a
// value of the wrong type is an input error naming the key, never read as "none".
TEST(DjangoPlanReader, UnmanagedTablesPresentAbsentOrMalformed) {
  const std::string migrations = migration_json(
      "shop", "0001_initial", 0,
      op_json("CreateModel", 10, "\"CREATE TABLE \\\"shop_product\\\" (\\\"id\\\" bigint);\""));
  TempDir d;
  auto present = sm::django::read_plan(
      d.write("present.json", plan_json(migrations, "1.1",
                                        ", \"unmanaged_tables\": [\"crm_customer\", \"crm_customer_tags\"]")),
      1 << 20);
  ASSERT_TRUE(present.input_findings.empty()) << present.input_findings[0].message;
  EXPECT_EQ(present.django.unmanaged_tables, (std::vector<std::string>{"crm_customer", "crm_customer_tags"}));
  EXPECT_EQ(present.migrations.size(), 1u);

  auto empty = sm::django::read_plan(
      d.write("empty.json", plan_json(migrations, "1.1", ", \"unmanaged_tables\": []")), 1 << 20);
  ASSERT_TRUE(empty.input_findings.empty()) << empty.input_findings[0].message;
  EXPECT_TRUE(empty.django.unmanaged_tables.empty());

  auto absent = sm::django::read_plan(d.write("absent.json", plan_json(migrations, "1.0")), 1 << 20);
  ASSERT_TRUE(absent.input_findings.empty()) << absent.input_findings[0].message;
  EXPECT_TRUE(absent.django.unmanaged_tables.empty());
  EXPECT_EQ(absent.migrations.size(), 1u);
  auto fixture = sm::django::read_plan(sm::test::source_dir() / "fixtures/django/plan.json", 1 << 24);
  ASSERT_TRUE(fixture.input_findings.empty()) << fixture.input_findings[0].message;
  EXPECT_TRUE(fixture.django.unmanaged_tables.empty());
  EXPECT_FALSE(fixture.migrations.empty());

  for (const std::string bad : {"\"crm_customer\"", "null", "[1]", "[\"a\", [\"b\"]]"}) {
    auto set = sm::django::read_plan(
        d.write("bad.json", plan_json(migrations, "1.1", ", \"unmanaged_tables\": " + bad)), 1 << 20);
    ASSERT_EQ(set.input_findings.size(), 1u) << bad;
    EXPECT_EQ(set.input_findings[0].rule, sm::model::kInputErrorRule) << bad;
    EXPECT_NE(set.input_findings[0].message.find("\"unmanaged_tables"), std::string::npos)
        << bad << ": " << set.input_findings[0].message;
    EXPECT_TRUE(set.django.unmanaged_tables.empty()) << bad;
  }
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

// Issue 26: a truncated plan (a copy cut short, a disk full) was reported without line and column.
// Every cut of the fixture's plan that is not itself valid JSON is an input error at a line and
// column inside the text that is there.
TEST(DjangoPlanReader, PropertyEveryTruncatedPlanIsReportedWithLineAndColumn) {
  std::string whole = sm::test::read_file(sm::test::source_dir() / "fixtures/django/plan.json");
  ASSERT_GT(whole.size(), 1000u);
  TempDir d;
  size_t step = std::max<size_t>(1, whole.size() / 400);
  int cuts = 0;
  for (size_t cut = 1; cut < whole.size() - 2; cut += step) {
    std::string part = whole.substr(0, cut);
    auto set = sm::django::read_plan(d.write("plan.json", part), 1 << 24);
    ASSERT_EQ(set.input_findings.size(), 1u) << "cut at " << cut;
    const auto& f = set.input_findings[0];
    EXPECT_NE(f.message.find("malformed JSON"), std::string::npos) << cut << ": " << f.message;
    size_t lines = static_cast<size_t>(std::count(part.begin(), part.end(), '\n')) + 1;
    EXPECT_GE(f.loc.line, 1u) << "cut at " << cut << ": " << f.message;
    EXPECT_LE(f.loc.line, lines) << "cut at " << cut;
    EXPECT_GE(f.loc.column, 1u) << "cut at " << cut;
    ++cuts;
  }
  EXPECT_GE(cuts, 300);
}

// A plan with no "format" key is said to have none, not to have the wrong one ("").
TEST(DjangoPlanReader, MissingFormatIsNamedAsMissing) {
  TempDir d;
  auto set = sm::django::read_plan(d.write("plan.json", "{\"format_version\": \"1.0\", \"migrations\": []}"),
                                   1 << 20);
  ASSERT_EQ(set.input_findings.size(), 1u);
  const auto& f = set.input_findings[0];
  EXPECT_NE(f.message.find("it has no \"format\" key"), std::string::npos) << f.message;
  EXPECT_EQ(f.message.find("is \"\""), std::string::npos) << f.message;
  auto array = sm::django::read_plan(d.write("array.json", "[1, 2]"), 1 << 20);
  ASSERT_EQ(array.input_findings.size(), 1u);
  EXPECT_NE(array.input_findings[0].message.find("not a JSON object"), std::string::npos)
      << array.input_findings[0].message;
  auto wrong = sm::django::read_plan(d.write("wrong.json", "{\"format\": \"other\"}"), 1 << 20);
  ASSERT_EQ(wrong.input_findings.size(), 1u);
  EXPECT_NE(wrong.input_findings[0].message.find("its \"format\" is \"other\""), std::string::npos)
      << wrong.input_findings[0].message;
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

// ---- the plan's shape, as a property over the real fixture plan ----------------------------

using sm::test::Json;

// What adapters/django/README.md ("The format") says of each key, by path with indices dropped:
// the JSON types allowed ("s" string, "i" integer, "b" bool, "n" null, "a" array, "o" object,
// "*" anything) and whether the key is required.
struct Spec {
  std::string types;
  bool required = false;
};

const std::map<std::string, Spec>& plan_spec() {
  static const std::map<std::string, Spec> spec = [] {
    std::map<std::string, Spec> m = {
        {"format", {"s", true}},
        {"format_version", {"s", true}},
        {"generator", {"o"}},
        {"generator.tool", {"s"}},
        {"generator.django", {"s"}},
        {"generator.python", {"s"}},
        {"settings", {"sn"}},
        {"python", {"o"}},
        {"python.executable", {"sn"}},
        {"python.pythonpath", {"sn"}},
        {"python.project_dir", {"sn"}},
        {"database", {"o"}},
        {"database.alias", {"s"}},
        {"database.vendor", {"s"}},
        {"database.online", {"b"}},
        {"database.server_version", {"in"}},
        {"database.identity", {"sn"}},
        {"database.history_id_type", {"s"}},
        {"database.lock_timeout", {"sn"}},
        {"database.statement_timeout", {"sn"}},
        {"migrations", {"a", true}},
        {"migrations[]", {"o"}},
        {"leaf_nodes", {"o"}},
        {"leaf_nodes.*", {"a"}},
        {"leaf_nodes.*[]", {"s"}},
        {"pending", {"an"}},
        {"pending[]", {"s"}},
    };
    const std::string mig = "migrations[].";
    for (auto [k, s] : std::map<std::string, Spec>{{"app", {"s", true}},
                                                   {"name", {"s", true}},
                                                   {"id", {"s"}},
                                                   {"plan_index", {"i", true}},
                                                   {"file", {"sn"}},
                                                   {"file_relative", {"sn"}},
                                                   {"sha256", {"sn"}},
                                                   {"atomic", {"b", true}},
                                                   {"initial", {"bn"}},
                                                   {"applied", {"bn"}},
                                                   {"operations", {"a", true}},
                                                   {"operations[]", {"o"}}})
      m[mig + k] = s;
    for (const char* pairs : {"declared_dependencies", "dependencies", "run_before", "replaces"}) {
      m[mig + pairs] = {"a"};
      m[mig + pairs + "[]"] = {"a"};
      m[mig + pairs + "[][]"] = {"s"};
    }
    const std::string op = mig + "operations[].";
    for (auto [k, s] : std::map<std::string, Spec>{{"index", {"i"}},
                                                   {"class", {"s", true}},
                                                   {"module", {"s"}},
                                                   {"describe", {"s"}},
                                                   {"line", {"in"}},
                                                   {"directives", {"a"}},
                                                   {"directives[]", {"s"}},
                                                   {"reversible", {"b", true}},
                                                   {"elidable", {"b"}},
                                                   {"reduces_to_sql", {"b"}},
                                                   {"non_transactional", {"b"}},
                                                   {"sql_depends_on_database", {"b"}},
                                                   {"forward_sql", {"a", true}},
                                                   {"forward_sql[]", {"s"}},
                                                   {"backward_sql", {"an"}},
                                                   {"backward_sql[]", {"s"}},
                                                   {"sql_error", {"sn"}},
                                                   {"backward_sql_error", {"sn"}},
                                                   {"model_name", {"s"}},
                                                   {"name", {"s"}},
                                                   {"old_name", {"s"}},
                                                   {"new_name", {"s"}},
                                                   {"reverse_is_noop", {"b"}},
                                                   {"atomic", {"bn"}},
                                                   {"hints", {"*"}},
                                                   {"hints[]", {"*"}},
                                                   {"sql", {"san"}},
                                                   {"reverse_sql", {"san"}},
                                                   {"state_operations", {"a"}},
                                                   {"state_operations[]", {"s"}}})
      m[op + k] = s;
    for (const char* code : {"code", "reverse_code"}) {
      std::string c = op + code;
      m[c] = {"on"};
      for (const char* k : {".module", ".qualname", ".file", ".source"}) m[c + k] = {"sn"};
      m[c + ".line"] = {"in"};
      m[c + ".module_imports"] = {"a"};
      m[c + ".module_imports[]"] = {"o"};
      m[c + ".module_imports[].line"] = {"in"};
      m[c + ".module_imports[].text"] = {"s"};
      m[c + ".module_imports[].names"] = {"a"};
      m[c + ".module_imports[].names[]"] = {"s"};
      m[c + ".cursor_sql"] = {"a"};
      m[c + ".cursor_sql[]"] = {"o"};
      m[c + ".cursor_sql[].line"] = {"in"};
      m[c + ".cursor_sql[].call"] = {"s"};
      m[c + ".cursor_sql[].sql"] = {"sn"};
      m[c + ".cursor_sql[].why"] = {"s"};
    }
    return m;
  }();
  return spec;
}

// `migrations[3].operations[0].line` -> `migrations[].operations[].line`; leaf_nodes' keys are data.
std::string pattern_of(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[') {
      out += "[]";
      i = path.find(']', i);
    } else {
      out += path[i];
    }
  }
  if (out.rfind("leaf_nodes.", 0) == 0)
    out = out.find('[') == std::string::npos ? "leaf_nodes.*" : "leaf_nodes.*[]";
  return out;
}

// The value at `path` of `doc` (pointer into it), and the object holding it with its key index.
struct Place {
  Json* value = nullptr;
  Json* parent = nullptr;
  size_t index = 0;
};

std::map<std::string, std::string> first_paths(Json& doc) {
  std::map<std::string, std::string> first;  // pattern -> first path
  doc.walk([&](const std::string& path, Json&) { first.emplace(pattern_of(path), path); });
  return first;
}

Place find(Json& doc, const std::string& path) {
  Place found;
  std::function<void(Json&, const std::string&)> go = [&](Json& j, const std::string& at) {
    for (size_t k = 0; k < j.items.size(); ++k) {
      std::string p = at + "[" + std::to_string(k) + "]";
      if (p == path) found = {&j.items[k], &j, k};
      go(j.items[k], p);
    }
    for (size_t k = 0; k < j.fields.size(); ++k) {
      std::string p = at.empty() ? j.fields[k].first : at + "." + j.fields[k].first;
      if (p == path) found = {&j.fields[k].second, &j, k};
      go(j.fields[k].second, p);
    }
  };
  go(doc, "");
  return found;
}

Json of_type(char t) {
  Json j;
  switch (t) {
    case 's': j.kind = Json::Kind::String, j.s = "WRONG_TYPE_SENTINEL"; break;
    case 'i': j.kind = Json::Kind::Int, j.i = 7; break;
    case 'f': j.kind = Json::Kind::Double, j.d = 1.5; break;
    case 'b': j.kind = Json::Kind::Bool, j.b = true; break;
    case 'n': break;
    case 'a': j.kind = Json::Kind::Array; break;
    case 'o': j.kind = Json::Kind::Object; break;
  }
  return j;
}

sm::model::MigrationSet read_text(const TempDir& d, const std::string& text) {
  return sm::django::read_plan(d.write("plan.json", text), 1 << 24);
}

uint32_t line_holding(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return static_cast<uint32_t>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1);
}

TEST(DjangoPlanShape, EveryKeyOfTheFixtureWithAWrongTypeMissingOrTwiceIsAnInputErrorNamingIt) {
  const std::string fixture = sm::test::read_file(sm::test::source_dir() / "fixtures/django/plan.json");
  Json original = Json::parse(fixture);
  TempDir d;
  ASSERT_TRUE(read_text(d, original.dump()).input_findings.empty()) << "the fixture itself reads fine";
  std::map<std::string, std::string> paths = first_paths(original);
  ASSERT_GT(paths.size(), 80u);
  int checked = 0;
  for (const auto& [pattern, path] : paths) {
    auto spec_it = plan_spec().find(pattern);
    ASSERT_NE(spec_it, plan_spec().end())
        << "the fixture has a key the README does not describe: " << pattern;
    const Spec& spec = spec_it->second;
    if (spec.types == "*") continue;
    const std::string named = "\"" + path + "\"";
    auto expect_error = [&](const std::string& text, const std::string& what,
                            const std::string& says) -> sm::model::Finding {
      auto set = read_text(d, text);
      ++checked;
      EXPECT_EQ(set.input_findings.size(), 1u) << path << " " << what;
      if (set.input_findings.empty()) return {};
      const auto& f = set.input_findings[0];
      EXPECT_EQ(f.rule, "input-error");
      EXPECT_TRUE(set.migrations.empty()) << path << " " << what << ": nothing is read from a bad plan";
      EXPECT_NE(f.message.find(named), std::string::npos) << path << " " << what << ": " << f.message;
      if (!says.empty()) {
        EXPECT_NE(f.message.find(says), std::string::npos) << path << " " << what << ": " << f.message;
      }
      return f;
    };
    // Each JSON type the format does not allow there.
    for (char t : std::string("sifbnao")) {
      bool allowed = spec.types.find(t) != std::string::npos;
      Json doc = Json::parse(fixture);
      *find(doc, path).value = of_type(t);
      std::string text = doc.dump();
      if (!allowed) {
        const auto f = expect_error(text, std::string("as type ") + t, "");
        if (t == 's' && path != "format" && path != "format_version") {
          EXPECT_EQ(f.loc.line, line_holding(text, "WRONG_TYPE_SENTINEL"))
              << path << ": the line of the value";
        } else if (path != "format" && path != "format_version") {
          EXPECT_GT(f.loc.line, 0u) << path;
        }
      } else if (t == 'n') {
        auto set = read_text(d, text);
        ++checked;
        EXPECT_TRUE(set.input_findings.empty()) << path << " may be null: " << set.input_findings[0].message;
      }
    }
    if (path.back() == ']') continue;  // array items are not keys: nothing to delete or repeat
    {
      Json doc = Json::parse(fixture);
      Place p = find(doc, path);
      p.parent->fields.erase(p.parent->fields.begin() + static_cast<std::ptrdiff_t>(p.index));
      if (spec.required) {
        expect_error(doc.dump(), "deleted", path == "format" || path == "format_version" ? "" : "is missing");
      } else {
        auto set = read_text(d, doc.dump());
        ++checked;
        EXPECT_TRUE(set.input_findings.empty()) << path << " is optional: " << set.input_findings[0].message;
      }
    }
    {
      Json doc = Json::parse(fixture);
      Place p = find(doc, path);
      auto copy = p.parent->fields[p.index];
      p.parent->fields.insert(p.parent->fields.begin() + static_cast<std::ptrdiff_t>(p.index) + 1, copy);
      const std::string text = doc.dump();
      const auto f = expect_error(text, "twice", "appears twice");
      // The line of the second occurrence of the key inside its object.
      EXPECT_GT(f.loc.line, 0u) << path;
    }
  }
  EXPECT_GT(checked, 400);
}

// The exact place and wording of the issue's examples, through the CLI: exit 2.
TEST(DjangoPlanShape, IssueExamplesAreInputErrors) {
  TempDir d;
  struct Case {
    std::string plan, says;
    uint32_t line;
  };
  const Case cases[] = {
      {"{\"format\": \"safemigrate-django-plan\",\n \"format_version\": \"1.0\",\n \"migrations\": "
       "\"notalist\"}",
       "\"migrations\" is a string; the plan format says an array", 3},
      {"{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\"}", "\"migrations\" is missing",
       1},
      {"{\"format\": \"safemigrate-django-plan\",\n \"format_version\": \"1.0\",\n \"migrations\": [],\n "
       "\"migrations\": []}",
       "\"migrations\" appears twice", 4},
      {"{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1x\", \"migrations\": []}",
       "\"format_version\") \"1x\" is not supported", 0},
      {"{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1\", \"migrations\": []}",
       "\"format_version\") \"1\" is not supported", 0},
  };
  for (const Case& c : cases) {
    auto set = read_text(d, c.plan);
    ASSERT_EQ(set.input_findings.size(), 1u) << c.plan;
    EXPECT_NE(set.input_findings[0].message.find(c.says), std::string::npos) << set.input_findings[0].message;
    EXPECT_EQ(set.input_findings[0].loc.line, c.line) << c.plan;
    auto r = sm::test::run_cli_in(d.path(), "check plan.json");
    EXPECT_EQ(r.exit_code, 2) << c.plan << r.out << r.err;
    EXPECT_NE((r.out + r.err).find(c.says), std::string::npos) << r.out << r.err;
  }
}

// RunPython code found on the exporting machine is shown where it is here, relative to the plan
// as the SQL's file is, not at the exporting machine's absolute path.
TEST(DjangoPlanShape, RunPythonCodeFilesAreMappedLikeTheMigrationFile) {
  const std::string fixture = sm::test::read_file(sm::test::source_dir() / "fixtures/django/plan.json");
  auto set = sm::django::read_plan(sm::test::source_dir() / "fixtures/django/plan.json", 1 << 24);
  ASSERT_TRUE(set.input_findings.empty());
  Json doc = Json::parse(fixture);
  ASSERT_NE(fixture.find("\"file\": \"/work/wt-dh/"), std::string::npos)
      << "the fixture was exported on another machine (a path that does not exist here)";
  int code = 0;
  const std::string here = (sm::test::source_dir() / "fixtures/django").lexically_normal().string();
  for (const auto& m : set.migrations)
    for (const auto& op : m.operations)
      if (op.code && !op.code->file.empty()) {
        ++code;
        EXPECT_EQ(op.code->file.rfind(here, 0), 0u) << op.code->file;
        EXPECT_EQ(op.code->file, m.files.front().path) << "RunPython code written in the migration itself";
        EXPECT_TRUE(std::filesystem::exists(op.code->file)) << op.code->file;
      }
  EXPECT_GT(code, 0);
  // Through check: the finding's file is the relative one.
  auto r = sm::test::run_cli_in(sm::test::source_dir(), "check --format json fixtures/django/plan.json");
  EXPECT_EQ(r.out.find("/work/wt-dh"), std::string::npos) << "no exporting machine's path in the findings";
  EXPECT_NE(r.out.find("\"file\": \"fixtures/django/"), std::string::npos) << r.out.substr(0, 3000);
}

}  // namespace

namespace {

// Issue 9: a Django plan's forward_sql goes through the same parser as a migration.sql, so a tree
// too deep to read (80,000 terms crashed libpg_query's JSON writer), a stretch the splitter drops
// and a NUL byte ("\u0000" in the JSON) are findings, and the SQL after them is still checked.
TEST(DjangoPlanReader, ForwardSqlThatCannotBeAnalysedIsReportedNotDropped) {
  std::string deep = "SELECT 1";
  for (int i = 0; i < 80000; ++i) deep += "+1";
  TempDir d;
  std::string plan = plan_json(
      migration_json("shop", "0002_raw", 0,
                     op_json("RunSQL", 7, "\"" + deep + ";\", \"DROP TABLE \\\"shop_a\\\";\"") + "," +
                         op_json("RunSQL", 9, "\"SELEC 1;\", \"DROP TABLE \\\"shop_b\\\";\"") + "," +
                         op_json("RunSQL", 11, "\"SELECT 1;\\u0000DROP TABLE \\\"shop_c\\\";\"")));
  sm::app::CheckOptions options;
  options.paths = {d.write("plan.json", plan).string()};
  auto run = sm::app::run_check(options, nullptr);
  ASSERT_FALSE(run.input_error);
  std::multiset<std::string> at;
  for (const auto& f : run.findings) at.insert(std::to_string(f.loc.line) + " " + f.rule);
  EXPECT_EQ(at.count("7 statement-too-complex"), 1u);
  EXPECT_EQ(at.count("7 dropping-table"), 1u);
  EXPECT_EQ(at.count("9 syntax-error"), 1u);
  EXPECT_EQ(at.count("9 dropping-table"), 1u);
  EXPECT_EQ(at.count("11 syntax-error"), 1u) << "the NUL byte and what follows it";
}

}  // namespace

namespace {

// ---- issue 18: a plan no Django wrote is an input error, never a crash or a silent pass ---------

// 80,000 nested arrays (160 KB) crashed the reader: the walk that finds where malformed JSON
// stops recursed once a level. Any depth, anywhere in the plan, closed or cut short: below
// simdjson's 1,024 levels a valid plan, above it one input error on the line of the brackets.
TEST(DjangoPlanReader, PropertyNestedJsonOfAnyDepthIsAnInputErrorWithItsLine) {
  TempDir d;
  const std::vector<std::pair<std::string, std::string>> places = {
      {"\"extra\": ", ""},                   // a key the format does not name
      {"\"migrations\": [", "]"},            // as a migration
      {"\"leaf_nodes\": {\"shop\": ", "}"},  // as a value of an object of names
  };
  for (size_t depth : {10u, 1000u, 1030u, 5000u, 80000u, 400000u})
    for (const auto& [open, close] : places)
      for (bool cut : {false, true}) {
        std::string nest = std::string(depth, '[') + (cut ? "" : std::string(depth, ']'));
        std::string text = "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\",\n" +
                           std::string(open.rfind("\"migrations\"", 0) == 0 ? "" : "\"migrations\": [],\n") +
                           open + "\n" + nest + close + "\n}\n";
        auto set = read_text(d, text);
        std::string what = std::to_string(depth) + " levels in " + open + (cut ? " cut short" : "");
        if (depth <= 1000 && !cut && open == "\"extra\": ") {
          EXPECT_TRUE(set.input_findings.empty()) << what;
          continue;
        }
        ASSERT_EQ(set.input_findings.size(), 1u) << what;
        const auto& f = set.input_findings[0];
        EXPECT_EQ(f.rule, "input-error");
        if (depth > 1024 || cut) {
          EXPECT_NE(f.message.find("malformed JSON"), std::string::npos) << what << ": " << f.message;
          if (depth > 1024) {  // at the bracket the DOM parser stopped at
            EXPECT_EQ(f.loc.line, line_holding(text, "[[")) << what << ": " << f.message;
            EXPECT_GE(f.loc.column, 1000u) << what << ": " << f.message;
          } else {  // where the brackets are, or what comes instead of their close
            EXPECT_GE(f.loc.line, line_holding(text, "[[")) << what << ": " << f.message;
            EXPECT_LE(f.loc.line, line_holding(text, "[[") + 1) << what << ": " << f.message;
          }
        }
      }
}

// Through the binary with a small stack too: no signal, the exit code of an input error.
TEST(DjangoPlanReader, DeepJsonUnderASmallStackIsAnInputError) {
  TempDir d;
  for (size_t depth : {1000u, 80000u}) {
    d.write("plan.json",
            "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": [],\n"
            "\"extra\": " +
                std::string(depth, '[') + std::string(depth, ']') + "}\n");
    for (int kib : {256, 8192}) {
      auto r =
          sm::test::run_shell(d.path(), "ulimit -s " + std::to_string(kib) + " && " +
                                            sm::test::shell_quote(SAFEMIGRATE_BINARY) + " check plan.json");
      EXPECT_EQ(r.exit_code, depth > 1024 ? 2 : 0)
          << depth << " levels, ulimit -s " << kib << ": " << r.out << r.err;
    }
  }
}

// Generated plans: a random dependency graph over two apps, migration files of random lengths
// on disk, operations and RunPython code with lines in them. Valid as generated; each case then
// gets one fault: an id twice, a dependency on a migration the plan lacks, a cycle, or a line
// outside its file (after the end, 0, negative; of an operation, a function, an import, a
// cursor.execute call). A fault is one input error naming its key on its line; none, none.
struct GenPlan {
  std::vector<std::string> lines;           // the plan's text, a line each
  std::map<std::string, uint32_t> line_of;  // "migrations[2].dependencies[0]" -> its line
  void add(const std::string& text, const std::string& key = "") {
    lines.push_back(text);
    if (!key.empty()) line_of[key] = static_cast<uint32_t>(lines.size());
  }
  std::string text() const {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

enum class Fault { None, DuplicateId, UnknownDependency, Cycle, LineAfterEnd, LineZero, LineNegative };

TEST(DjangoPlanValidation, PropertyGraphAndLineFaultsAreInputErrorsNamingKeyAndLine) {
  std::mt19937_64 rng(18);
  std::map<Fault, int> seen;
  for (int c = 0; c < 400; ++c) {
    TempDir d;
    const size_t n = 2 + rng() % 9;
    struct Mig {
      std::string app, name;
      std::vector<size_t> deps;
      uint32_t file_lines;
    };
    std::vector<Mig> migs(n);
    for (size_t i = 0; i < n; ++i) {
      migs[i].app = rng() % 2 ? "shop" : "audit";
      migs[i].name = std::to_string(1000 + i) + "_m";
      for (size_t j = 0; j < i; ++j)
        if (rng() % 3 == 0) migs[i].deps.push_back(j);
      migs[i].file_lines = 3 + static_cast<uint32_t>(rng() % 40);
      std::string body;
      for (uint32_t l = 0; l < migs[i].file_lines; ++l) body += "# line " + std::to_string(l + 1) + "\n";
      d.write(migs[i].app + "/migrations/" + migs[i].name + ".py", body);
    }
    Fault fault = static_cast<Fault>(rng() % 7);
    size_t victim = 1 + rng() % (n - 1);  // never the first: a duplicate or cycle needs an earlier one
    size_t earlier = rng() % victim;
    if (fault == Fault::DuplicateId) {  // the same file too
      migs[victim].app = migs[earlier].app;
      migs[victim].name = migs[earlier].name;
      migs[victim].file_lines = migs[earlier].file_lines;
    }
    if (fault == Fault::Cycle &&
        std::find(migs[victim].deps.begin(), migs[victim].deps.end(), earlier) == migs[victim].deps.end())
      migs[victim].deps.push_back(earlier);
    // Which line goes wrong: an operation's, its code's, an import's or a cursor call's.
    const std::vector<std::string> line_keys = {".operations[0].line", ".operations[1].code.line",
                                                ".operations[1].code.module_imports[0].line",
                                                ".operations[1].code.cursor_sql[0].line"};
    const std::string bad_line_key =
        "migrations[" + std::to_string(victim) + "]" + line_keys[rng() % line_keys.size()];
    GenPlan p;
    p.add("{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": [");
    for (size_t i = 0; i < n; ++i) {
      const Mig& m = migs[i];
      const std::string key = "migrations[" + std::to_string(i) + "]";
      const std::string file = (d.path() / m.app / "migrations" / (m.name + ".py")).string();
      p.add("{\"app\": \"" + m.app + "\", \"name\": \"" + m.name + "\",", key);
      p.add("\"id\": \"" + m.app + "." + m.name + "\",", key + ".id");
      p.add("\"plan_index\": " + std::to_string(i + 1) + ", \"atomic\": true, \"file\": \"" + file + "\",");
      p.add("\"dependencies\": [");
      std::vector<std::string> deps;
      for (size_t j : m.deps) deps.push_back("[\"" + migs[j].app + "\", \"" + migs[j].name + "\"]");
      if (fault == Fault::UnknownDependency && i == victim) deps.push_back("[\"shop\", \"9999_gone\"]");
      if (fault == Fault::Cycle && i == earlier)
        deps.push_back("[\"" + migs[victim].app + "\", \"" + migs[victim].name + "\"]");
      if (fault == Fault::Cycle && i == earlier) migs[i].deps.push_back(victim);  // for the expectation
      for (size_t k = 0; k < deps.size(); ++k)
        p.add(deps[k] + (k + 1 < deps.size() ? "," : ""), key + ".dependencies[" + std::to_string(k) + "]");
      p.add("], \"operations\": [");
      auto line_value = [&](const std::string& k) -> std::string {
        uint32_t good = 1 + static_cast<uint32_t>(rng() % m.file_lines);
        if (k != bad_line_key) return std::to_string(good);
        if (fault == Fault::LineAfterEnd) return std::to_string(m.file_lines + 1 + rng() % 3);
        if (fault == Fault::LineZero) return "0";
        if (fault == Fault::LineNegative) return "-" + std::to_string(1 + rng() % 5);
        return std::to_string(good);
      };
      std::string op0 = key + ".operations[0].line", op1 = key + ".operations[1]";
      p.add("{\"class\": \"RunSQL\", \"reversible\": true, \"forward_sql\": [\"SELECT 1;\"],");
      p.add("\"line\": " + line_value(op0) + "},", op0);
      p.add("{\"class\": \"RunPython\", \"reversible\": true, \"forward_sql\": [], \"reverse_code\": null,");
      p.add("\"line\": " + std::to_string(m.file_lines) + ", \"code\": {\"file\": \"" + file + "\",");
      p.add("\"line\": " + line_value(op1 + ".code.line") + ",", op1 + ".code.line");
      p.add("\"module_imports\": [{\"text\": \"import x\", \"names\": [\"x\"],");
      p.add("\"line\": " + line_value(op1 + ".code.module_imports[0].line") + "}],",
            op1 + ".code.module_imports[0].line");
      p.add("\"cursor_sql\": [{\"call\": \"cursor.execute\", \"sql\": \"SELECT 2\",");
      p.add("\"line\": " + line_value(op1 + ".code.cursor_sql[0].line") + "}]}}]",
            op1 + ".code.cursor_sql[0].line");
      p.add(std::string("}") + (i + 1 < n ? "," : ""));
    }
    p.add("]}");
    const std::string text = p.text();
    auto set = read_text(d, text);
    ++seen[fault];
    if (fault == Fault::None) {
      EXPECT_TRUE(set.input_findings.empty()) << set.input_findings[0].message << "\n" << text;
      EXPECT_EQ(set.migrations.size(), n);
      continue;
    }
    ASSERT_EQ(set.input_findings.size(), 1u) << "case " << c << ", fault " << static_cast<int>(fault) << "\n"
                                             << text;
    const auto& f = set.input_findings[0];
    EXPECT_EQ(f.rule, "input-error");
    EXPECT_TRUE(set.migrations.empty()) << "a plan with an error is not checked";
    std::vector<std::string> keys;  // any of these may be named (a cycle: either edge of it)
    const std::string v = "migrations[" + std::to_string(victim) + "]";
    switch (fault) {
      case Fault::DuplicateId: keys = {v + ".id"}; break;
      case Fault::UnknownDependency:
        keys = {v + ".dependencies[" + std::to_string(migs[victim].deps.size()) + "]"};
        break;
      case Fault::Cycle:
        for (const auto& [k, line] : p.line_of)
          if (k.find(".dependencies[") != std::string::npos) keys.push_back(k);
        break;
      default: keys = {bad_line_key}; break;
    }
    bool named = false;
    for (const std::string& k : keys)
      if (f.message.find("\"" + k + "\"") != std::string::npos) {
        named = true;
        EXPECT_EQ(f.loc.line, p.line_of.at(k)) << f.message;
      }
    EXPECT_TRUE(named) << "case " << c << ": " << f.message << "\n" << text;
    if (fault == Fault::Cycle) {
      EXPECT_NE(f.message.find("dependency cycle"), std::string::npos) << f.message;
      EXPECT_NE(f.message.find(migs[victim].name), std::string::npos) << f.message;
      EXPECT_NE(f.message.find(migs[earlier].name), std::string::npos) << f.message;
    }
    if (seen[fault] == 1) {  // once per kind, through the binary: exit code 2 and the message
      auto r = sm::test::run_cli_in(d.path(), "check plan.json");
      EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
      EXPECT_NE((r.out + r.err).find("not a valid plan"), std::string::npos) << r.out << r.err;
    }
  }
  for (int k = 0; k < 7; ++k) EXPECT_GT(seen[static_cast<Fault>(k)], 20) << k;
}

// The plans export_plan.py wrote stay valid (the fixture: a squash, a merge, cross-app graphs).
TEST(DjangoPlanValidation, TheFixturePlanIsValid) {
  auto set = sm::django::read_plan(sm::test::source_dir() / "fixtures/django/plan.json", 1 << 24);
  EXPECT_TRUE(set.input_findings.empty()) << set.input_findings[0].message;
  EXPECT_FALSE(set.migrations.empty());
}

}  // namespace

// `check --format gitlab`: GitLab Code Quality JSON, validated against the schema written from
// GitLab's own validator and documentation (tests/tools/gitlab-codequality.schema.json, sources
// in its $comment) with ajv, and read back field by field against the JSON report.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>

#include "schema_validator.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli_in;
using sm::test::run_shell;
using sm::test::shell_quote;
using sm::test::TempDir;

namespace {

sm::test::RunResult validate(const fs::path& file) {
  return run_shell(
      sm::test::source_dir(),
      "node tests/tools/validate_json_schema.js " + shell_quote(sm::test::schema_validator_dir().string()) +
          " " +
          shell_quote((sm::test::source_dir() / "tests/tools/gitlab-codequality.schema.json").string()) +
          " " + shell_quote(file.string()));
}

// An error, a warning, a suppressed finding, a project-wide condition and a folder name with a
// space and a non-ASCII letter.
void write_project(const TempDir& d) {
  d.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE \"Üser\" (\"id\" INT);\n");
  d.write("prisma/migrations/20240102000000_add col é/migration.sql",
          "ALTER TABLE \"Üser\" ADD COLUMN \"b\" INT NOT NULL;\n"
          "-- safemigrate-ignore: require-concurrent-index-creation tiny table\n"
          "CREATE INDEX \"i\" ON \"Üser\"(\"id\");\n"
          "CREATE INDEX \"j\" ON \"Üser\"(\"b\");\n"
          "ALTER TABLE \"Üser\" DROP COLUMN \"id\";\n");
}

TEST(GitlabReport, ValidatesAgainstTheSchemaAndMatchesTheJsonReport) {
  ASSERT_NO_FATAL_FAILURE(sm::test::install_schema_validator());
  TempDir d;
  write_project(d);
  auto r = run_cli_in(d.path(), "check --format gitlab prisma/migrations");
  EXPECT_EQ(r.exit_code, 1) << "error findings still fail the job: " << r.err;
  fs::path file = d.write("gl-code-quality-report.json", r.out);
  auto v = validate(file);
  EXPECT_EQ(v.exit_code, 0) << v.err << "\n" << r.out;

  // The same findings as the JSON report, less the suppressed one, with its fingerprints.
  auto j = run_cli_in(d.path(), "check --format json prisma/migrations");
  simdjson::dom::parser pj, pg;
  simdjson::padded_string jt(j.out), gt(r.out);
  simdjson::dom::element json = pj.parse(jt).value(), gitlab = pg.parse(gt).value();
  std::map<std::string, simdjson::dom::element> by_fp;
  size_t suppressed = 0, project = 0;
  simdjson::dom::array json_findings = json["findings"].get_array().value();
  for (auto f : json_findings) {
    if (f["suppressed"].get_bool().value()) {
      ++suppressed;
      continue;
    }
    by_fp[std::string(f["fingerprint"].get_string().value())] = f;
  }
  EXPECT_EQ(suppressed, 1u);
  std::set<std::string> seen;
  std::map<std::string, std::string> severity = {
      {"error", "critical"}, {"warning", "major"}, {"info", "info"}};
  simdjson::dom::array issues = gitlab.get_array().value();
  for (auto issue : issues) {
    std::string fp(issue["fingerprint"].get_string().value());
    EXPECT_TRUE(seen.insert(fp).second) << "GitLab keeps one issue per fingerprint: " << fp;
    auto it = by_fp.find(fp);
    ASSERT_NE(it, by_fp.end()) << fp;
    auto f = it->second;
    EXPECT_EQ(issue["check_name"].get_string().value(), f["rule"].get_string().value());
    EXPECT_EQ(issue["severity"].get_string().value(),
              severity[std::string(f["severity"].get_string().value())]);
    std::string path(issue["location"]["path"].get_string().value());
    EXPECT_EQ(fs::path(path).lexically_normal(), fs::path(f["file"].get_string().value()).lexically_normal());
    EXPECT_EQ(path.rfind("prisma/migrations", 0), 0u) << "relative to the repository: " << path;
    std::string_view scope;
    if (!f["scope"].get(scope) && scope == "project") {
      ++project;
      EXPECT_EQ(issue["location"]["lines"]["begin"].get_uint64().value(), 1u);
    } else {
      EXPECT_EQ(issue["location"]["lines"]["begin"].get_uint64().value(), f["line"].get_uint64().value());
    }
    EXPECT_NE(std::string(issue["description"].get_string().value()).find(f["message"].get_string().value()),
              std::string::npos);
  }
  EXPECT_EQ(seen.size(), by_fp.size());
  EXPECT_GE(project, 1u) << "a project-wide condition is an issue too";
}

TEST(GitlabReport, TheSchemaRejectsWhatGitlabWouldNotRead) {
  ASSERT_NO_FATAL_FAILURE(sm::test::install_schema_validator());
  TempDir d;
  const char* bad[] = {
      R"([{"description": "x", "check_name": "r", "severity": "critical", "location": {"path": "a", "lines": {"begin": 1}}}])",
      R"([{"description": "x", "check_name": "r", "fingerprint": "f", "severity": "error", "location": {"path": "a", "lines": {"begin": 1}}}])",
      R"([{"description": "x", "check_name": "r", "fingerprint": "f", "severity": "info", "location": {"path": "a"}}])",
      R"({"description": "x"})",
  };
  for (const char* doc : bad) {
    auto v = validate(d.write("bad.json", doc));
    EXPECT_EQ(v.exit_code, 1) << "accepted: " << doc << "\n" << v.err;
  }
}

TEST(GitlabReport, NoFindingsIsAnEmptyArrayAndADjangoPlanValidates) {
  ASSERT_NO_FATAL_FAILURE(sm::test::install_schema_validator());
  TempDir d;
  d.write("prisma/migrations/20240101000000_init/migration.sql",
          "-- safemigrate: irreversible\nSET lock_timeout = '2s';\nCREATE TABLE \"A\" (\"id\" BIGINT PRIMARY "
          "KEY);\n");
  auto empty = run_cli_in(d.path(), "check --format gitlab prisma/migrations");
  EXPECT_EQ(empty.exit_code, 0) << empty.out << empty.err;
  EXPECT_EQ(empty.out, "[]\n");
  auto django = run_cli_in(sm::test::source_dir(), "check --format gitlab fixtures/django/plan.json");
  ASSERT_NE(django.out, "[]\n");
  auto v = validate(d.write("django.json", django.out));
  EXPECT_EQ(v.exit_code, 0) << v.err << "\n" << django.out.substr(0, 2000);
}

}  // namespace

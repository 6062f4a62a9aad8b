// Runs every annotated fixture in fixtures/rules/ through the whole `check` pipeline and
// compares what fired with what the fixture says, line by line (in the style of clang-tidy's
// check tests):
//   CREATE INDEX "i" ON "T"("a");   -- expect: require-concurrent-index-creation
// A line without `expect:` must get no finding. Other annotations:
//   -- expect-project: RULE             RULE's project-wide condition, said once (line 0)
//   -- fixture: prisma-version=6.19.3   run as that Prisma version (default: unknown)
//   -- fixture: postgres-version=11     target that PostgreSQL major version (default: unknown)
//   -- fixture: deploy-lock-timeout=5s  as safemigrate.toml's deploy_lock_timeout
//   -- fixture: since                   check as a change under review: the migrations are new
//                                       files of a git repository, checked with --since HEAD
//   -- migration: NAME                  starts the next migration folder; everything before it
//                                       is earlier migrations (their findings count too)
// Each migration file is padded with empty lines so that finding lines are fixture lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "app/check_command.h"
#include "checks/registry.h"
#include "sql/parse.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

struct Fixture {
  std::string name;  // file name without .sql: RULE or RULE.variant
  std::string text;
  std::string rule() const { return name.substr(0, name.find('.')); }
};
// CTest shows the parameter: its name, not its bytes.
void PrintTo(const Fixture& f, std::ostream* os) {
  *os << f.name << ".sql";
}

std::vector<Fixture> load_fixtures() {
  std::vector<Fixture> out;
  for (const auto& e : fs::directory_iterator(sm::test::source_dir() / "fixtures" / "rules"))
    if (e.path().extension() == ".sql")
      out.push_back({e.path().stem().string(), sm::test::read_file(e.path())});
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
  return out;
}

// "line:rule" pairs written in the fixture's comments, read with the same SQL scanner as
// the product (comments are tokens of PostgreSQL's lexer).
std::multiset<std::string> expectations(const Fixture& f, std::string& prisma_version, uint32_t& postgres,
                                        std::string& deploy_lock_timeout, bool& since) {
  std::multiset<std::string> out;
  for (const auto& c : sm::sql::parse_sql(f.text, f.name).comments) {
    std::string_view t = c.text;
    if (t == "fixture: since") since = true;
    if (t.rfind("fixture: prisma-version=", 0) == 0) prisma_version = std::string(t.substr(24));
    if (t.rfind("fixture: postgres-version=", 0) == 0) postgres = std::stoul(std::string(t.substr(26)));
    if (t.rfind("fixture: deploy-lock-timeout=", 0) == 0) deploy_lock_timeout = std::string(t.substr(29));
    if (t.rfind("expect-project:", 0) == 0) {
      std::string rule(t.substr(15));
      rule.erase(0, rule.find_first_not_of(' '));
      out.insert("0:" + rule);
      continue;
    }
    size_t at = t.find("expect:");
    if (at == std::string_view::npos) continue;
    std::stringstream rules{std::string(t.substr(at + 7))};
    std::string rule;
    while (std::getline(rules, rule, ',')) {
      rule.erase(0, rule.find_first_not_of(' '));
      rule.erase(rule.find_last_not_of(' ') + 1);
      if (!rule.empty()) out.insert(std::to_string(c.line) + ":" + rule);
    }
  }
  return out;
}

// Writes the fixture as a Prisma migrations folder: one folder per `-- migration:` section.
void write_migrations(const Fixture& f, const sm::test::TempDir& dir) {
  std::istringstream in(f.text);
  std::string line, body, name = "00000000000000_" + f.name;
  size_t line_no = 0, section_start = 1, index = 0;
  auto flush = [&] {
    if (body.find_first_not_of(" \n") == std::string::npos) return;
    std::string folder = std::to_string(10000000000000 + index++) + "_" + name;
    dir.write("migrations/" + folder + "/migration.sql", std::string(section_start - 1, '\n') + body);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.rfind("-- migration:", 0) == 0) {
      flush();
      body.clear();
      section_start = line_no;
      name = line.substr(13);
      name.erase(0, name.find_first_not_of(' '));
    }
    body += line + "\n";
  }
  flush();
  dir.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
}

class RuleFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(RuleFixture, FindingsMatchAnnotations) {
  const Fixture& f = GetParam();
  std::string version, deploy_lock_timeout;
  uint32_t postgres = 0;
  bool since = false;
  std::multiset<std::string> expected = expectations(f, version, postgres, deploy_lock_timeout, since);
  ASSERT_FALSE(expected.empty()) << f.name
                                 << " has no `expect:` annotation: a fixture must show its rule firing";
  ASSERT_NE(sm::checks::find_rule(f.rule()), nullptr) << "fixture " << f.name << ".sql names no rule";
  EXPECT_TRUE(std::any_of(expected.begin(), expected.end(),
                          [&](const std::string& e) { return e.substr(e.find(':') + 1) == f.rule(); }))
      << f.name << ".sql never expects its own rule";

  sm::test::TempDir dir;
  write_migrations(f, dir);
  sm::app::CheckOptions options;
  options.paths = {(dir.path() / "migrations").string()};
  options.prisma_version = version;
  options.postgres_version = postgres;
  sm::config::Config config;
  config.deploy_lock_timeout = deploy_lock_timeout;
  if (!deploy_lock_timeout.empty()) options.config = &config;
  if (since) {
    // One empty commit: every migration is an untracked file added since HEAD.
    auto git = sm::test::run_shell(
        dir.path(),
        "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false init -q . && "
        "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false commit -q "
        "--allow-empty -m base");
    ASSERT_EQ(git.exit_code, 0) << git.out << git.err;
    options.since = "HEAD";
  }
  // --since asks git in the working directory, as the CLI does: the fixture's repository then.
  fs::path cwd = fs::current_path();
  if (since) fs::current_path(dir.path());
  sm::app::CheckRun run = sm::app::run_check(options, nullptr);
  if (since) fs::current_path(cwd);
  ASSERT_FALSE(run.input_error);

  std::multiset<std::string> actual;
  std::ostringstream details;
  for (const auto& finding : run.findings) {
    if (finding.suppressed) continue;
    actual.insert(std::to_string(finding.loc.line) + ":" + finding.rule);
    details << "  " << finding.loc.line << ":" << finding.loc.column << " " << finding.rule << ": "
            << finding.message << "\n";
  }
  EXPECT_EQ(actual, expected) << "findings of " << f.name << ".sql:\n" << details.str();
}

INSTANTIATE_TEST_SUITE_P(Rules, RuleFixture, ::testing::ValuesIn(load_fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& param) {
                           std::string n = param.param.name;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// Rules named in `# expect:` comments of the Django fixture project (django_fixture_test.cpp).
// Every rule has a fixture (SQL here, or a Django migration), so no rule goes untested. The one
// exception is a rule that reads git history instead of migrations (no check function):
// migration-edited-after-merge, tested on real repositories in since_test.cpp.
TEST(RuleFixtures, EveryRuleHasOne) {
  std::set<std::string> names;
  for (const auto& e : sm::test::python_expectations(sm::test::source_dir() / "fixtures" / "django"))
    names.insert(e.rule);
  for (const auto& f : load_fixtures()) names.insert(f.rule());
  for (const auto* rule : sm::checks::all_rules()) {
    if (!rule->check && !rule->check_set) {
      EXPECT_EQ(rule->doc.id, "migration-edited-after-merge") << "a rule that never runs";
      continue;
    }
    EXPECT_TRUE(names.count(std::string(rule->doc.id)))
        << "fixtures/rules/" << rule->doc.id << ".sql is missing";
  }
}

}  // namespace

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
//   -- fixture: edited below            (in a `since` fixture) the migration existed at HEAD as
//                                       its lines up to this one; the lines after it are an edit
// Each migration file is padded with empty lines so that finding lines are fixture lines.
//
// Django rules have fixtures/rules/RULE.py: a Django project's files in sections,
//   # migration: [APP/]NAME             a migration file of APP (default shop), APP/migrations/NAME.py
//   # file: [APP/]PATH                  another file of the app (models.py)
//   # expect: RULE / # expect-project: RULE   as above; a migration-level finding is at the
//                                       file's first line, the `# migration:` line here
//   # fixture: applied=APP.NAME,...     export online, against a database whose django_migrations
//                                       holds exactly those rows (else offline)
// exported by the real Django (Debian's, the one scripts/setup.sh installs) with
// adapters/django/export_plan.py, then checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "app/check_command.h"
#include "checks/registry.h"
#include "pg_cluster.h"
#include "rule_fixture_files.h"
#include "sql/parse.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

using Fixture = sm::test::RuleFixtureFile;
std::vector<Fixture> load_fixtures() {
  return sm::test::load_sql_rule_fixtures();
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

// A Prisma migrations folder: one folder per `-- migration:` section, by relative path.
struct MigrationFiles {
  std::map<std::string, std::string> now;     // the files checked
  std::map<std::string, std::string> merged;  // the `-- fixture: edited below` ones as at HEAD
};

MigrationFiles migration_files(const Fixture& f) {
  MigrationFiles out;
  std::istringstream in(f.text);
  std::string line, body, before_edit, name = "00000000000000_" + f.name;
  size_t line_no = 0, section_start = 1, index = 0;
  bool edited = false;
  auto flush = [&] {
    if (body.find_first_not_of(" \n") == std::string::npos) return;
    std::string path =
        "migrations/" + std::to_string(10000000000000 + index++) + "_" + name + "/migration.sql";
    std::string padding(section_start - 1, '\n');
    out.now[path] = padding + body;
    if (edited) out.merged[path] = padding + before_edit;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.rfind("-- migration:", 0) == 0) {
      flush();
      body.clear();
      edited = false;
      section_start = line_no;
      name = line.substr(13);
      name.erase(0, name.find_first_not_of(' '));
    }
    body += line + "\n";
    if (line == "-- fixture: edited below") {
      edited = true;
      before_edit = body;
    }
  }
  flush();
  out.now["migrations/migration_lock.toml"] = "provider = \"postgresql\"\n";
  return out;
}

void write_files(const std::map<std::string, std::string>& files, const sm::test::TempDir& dir) {
  for (const auto& [path, text] : files) dir.write(path, text);
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
  MigrationFiles files = migration_files(f);
  ASSERT_TRUE(since || files.merged.empty())
      << f.name << ": `-- fixture: edited below` needs `-- fixture: since`";
  sm::app::CheckOptions options;
  options.paths = {(dir.path() / "migrations").string()};
  options.prisma_version = version;
  options.postgres_version = postgres;
  options.table_sizes = true;  // as `check` does: "(size unknown)" without a database
  sm::config::Config config;
  config.deploy_lock_timeout = deploy_lock_timeout;
  if (!deploy_lock_timeout.empty()) options.config = &config;
  if (since) {
    // One commit holding the merged migrations as they were (often none): every other migration
    // is an untracked file added since HEAD, the edited ones are changes since HEAD.
    write_files(files.merged, dir);
    auto git = sm::test::run_shell(
        dir.path(),
        "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false init -q . && git add -A && "
        "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false commit -q "
        "--allow-empty -m base");
    ASSERT_EQ(git.exit_code, 0) << git.out << git.err;
    options.since = "HEAD";
  }
  write_files(files.now, dir);
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
    // The size note follows the table's name, except where the message's own parenthesis follows
    // the name (a column's type, `"T"."x" (text) with "y" (enum)`): there it goes at the end, not
    // as "(size unknown) (text)".
    if (!finding.table_size.empty()) {
      EXPECT_EQ(finding.message.find("(" + finding.table_size + ") ("), std::string::npos)
          << f.name << ": " << finding.message;
    }
    // A condition said once for the project has help of its own (the rule's condition_fix), not
    // the per-statement fix.
    if (finding.migrations_concerned) {
      const sm::checks::Rule* rule = sm::checks::find_rule(finding.rule);
      ASSERT_NE(rule, nullptr);
      EXPECT_FALSE(rule->doc.condition_fix.empty())
          << finding.rule << " is said once but has no condition_fix";
      EXPECT_EQ(finding.help, rule->doc.condition_fix) << f.name;
    }
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

std::vector<Fixture> load_django_fixtures() {
  std::vector<Fixture> out;
  for (const auto& e : fs::directory_iterator(sm::test::source_dir() / "fixtures" / "rules"))
    if (e.path().extension() == ".py")
      out.push_back({e.path().stem().string(), sm::test::read_file(e.path()), ".py"});
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
  return out;
}

// The text after `tag` on a line, trimmed, up to a following `  #` comment.
std::string after(const std::string& line, const std::string& tag) {
  std::string s = line.substr(line.find(tag) + tag.size());
  s = s.substr(0, s.find("  #"));
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// A Django fixture's project: its files by path, where each migration starts (its `# migration:`
// line, where migration-level findings are), its apps, expectations and applied migrations.
struct DjangoFixture {
  std::map<std::string, std::string> files;
  std::map<std::string, size_t> migration_line;  // by file path relative to the project
  std::set<std::string> apps;
  std::multiset<std::string> expected;  // "line:rule"
  std::string applied;                  // "app.name,…" from `# fixture: applied=`; empty: offline
  bool online = false;
};

DjangoFixture django_fixture(const Fixture& f) {
  DjangoFixture out;
  std::istringstream in(f.text);
  std::string line, path, body;
  size_t line_no = 0, start = 1;
  auto flush = [&] {
    if (!path.empty()) out.files[path] = std::string(start - 1, '\n') + body;
  };
  auto app_path = [&](const std::string& name, const std::string& dir) {
    size_t slash = name.find('/');
    std::string app = slash == std::string::npos ? "shop" : name.substr(0, slash);
    out.apps.insert(app);
    return app + "/" + dir + (slash == std::string::npos ? name : name.substr(slash + 1));
  };
  while (std::getline(in, line)) {
    ++line_no;
    bool migration = line.rfind("# migration:", 0) == 0, file = line.rfind("# file:", 0) == 0;
    if (migration || file) {
      flush();
      body.clear();
      start = line_no;
      path = migration ? app_path(after(line, "# migration:"), "migrations/") + ".py"
                       : app_path(after(line, "# file:"), "");
      if (migration) out.migration_line[path] = line_no;
    }
    if (line.rfind("# fixture: applied=", 0) == 0) {
      out.online = true;
      out.applied = after(line, "# fixture: applied=");
    }
    for (const std::string tag : {"# expect:", "# expect-project:"}) {
      if (line.find(tag) == std::string::npos) continue;
      std::stringstream rules(after(line, tag));
      for (std::string rule; std::getline(rules, rule, ',');) {
        rule.erase(0, rule.find_first_not_of(' '));
        rule.erase(rule.find_last_not_of(' ') + 1);
        if (!rule.empty())
          out.expected.insert((tag == "# expect:" ? std::to_string(line_no) : "0") + ":" + rule);
      }
    }
    body += line + "\n";
  }
  flush();
  return out;
}

class DjangoRuleFixture : public ::testing::TestWithParam<Fixture> {
 protected:
  void SetUp() override { SM_REQUIRE_DJANGO(); }
};

TEST_P(DjangoRuleFixture, FindingsMatchAnnotations) {
  const Fixture& f = GetParam();
  DjangoFixture project = django_fixture(f);
  ASSERT_FALSE(project.expected.empty()) << f.name << " has no `# expect:` annotation";
  ASSERT_NE(sm::checks::find_rule(f.rule()), nullptr) << "fixture " << f.name << ".py names no rule";
  EXPECT_TRUE(std::any_of(project.expected.begin(), project.expected.end(),
                          [&](const std::string& e) { return e.substr(e.find(':') + 1) == f.rule(); }))
      << f.name << ".py never expects its own rule";

  sm::test::TempDir dir;
  std::string apps;
  for (const auto& app : project.apps) {
    apps += "'" + app + "', ";
    dir.write("proj/" + app + "/__init__.py", "");
    dir.write("proj/" + app + "/migrations/__init__.py", "");
  }
  for (const auto& [path, text] : project.files) dir.write("proj/" + path, text);
  dir.write("proj/site_settings.py",
            "import os\nSECRET_KEY = 'x'\nUSE_TZ = True\nINSTALLED_APPS = [" + apps +
                "]\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
                "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'postgres',\n"
                "  'USER': 'postgres', 'PASSWORD': os.environ.get('DB_PASSWORD', ''), 'HOST': '127.0.0.1',\n"
                "  'PORT': os.environ.get('DB_PORT', '1'),\n"
                // Deploys set a lock_timeout (read from the plan), so that missing-lock-timeout's
                // project-wide condition does not join every fixture's findings.
                "  'OPTIONS': {'options': '-c lock_timeout=5s'}}}\n");
  std::unique_ptr<sm::test::PgCluster> pg;
  std::string env;
  if (project.online) {
    SM_REQUIRE_PG();
    pg = std::make_unique<sm::test::PgCluster>();
    // The table as Django's MigrationRecorder creates it, with exactly the fixture's rows.
    std::string rows;
    std::stringstream names(project.applied);
    for (std::string id; std::getline(names, id, ',');) {
      size_t dot = id.find('.');
      rows += std::string(rows.empty() ? "" : ", ") + "('" + id.substr(0, dot) + "', '" + id.substr(dot + 1) +
              "', now())";
    }
    pg->psql(
        "CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, "
        "name varchar(255) NOT NULL, applied timestamptz NOT NULL); "
        "INSERT INTO django_migrations (app, name, applied) VALUES " +
        rows);
    env = "env DB_PORT=" + std::to_string(pg->port()) +
          " DB_PASSWORD=" + sm::test::shell_quote(sm::test::PgCluster::kPassword) + " ";
  }
  fs::path plan = dir.path() / "plan.json";
  auto exported = sm::test::run_shell(
      dir.path() / "proj",
      env + sm::test::django_python() + " " +
          sm::test::shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
          " --settings site_settings " + (project.online ? "--online" : "--offline") + " -o " +
          sm::test::shell_quote(plan.string()));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;

  sm::app::CheckOptions options;
  options.paths = {plan.string()};
  sm::app::CheckRun run = sm::app::run_check(options, nullptr);
  ASSERT_FALSE(run.input_error);

  std::multiset<std::string> actual;
  std::ostringstream details;
  fs::path root = fs::weakly_canonical(dir.path() / "proj");
  for (const auto& finding : run.findings) {
    if (finding.suppressed) continue;
    std::string file = fs::relative(fs::weakly_canonical(finding.loc.file), root).string();
    uint32_t line = finding.loc.line;
    // A migration-level finding is at the file's first line, which the padding left empty.
    if (line == 1 && project.migration_line.count(file))
      line = static_cast<uint32_t>(project.migration_line[file]);
    if (finding.migrations_concerned) line = 0;
    actual.insert(std::to_string(line) + ":" + finding.rule);
    details << "  " << file << ":" << finding.loc.line << " " << finding.rule << ": " << finding.message
            << "\n";
  }
  EXPECT_EQ(actual, project.expected) << "findings of " << f.name << ".py:\n" << details.str();
}

INSTANTIATE_TEST_SUITE_P(DjangoRules, DjangoRuleFixture, ::testing::ValuesIn(load_django_fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& param) {
                           std::string n = param.param.name;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// Every registered rule has an annotated fixture in fixtures/rules/ (RULE.sql, RULE.VARIANT.sql
// or RULE.py) that the tests above run and that expects it, and every fixture names a rule.
TEST(RuleFixtures, EveryRuleHasOne) {
  std::set<std::string> names;
  for (const auto& f : load_fixtures()) names.insert(f.rule());
  for (const auto& f : load_django_fixtures()) names.insert(f.rule());
  for (const auto* rule : sm::checks::all_rules())
    EXPECT_TRUE(names.count(std::string(rule->doc.id)))
        << "fixtures/rules/" << rule->doc.id << ".sql (or .py for a Django rule) is missing";
  for (const auto& name : names)
    EXPECT_NE(sm::checks::find_rule(name), nullptr) << "a fixture names no rule: " << name;
}

// Each rule's file in src/checks/rules/ is registered (src/checks/rules/rules.def), so that a
// rule written but not listed cannot go unrun: the file name is the rule's id.
TEST(RuleFixtures, EveryRuleFileIsRegistered) {
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(sm::test::source_dir() / "src" / "checks" / "rules")) {
    if (e.path().extension() != ".cpp") continue;
    ++files;
    std::string id = e.path().stem().string();
    std::replace(id.begin(), id.end(), '_', '-');
    EXPECT_NE(sm::checks::find_rule(id), nullptr) << e.path().filename() << " is not in rules.def";
  }
  EXPECT_EQ(files, sm::checks::all_rules().size());
}

}  // namespace

// The Django fixture project (fixtures/django), exported by the real Django with
// adapters/django/export_plan.py and checked against the expectations written in its
// migration files, on the line each finding belongs to (see sm::test::python_expectations).
// Every finding must be expected and every expectation found, as in fixtures/rules/*.sql.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "adapters/django/django_plan_reader.h"
#include "app/check_command.h"
#include "pg_cluster.h"
#include "test_support.h"
#include "util/sha256.h"

namespace fs = std::filesystem;

namespace {

const fs::path kProject = sm::test::source_dir() / "fixtures" / "django";

struct Export {
  int exit_code = -1;
  std::string err;
};

// Runs the exporter in the fixture project; extra arguments are already quoted.
Export export_plan(const std::string& settings, const fs::path& out, const std::string& extra = "--offline",
                   const fs::path& project = kProject) {
  sm::test::TempDir tmp;
  fs::path err = tmp.path() / "err";
  std::string cmd =
      "cd " + sm::test::shell_quote(project.string()) + " && " + sm::test::django_python() + " " +
      sm::test::shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
      " --settings " + settings + " " + extra + " -o " + sm::test::shell_quote(out.string()) + " 2>" +
      sm::test::shell_quote(err.string());
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, sm::test::read_file(err)};
}

// "file:line:rule" of every finding, relative to the project.
std::multiset<std::string> finding_keys(const sm::app::CheckRun& run, std::string* details) {
  std::multiset<std::string> out;
  std::ostringstream d;
  for (const auto& f : run.findings) {
    if (f.suppressed) continue;
    std::string file =
        fs::relative(fs::weakly_canonical(f.loc.file), fs::weakly_canonical(kProject)).string();
    out.insert((f.migrations_concerned ? "project:0" : file + ":" + std::to_string(f.loc.line)) + ":" +
               f.rule);
    d << "  " << file << ":" << f.loc.line << " " << f.rule << " (" << f.operation << "): " << f.message
      << "\n";
  }
  *details = d.str();
  return out;
}

// The fixture's apps that `settings` does not install on the Django under test: blog only with
// settings_conflict; notes (Django 4.2 features) and ledger (5.0 features) only with
// settings_modern, and only on a Django that has those features.
std::set<std::string> apps_not_installed(const std::string& settings) {
  const auto& django = sm::test::django_under_test();
  std::set<std::string> out;
  if (settings != "mysite.settings_conflict") out.insert("blog");
  if (settings != "mysite.settings_modern" || !django.at_least(4, 2)) out.insert("notes");
  if (settings != "mysite.settings_modern" || !django.at_least(5, 0)) out.insert("ledger");
  return out;
}

// The expectations of the fixture's files for `settings` (without apps it does not install)
// and, offline, without the online-only ones.
std::multiset<std::string> expected_keys(const std::string& settings, bool online) {
  std::set<std::string> skip = apps_not_installed(settings);
  std::multiset<std::string> out;
  for (const auto& e : sm::test::python_expectations(kProject)) {
    if (skip.count(e.source.substr(0, e.source.find('/')))) continue;
    if (e.online_only && !online) continue;
    out.insert(e.key());
  }
  return out;
}

sm::app::CheckRun check(const fs::path& plan) {
  sm::app::CheckOptions options;
  options.paths = {plan.string()};
  return sm::app::run_check(options, nullptr);
}

class DjangoFixture : public ::testing::Test {
 protected:
  void SetUp() override { SM_REQUIRE_DJANGO(); }
  sm::test::TempDir tmp;
};

TEST_F(DjangoFixture, FindingsMatchTheAnnotationsInTheMigrationFiles) {
  fs::path plan = tmp.path() / "plan.json";
  Export e = export_plan("mysite.settings", plan);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  sm::app::CheckRun run = check(plan);
  ASSERT_FALSE(run.input_error);
  ASSERT_FALSE(run.sets.at(0).migrations.empty());
  std::string details;
  std::multiset<std::string> expected = expected_keys("mysite.settings", false);
  ASSERT_GE(expected.size(), 10u);
  EXPECT_EQ(finding_keys(run, &details), expected) << "findings:\n" << details;
}

// The blog app has two leaves: reported where the last leaf is, and only with the settings
// that install it.
TEST_F(DjangoFixture, ConflictingLeavesAreReported) {
  fs::path plan = tmp.path() / "plan.json";
  Export e = export_plan("mysite.settings_conflict", plan);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  sm::app::CheckRun run = check(plan);
  std::string details;
  EXPECT_EQ(finding_keys(run, &details), expected_keys("mysite.settings_conflict", false)) << "findings:\n"
                                                                                           << details;
}

// The apps that use what Django 4.2 and 5.0 added (comments in the database, RenameIndex,
// concurrent index operations, db_default, GeneratedField, NULLS NOT DISTINCT): the findings follow
// the SQL the Django under test emits, on the lines annotated.
TEST_F(DjangoFixture, NewerDjangoFeaturesMatchTheAnnotations) {
  fs::path plan = tmp.path() / "plan.json";
  Export e = export_plan("mysite.settings_modern", plan);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  sm::app::CheckRun run = check(plan);
  ASSERT_FALSE(run.input_error);
  std::set<std::string> apps;
  for (const auto& m : run.sets.at(0).migrations) apps.insert(m.id.substr(0, m.id.find('.')));
  std::set<std::string> skip = apps_not_installed("mysite.settings_modern");
  for (const char* app : {"notes", "ledger"})
    EXPECT_EQ(apps.count(app), skip.count(app) ? 0u : 1u)
        << app << " on Django " << sm::test::django_under_test().version;
  std::string details;
  EXPECT_EQ(finding_keys(run, &details), expected_keys("mysite.settings_modern", false)) << "findings:\n"
                                                                                         << details;
}

// What the plan says about the project, read back through the C++ reader: plan order, the
// cross-app dependency, the squash in place of what it replaces, the merge, the non-ASCII
// name, the concurrent index outside a transaction, and the SQL that needs the database.
TEST_F(DjangoFixture, PlanDescribesTheProject) {
  fs::path plan = tmp.path() / "plan.json";
  ASSERT_EQ(export_plan("mysite.settings", plan).exit_code, 0);
  auto set = sm::django::read_plan(plan, 64 << 20);
  ASSERT_TRUE(set.input_findings.empty()) << set.input_findings[0].message;
  std::map<std::string, const sm::model::Migration*> by_id;
  std::vector<std::string> order;
  for (const auto& m : set.migrations) {
    by_id[m.id] = &m;
    order.push_back(m.id);
  }
  auto position = [&](const std::string& id) {
    return std::find(order.begin(), order.end(), id) - order.begin();
  };
  ASSERT_TRUE(by_id.count("audit.0001_squashed_0002_entry_level_note"));
  EXPECT_FALSE(by_id.count("audit.0001_initial")) << "a fresh database runs the squash, not what it replaces";
  EXPECT_EQ(by_id["audit.0001_squashed_0002_entry_level_note"]->replaces,
            (std::vector<std::string>{"audit.0001_initial", "audit.0002_entry_level_note"}));
  EXPECT_LT(position("shop.0002_product_sku"), position("audit.0001_squashed_0002_entry_level_note"))
      << "the cross-app dependency comes first";
  EXPECT_EQ(by_id["shop.0009_merge"]->dependencies,
            (std::vector<std::string>{"shop.0008_order_quantity_default", "shop.0008_product_rename_price"}));
  ASSERT_TRUE(by_id.count("audit.0003_entrée_horodatage")) << "non-ASCII names survive export and reading";
  const auto* concurrent = by_id["shop.0006_order_created_idx"];
  EXPECT_FALSE(concurrent->atomic);
  ASSERT_EQ(concurrent->operations.size(), 1u);
  EXPECT_TRUE(concurrent->operations[0].non_transactional);
  EXPECT_TRUE(concurrent->statements()[0]->concurrently);
  const auto* fk = by_id["shop.0007_order_product_nullable"];
  EXPECT_TRUE(fk->operations[0].sql_depends_on_database) << "AlterField of a foreign key looks up its name";
  EXPECT_FALSE(by_id["shop.0008_product_rename_price"]->operations[0].sql_depends_on_database);
  const auto* backfill = by_id["shop.0003_backfill_sku"];
  ASSERT_TRUE(backfill->operations[0].code.has_value());
  EXPECT_EQ(backfill->operations[0].code->qualname, "forwards");
  EXPECT_NE(backfill->operations[0].code->source.find("product.save()"), std::string::npos);
  EXPECT_FALSE(backfill->operations[0].reversible);
  EXPECT_FALSE(backfill->applied.has_value()) << "offline: applied is unknown";
  for (const auto& m : set.migrations) {
    EXPECT_EQ(m.files[0].sha256, sm::util::sha256_hex(sm::test::read_file(m.files[0].path))) << m.id;
  }
}

// SQL is not deterministic (a callable default is evaluated on export) but the checksum is
// of the source: two exports agree on every checksum.
TEST_F(DjangoFixture, ChecksumsAreOfTheSourceNotTheSql) {
  fs::path a = tmp.path() / "a.json", b = tmp.path() / "b.json";
  ASSERT_EQ(export_plan("mysite.settings", a).exit_code, 0);
  ASSERT_EQ(export_plan("mysite.settings", b).exit_code, 0);
  auto sa = sm::django::read_plan(a, 64 << 20), sb = sm::django::read_plan(b, 64 << 20);
  ASSERT_EQ(sa.migrations.size(), sb.migrations.size());
  for (size_t i = 0; i < sa.migrations.size(); ++i)
    EXPECT_EQ(sa.migrations[i].checksum, sb.migrations[i].checksum);
}

// A project that does not import: non-zero, with the error's last line, and no plan file.
TEST_F(DjangoFixture, ProjectThatFailsToImport) {
  tmp.write("broken/brokensite/__init__.py", "");
  tmp.write("broken/brokensite/settings.py",
            "INSTALLED_APPS = ['missing_app_xyz']\nSECRET_KEY = 'x'\n"
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'x'}}\n");
  fs::path plan = tmp.path() / "plan.json";
  Export e = export_plan("brokensite.settings", plan, "--offline", tmp.path() / "broken");
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.err.find("ModuleNotFoundError: No module named 'missing_app_xyz'"), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find("Traceback"), std::string::npos)
      << "the last line, not the whole traceback: " << e.err;
  EXPECT_FALSE(fs::exists(plan));
}

// A Python without Django (-S: no site-packages, as a pyenv or venv Python without the project's
// packages): the error names the interpreter, so that the user runs the project's one instead.
TEST_F(DjangoFixture, NoDjangoSaysWhichPython) {
  sm::test::RunResult r = sm::test::run_shell(
      kProject,
      "/usr/bin/python3 -S " +
          sm::test::shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
          " --settings mysite.settings --offline -o " +
          sm::test::shell_quote((tmp.path() / "plan.json").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot import Django with /usr/bin/python3 (Python 3."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No module named 'django'"), std::string::npos) << r.err;
}

// An older Django than 3.2 is refused before the project loads; a newer untested one is
// exported with a warning (a stand-in `django` package that says its version, then fails setup).
TEST_F(DjangoFixture, OlderDjangoIsRefusedNewerIsWarnedAbout) {
  auto run_with = [&](const std::string& version) {
    tmp.write("fake" + version + "/django/__init__.py",
              "VERSION = (" + version.substr(0, 1) + ", " + version.substr(2, 1) +
                  ", 0, 'final', 0)\ndef get_version():\n    return '" + version +
                  "'\ndef setup():\n    raise RuntimeError('stand-in Django')\n");
    return sm::test::run_shell(
        kProject,
        "env PYTHONPATH=" + sm::test::shell_quote((tmp.path() / ("fake" + version)).string()) +
            " /usr/bin/python3 " +
            sm::test::shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
            " --settings mysite.settings --offline -o " +
            sm::test::shell_quote((tmp.path() / "plan.json").string()));
  };
  sm::test::RunResult old = run_with("3.1");
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_NE(old.err.find("Django 3.1 is not supported: this exporter supports Django 3.2, 4.2, 5.2"),
            std::string::npos)
      << old.err;
  EXPECT_EQ(old.err.find("stand-in"), std::string::npos) << "refused before setup: " << old.err;
  sm::test::RunResult newer = run_with("6.0");
  EXPECT_NE(newer.err.find("warning: Django 6.0 is not one of the tested versions (3.2, 4.2, 5.2)"),
            std::string::npos)
      << newer.err;
  EXPECT_NE(newer.err.find("stand-in Django"), std::string::npos) << "exported anyway: " << newer.err;
}

TEST_F(DjangoFixture, NotPostgresqlIsAUsageError) {
  tmp.write("lite/litesite/__init__.py", "");
  tmp.write("lite/litesite/settings.py",
            "INSTALLED_APPS = []\nSECRET_KEY = 'x'\n"
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n");
  Export e = export_plan("litesite.settings", tmp.path() / "plan.json", "--offline", tmp.path() / "lite");
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("PostgreSQL"), std::string::npos) << e.err;
}

// Offline, a lock_timeout passed in DATABASES OPTIONS is exported and silences
// missing-lock-timeout for every migration.
TEST_F(DjangoFixture, LockTimeoutFromDatabaseOptions) {
  tmp.write("opts/optsite/__init__.py", "");
  tmp.write(
      "opts/optsite/settings.py",
      "import sys\nsys.path.insert(0, " + sm::test::shell_quote(kProject.string()) +
          ")\nfrom mysite.settings import *\n"
          "DATABASES['default']['OPTIONS'] = {'options': '-c lock_timeout=4s -c statement_timeout=60s'}\n");
  fs::path plan = tmp.path() / "plan.json";
  Export e = export_plan("optsite.settings", plan, "--offline", tmp.path() / "opts");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(sm::test::read_file(plan).find("\"lock_timeout\": \"4s\""), std::string::npos);
  sm::app::CheckRun run = check(plan);
  ASSERT_FALSE(run.findings.empty());
  for (const auto& f : run.findings)
    EXPECT_NE(f.rule, "missing-lock-timeout") << f.loc.file << ":" << f.loc.line;
}

}  // namespace

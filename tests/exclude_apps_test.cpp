// Issue 19: exclude_apps (django-migration-linter's convention) for Django migrations the team
// does not own: which migrations an entry names, what `check` reports of them ("apart", "off"),
// and what apply's gate does with their errors ("stop" unless told "pass"), against a real
// PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "app/check_command.h"
#include "app/history_command.h"
#include "app/history_support.h"
#include "config/config.h"
#include "db/database.h"
#include "pg_cluster.h"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kPlan = (sm::test::source_dir() / "fixtures" / "django" / "plan.json").string();

sm::config::Config config_of(const std::string& text) {
  return sm::config::parse_config(text, "safemigrate.toml", "/repo");
}

sm::app::CheckRun check_plan(const sm::config::Config* config, bool gate = false) {
  sm::app::CheckOptions o;
  o.paths = {kPlan};
  o.config = config;
  o.gate = gate;
  return sm::app::run_check(o, nullptr);
}

// rule|migration|line of every finding, so that two runs can be compared finding by finding.
std::string key(const sm::model::Finding& f) {
  return f.rule + "|" + f.migration + "|" + std::to_string(f.loc.line) + "|" + f.message;
}

TEST(ExcludeAppsConfig, IsReadAndValidated) {
  auto cfg = config_of(
      "exclude_apps = [\"auth\", \"django.contrib.sessions\", \"taggit\"]\n"
      "exclude_apps_findings = \"off\"\nexclude_apps_apply = \"pass\"\n");
  EXPECT_EQ(cfg.exclude_apps, (std::vector<std::string>{"auth", "django.contrib.sessions", "taggit"}));
  EXPECT_EQ(cfg.exclude_apps_findings, sm::config::Config::ExcludedFindings::Off);
  EXPECT_TRUE(cfg.exclude_apps_pass_apply);
  auto defaults = config_of("exclude_apps = [\"auth\"]\n");
  EXPECT_EQ(defaults.exclude_apps_findings, sm::config::Config::ExcludedFindings::Apart);
  EXPECT_FALSE(defaults.exclude_apps_pass_apply);

  auto error_of = [](const std::string& text) {
    try {
      config_of(text);
    } catch (const sm::config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of("exclude_apps = \"auth\"\n"),
              HasSubstr("safemigrate.toml:1:16: exclude_apps: expected an array"));
  for (const char* bad : {"", "django..auth", ".auth", "auth.", "my-app", "0auth", "django/contrib", "a b"})
    EXPECT_THAT(
        error_of("\nexclude_apps = [\"ok\", \"" + std::string(bad) + "\"]\n"),
        HasSubstr("safemigrate.toml:2:23: exclude_apps[1]: \"" + std::string(bad) + "\" is not a Django app"))
        << bad;
  EXPECT_THAT(error_of("exclude_apps_findings = \"hide\"\n"),
              HasSubstr("exclude_apps_findings: \"hide\" is not \"apart\" or \"off\""));
  EXPECT_THAT(error_of("exclude_apps_apply = true\n"), HasSubstr("exclude_apps_apply: expected a string"));
  EXPECT_THAT(error_of("exclude_apps_apply = \"skip\"\n"),
              HasSubstr("exclude_apps_apply: \"skip\" is not \"stop\" or \"pass\""));
}

TEST(ExcludeAppsConfig, MatchesAppLabelsAndPackageFolders) {
  auto cfg = config_of("exclude_apps = [\"auth\", \"django.contrib.sessions\", \"taggit\"]\n");
  const std::string site = "/venv/lib/python3.11/site-packages/";
  EXPECT_EQ(cfg.excluded_app("auth", site + "django/contrib/auth/migrations/0001_initial.py"), "auth");
  EXPECT_EQ(cfg.excluded_app("sessions", site + "django/contrib/sessions/migrations/0001_initial.py"),
            "django.contrib.sessions");
  EXPECT_EQ(cfg.excluded_app("taggit", site + "taggit/migrations/0001_initial.py"), "taggit");
  EXPECT_EQ(cfg.excluded_app("sessions",
                             "C:\\venv\\Lib\\site-packages\\django\\contrib\\sessions\\migrations\\0001.py"),
            "django.contrib.sessions");
  // Neither the label nor the package: the project's own apps, and folders that only end alike.
  EXPECT_EQ(cfg.excluded_app("shop", "/repo/shop/migrations/0001_initial.py"), "");
  EXPECT_EQ(cfg.excluded_app("oauth", "/repo/oauth/migrations/0001_initial.py"), "");
  EXPECT_EQ(cfg.excluded_app("sessions", "/repo/sessions/migrations/0001_initial.py"), "");
  EXPECT_EQ(cfg.excluded_app("mytaggit", "/repo/mytaggit/migrations/0001_initial.py"), "");
}

// For every app of the fixture plan and every way of naming it (label, package folder), in both
// modes: exactly that app's findings are reported apart (or dropped), every other finding is as
// without the config.
TEST(ExcludeAppsCheck, ExactlyTheNamedAppsFindingsAreSetApart) {
  sm::app::CheckRun base = check_plan(nullptr);
  std::map<std::string, std::string> app_of;
  for (const auto& m : base.sets.at(0).migrations) app_of[m.id] = m.app;
  std::set<std::string> apps;
  for (const auto& [id, app] : app_of) apps.insert(app);
  ASSERT_EQ(apps, (std::set<std::string>{"audit", "shop"}));
  for (const std::string& app : apps) {
    // The fixture project lives in fixtures/django/<app>: "django.<app>" names its package folder.
    for (const std::string& entry : {app, "django." + app}) {
      for (const char* mode : {"apart", "off"}) {
        SCOPED_TRACE(entry + ", " + mode);
        auto cfg =
            config_of("exclude_apps = [\"" + entry + "\"]\nexclude_apps_findings = \"" + mode + "\"\n");
        sm::app::CheckRun run = check_plan(&cfg);
        std::multiset<std::string> expected_open, expected_apart, open, apart;
        size_t in_app = 0;
        for (const auto& f : base.findings) {
          bool excluded = app_of.count(f.migration) && app_of[f.migration] == app;
          in_app += excluded;
          if (!excluded)
            expected_open.insert(key(f));
          else if (std::string(mode) == "apart")
            expected_apart.insert(key(f));
        }
        ASSERT_GT(in_app, 0u) << "the app has findings to set apart";
        for (const auto& f : run.findings) {
          (f.suppressed ? apart : open).insert(key(f));
          if (f.suppressed) {
            EXPECT_EQ(f.suppression_reason,
                      "exclude_apps: " + entry + " (migrations the project does not own)");
          }
        }
        EXPECT_EQ(open, expected_open);
        EXPECT_EQ(apart, expected_apart);
      }
    }
  }
}

TEST(ExcludeAppsCheck, TheCommandLineReportsThemApartAndTheExitCodeIgnoresThem) {
  sm::test::TempDir d;
  std::string config = d.write("safemigrate.toml", "exclude_apps = [\"shop\"]\n").string();
  std::string args =
      "check --no-color --config " + sm::test::shell_quote(config) + " " + sm::test::shell_quote(kPlan);
  auto base = sm::test::run_cli("check --no-color " + sm::test::shell_quote(kPlan));
  EXPECT_EQ(base.exit_code, 1) << "shop has error findings";
  auto r = sm::test::run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // audit, the other app, has warnings only
  EXPECT_THAT(r.out, Not(HasSubstr("shop.0003_backfill_sku")));
  EXPECT_THAT(r.out, HasSubstr("0 errors"));
  EXPECT_THAT(r.out, HasSubstr(" suppressed"));
  auto shown = sm::test::run_cli(args + " --show-suppressed");
  EXPECT_THAT(shown.out, HasSubstr("run-python-imports-models"));
  EXPECT_THAT(shown.out, HasSubstr("(suppressed: exclude_apps: shop (migrations the project does not own))"));
  auto json = sm::test::run_cli(args + " --format json");
  EXPECT_THAT(json.out, HasSubstr("\"suppression_reason\": \"exclude_apps: shop"));

  d.write("safemigrate.toml", "exclude_apps = [\"shop\"]\nexclude_apps_findings = \"off\"\n");
  json = sm::test::run_cli(args + " --format json");
  EXPECT_EQ(json.exit_code, 0) << json.out << json.err;
  EXPECT_THAT(json.out, Not(HasSubstr("\"migration\": \"shop.")));
  EXPECT_THAT(json.out, Not(HasSubstr("exclude_apps")));
}

// apply's gate, as `apply` calls it for a Django plan, on a real database where shop's tables do
// not exist: shop's run-python-imports-models errors (about no table) are what can stop it.
TEST(ExcludeAppsGate, ErrorsOfExcludedAppsStopApplyUnlessToldToPass) {
  SM_START_PG(pg);
  sm::db::Database dbc(pg.url());
  auto gate = [&](const sm::config::Config* cfg, std::string& err) {
    sm::app::CheckRun run = check_plan(cfg, /*gate=*/true);
    std::set<std::string> pending;
    for (const auto& m : run.sets.at(0).migrations)
      if (m.app == "shop") pending.insert(m.id);
    std::ostringstream out;
    int code = sm::app::gate_blocks(run.sets.at(0), run.findings, pending, "# safemigrate-ignore", dbc, out);
    err = out.str();
    return code;
  };
  std::string err;
  EXPECT_EQ(gate(nullptr, err), sm::model::kExitFindings) << err;
  EXPECT_THAT(err, HasSubstr("[run-python-imports-models]"));

  // Excluding the app from the report does not open the gate; the gate says why it still stops.
  for (const char* text :
       {"exclude_apps = [\"shop\"]\n", "exclude_apps = [\"shop\"]\nexclude_apps_findings = \"off\"\n",
        "exclude_apps = [\"shop\"]\nexclude_apps_apply = \"stop\"\n"}) {
    auto cfg = config_of(text);
    EXPECT_EQ(gate(&cfg, err), sm::model::kExitFindings) << text << err;
    EXPECT_THAT(err, HasSubstr("(app excluded by exclude_apps \"shop\"; its errors stop apply unless "
                               "exclude_apps_apply = \"pass\") [run-python-imports-models]"))
        << text;
  }

  // Told to pass: the gate opens and lists what it let through.
  auto pass = config_of("exclude_apps = [\"django.shop\"]\nexclude_apps_apply = \"pass\"\n");
  EXPECT_EQ(gate(&pass, err), sm::model::kExitOk) << err;
  EXPECT_THAT(
      err, HasSubstr("error finding(s) in apps named by exclude_apps do not stop apply (exclude_apps_apply = "
                     "\"pass\"):"));
  EXPECT_THAT(err, HasSubstr("[run-python-imports-models]"));
  EXPECT_THAT(err, Not(HasSubstr("nothing was applied")));

  // An app that is not excluded still stops it.
  auto other = config_of("exclude_apps = [\"audit\"]\nexclude_apps_apply = \"pass\"\n");
  EXPECT_EQ(gate(&other, err), sm::model::kExitFindings) << err;
}

}  // namespace

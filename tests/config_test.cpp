// safemigrate.toml: parsing, errors that name the key and its line, discovery up to the
// repository root, and its effect on `check` (sources, severities, ignored paths).
#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "pg_cluster.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::config::ConfigError;
using sm::config::parse_config;
using sm::test::run_cli_in;
using sm::test::TempDir;

namespace {

const char* kFull = R"(postgres_version = 15
ignore = ["legacy/**", "**/2019*_*"]

[[sources]]
framework = "prisma"
path = "prisma/migrations"
database_url_env = "DATABASE_URL"

[[sources]]
framework = "django"
path = "backend/plan.json"

[rules]
missing-lock-timeout = "off"
dropping-column = "error"
require-concurrent-index-creation = "warning"

[thresholds]
large_table_rows = 1_000_000
large_table_bytes = 1073741824
)";

TEST(ConfigParse, EverySectionIsRead) {
  auto cfg = parse_config(kFull, "safemigrate.toml", "/repo");
  ASSERT_EQ(cfg.sources.size(), 2u);
  EXPECT_EQ(cfg.sources[0].framework, "prisma");
  EXPECT_EQ(cfg.sources[0].resolved, fs::path("/repo/prisma/migrations"));
  EXPECT_EQ(cfg.sources[0].database_url_env, "DATABASE_URL");
  EXPECT_EQ(cfg.sources[0].line, 4u);
  EXPECT_EQ(cfg.sources[1].framework, "django");
  EXPECT_EQ(cfg.sources[1].database_url_env, "");
  EXPECT_EQ(cfg.postgres_version, 15);
  EXPECT_EQ(cfg.large_table_rows, 1000000u);
  EXPECT_EQ(cfg.large_table_bytes, 1073741824u);
  ASSERT_EQ(cfg.rules.size(), 3u);
  EXPECT_FALSE(cfg.rules.at("missing-lock-timeout").has_value());
  EXPECT_EQ(cfg.rules.at("dropping-column"), sm::model::Severity::Error);
  EXPECT_EQ(cfg.rules.at("require-concurrent-index-creation"), sm::model::Severity::Warning);
  EXPECT_EQ(cfg.ignore.size(), 2u);
}

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "safemigrate.toml", "/repo");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// deploy_lock_timeout: a positive duration PostgreSQL reads as lock_timeout; 0 would mean none.
TEST(ConfigParse, DeployLockTimeout) {
  EXPECT_EQ(parse_config("deploy_lock_timeout = \"5s\"\n", "safemigrate.toml", "/repo").deploy_lock_timeout,
            "5s");
  EXPECT_EQ(parse_config("", "safemigrate.toml", "/repo").deploy_lock_timeout, "");
  // "500" and "5 s" are read by PostgreSQL (500 ms, 5 s) but refused here: a bare number is too
  // easily meant as seconds, and the documented form is digits then the unit.
  for (const char* bad : {"0", "0s", "", "5 days", "s", "500", "5 s", "5S", "1.5s", "-5s", " 5s", "5s "})
    EXPECT_NE(error_of(std::string("deploy_lock_timeout = \"") + bad + "\"\n")
                  .find("safemigrate.toml:1:23: deploy_lock_timeout: \"" + std::string(bad) +
                        "\" is not a lock_timeout"),
              std::string::npos)
        << bad;
  EXPECT_NE(error_of("deploy_lock_timeout = \"5\"\n").find("without a unit"), std::string::npos);
  EXPECT_NE(error_of("deploy_lock_timeout = \"5\"\n").find("ms, s, min or h"), std::string::npos);
}

// Every value with a unit, at the edges of PostgreSQL's range for each unit and far past it, is
// accepted exactly when PostgreSQL itself accepts it as lock_timeout.
TEST(ConfigParse, DeployLockTimeoutIsAcceptedExactlyWhenPostgresAcceptsIt) {
  SM_START_PG(pg);
  struct Unit {
    const char* name;
    uint64_t ms;
  };
  std::vector<std::string> values;
  for (Unit u : {Unit{"ms", 1}, Unit{"s", 1000}, Unit{"min", 60'000}, Unit{"h", 3'600'000}}) {
    uint64_t largest = 2147483647 / u.ms;
    for (uint64_t n :
         {uint64_t{1}, largest / 2, largest - 1, largest, largest + 1, largest * 2, largest * 1000})
      values.push_back(std::to_string(n) + u.name);
    values.push_back(std::string("99999999999999999999999999") + u.name);  // past 64 bits
  }
  int accepted = 0, refused = 0;
  for (const std::string& v : values) {
    bool ours = error_of("deploy_lock_timeout = \"" + v + "\"\n") == "(no error)";
    bool postgres = true;
    try {
      pg.psql("SET lock_timeout = '" + v + "'");
    } catch (const std::exception&) {
      postgres = false;
    }
    EXPECT_EQ(ours, postgres) << v;
    if (!ours) {
      EXPECT_NE(error_of("deploy_lock_timeout = \"" + v + "\"\n").find("above PostgreSQL's largest"),
                std::string::npos)
          << v;
    }
    (ours ? accepted : refused)++;
  }
  EXPECT_EQ(accepted, 16);
  EXPECT_EQ(refused, 16);
}

// A NUL byte is in no valid TOML file; toml++ stops reading there, so what follows it (the rest
// of a value, later keys) would be dropped in silence.
TEST(ConfigParse, ANulByteAnywhereIsAnError) {
  using namespace std::string_literals;
  const std::string text =
      "postgres_version = 15\ndeploy_lock_timeout = \"5s\"\n[rules]\nmissing-lock-timeout = \"off\"\n";
  for (size_t at = 0; at <= text.size(); ++at) {
    std::string with_nul = text.substr(0, at) + "\0"s + text.substr(at);
    std::string err = error_of(with_nul);
    size_t line =
        1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    EXPECT_EQ(err.rfind("safemigrate.toml:" + std::to_string(line) + ":", 0), 0u) << at << ": " << err;
    EXPECT_NE(err.find("NUL"), std::string::npos) << at << ": " << err;
  }
  // A NUL written as TOML's escape, after (or inside) any string value: never cut off in silence.
  for (const char* doc :
       {"deploy_lock_timeout = \"5s\\u0000\"\n", "ignore = [\"legacy/**\\u0000x\"]\n",
        "[[sources]]\nframework = \"prisma\"\npath = \"prisma/migrations\\u0000\"\n",
        "[[sources]]\nframework = \"prisma\\u0000\"\npath = \"p\"\n",
        "[[sources]]\nframework = \"prisma\"\npath = \"p\"\ndatabase_url_env = \"DATABASE_URL\\u0000\"\n",
        "[rules]\nmissing-lock-timeout = \"off\\u0000\"\n"}) {
    std::string err = error_of(doc);
    EXPECT_NE(err.find("holds a NUL character"), std::string::npos) << doc << ": " << err;
    EXPECT_EQ(err.rfind("safemigrate.toml:", 0), 0u) << err;
  }
  // The issue's case: right after a value.
  EXPECT_EQ(error_of("deploy_lock_timeout = \"5s\"\0\n"s),
            "safemigrate.toml:1:27: not valid TOML: a NUL byte (TOML allows none)");
}

TEST(ConfigParse, DriftExcludePatterns) {
  sm::test::TempDir root;
  auto cfg = sm::config::parse_config("[drift]\nexclude = ['pghero\\..*', 'public\\.tmp_.*']\n",
                                      "safemigrate.toml", root.path());
  EXPECT_EQ(cfg.drift_exclude, (std::vector<std::string>{"pghero\\..*", "public\\.tmp_.*"}));
  EXPECT_TRUE(sm::config::parse_config("", "safemigrate.toml", root.path()).drift_exclude.empty());
}

TEST(ConfigParse, ErrorsNameTheKeyAndItsLine) {
  EXPECT_EQ(error_of("postgres_version = 15\npostgres_verison = 16\n"),
            "safemigrate.toml:2:1: postgres_verison: unknown key (expected one of: sources, rules, ignore, "
            "postgres_version, thresholds, deploy_lock_timeout, exclude_apps, exclude_apps_findings, "
            "exclude_apps_apply, baseline, drift)");
  // [drift]: only exclude, an array of patterns RE2 reads.
  EXPECT_EQ(error_of("[drift]\nexclude = ['public\\.ok', 'public\\.(bad']\n"),
            "safemigrate.toml:2:26: drift.exclude[1]: \"public\\.(bad\" is not an RE2 pattern: missing ): "
            "public\\.(bad");
  EXPECT_EQ(error_of("[drift]\nexclude = 'public\\..*'\n"),
            "safemigrate.toml:2:11: drift.exclude: expected an array of RE2 patterns over \"schema.name\"");
  EXPECT_EQ(error_of("[drift]\nexcludes = []\n"),
            "safemigrate.toml:2:1: drift.excludes: unknown key (expected one of: exclude)");
  EXPECT_EQ(error_of("[rules]\ndropping-column = \"off\"\nmissing-lock-timout = \"off\"\n"),
            "safemigrate.toml:3:1: rules.missing-lock-timout: no rule of that name (`safemigrate rules` "
            "lists them)");
  EXPECT_EQ(
      error_of("[rules]\ndropping-column = \"fatal\"\n"),
      "safemigrate.toml:2:19: rules.dropping-column: \"fatal\" is not a severity (off, warning or error)");
  EXPECT_EQ(error_of("[rules]\ndropping-column = 1\n"),
            "safemigrate.toml:2:19: rules.dropping-column: expected a string");
  EXPECT_EQ(error_of("[[sources]]\npath = \"x\"\nframework = \"rails\"\n"),
            "safemigrate.toml:3:13: sources[0].framework: \"rails\" is not a framework safemigrate reads "
            "(\"prisma\" or \"django\")");
  EXPECT_EQ(error_of("[[sources]]\nframework = \"prisma\"\npath = \"p\"\n[[sources]]\nframework = "
                     "\"prisma\"\npath = \"p\"\n"
                     "url = \"X\"\n"),
            "safemigrate.toml:7:1: sources[1].url: unknown key (expected one of: framework, path, "
            "database_url_env)");
  EXPECT_NE(error_of("[[sources]]\nframework = \"prisma\"\n")
                .find("safemigrate.toml:1:1: sources[0].path: missing"),
            std::string::npos);
  EXPECT_EQ(
      error_of("[[sources]]\nframework = \"prisma\"\npath = \"p\"\ndatabase_url_env = \"1 URL\"\n"),
      "safemigrate.toml:4:20: sources[0].database_url_env: \"1 URL\" is not an environment variable name");
  EXPECT_EQ(error_of("postgres_version = 8\n"),
            "safemigrate.toml:1:20: postgres_version: 8 is out of range (10..99)");
  EXPECT_EQ(
      error_of("[thresholds]\nlarge_table_rows = -1\n"),
      "safemigrate.toml:2:20: thresholds.large_table_rows: -1 is out of range (0..9223372036854775807)");
  EXPECT_EQ(error_of("ignore = [\"a/[b\"]\n"),
            "safemigrate.toml:1:11: ignore[0]: \"a/[b\": unclosed [ in the pattern");
  EXPECT_NE(error_of("[rules\n").find("safemigrate.toml:1:"), std::string::npos);
  EXPECT_NE(error_of("[rules\n").find("not valid TOML"), std::string::npos);
}

TEST(ConfigGlob, PatternsMatchPathsUnderTheConfigFolder) {
  EXPECT_EQ(sm::config::glob_to_regex("a/*.sql"), "a/[^/]*\\.sql");
  auto cfg = parse_config(kFull, "safemigrate.toml", "/repo");
  EXPECT_TRUE(cfg.ignored("/repo/legacy/m/migration.sql"));
  EXPECT_TRUE(cfg.ignored("/repo/prisma/migrations/20190101_init/migration.sql"))
      << "folder match, any depth";
  EXPECT_FALSE(cfg.ignored("/repo/prisma/migrations/20200101_init/migration.sql"));
  EXPECT_FALSE(cfg.ignored("/elsewhere/legacy/m/migration.sql")) << "outside the config's folder";
  EXPECT_FALSE(cfg.ignored("/repo/notlegacy/x.sql"));
}

TEST(ConfigFind, StopsAtTheRepositoryRoot) {
  TempDir d;
  d.write("safemigrate.toml", "");  // above the repository: not the repository's config
  d.write("repo/.git/HEAD", "ref: refs/heads/main\n");
  d.write("repo/sub/dir/.keep", "");
  EXPECT_EQ(sm::config::find_config(d.path() / "repo" / "sub" / "dir"), std::nullopt);
  d.write("repo/safemigrate.toml", "");
  EXPECT_EQ(sm::config::find_config(d.path() / "repo" / "sub" / "dir"),
            d.path() / "repo" / "safemigrate.toml");
}

const char* kUnsafe =
    "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nCREATE INDEX \"i\" ON \"User\"(\"bio\");\n";

// A repository with a Prisma project and a config at its root.
void write_repo(const TempDir& d, const std::string& config) {
  d.write(".git/HEAD", "ref: refs/heads/main\n");
  d.write("safemigrate.toml", config);
  d.write("app/prisma/migrations/20240101000000_a/migration.sql", kUnsafe);
  d.write("app/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write("app/src/.keep", "");
}

TEST(ConfigCli, NoPathsUsesTheSourcesOfTheConfigFoundAbove) {
  TempDir d;
  write_repo(d, "[[sources]]\nframework = \"prisma\"\npath = \"app/prisma/migrations\"\n");
  auto r = run_cli_in(d.path() / "app" / "src", "check --no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("error[require-concurrent-index-creation]"), std::string::npos) << r.out;
}

TEST(ConfigCli, SeveritiesChangeFindingsAndTheExitCode) {
  TempDir d;
  write_repo(d,
             "[[sources]]\nframework = \"prisma\"\npath = \"app/prisma/migrations\"\n"
             "[rules]\nrequire-concurrent-index-creation = \"warning\"\n");
  auto r = run_cli_in(d.path(), "check --no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("warning[require-concurrent-index-creation]"), std::string::npos) << r.out;

  d.write("safemigrate.toml",
          "[[sources]]\nframework = \"prisma\"\npath = \"app/prisma/migrations\"\n"
          "[rules]\nrequire-concurrent-index-creation = \"off\"\n");
  r = run_cli_in(d.path(), "check --no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("require-concurrent-index-creation"), std::string::npos) << r.out;
}

TEST(ConfigCli, IgnoredPathsDropTheirFindings) {
  TempDir d;
  write_repo(d, "ignore = [\"app/prisma/migrations/2024*\"]\n");
  auto r = run_cli_in(d.path(), "check --no-color app/prisma/migrations");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 errors, 0 warnings"), std::string::npos) << r.out;
}

TEST(ConfigCli, ExplicitConfigFile) {
  TempDir d;
  write_repo(d, "");
  d.write("ci/strict.toml", "[[sources]]\nframework = \"prisma\"\npath = \"../app/prisma/migrations\"\n");
  auto r = run_cli_in(d.path(), "check --no-color --config ci/strict.toml");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("require-concurrent-index-creation"), std::string::npos) << r.out;
  r = run_cli_in(d.path(), "check --config ci/missing.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ci/missing.toml"), std::string::npos) << r.err;
}

TEST(ConfigCli, BadConfigIsAUsageErrorNamingTheLine) {
  TempDir d;
  write_repo(
      d, "[[sources]]\nframework = \"prisma\"\npath = \"app/prisma/migrations\"\n[rules]\nbogus = \"off\"\n");
  auto r = run_cli_in(d.path(), "check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("safemigrate.toml:5:1: rules.bogus: no rule of that name"), std::string::npos)
      << r.err;
}

TEST(ConfigCli, WrongFrameworkForThePathIsReported) {
  TempDir d;
  write_repo(d, "[[sources]]\nframework = \"django\"\npath = \"app/prisma/migrations\"\n");
  auto r = run_cli_in(d.path(), "check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("safemigrate.toml:1: sources: app/prisma/migrations is not a Django plan file"),
            std::string::npos)
      << r.err;
}

// The target version decides what a statement costs or whether it runs at all: the config sets
// it, the command line overrides it, and without one the rules assume a current PostgreSQL.
TEST(ConfigCli, TargetPostgresVersionFromConfigOrCommandLine) {
  TempDir d;
  d.write(".git/HEAD", "ref: refs/heads/main\n");
  d.write("app/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write("app/prisma/migrations/20240101000000_a/migration.sql",
          "-- safemigrate: irreversible\nREINDEX INDEX CONCURRENTLY \"User_email_idx\";\n");
  const std::string sources = "[[sources]]\nframework = \"prisma\"\npath = \"app/prisma/migrations\"\n";

  d.write("safemigrate.toml", "postgres_version = 11\n" + sources);
  auto r = run_cli_in(d.path(), "check --no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("error[requires-newer-postgres]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("needs PostgreSQL 12, the target is PostgreSQL 11"), std::string::npos) << r.out;

  r = run_cli_in(d.path(), "check --no-color --postgres-version 12");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("requires-newer-postgres"), std::string::npos) << r.out;

  d.write("safemigrate.toml", sources);
  r = run_cli_in(d.path(), "check --no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("requires-newer-postgres"), std::string::npos) << r.out;

  r = run_cli_in(d.path(), "check --postgres-version 9");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;  // older than any version safemigrate knows
}

TEST(ConfigCli, NoPathsAndNoConfigIsAUsageError) {
  TempDir d;
  d.write(".git/HEAD", "ref: refs/heads/main\n");
  auto r = run_cli_in(d.path(), "check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no paths given and no safemigrate.toml"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// The ```toml blocks of docs/config.md and README.md are configs users copy: they must parse.
std::vector<std::string> toml_blocks(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; (at = text.find("```toml\n", at)) != std::string::npos;) {
    size_t begin = at + 8, end = text.find("```", begin);
    out.push_back(text.substr(begin, end - begin));
    at = end;
  }
  return out;
}

TEST(ConfigDocs, ExamplesParse) {
  for (const char* doc : {"docs/config.md", "README.md"}) {
    auto blocks = toml_blocks(sm::test::read_file(sm::test::source_dir() / doc));
    ASSERT_FALSE(blocks.empty()) << doc << " has no toml example";
    for (const auto& block : blocks) {
      auto cfg = parse_config(block, doc, "/repo");
      EXPECT_FALSE(cfg.sources.empty()) << doc;
      EXPECT_FALSE(cfg.rules.empty()) << doc;
    }
  }
}

}  // namespace

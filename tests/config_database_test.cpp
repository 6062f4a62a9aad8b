// safemigrate.toml with databases: each source's database_url_env gives `check` its table sizes
// and `status`/`verify`/`apply` their database, [thresholds] set what a large table is, and
// [rules] decide what stops `apply`. Against a real PostgreSQL 15 (tests/pg_cluster.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "history_helpers.h"

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A repository (so the config is found from its root) with Prisma projects under `folders`.
struct Repo {
  TempDir dir;
  Repo() { dir.write(".git/HEAD", "ref: refs/heads/main\n"); }
  void config(const std::string& text) const { dir.write("safemigrate.toml", text); }
  void migration(const std::string& folder, const std::string& name, const std::string& sql) const {
    dir.write(folder + "/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    dir.write(folder + "/prisma/migrations/" + name + "/migration.sql", sql);
  }
  // `env` is "NAME=value …", set for the one process.
  RunResult run(const std::string& env, const std::string& args) const {
    return run_shell(dir.path(), "env " + env + " " + shell_quote(SAFEMIGRATE_BINARY) + " " + args);
  }
};

std::string source(const std::string& folder, const std::string& env) {
  return "[[sources]]\nframework = \"prisma\"\npath = \"" + folder +
         "/prisma/migrations\"\ndatabase_url_env = \"" + env + "\"\n";
}

TEST(ConfigDatabase, CheckReadsSizesFromTheSourcesDatabaseWithTheConfigsThresholds) {
  SM_START_PG(pg);
  pg.psql(
      "CREATE TABLE \"Booking\" (\"id\" INTEGER PRIMARY KEY, \"note\" TEXT);"
      "INSERT INTO \"Booking\" SELECT g, md5(g::text) FROM generate_series(1, 20000) g;");
  pg.psql("ANALYZE");
  Repo repo;
  repo.config(source("web", "SM_WEB_DB") + "[thresholds]\nlarge_table_rows = 10000\n");
  repo.migration("web", "20240102000000_drop", "ALTER TABLE \"Booking\" DROP COLUMN \"note\";\n");
  const std::string env = "SM_WEB_DB=" + shell_quote(pg.url());

  RunResult r = repo.run(env, "check --no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // the warning became an error: 20k rows >= 10000
  EXPECT_THAT(r.out, HasSubstr("error[dropping-column]")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"Booking\" (20.0k rows, ")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("large-table threshold of 10000 rows")) << r.out;

  // The command line wins over [thresholds].
  r = repo.run(env, "check --no-color --large-table-rows 100000");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("warning[dropping-column]")) << r.out;

  // Without the variable there is no database: the size is unknown and the severity holds.
  r = repo.run("SM_OTHER=1", "check --no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"Booking\" (size unknown)")) << r.out;
}

TEST(ConfigDatabase, StatusVerifyAndApplyGoThroughEverySourceWithItsOwnDatabase) {
  SM_START_PG(pg);
  const std::string one = pg.create_database("one_db"), two = pg.create_database("two_db");
  Repo repo;
  repo.config(source("one", "SM_ONE_DB") + source("two", "SM_TWO_DB"));
  repo.migration("one", "20240101000000_init", "CREATE TABLE \"One\" (\"id\" INTEGER PRIMARY KEY);\n");
  repo.migration("two", "20240101000000_init", "CREATE TABLE \"Two\" (\"id\" INTEGER PRIMARY KEY);\n");
  // DATABASE_URL names a third database: the sources' own variables win over it.
  const std::string env = "SM_ONE_DB=" + shell_quote(one) + " SM_TWO_DB=" + shell_quote(two) +
                          " DATABASE_URL=" + shell_quote(pg.url());

  RunResult status = repo.run(env, "status");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("one/prisma/migrations\n")) << status.out;
  EXPECT_THAT(status.out, HasSubstr("two/prisma/migrations\n")) << status.out;
  EXPECT_THAT(status.out, HasSubstr("pending")) << status.out;
  EXPECT_EQ(repo.run(env, "verify").exit_code, 1);

  RunResult apply = repo.run(env, "apply");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(pg.psql("SELECT to_regclass('\"One\"') IS NOT NULL, to_regclass('\"Two\"') IS NULL", "one_db"),
            "t|t");
  EXPECT_EQ(pg.psql("SELECT to_regclass('\"Two\"') IS NOT NULL, to_regclass('\"One\"') IS NULL", "two_db"),
            "t|t");
  EXPECT_EQ(pg.psql("SELECT to_regclass('_prisma_migrations') IS NULL"), "t");  // DATABASE_URL untouched

  RunResult verify = repo.run(env, "verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // One database, one history: resolve and rehearse want a single source.
  RunResult resolve = repo.run(env, "resolve --applied 20240101000000_init");
  EXPECT_EQ(resolve.exit_code, 2);
  EXPECT_THAT(resolve.err, HasSubstr("lists 2 sources")) << resolve.err;
}

TEST(ConfigDatabase, ApplysGateFollowsTheConfigsRules) {
  SM_START_PG(pg);
  Repo repo;
  repo.config(source("web", "SM_WEB_DB"));
  repo.migration("web", "20240101000000_init",
                 "CREATE TABLE \"Booking\" (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER);\n");
  const std::string env = "SM_WEB_DB=" + shell_quote(pg.url());
  ASSERT_EQ(repo.run(env, "apply").exit_code, 0);
  // Rows: the gate judges this database, where an empty table could be blocked by nothing.
  pg.psql("INSERT INTO \"Booking\" VALUES (1, 1); ANALYZE \"Booking\"");
  repo.migration("web", "20240102000000_index", "CREATE INDEX \"Booking_a_idx\" ON \"Booking\"(\"a\");\n");

  RunResult blocked = repo.run(env, "apply");
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out << blocked.err;
  EXPECT_THAT(blocked.err + blocked.out, HasSubstr("require-concurrent-index-creation"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'Booking_a_idx'"), "0");

  // The team decided this rule is a warning for them: the gate follows the config, also when
  // the path is given on the command line.
  repo.config(source("web", "SM_WEB_DB") + "[rules]\nrequire-concurrent-index-creation = \"warning\"\n");
  RunResult applied = repo.run(env, "apply web/prisma/migrations");
  EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'Booking_a_idx'"), "1");
  EXPECT_THAT(applied.out, Not(HasSubstr("== "))) << applied.out;  // one run: no source headers
}

// The PostgreSQL the rules judge for: declared in the config for `check`; for `apply`, the server
// it applies to, whatever the config says; without a declaration `check` asks its database.
TEST(ConfigDatabase, TargetPostgresIsDeclaredOrTheServers) {
  SM_START_PG(pg);
  Repo repo;
  repo.migration("web", "20240101000000_init",
                 "CREATE TABLE \"Booking\" (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER);\n"
                 "CREATE INDEX \"Booking_a_idx\" ON \"Booking\"(\"a\");\n");
  repo.migration("web", "20240102000000_reindex", "REINDEX INDEX CONCURRENTLY \"Booking_a_idx\";\n");
  const std::string env = "SM_WEB_DB=" + shell_quote(pg.url());

  repo.config(source("web", "SM_WEB_DB"));
  RunResult asked = repo.run(env, "check --format json");
  EXPECT_THAT(asked.out, HasSubstr("\"target_postgres\": 15")) << asked.out;  // the server's
  RunResult offline = repo.run("SM_OTHER=1", "check --format json");
  EXPECT_THAT(offline.out, Not(HasSubstr("target_postgres"))) << offline.out;

  repo.config("postgres_version = 11\n" + source("web", "SM_WEB_DB"));
  RunResult declared = repo.run(env, "check --format json");
  EXPECT_EQ(declared.exit_code, 1) << declared.out << declared.err;
  EXPECT_THAT(declared.out, HasSubstr("\"target_postgres\": 11")) << declared.out;
  EXPECT_THAT(declared.out, HasSubstr("\"rule\": \"requires-newer-postgres\"")) << declared.out;

  // apply runs on PostgreSQL 15, where REINDEX … CONCURRENTLY exists: the gate lets it through.
  RunResult apply = repo.run(env, "apply");
  EXPECT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_THAT(apply.out, HasSubstr("20240102000000_reindex")) << apply.out;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"), "2");
}

}  // namespace
}  // namespace sm::test

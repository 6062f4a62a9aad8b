// Interoperability with the real Prisma CLI (6.19.3, installed by tests/interop/prisma_setup.sh):
// what safemigrate records, Prisma reads as its own, and the other way round.
//
// Prisma 6.19.3 runs here with its JavaScript schema engine and @prisma/adapter-pg (see
// tests/interop/prisma.config.ts for why and for the workaround of prisma/orm#27403). That
// adapter runs a migration.sql split on ';' statement by statement, unlike the native engine
// (one query); the migrations below hold no ';' inside strings or bodies, so both agree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "history_helpers.h"

namespace sm::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

fs::path prisma_dir() {
  if (const char* env = std::getenv("SAFEMIGRATE_PRISMA_DIR")) return env;
  return SAFEMIGRATE_PRISMA_DIR;
}

// A Prisma project: schema, config, migrations, node_modules from the installed CLI.
class PrismaCliProject : public PrismaProject {
 public:
  PrismaCliProject() {
    dir().write("prisma/schema.prisma",
                "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n");
    dir().write("prisma.config.ts", read_file(source_dir() / "tests/interop/prisma.config.ts"));
    fs::create_directory_symlink(prisma_dir() / "node_modules", dir().path() / "node_modules");
  }
  // `prisma ARGS` in the project, against `url`.
  RunResult prisma(const std::string& url, const std::string& args) const {
    return run_shell(
        dir().path(),
        "env DATABASE_URL=" + shell_quote(url) + " PRISMA_QUERY_ENGINE_LIBRARY=" +
            shell_quote((prisma_dir() / "query-engine-unused.so.node").string()) +
            " PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 NO_COLOR=1 NODE_OPTIONS=" +
            shell_quote("--require " + (source_dir() / "tests/interop/prisma_preload.cjs").string()) +
            " timeout 120 node_modules/.bin/prisma " + args);
  }
};

// The Prisma CLI must be there: the ctest fixture prisma_interop_setup installs it.
#define SM_REQUIRE_PRISMA()                                                       \
  do {                                                                            \
    if (access((prisma_dir() / "node_modules/.bin/prisma").c_str(), X_OK) != 0) { \
      if (std::getenv("CI") || access("/usr/bin/node", X_OK) == 0)                \
        FAIL() << "the Prisma CLI is not installed in " << prisma_dir()           \
               << "; run: bash tests/interop/prisma_setup.sh " << prisma_dir();   \
      GTEST_SKIP() << "node is not installed, so the Prisma CLI cannot run";      \
    }                                                                             \
  } while (0)

const std::string kInit = "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY, \"email\" TEXT)";
const std::string kOrders = "CREATE TABLE \"orders\" (\"id\" INTEGER PRIMARY KEY)";

TEST(PrismaInterop, AppliedBySafemigrateIsUpToDateForPrisma) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_orders", kOrders + ";\n");
  RunResult a = sm_cli("apply", pg.url(), p, "--mode prisma-6");
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  RunResult st = p.prisma(pg.url(), "migrate status");
  EXPECT_EQ(st.exit_code, 0) << st.out << st.err;
  EXPECT_THAT(st.out, HasSubstr("Database schema is up to date!"));
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  EXPECT_EQ(dep.exit_code, 0) << dep.out << dep.err;
  EXPECT_THAT(dep.out, HasSubstr("No pending migrations to apply."));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "2");
}

TEST(PrismaInterop, DeployedByPrismaVerifiesWithSafemigrate) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_orders", kOrders + ";\r\n");  // CRLF: checksums must still agree
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  ASSERT_EQ(dep.exit_code, 0) << dep.out << dep.err;
  EXPECT_THAT(dep.out, HasSubstr("All migrations have been successfully applied."));
  RunResult v = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  RunResult a = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr("nothing to apply"));
  // A new migration after Prisma's: safemigrate applies just that one, Prisma agrees.
  p.add("20240103000000_more", "CREATE TABLE \"more\" (\"id\" INTEGER);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  EXPECT_THAT(p.prisma(pg.url(), "migrate status").out, HasSubstr("Database schema is up to date!"));
}

TEST(PrismaInterop, FailureRecordedBySafemigrateIsSeenByPrismaAndResolvedByIt) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  RunResult a = sm_cli("apply", pg.url(), p, "--mode prisma-6");
  ASSERT_EQ(a.exit_code, 1) << a.out << a.err;
  RunResult st = p.prisma(pg.url(), "migrate status");
  EXPECT_NE(st.exit_code, 0);
  EXPECT_THAT(st.out + st.err, HasSubstr("20240102000000_bad"));
  EXPECT_THAT(st.out + st.err, HasSubstr("failed"));
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  EXPECT_NE(dep.exit_code, 0);
  EXPECT_THAT(dep.out + dep.err, HasSubstr("P3009"));
  // Prisma resolves it as applied (finished by hand); safemigrate reads Prisma's records as done.
  // (Prisma 6.19.3's `resolve --rolled-back` needs the native schema engine, which cannot be
  // downloaded here; `--applied` runs on the JavaScript engine.)
  pg.psql("CREATE TABLE missing_table (id integer); INSERT INTO missing_table VALUES (1)");
  RunResult res = p.prisma(pg.url(), "migrate resolve --applied 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  EXPECT_EQ(
      pg.psql("SELECT count(*) FILTER (WHERE rolled_back_at IS NOT NULL), count(*) FILTER (WHERE logs = '') "
              "FROM _prisma_migrations WHERE migration_name = '20240102000000_bad'"),
      "1|1");
  RunResult v = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("applied             20240102000000_bad"));
}

TEST(PrismaInterop, RolledBackBySafemigrateIsAppliedAgainByPrismaDeploy) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 1);
  RunResult res = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.err;
  p.add("20240102000000_bad", "CREATE TABLE \"missing_table\" (\"id\" INTEGER);\n");
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  ASSERT_EQ(dep.exit_code, 0) << dep.out << dep.err;
  EXPECT_THAT(dep.out, HasSubstr("20240102000000_bad"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'missing_table'"), "1");
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

TEST(PrismaInterop, FailureRecordedByPrismaIsSeenBySafemigrateAndResolvedByIt) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  ASSERT_NE(dep.exit_code, 0) << dep.out;
  RunResult st = sm_cli("status", pg.url(), p);
  EXPECT_THAT(st.out, HasSubstr("failed              20240102000000_bad"));
  EXPECT_THAT(st.out, HasSubstr("error: "));  // Prisma's logs, as recorded
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 1);
  RunResult blocked = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, HasSubstr("P3009"));
  // safemigrate resolves it as applied (say, finished by hand); Prisma agrees it is done.
  pg.psql("CREATE TABLE missing_table (id integer); INSERT INTO missing_table VALUES (1)");
  RunResult res = sm_cli("resolve", pg.url(), p, "--applied 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.err;
  RunResult after = p.prisma(pg.url(), "migrate status");
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_THAT(after.out, HasSubstr("Database schema is up to date!"));
  RunResult dep2 = p.prisma(pg.url(), "migrate deploy");
  EXPECT_EQ(dep2.exit_code, 0) << dep2.out << dep2.err;
  EXPECT_THAT(dep2.out, HasSubstr("No pending migrations to apply."));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

// A migration that failed under Prisma and whose folder was then deleted: Prisma's deploy and
// safemigrate's apply both refuse to go on (P3009); both refuse `resolve --applied` of it (P3017,
// exit 1, as for any unknown name); safemigrate's `resolve --rolled-back` clears it (Prisma's
// reads only the table too, but needs the native engine here), after which Prisma deploys again.
TEST(PrismaInterop, FailedMigrationWhoseFolderIsGoneBlocksBothUntilRolledBack) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init", kInit + ";\n");
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  RunResult failed = p.prisma(pg.url(), "migrate deploy");
  ASSERT_NE(failed.exit_code, 0) << failed.out;
  fs::remove_all(p.migrations() / "20240102000000_bad");
  p.add("20240103000000_orders", kOrders + ";\n");

  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  EXPECT_EQ(dep.exit_code, 1) << dep.out << dep.err;
  EXPECT_THAT(dep.out + dep.err, HasSubstr("P3009"));
  RunResult a = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(a.exit_code, 1) << a.out << a.err;
  EXPECT_THAT(a.err, HasSubstr("P3009"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'orders'"), "0");
  // The error Prisma recorded, not the generic first line of its logs.
  RunResult st = sm_cli("status", pg.url(), p);
  EXPECT_THAT(st.out, HasSubstr("failed              20240102000000_bad"));
  EXPECT_THAT(st.out, HasSubstr("missing_table"));
  EXPECT_THAT(st.out, Not(HasSubstr("error: external connector error")));

  for (const char* name : {"20240102000000_bad", "20990101000000_unknown"}) {
    RunResult prisma_applied = p.prisma(pg.url(), std::string("migrate resolve --applied ") + name);
    EXPECT_EQ(prisma_applied.exit_code, 1) << prisma_applied.out << prisma_applied.err;
    EXPECT_THAT(prisma_applied.out + prisma_applied.err, HasSubstr("P3017"));
    RunResult sm_applied = sm_cli("resolve", pg.url(), p, std::string("--applied ") + name);
    EXPECT_EQ(sm_applied.exit_code, prisma_applied.exit_code) << sm_applied.err;
    EXPECT_THAT(sm_applied.err, HasSubstr("P3017"));
  }

  RunResult never = sm_cli("resolve", pg.url(), p, "--rolled-back 20990101000000_unknown");
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_THAT(never.err, HasSubstr("P3011"));
  RunResult res = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  RunResult twice = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  EXPECT_EQ(twice.exit_code, 0) << twice.err;

  RunResult dep2 = p.prisma(pg.url(), "migrate deploy");
  EXPECT_EQ(dep2.exit_code, 0) << dep2.out << dep2.err;
  EXPECT_THAT(dep2.out, HasSubstr("20240103000000_orders"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'orders'"), "1");
  RunResult after = p.prisma(pg.url(), "migrate status");
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

TEST(PrismaInterop, ResolveAppliedByPrismaIsAppliedForSafemigrate) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_baseline", kInit + ";\n");
  // Baselining: the schema exists already, Prisma records the migration as applied.
  pg.psql(kInit);
  RunResult res = p.prisma(pg.url(), "migrate resolve --applied 20240101000000_baseline");
  ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  EXPECT_EQ(pg.psql("SELECT applied_steps_count, finished_at IS NOT NULL, coalesce(logs, 'NULL') FROM "
                    "_prisma_migrations"),
            "0|t|");
  RunResult v = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // And safemigrate's resolve --applied writes the row Prisma writes (steps 0, logs '').
  PrismaCliProject q;
  q.add("20240101000000_baseline", kInit + ";\n");
  std::string url2 = pg.create_database("second");
  pg.psql(kInit, "second");
  ASSERT_EQ(sm_cli("resolve", url2, q, "--applied 20240101000000_baseline").exit_code, 0);
  EXPECT_EQ(pg.psql("SELECT applied_steps_count, finished_at IS NOT NULL, coalesce(logs, 'NULL') FROM "
                    "_prisma_migrations",
                    "second"),
            "0|t|");
  RunResult st = q.prisma(url2, "migrate status");
  EXPECT_THAT(st.out, HasSubstr("Database schema is up to date!"));
  EXPECT_THAT(st.out + st.err, Not(HasSubstr("P3")));
}

// `safemigrate fix` (issue 20): the folders it writes deploy with Prisma itself and with
// `safemigrate apply`, and Prisma's status is clean after either.
TEST(PrismaInterop, FixedFoldersDeployWithPrismaAndWithApply) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init",
        "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY, \"email\" TEXT, \"name\" TEXT);\n"
        "CREATE TABLE \"orders\" (\"id\" INTEGER PRIMARY KEY, \"user_id\" INTEGER, \"qty\" INTEGER);\n"
        "CREATE INDEX \"users_name_idx\" ON \"users\"(\"name\");\n");
  p.add("20240102000000_changes",
        "-- a comment that stays\n"
        "DROP INDEX \"users_name_idx\";\n"
        "CREATE INDEX \"users_email_idx\" ON \"users\"(\"email\");\n"
        "ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_user_fkey\" FOREIGN KEY (\"user_id\") REFERENCES "
        "\"users\"(\"id\");\n"
        "ALTER TABLE \"orders\" ADD CONSTRAINT \"orders_qty_check\" CHECK (\"qty\" > 0);\n"
        "ALTER TABLE \"users\" ALTER COLUMN \"email\" SET NOT NULL;\n"
        "ALTER TABLE \"users\" ADD CONSTRAINT \"users_email_key\" UNIQUE (\"email\");\n"
        "");
  p.add("20240103000000_later", "CREATE TABLE \"later\" (\"id\" INTEGER);\n");
  ASSERT_EQ(run_shell(p.dir().path(), "git init -q .").exit_code, 0);
  // The first migration is committed: it may have run, so fix leaves it alone.
  ASSERT_EQ(run_shell(p.dir().path(),
                      "git add prisma/migrations/20240101000000_init && git -c user.name=t -c "
                      "user.email=t@example.com -c commit.gpgsign=false commit -q -m init")
                .exit_code,
            0);
  RunResult fix = run_cli_in(p.dir().path(), "fix --prisma-version 6.19.3 " + p.arg());
  ASSERT_EQ(fix.exit_code, 0) << fix.out << fix.err;
  EXPECT_THAT(fix.out, HasSubstr("fix: 6 changes in 1 migration,"));
  RunResult check = run_cli("check --prisma-version 6.19.3 --format json " + p.arg());
  for (const char* rule :
       {"require-concurrent-index-creation", "require-concurrent-index-deletion",
        "constraint-missing-not-valid", "set-not-null-without-check", "unique-constraint-builds-index",
        "concurrently-in-transaction", "validate-in-same-transaction"})
    EXPECT_THAT(check.out, Not(HasSubstr(rule))) << check.out;

  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  ASSERT_EQ(dep.exit_code, 0) << dep.out << dep.err;
  RunResult st = p.prisma(pg.url(), "migrate status");
  EXPECT_EQ(st.exit_code, 0) << st.out << st.err;
  EXPECT_THAT(st.out, HasSubstr("Database schema is up to date!"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");

  std::string other = pg.create_database("applied");
  RunResult a = sm_cli("apply", other, p, "--mode prisma-6");
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_THAT(p.prisma(other, "migrate status").out, HasSubstr("Database schema is up to date!"));
  EXPECT_EQ(pg.psql("SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid IN "
                    "('users'::regclass, 'orders'::regclass)",
                    "applied"),
            "orders_pkey,orders_qty_check,orders_user_fkey,users_email_key,users_pkey");
}

// `drift` (issue 21) on a database `prisma migrate deploy` built: what Prisma ran and what
// safemigrate replays agree, so there is no drift; an index added by hand afterwards is drift.
TEST(PrismaInterop, DeployedByPrismaHasNoDrift) {
  SM_REQUIRE_PRISMA();
  SM_START_PG(pg);
  PrismaCliProject p;
  p.add("20240101000000_init",
        "CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN');\n"
        "CREATE TABLE \"User\" (\"id\" SERIAL NOT NULL, \"email\" TEXT NOT NULL, \"role\" \"Role\" NOT NULL "
        "DEFAULT 'USER', \"createdAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "
        "\"User_pkey\" "
        "PRIMARY KEY (\"id\"));\n"
        "CREATE UNIQUE INDEX \"User_email_key\" ON \"User\"(\"email\");\n");
  p.add(
      "20240102000000_posts",
      "CREATE TABLE \"Post\" (\"id\" SERIAL NOT NULL, \"authorId\" INTEGER NOT NULL, \"title\" VARCHAR(200), "
      "CONSTRAINT \"Post_pkey\" PRIMARY KEY (\"id\"));\n"
      "CREATE INDEX \"Post_authorId_idx\" ON \"Post\"(\"authorId\");\n"
      "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES "
      "\"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;\n"
      "ALTER TYPE \"Role\" ADD VALUE 'GUEST';\n");
  RunResult dep = p.prisma(pg.url(), "migrate deploy");
  ASSERT_EQ(dep.exit_code, 0) << dep.out << dep.err;
  RunResult d = sm_cli("drift", pg.url(), p);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_THAT(d.out, HasSubstr("2 migration(s) recorded as applied"));
  EXPECT_THAT(d.out, HasSubstr("no drift"));
  pg.psql("CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\")");
  RunResult d2 = sm_cli("drift", pg.url(), p);
  EXPECT_EQ(d2.exit_code, 1) << d2.out << d2.err;
  EXPECT_THAT(d2.out, HasSubstr("index public.Post.Post_title_idx: only in production"));
}

}  // namespace
}  // namespace sm::test

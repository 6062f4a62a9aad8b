// status, verify, apply and resolve against a real PostgreSQL 15 (tests/pg_cluster.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <regex>

#include "history_helpers.h"
#include "util/sha256.h"

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kInit = "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY, \"email\" TEXT);\n";
const std::string kData = "INSERT INTO \"users\" VALUES (1, 'a@example.com');\n";
const std::string kOrders = "CREATE TABLE \"orders\" (\"id\" INTEGER PRIMARY KEY);\n";

TEST(Apply, RecordsEachMigrationAsPrismaDeployDoes) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_data", kData);
  p.add("20240103000000_orders", kOrders);
  RunResult r = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("[3/3] applied 20240103000000_orders"));
  EXPECT_THAT(r.out, HasSubstr("mode safe"));
  EXPECT_EQ(pg.psql("SELECT email FROM users"), "a@example.com");
  std::string rows = pg.psql(
      "SELECT migration_name, checksum, finished_at IS NOT NULL, applied_steps_count, logs IS NULL, "
      "rolled_back_at IS NULL, extract(microseconds FROM started_at)::bigint % 1000 FROM _prisma_migrations "
      "ORDER BY started_at");
  EXPECT_EQ(rows, "20240101000000_init|" + util::sha256_hex(kInit) + "|t|1|t|t|0\n" + "20240102000000_data|" +
                      util::sha256_hex(kData) + "|t|1|t|t|0\n" + "20240103000000_orders|" +
                      util::sha256_hex(kOrders) + "|t|1|t|t|0");
  // ids are random lowercase UUID v4, as Prisma makes them.
  std::string ids = pg.psql("SELECT id FROM _prisma_migrations");
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  size_t n = 0;
  for (std::sregex_iterator it(ids.begin(), ids.end(), uuid), end; it != end; ++it) ++n;
  EXPECT_EQ(n, 3u) << ids;

  RunResult again = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to apply"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "3");
  RunResult verify = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(Apply, CreatesTheHistoryTableExactlyAsPrisma) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  EXPECT_EQ(pg.psql("SELECT column_name, data_type, coalesce(character_maximum_length, 0), is_nullable, "
                    "coalesce(column_default, '') FROM information_schema.columns WHERE table_name = "
                    "'_prisma_migrations' ORDER BY ordinal_position"),
            "id|character varying|36|NO|\n"
            "checksum|character varying|64|NO|\n"
            "finished_at|timestamp with time zone|0|YES|\n"
            "migration_name|character varying|255|NO|\n"
            "logs|text|0|YES|\n"
            "rolled_back_at|timestamp with time zone|0|YES|\n"
            "started_at|timestamp with time zone|0|NO|now()\n"
            "applied_steps_count|integer|0|NO|0");
  EXPECT_EQ(pg.psql("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                    "'_prisma_migrations'::regclass"),
            "_prisma_migrations_pkey|PRIMARY KEY (id)");
}

TEST(Apply, DryRunWritesNothing) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_idx", "CREATE INDEX CONCURRENTLY \"users_email_idx\" ON \"users\" (\"email\");\n");
  RunResult r = sm_cli("apply", pg.url(), p, "--dry-run --mode safe");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("would apply 20240101000000_init (safe: one transaction"));
  EXPECT_THAT(r.out, HasSubstr("would apply 20240102000000_idx"));
  EXPECT_THAT(r.out, HasSubstr("in autocommit:   the statement at line 1"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('_prisma_migrations', 'users')"), "0");
}

TEST(Status, ShowsEveryState) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_applied", kInit);
  p.add("20240102000000_edited", kOrders);
  p.add("20240103000000_failed", "SELECT 1;\n");
  p.add("20240104000000_rolledback", "SELECT 2;\n");
  p.add("20240105000000_pending", "SELECT 3;\n");
  pg.psql(
      "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY NOT NULL, checksum varchar(64) NOT NULL, "
      "finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, "
      "started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);"
      "INSERT INTO _prisma_migrations VALUES "
      "('1', '" +
      util::sha256_hex(kInit) +
      "', now(), '20240101000000_applied', NULL, NULL, now(), 1),"
      "('2', '" +
      std::string(64, 'a') +
      "', now(), '20240102000000_edited', NULL, NULL, now(), 1),"
      "('3', 'x', NULL, '20240103000000_failed', 'ERROR: boom', NULL, now(), 0),"
      "('4', 'x', NULL, '20240104000000_rolledback', 'ERROR: old', now(), now(), 0),"
      "('5', 'x', now(), '20231231000000_gone', NULL, NULL, now(), 1);");
  RunResult r = sm_cli("status", pg.url(), p);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied             20240101000000_applied"));
  EXPECT_THAT(r.out, HasSubstr("edited after apply  20240102000000_edited"));
  EXPECT_THAT(r.out, HasSubstr("failed              20240103000000_failed"));
  EXPECT_THAT(r.out, HasSubstr("error: ERROR: boom"));
  EXPECT_THAT(r.out, HasSubstr("rolled back         20240104000000_rolledback"));
  EXPECT_THAT(r.out, HasSubstr("pending             20240105000000_pending"));
  EXPECT_THAT(r.out, HasSubstr("missing locally     20231231000000_gone"));
  RunResult v = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_THAT(v.out, HasSubstr("verify: FAILED"));
}

// Issue 23: status, verify and apply read each migration.sql once (check's reader keeps the
// bytes it hashed and parsed); they read it twice before. Counted with inotify's IN_OPEN on every
// migration folder, for folders that are applied, edited, pending and failed.
TEST(Status, OpensEachMigrationFileOnce) {
  SM_START_PG(pg);
  PrismaProject p;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    names.push_back("2024010" + std::to_string(i + 1) + "000000_m" + std::to_string(i));
    p.add(names.back(), i == 4 ? "SELECT 1 / 0;\n" : "CREATE TABLE t" + std::to_string(i) + " (id int);\n");
  }
  RunResult first = sm_cli("apply", pg.url(), p);  // m0-m3 applied, m4 fails (division by zero)
  ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
  p.add(names[2], "CREATE TABLE t2 (id bigint);\n");  // edited after apply
  for (const char* cmd : {"status", "verify", "apply"}) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(fd, 0);
    std::map<int, std::string> folder_of;
    for (const std::string& n : names)
      folder_of[inotify_add_watch(fd, (p.migrations() / n).c_str(), IN_OPEN)] = n;
    RunResult r = sm_cli(cmd, pg.url(), p);
    EXPECT_NE(r.exit_code, 2) << cmd << ": " << r.err;
    std::map<std::string, int> opens;
    alignas(inotify_event) char buf[1 << 16];
    for (ssize_t len; (len = read(fd, buf, sizeof buf)) > 0;)
      for (char* q = buf; q < buf + len;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(q);
        if (ev->len > 0 && std::string(ev->name) == "migration.sql") ++opens[folder_of[ev->wd]];
        q += sizeof(inotify_event) + ev->len;
      }
    close(fd);
    for (const std::string& n : names) EXPECT_EQ(opens[n], 1) << cmd << " opened " << n << "/migration.sql";
  }
}

TEST(Status, AbsentHistoryTableIsAllPendingAndNothingIsWritten) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  RunResult r = sm_cli("status", pg.url(), p);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("the table does not exist"));
  EXPECT_THAT(r.out, HasSubstr("pending             20240101000000_init"));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 1);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = '_prisma_migrations'"), "0");
}

TEST(Resolve, RolledBackWithoutAHistoryTableWritesNothing) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  RunResult r = sm_cli("resolve", pg.url(), p, "--rolled-back 20240101000000_init");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("never applied to the database (Prisma: P3011)"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = '_prisma_migrations'"), "0");
  RunResult both =
      sm_cli("resolve", pg.url(), p, "--applied 20240101000000_init --rolled-back 20240101000000_init");
  EXPECT_EQ(both.exit_code, 2);
}

TEST(Apply, StatementTimeoutStopsALongStatementAndIsRecorded) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_slow", "SELECT pg_sleep(5);\n");
  const auto start = std::chrono::steady_clock::now();
  RunResult r = sm_cli("apply", pg.url(), p, "--mode prisma-6 --statement-timeout 300ms");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 4.5);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("statement timeout"));
  EXPECT_EQ(pg.psql("SELECT logs LIKE '%57014%' FROM _prisma_migrations"), "t");
}

TEST(Verify, CrlfCheckoutIsNotAnEditButAChangeIs) {
  SM_START_PG(pg);
  PrismaProject p;
  const std::string lf = "CREATE TABLE \"a\" (\"id\" INTEGER);\nCREATE TABLE \"b\" (\"id\" INTEGER);\n";
  p.add("20240101000000_init", lf);
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  // A Windows checkout: same statements, CRLF line endings.
  p.add("20240101000000_init",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\r\nCREATE TABLE \"b\" (\"id\" INTEGER);\r\n");
  RunResult crlf = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(crlf.exit_code, 0) << crlf.out;
  p.add("20240101000000_init", "CREATE TABLE \"a\" (\"id\" BIGINT);\nCREATE TABLE \"b\" (\"id\" INTEGER);\n");
  RunResult edited = sm_cli("verify", pg.url(), p);
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_THAT(edited.out, HasSubstr("edited after apply  20240101000000_init"));
}

TEST(Apply, FailedMigrationIsRecordedAndBlocksUntilResolvedRolledBack) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  p.add("20240103000000_orders", kOrders);
  RunResult r = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("migration 20240102000000_bad failed"));
  EXPECT_THAT(r.err, HasSubstr("missing_table"));
  EXPECT_EQ(
      pg.psql("SELECT finished_at IS NULL, applied_steps_count, rolled_back_at IS NULL, logs LIKE "
              "'%relation \"missing_table\" does not exist%' FROM _prisma_migrations WHERE migration_name = "
              "'20240102000000_bad'"),
      "t|0|t|t");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'orders'"), "0");

  RunResult blocked = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, HasSubstr("P3009"));
  EXPECT_EQ(
      sm_cli("status", pg.url(), p).out.find("failed              20240102000000_bad") != std::string::npos,
      true);

  RunResult res = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(pg.psql("SELECT rolled_back_at IS NOT NULL FROM _prisma_migrations WHERE migration_name = "
                    "'20240102000000_bad'"),
            "t");
  // Rolled back twice: nothing left to mark, which Prisma does not count as an error either.
  RunResult twice = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("already marked rolled back"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240102000000_bad'"),
            "1");

  p.add("20240102000000_bad", "CREATE TABLE \"missing_table\" (\"id\" INTEGER);\n");
  RunResult fixed = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(
      pg.psql("SELECT count(*) FILTER (WHERE finished_at IS NOT NULL), count(*) FROM _prisma_migrations "
              "WHERE migration_name = '20240102000000_bad'"),
      "1|2");
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

TEST(Resolve, AppliedMarksTheFailedRowRolledBackAndInsertsAFinishedOne) {
  SM_START_PG(pg);
  PrismaProject p;
  const std::string bad = "CREATE TABLE \"t\" (\"id\" INTEGER);\nSELECT 1/0;\n";
  p.add("20240101000000_bad", bad);
  ASSERT_EQ(sm_cli("apply", pg.url(), p, "--mode prisma-6").exit_code, 1);
  // prisma-6 mode: the file was one implicit transaction, so the table is not there.
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 't'"), "0");
  RunResult res = sm_cli("resolve", pg.url(), p, "--applied 20240101000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_EQ(
      pg.psql("SELECT finished_at IS NULL, rolled_back_at IS NOT NULL, applied_steps_count, logs IS NOT NULL "
              "FROM _prisma_migrations ORDER BY started_at, finished_at NULLS FIRST"),
      "t|t|0|t\nf|f|0|t");
  EXPECT_EQ(pg.psql("SELECT logs = '', checksum = '" + util::sha256_hex(bad) +
                    "' FROM _prisma_migrations WHERE finished_at IS NOT NULL"),
            "t|t");
  RunResult again = sm_cli("resolve", pg.url(), p, "--applied 20240101000000_bad");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already recorded as applied"));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
  RunResult unknown = sm_cli("resolve", pg.url(), p, "--applied 20990101000000_nope");
  EXPECT_EQ(unknown.exit_code, 1) << "Prisma's P3017 exits 1";
  EXPECT_THAT(unknown.err, HasSubstr("20990101000000_nope could not be found"));
  EXPECT_THAT(unknown.err, HasSubstr("P3017"));
}

// A failed migration whose folder was then deleted still blocks apply (Prisma: P3009), and
// resolve --rolled-back clears it as Prisma's does (it reads only the table); --applied needs
// the folder (P3017).
TEST(Apply, FailedMigrationWhoseFolderIsGoneBlocksUntilRolledBack) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_bad", "INSERT INTO \"missing_table\" VALUES (1);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 1);
  std::filesystem::remove_all(p.migrations() / "20240102000000_bad");
  p.add("20240103000000_orders", kOrders);

  RunResult blocked = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out << blocked.err;
  EXPECT_THAT(blocked.err, HasSubstr("migration 20240102000000_bad failed earlier"));
  EXPECT_THAT(blocked.err, HasSubstr("P3009"));
  EXPECT_THAT(blocked.err, HasSubstr("resolve --rolled-back 20240102000000_bad"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'orders'"), "0");
  RunResult st = sm_cli("status", pg.url(), p);
  EXPECT_THAT(st.out, HasSubstr("failed              20240102000000_bad"));
  EXPECT_THAT(st.out, HasSubstr("its folder is gone"));
  EXPECT_THAT(st.out, Not(HasSubstr("missing locally")));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 1);
  // rehearse decides what is pending as apply does.
  RunResult rehearse = sm_cli("rehearse", pg.url(), p, "--i-know-this-is-a-copy");
  EXPECT_NE(rehearse.exit_code, 0) << rehearse.out;
  EXPECT_THAT(rehearse.err, HasSubstr("P3009"));

  RunResult applied = sm_cli("resolve", pg.url(), p, "--applied 20240102000000_bad");
  EXPECT_EQ(applied.exit_code, 1) << applied.out << applied.err;
  EXPECT_THAT(applied.err, HasSubstr("P3017"));
  EXPECT_THAT(applied.err, HasSubstr("resolve --rolled-back 20240102000000_bad"));

  RunResult res = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  EXPECT_THAT(res.out, HasSubstr("its folder is gone"));
  EXPECT_EQ(pg.psql("SELECT rolled_back_at IS NOT NULL FROM _prisma_migrations WHERE migration_name = "
                    "'20240102000000_bad'"),
            "t");
  RunResult twice = sm_cli("resolve", pg.url(), p, "--rolled-back 20240102000000_bad");
  EXPECT_EQ(twice.exit_code, 0) << twice.err;

  RunResult go = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(go.exit_code, 0) << go.out << go.err;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'orders'"), "1");
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

// resolve refuses as Prisma refuses, with Prisma's codes and exit 1.
TEST(Resolve, RefusalsAreLikePrismas) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  RunResult never = sm_cli("resolve", pg.url(), p, "--rolled-back 20240109000000_never");
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_THAT(never.err,
              HasSubstr("Migration `20240109000000_never` cannot be rolled back because it was never "
                        "applied to the database (Prisma: P3011)"));
  RunResult done = sm_cli("resolve", pg.url(), p, "--rolled-back 20240101000000_init");
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_THAT(done.err, HasSubstr("not in a failed state (Prisma: P3012)"));
  RunResult unknown = sm_cli("resolve", pg.url(), p, "--applied 20240109000000_never");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("P3017"));
  RunResult again = sm_cli("resolve", pg.url(), p, "--applied 20240101000000_init");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("P3008"));
  EXPECT_EQ(pg.psql("SELECT count(*), count(rolled_back_at) FROM _prisma_migrations"), "1|0");
}

// status and apply's refusal show the recorded error itself (with its SQLSTATE), whatever the
// failure: not the first line of logs ("Migration name: …").
TEST(Status, ShowsTheRecordedErrorNotTheFirstLineOfLogs) {
  SM_START_PG(pg);
  struct Case {
    std::string sql, error, sqlstate;
  };
  std::vector<Case> cases = {
      {"INSERT INTO \"missing_table\" VALUES (1);\n", "relation \"missing_table\" does not exist", "42P01"},
      {"SELECT 1/0;\n", "division by zero", "22012"},
      // libpqxx 6.4 throws these without their SQLSTATE (42501), or not as sql_error at all (40xxx).
      {"ALTER TABLE pg_catalog.pg_class ADD COLUMN \"x\" INTEGER;\n",
       "permission denied: \"pg_class\" is a system catalog", "42501"},
  };
  for (const char* code : {"40P01", "40001", "40003", "40000"})
    cases.push_back(
        {std::string("DO $$ BEGIN RAISE EXCEPTION 'raised here' USING ERRCODE = '") + code + "'; END $$;\n",
         "raised here", code});
  int n = 0;
  for (const char* mode : {"safe", "prisma-6", "prisma-7"}) {
    for (const Case& c : cases) {
      std::string db = pg.create_database("errors" + std::to_string(++n));
      PrismaProject p;
      p.add("20240101000000_bad", c.sql);
      RunResult a = sm_cli("apply", db, p, std::string("--mode ") + mode);
      ASSERT_EQ(a.exit_code, 1) << mode << a.out << a.err;
      std::string what = std::string(mode) + ": " + c.sql;
      std::string shown = "ERROR:  " + c.error + " (SQLSTATE " + c.sqlstate + ")";
      RunResult st = run_cli("status --database-url " + shell_quote(db) + " " + p.arg());
      EXPECT_THAT(st.out, HasSubstr("error: " + shown)) << what << st.out;
      EXPECT_THAT(st.out, Not(HasSubstr("error: Migration name"))) << what;
      RunResult blocked = run_cli("apply --database-url " + shell_quote(db) + " " + p.arg());
      EXPECT_EQ(blocked.exit_code, 1);
      EXPECT_THAT(blocked.err, HasSubstr("Recorded error: " + shown)) << what << blocked.err;
    }
  }
}

// A Django plan of the wrong shape is an input error for the history commands too: never an
// empty plan that apply "finishes" with nothing to do.
TEST(Apply, DjangoPlanOfTheWrongShapeIsAnInputErrorAndWritesNothing) {
  SM_START_PG(pg);
  TempDir d;
  d.write(
      "plan.json",
      "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": \"notalist\"}");
  for (const char* cmd : {"status", "verify", "apply"}) {
    RunResult r = run_cli(std::string(cmd) + " --database-url " + shell_quote(pg.url()) + " " +
                          shell_quote((d.path() / "plan.json").string()));
    EXPECT_EQ(r.exit_code, 2) << cmd << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("\"migrations\" is a string")) << cmd;
  }
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'"), "0");
}

TEST(Apply, ModesDifferInWhatAFailureLeaves) {
  SM_START_PG(pg);
  const std::string sql = "CREATE TABLE \"first\" (\"id\" INTEGER);\nSELECT 1/0;\n";
  for (const std::string mode : {"prisma-6", "prisma-7", "safe"}) {
    std::string url = pg.create_database("db_" + mode.substr(0, 6) + (mode == "prisma-7" ? "7" : ""));
    PrismaProject p;
    p.add("20240101000000_m", sql);
    RunResult r = sm_cli("apply", url, p, "--mode " + mode);
    EXPECT_EQ(r.exit_code, 1) << mode << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("(" + mode + ":")) << mode;
    std::string db = url.substr(url.rfind('/') + 1);
    // Only statement-by-statement execution leaves the first statement behind.
    EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'first'", db),
              mode == "prisma-7" ? "1" : "0")
        << mode;
    EXPECT_EQ(pg.psql("SELECT finished_at IS NULL, applied_steps_count, logs LIKE '%division by zero%' FROM "
                      "_prisma_migrations",
                      db),
              "t|0|t")
        << mode;
  }
}

TEST(Apply, SafeModeRunsConcurrentlyOutsideTheTransaction) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_idx",
        "CREATE TABLE \"x\" (\"id\" INTEGER);\nCREATE INDEX CONCURRENTLY \"users_email_idx\" ON \"users\" "
        "(\"email\");\nCREATE TABLE \"y\" (\"id\" INTEGER);\n");
  RunResult r = sm_cli("apply", pg.url(), p, "--mode safe");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("safe: 2 transaction(s) and 1 statement(s) that cannot run in a transaction"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('x', 'y', 'users_email_idx')"), "3");
  // The same file in prisma-6 mode fails, as Prisma <= 7.3 fails on it.
  std::string url = pg.create_database("p6");
  RunResult p6 = sm_cli("apply", url, p, "--mode prisma-6");
  EXPECT_EQ(p6.exit_code, 1);
  EXPECT_THAT(p6.err, HasSubstr("concurrently-in-transaction"));
}

TEST(Apply, ChecklistErrorsStopApplyUnlessSuppressed) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  // A table with rows: an index build there blocks its writers.
  pg.psql("INSERT INTO \"users\" VALUES (1, 'a@example.com'); ANALYZE \"users\"");
  p.add("20240102000000_idx", "CREATE INDEX \"users_email_idx\" ON \"users\" (\"email\");\n");
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_THAT(r.err, HasSubstr("nothing was applied"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "1");
  p.add("20240102000000_idx",
        "-- safemigrate-ignore: require-concurrent-index-creation the table is empty\n"
        "CREATE INDEX \"users_email_idx\" ON \"users\" (\"email\");\n");
  RunResult ok = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "2");
}

// The gate judges the database it applies to (issue 12): on a blank database every table is
// created by the run, and on one where a table is empty nothing can be blocked; a table with rows
// still stops apply, and one finding about it is enough.
TEST(Apply, GateLetsFindingsOnEmptyOrNewTablesThrough) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.add("20240102000000_orders", kOrders);
  // An earlier migration of this run creates "orders": its index and constraint block no one.
  p.add("20240103000000_orders_idx",
        "ALTER TABLE \"orders\" ADD COLUMN \"total\" INTEGER NOT NULL;\n"
        "CREATE INDEX \"orders_total_idx\" ON \"orders\" (\"total\");\n");
  // The dry run lists each finding that lets apply through; apply itself says how many (issue 19:
  // on a blank database that is every finding, hundreds of lines that ask nothing of the reader).
  RunResult dry = sm_cli("apply", pg.url(), p, "--dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_THAT(dry.err, HasSubstr("[adding-not-null-column] \"orders\": created by this run"));
  EXPECT_THAT(dry.err, HasSubstr("[require-concurrent-index-creation] \"orders\": created by this run"));
  RunResult blank = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(blank.exit_code, 0) << blank.out << blank.err;
  EXPECT_THAT(blank.err,
              HasSubstr("error findings about tables that are empty in this database or created by "
                        "this run do not stop apply"));
  EXPECT_THAT(blank.err, HasSubstr("apply --dry-run lists them"));
  EXPECT_THAT(blank.err, Not(HasSubstr("created by this run\n")));
  EXPECT_THAT(blank.err, Not(HasSubstr("[adding-not-null-column]")));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "3");

  // Now "users" exists and is empty: a finding about it does not stop apply either.
  p.add("20240104000000_users_idx", "CREATE INDEX \"users_email_idx\" ON \"users\" (\"email\");\n");
  RunResult empty = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(empty.exit_code, 0) << empty.out << empty.err;
  EXPECT_THAT(empty.err, HasSubstr("1 error finding about tables that are empty in this database"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "4");

  // With rows, the same kind of finding stops it, and nothing is applied.
  pg.psql("INSERT INTO \"orders\" VALUES (1, 10); ANALYZE \"orders\"");
  p.add("20240105000000_orders_total_idx",
        "CREATE INDEX \"orders_id_total_idx\" ON \"orders\" (\"id\", \"total\");\n");
  RunResult full = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  EXPECT_THAT(full.err, HasSubstr("1 error(s) in pending migrations; nothing was applied"));
  EXPECT_THAT(full.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_THAT(full.err, Not(HasSubstr("do not stop apply")));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "4");
}

TEST(Apply, FolderWithoutMigrationSqlStopsThere) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  p.dir().write("prisma/migrations/20240102000000_empty/README", "no sql here\n");
  p.add("20240103000000_orders", kOrders);
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("P3015"));
  EXPECT_EQ(pg.psql("SELECT string_agg(migration_name, ',') FROM _prisma_migrations"), "20240101000000_init");
  EXPECT_THAT(sm_cli("status", pg.url(), p).out, HasSubstr("no migration file   20240102000000_empty"));
}

TEST(Status, NamesTheMigrationThatLeftAnInvalidIndex) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit + "INSERT INTO \"users\" VALUES (1, 'same'), (2, 'same');\n");
  p.add("20240102000000_unique",
        "CREATE UNIQUE INDEX CONCURRENTLY \"users_email_key\" ON \"users\" (\"email\");\n");
  RunResult r = sm_cli("apply", pg.url(), p, "--mode safe");
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  RunResult s = sm_cli("status", pg.url(), p);
  EXPECT_THAT(s.out,
              HasSubstr("invalid index       \"public\".\"users_email_key\" on users (created by migration "
                        "20240102000000_unique"));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 1);
}

TEST(Connect, WrongPasswordIsClearAndNeverPrinted) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  RunResult r = sm_cli("status", pg.url_with_password("hunter2-wrong"), p);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("password authentication failed"));
  EXPECT_THAT(r.err, HasSubstr("postgres:****@127.0.0.1"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("hunter2-wrong")));
}

TEST(Connect, UnreachableDatabaseIsClearAndPasswordNotPrinted) {
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  // Port 1 on loopback: nothing listens there.
  RunResult r = sm_cli("apply", "postgresql://me:topsecret@127.0.0.1:1/db?schema=app&connection_limit=3", p);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot connect to postgresql://me:****@127.0.0.1:1/db"));
  EXPECT_THAT(r.err, HasSubstr("Connection refused"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("topsecret")));
  // DATABASE_URL is the default, as in Prisma; without either the message says so.
  unsetenv("DATABASE_URL");
  RunResult none = run_cli("status " + p.arg());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("set DATABASE_URL"));
  setenv("DATABASE_URL", "postgresql://env:envsecret@127.0.0.1:1/fromenv", 1);
  RunResult env = run_cli("status " + p.arg());
  unsetenv("DATABASE_URL");
  EXPECT_THAT(env.err, HasSubstr("cannot connect to postgresql://env:****@127.0.0.1:1/fromenv"));
  EXPECT_THAT(env.err, Not(HasSubstr("envsecret")));
}

TEST(Connect, HistoryTableWithUnexpectedColumnsIsRefusedAndNothingWritten) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  pg.psql(
      "CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, "
      "finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, "
      "started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0, "
      "tenant text)");
  for (const std::string cmd : {"apply", "status", "verify"}) {
    RunResult r = sm_cli(cmd, pg.url(), p);
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_THAT(r.err, HasSubstr("unexpected column(s) tenant")) << cmd;
  }
  RunResult res = sm_cli("resolve", pg.url(), p, "--applied 20240101000000_init");
  EXPECT_EQ(res.exit_code, 2);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "0");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'users'"), "0");
}

TEST(Connect, SchemaParameterIsTheSearchPath) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", kInit);
  RunResult r = sm_cli("apply", pg.url() + "?schema=tenant_a&connection_limit=5&pool_timeout=10", p);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      pg.psql("SELECT string_agg(n.nspname || '.' || c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN "
              "pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('users', '_prisma_migrations')"),
      "tenant_a._prisma_migrations,tenant_a.users");
  EXPECT_EQ(sm_cli("verify", pg.url() + "?schema=tenant_a", p).exit_code, 0);
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 1);
}

}  // namespace
}  // namespace sm::test

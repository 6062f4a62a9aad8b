// apply under stress, against a real PostgreSQL 15: concurrent runs, a killed run, a locked table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "history_helpers.h"

extern char** environ;

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Starts `safemigrate ARGS` in the background (stdout/stderr to files); returns its pid.
pid_t spawn_cli(const std::string& args, const std::filesystem::path& out, const std::filesystem::path& err) {
  std::string cmd = "exec " + shell_quote(SAFEMIGRATE_BINARY) + " " + args + " >" +
                    shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Reliability, EightConcurrentAppliesApplyEachMigrationExactlyOnce) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"runs\" (\"migration\" TEXT NOT NULL);\n");
  for (int i = 2; i <= 6; ++i) {
    std::string name = "2024010" + std::to_string(i) + "000000_step";
    p.add(name, "INSERT INTO \"runs\" VALUES ('" + name + "');\nSELECT pg_sleep(0.2);\n");
  }
  TempDir logs;
  std::vector<pid_t> pids;
  for (int i = 0; i < 8; ++i)
    pids.push_back(spawn_cli("apply --database-url " + shell_quote(pg.url()) + " " + p.arg(),
                             logs.path() / ("out" + std::to_string(i)),
                             logs.path() / ("err" + std::to_string(i))));
  int applied_total = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    ASSERT_GT(pids[i], 0);
    EXPECT_EQ(wait_exit(pids[i]), 0) << read_file(logs.path() / ("err" + std::to_string(i)));
    std::string out = read_file(logs.path() / ("out" + std::to_string(i)));
    for (size_t pos = 0; (pos = out.find("] applied ", pos)) != std::string::npos; ++pos) ++applied_total;
  }
  EXPECT_EQ(applied_total, 6);
  EXPECT_EQ(pg.psql("SELECT count(*), count(DISTINCT migration) FROM runs"), "5|5");
  EXPECT_EQ(
      pg.psql("SELECT count(*), count(DISTINCT migration_name), count(*) FILTER (WHERE finished_at IS NOT "
              "NULL AND applied_steps_count = 1 AND logs IS NULL AND rolled_back_at IS NULL) FROM "
              "_prisma_migrations"),
      "6|6|6");
}

// Waits until a backend runs a query containing `text`; false after 20 s.
// Waits (up to 20 s) until another session runs (or, with running = false, no longer runs) a
// query containing `text`.
bool wait_for_query(const PgCluster& pg, const std::string& text, bool running = true) {
  for (int i = 0; i < 200; ++i) {
    bool seen = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%" + text +
                        "%' AND pid <> pg_backend_pid()") != "0";
    if (seen == running) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Starts `apply --mode MODE`, waits until it runs a query containing `query`, and kills it with
// SIGKILL there.
void kill_apply_while_it_runs(const PgCluster& pg, const PrismaProject& p, const std::string& mode,
                              const std::string& query) {
  TempDir logs;
  pid_t pid = spawn_cli("apply --mode " + mode + " --database-url " + shell_quote(pg.url()) + " " + p.arg(),
                        logs.path() / "out", logs.path() / "err");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_for_query(pg, query));
  kill(pid, SIGKILL);
  wait_exit(pid);
}

TEST(Reliability, KillDuringApplyLeavesATruthfulStatusAndASecondApplyCompletes) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"a\" (\"id\" INTEGER);\n");
  p.add("20240102000000_slow", "CREATE TABLE \"b\" (\"id\" INTEGER);\nSELECT pg_sleep(2.5);\n");
  p.add("20240103000000_last", "CREATE TABLE \"c\" (\"id\" INTEGER);\n");
  ASSERT_NO_FATAL_FAILURE(kill_apply_while_it_runs(pg, p, "safe", "pg_sleep(2.5)"));
  // Safe mode ran the migration and its history row in one transaction: none of it is there.
  RunResult s = sm_cli("status", pg.url(), p);
  EXPECT_THAT(s.out, HasSubstr("applied             20240101000000_init"));
  EXPECT_THAT(s.out, HasSubstr("pending             20240102000000_slow"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'b'"), "0");
  // The dead run's session still holds the advisory lock until its backend notices; apply waits for it.
  RunResult second = sm_cli("apply", pg.url(), p, "--mode safe");
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b', 'c')"), "3");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"), "3");
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

TEST(Reliability, KillInPrismaSixModeIsReportedAsFailedLikePrisma) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_slow", "CREATE TABLE \"b\" (\"id\" INTEGER);\nSELECT pg_sleep(2.5);\n");
  ASSERT_NO_FATAL_FAILURE(kill_apply_while_it_runs(pg, p, "prisma-6", "pg_sleep(2.5)"));
  // Prisma's records: the row was written before the script, so it stays unfinished.
  RunResult s = sm_cli("status", pg.url(), p);
  EXPECT_THAT(s.out, HasSubstr("failed              20240101000000_slow"));
  EXPECT_THAT(s.out, HasSubstr("no error recorded"));
  RunResult blocked = sm_cli("apply", pg.url(), p, "--mode prisma-6");
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_THAT(blocked.err, HasSubstr("P3009"));
  // The file was one query: once sent, the server runs it to the end and commits it whether or not
  // the client is still there, so the database holds all of it. The user checks and resolves.
  wait_for_query(pg, "pg_sleep(2.5)", false);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'b'"), "1");
  ASSERT_EQ(sm_cli("resolve", pg.url(), p, "--applied 20240101000000_slow").exit_code, 0);
  RunResult second = sm_cli("apply", pg.url(), p, "--mode prisma-6");
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("nothing to apply"));
  EXPECT_EQ(sm_cli("verify", pg.url(), p).exit_code, 0);
}

TEST(Reliability, LockedTableMakesApplyRetryThenFailNamingTheTable) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"users\" (\"id\" INTEGER);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  p.add("20240102000000_age", "ALTER TABLE \"users\" ADD COLUMN \"age\" INTEGER;\n");
  pqxx::connection holder(pg.url());
  pqxx::work tx(holder);
  tx.exec("LOCK TABLE \"users\" IN ACCESS SHARE MODE");
  const auto start = std::chrono::steady_clock::now();
  RunResult r = sm_cli("apply", pg.url(), p, "--mode safe --lock-timeout 300ms --lock-retries 2");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Three attempts of 0.3 s with 0.5 s and 1 s of backoff between them: never a long wait.
  EXPECT_GE(secs, 2.4);
  EXPECT_LT(secs, 10.0);
  EXPECT_THAT(r.out, HasSubstr("lock timeout (300 ms)"));
  EXPECT_THAT(r.out, HasSubstr("retry 1/2"));
  EXPECT_THAT(r.out, HasSubstr("retry 2/2"));
  EXPECT_THAT(r.out, HasSubstr("table \"users\" (AccessShareLock held by pid"));
  EXPECT_THAT(r.err, HasSubstr("gave up after 3 attempt(s)"));
  EXPECT_THAT(r.err, HasSubstr("table \"users\""));
  tx.abort();
  // Nothing ran, so nothing blocks: the next apply, with the lock gone, succeeds.
  RunResult ok = sm_cli("apply", pg.url(), p, "--mode safe");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'age'"), "1");
}

// Issue 26: a migration's own SET lock_timeout replaces --lock-timeout for its session; the retry
// and give-up lines said the flag's value (5000 ms) while the migration's 200ms had fired.
TEST(Reliability, RetryLinesNameTheMigrationsOwnLockTimeout) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"users\" (\"id\" INTEGER);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  p.add("20240102000000_age",
        "SET lock_timeout = '200ms';\nALTER TABLE \"users\" ADD COLUMN \"age\" INTEGER;\n");
  pqxx::connection holder(pg.url());
  pqxx::work tx(holder);
  tx.exec("LOCK TABLE \"users\" IN ACCESS SHARE MODE");
  const auto start = std::chrono::steady_clock::now();
  RunResult r = sm_cli("apply", pg.url(), p, "--mode safe --lock-timeout 5s --lock-retries 1");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Two attempts of 0.2 s and 0.5 s of backoff: the 5 s of the flag never applied.
  EXPECT_LT(secs, 4.5) << r.out;
  EXPECT_THAT(r.out,
              HasSubstr("lock timeout (lock_timeout = 200ms set by the migration at line 1, in place of "
                        "--lock-timeout's 5000 ms)"));
  EXPECT_THAT(r.out, Not(HasSubstr("lock timeout (5000 ms)")));
  EXPECT_THAT(
      r.err,
      HasSubstr("gave up after 2 attempt(s): lock timeout (lock_timeout = 200ms set by the migration"));
  tx.abort();
}

TEST(Reliability, AdvisoryLockHeldByAnotherRunGivesUpWithItsHolder) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"users\" (\"id\" INTEGER);\n");
  // `prisma migrate deploy` holds this lock while it runs.
  pqxx::connection holder(pg.url());
  pqxx::nontransaction nt(holder);
  nt.exec("SET application_name = 'prisma-deploy-stand-in'");
  nt.exec("SELECT pg_advisory_lock(72707369)");
  const auto start = std::chrono::steady_clock::now();
  RunResult r = sm_cli("apply", pg.url(), p);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_GE(secs, 9.5);
  EXPECT_THAT(r.err, HasSubstr("advisory lock 72707369"));
  EXPECT_THAT(r.err, HasSubstr("prisma-deploy-stand-in"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('users', '_prisma_migrations')"), "0");
}

}  // namespace
}  // namespace sm::test

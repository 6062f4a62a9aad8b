// Messages and exit codes for input and servers that go wrong (issue 9, item 7): an unreadable
// migration folder and a non-UTF-8 migration are input errors (exit 2) for check and apply, a
// negative --max-file-size is a usage error, and a connection lost in the middle of apply names
// the migration and what the history table records of it. Exit codes as README's tables say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "history_helpers.h"

namespace sm::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Messages, UnreadableMigrationFolderIsAnInputErrorNotAMissingFile) {
  PrismaProject p;
  p.add("20240101000000_a", "SELECT 1;\n");
  fs::path locked = p.add("20240102000000_b", "SELECT 1;\n").parent_path();
  p.add("20240103000000_c", "CREATE INDEX i ON t (a);\n");
  fs::permissions(locked, fs::perms::none);
  // Root reads through chmod 000: run as nobody then.
  for (const char* format : {"text", "json"}) {
    std::string args = std::string("check --no-color --format ") + format + " " + p.arg();
    RunResult r = ::geteuid() == 0 ? run_cli_as_nobody(args) : run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("cannot read migration folder")) << r.out;
    EXPECT_THAT(r.out, HasSubstr("ermission denied")) << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("missing-migration-file"))) << r.out;
    EXPECT_THAT(r.out, HasSubstr("require-concurrent-index-creation")) << "the rest is still checked";
  }
  fs::permissions(locked, fs::perms::owner_all);
}

TEST(Messages, MaxFileSizeTakesOnlyAByteCount) {
  PrismaProject p;
  p.add("20240101000000_a", "SELECT 1;\n");
  for (const char* bad : {"-1", "-0", "abc", "1e3", "+5", "18446744073709551616", "''"}) {
    for (const char* cmd : {"check", "list", "status --database-url postgresql://h/db"}) {
      RunResult r = run_cli(std::string(cmd) + " --max-file-size " + bad + " " + p.arg());
      EXPECT_EQ(r.exit_code, 2) << cmd << " " << bad << r.out << r.err;
      EXPECT_THAT(r.err, HasSubstr("--max-file-size")) << cmd << " " << bad;
    }
  }
  EXPECT_EQ(run_cli("check --max-file-size 1048576 " + p.arg()).exit_code, 0);
  // 5 bytes: the 10-byte file is too large, an input error.
  RunResult small = run_cli("check --max-file-size 5 " + p.arg());
  EXPECT_EQ(small.exit_code, 2) << small.out;
}

TEST(Messages, ApplyOfANonUtf8MigrationIsAnInputError) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_a", "CREATE TABLE \"a\" (\"id\" INTEGER);\n");
  p.add("20240102000000_b", "SELECT 'caf\xe9';\n");
  for (const char* cmd : {"apply", "apply --dry-run"}) {
    RunResult r = sm_cli(cmd, pg.url(), p);
    EXPECT_EQ(r.exit_code, 2) << cmd << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("not valid UTF-8")) << r.err;
  }
  EXPECT_EQ(pg.psql("SELECT to_regclass('a') IS NULL"), "t") << "nothing was applied";
}

// The migration ends its own session, as a server restart or pg_terminate_backend would.
TEST(Messages, ALostConnectionNamesTheMigrationAndWhatIsRecorded) {
  SM_START_PG(pg);
  struct Case {
    const char* mode;
    const char* state;  // what _prisma_migrations then says of the migration
  };
  for (Case c : {Case{"prisma-7", "recorded as started and not finished"},
                 Case{"prisma-6", "recorded as started and not finished"},
                 Case{"safe", "not recorded, so it is pending"}}) {
    std::string db = std::string("lost_") + (c.mode[0] == 's' ? "safe" : c.mode[7] == '7' ? "p7" : "p6");
    pg.psql("CREATE DATABASE " + db);
    PrismaProject p;
    p.add("20240101000000_a", "CREATE TABLE \"a\" (\"id\" INTEGER);\n");
    p.add("20240102000000_dies",
          "CREATE TABLE \"b\" (\"id\" INTEGER);\nSELECT pg_terminate_backend(pg_backend_pid());\n");
    p.add("20240103000000_c", "CREATE TABLE \"c\" (\"id\" INTEGER);\n");
    RunResult r = sm_cli("apply", pg.url(db), p, std::string("--mode ") + c.mode);
    EXPECT_EQ(r.exit_code, 2) << c.mode << r.out << r.err;
    EXPECT_THAT(r.err,
                HasSubstr("connection to the server was lost while applying migration 20240102000000_dies"))
        << c.mode << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.state)) << c.mode << r.err;
    EXPECT_THAT(r.err, HasSubstr("1 later migration(s) not applied")) << c.mode << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("Could not obtain client encoding"))) << c.mode << r.err;
    EXPECT_EQ(pg.psql("SELECT to_regclass('c') IS NULL", db), "t") << c.mode;
    // What the message said is what status reads.
    RunResult s = sm_cli("status", pg.url(db), p);
    EXPECT_THAT(s.out, HasSubstr(c.mode[0] == 's' ? "pending" : "failed")) << c.mode << s.out;
  }
}

// The same for a Django plan: the fixture's first migration, then one whose SQL ends its session.
TEST(Messages, ALostConnectionDuringADjangoApplyNamesTheMigration) {
  SM_START_PG(pg);
  TempDir d;
  const char* script =
      "import json, sys, copy\n"
      "p = json.load(open(sys.argv[1]))\n"
      "first = p['migrations'][0]\n"
      "dies = copy.deepcopy(first)\n"
      "dies.update(name='0002_dies', id='shop.0002_dies', plan_index=2, replaces=[],\n"
      "            dependencies=[['shop', '0001_initial']], declared_dependencies=[['shop', "
      "'0001_initial']])\n"
      "op = dies['operations'][0]\n"
      "op.update(forward_sql=['CREATE TABLE \"b\" (\"id\" integer);',\n"
      "                       'SELECT pg_terminate_backend(pg_backend_pid());'], backward_sql=[])\n"
      "dies['operations'] = [op]\n"
      "p['migrations'] = [first, dies]\n"
      "p['leaf_nodes'] = {'shop': ['0002_dies']}\n"
      "json.dump(p, open(sys.argv[2], 'w'))\n";
  d.write("make_plan.py", script);
  fs::path plan = d.path() / "plan.json";
  RunResult made = run_shell(
      d.path(), "python3 make_plan.py " + shell_quote((source_dir() / "fixtures/django/plan.json").string()) +
                    " " + shell_quote(plan.string()));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  pg.psql("CREATE DATABASE lost_django");
  RunResult r = run_cli("apply --database-url " + shell_quote(pg.url("lost_django")) + " " +
                        shell_quote(plan.string()));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("connection to the server was lost while applying migration shop.0002_dies"))
      << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("not recorded in django_migrations, so it is pending")) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("Could not obtain client encoding"))) << r.err;
  EXPECT_EQ(pg.psql("SELECT string_agg(app || '.' || name, ',') FROM django_migrations", "lost_django"),
            "shop.0001_initial");
}

}  // namespace
}  // namespace sm::test

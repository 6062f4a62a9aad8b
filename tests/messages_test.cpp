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

// Issue 19: folders of another runner (migration.ts) are one project-wide condition that does not
// fail the check; run from inside the migrations folder, a condition names the folder's path, not
// ".", and counts of one are singular.
TEST(Messages, OtherRunnersFoldersAreSaidOnceAndNamedByTheFolder) {
  PrismaProject p;
  p.add("20240101000000_a", "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;\n");
  p.dir().write("prisma/migrations/20240102000000_b/migration.ts", "export default {}\n");
  p.dir().write("prisma/migrations/20240103000000_c/migration.ts", "export default {}\n");
  RunResult r = run_cli_in(p.migrations(), "check --no-color .");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("info[missing-migration-file]")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("own runner")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(2 of ")) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("error[missing-migration-file]"))) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("\n.: "))) << r.out;
  EXPECT_THAT(r.out, HasSubstr(fs::canonical(p.migrations()).string() + ": ")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("3 migrations, 1 statement: 3 project-wide conditions")) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("1 statements"))) << r.out;
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

}  // namespace
}  // namespace sm::test

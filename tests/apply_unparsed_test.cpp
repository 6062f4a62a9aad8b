// Issue 9: `apply` never runs or records a migration holding a statement that was not parsed or
// analysed (a syntax error, a tree too deep to read, COPY rows that are not SQL) — whatever the
// mode, an in-file suppression or the config says. Each case is a real apply against a real
// PostgreSQL: the sentinel table survives and _prisma_migrations gains no row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "history_helpers.h"

namespace {

using sm::test::PrismaProject;
using sm::test::sm_cli;
using ::testing::HasSubstr;

std::string deep_sum(size_t n) {
  std::string s = "SELECT 1";
  for (size_t i = 1; i < n; ++i) s += "+1";
  return s;
}

struct Broken {
  const char* label;
  std::string sql;  // runs DROP TABLE "sentinel" if anything of it is sent
};

std::vector<Broken> broken_migrations() {
  const std::string drop = "DROP TABLE \"sentinel\";\n";
  return {
      {"keywordless statement", "SELECT 1;\nSELEC 1;\n" + drop},
      {"unbalanced paren", "SELECT 1;\nCREATE TABLE \"A\" (id int;\n" + drop},
      {"error mid-file", "SELECT 1; CREATE TABLEX t (id int); SELECT 2;\n" + drop},
      {"tree too deep to read", deep_sum(12000) + ";\n" + drop},
      {"tree that overflowed the stack", deep_sum(80000) + ";\n" + drop},
      {"COPY rows", "COPY \"sentinel\" (id) FROM stdin;\n1\n2\n\\.\n" + drop},
      {"suppressed syntax error", "-- safemigrate-ignore: syntax-error we know\nSELEC 1;\n" + drop},
      {"suppressed deep tree",
       "-- safemigrate-ignore: statement-too-complex we know\n" + deep_sum(12000) + ";\n" + drop},
  };
}

TEST(ApplyUnparsed, RefusedInEveryModeAndNothingRunsOrIsRecorded) {
  SM_START_PG(pg);
  for (const char* mode : {"prisma-6", "prisma-7", "safe"}) {
    for (const Broken& b : broken_migrations()) {
      SCOPED_TRACE(std::string(b.label) + ", --mode " + mode);
      std::string db =
          "d" + std::to_string(std::hash<std::string>{}(b.label + std::string(mode)) % 100000000);
      std::string url = pg.create_database(db);
      pg.psql("CREATE TABLE sentinel (id int)", db);
      PrismaProject p;
      p.add("20240101000000_init", "CREATE TABLE \"ok\" (id int);\n");
      p.add("20240102000000_broken", b.sql);
      sm::test::RunResult r = sm_cli("apply", url, p, std::string("--mode ") + mode);
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_THAT(r.err, HasSubstr("nothing was applied"));
      EXPECT_THAT(r.err, HasSubstr("[never applied]"));
      EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'sentinel'", db), "1");
      EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('ok', '_prisma_migrations')", db),
                "0")
          << "the gate comes before anything runs";
    }
  }
}

TEST(ApplyUnparsed, ConfigTurningTheRulesOffDoesNotLetItRun) {
  SM_START_PG(pg);
  pg.psql("CREATE TABLE sentinel (id int)");
  PrismaProject p;
  p.add("20240102000000_broken", "SELEC 1;\n" + deep_sum(12000) + ";\nDROP TABLE \"sentinel\";\n");
  std::string config = p.dir()
                           .write("safemigrate.toml",
                                  "[rules]\nsyntax-error = \"off\"\nstatement-too-complex = \"off\"\n"
                                  "dropping-table = \"off\"\nmissing-lock-timeout = \"off\"\n")
                           .string();
  sm::test::RunResult check =
      sm::test::run_cli("check --config " + sm::test::shell_quote(config) + " " + p.arg());
  EXPECT_THAT(check.out, ::testing::Not(HasSubstr("syntax-error"))) << "the config does turn the rules off";
  sm::test::RunResult r = sm_cli("apply", pg.url(), p, "--config " + sm::test::shell_quote(config));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("2 statement(s) were not parsed or analysed"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'sentinel'"), "1");
}

}  // namespace

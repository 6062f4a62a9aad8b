// The gate and `check --database-url` judge the table a statement really touches (issue 18): the
// search_path a migration sets (SET, SET LOCAL, RESET, set_config), CREATE TABLE IF NOT EXISTS of
// a table that exists already, and a table renamed (RENAME TO, SET SCHEMA) before the statement.
// Each against a real PostgreSQL 15 (tests/pg_cluster.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "history_helpers.h"

namespace {

using sm::test::PrismaProject;
using sm::test::RunResult;
using sm::test::shell_quote;
using sm::test::sm_cli;
using ::testing::HasSubstr;
using ::testing::Not;

// Schemas a and b and public each hold a table "T" with a different number of rows, so that the
// size a finding states says which of them it was judged by.
const char* kThreeTables =
    "CREATE SCHEMA a; CREATE SCHEMA b;\n"
    "CREATE TABLE a.\"T\" (id int); INSERT INTO a.\"T\" SELECT generate_series(1, 1000);\n"
    "CREATE TABLE b.\"T\" (id int); INSERT INTO b.\"T\" SELECT generate_series(1, 10);\n"
    "CREATE TABLE public.\"T\" (id int); INSERT INTO public.\"T\" SELECT generate_series(1, 3);\n"
    "ANALYZE;\n";

// Row estimates may run above the rows inserted (statistics of the inserts arrive after ANALYZE),
// so the order of magnitude says which table it was: thousands, tens, a few.
std::string schema_of_rows(const std::string& size) {
  static const std::regex rows("^([0-9.]+)(k?) rows");
  std::smatch m;
  if (!std::regex_search(size, m, rows)) return "? (" + size + ")";
  if (m[2] == "k") return "a";
  return std::stod(m[1]) >= 10 ? "b" : "public";
}

// The table_size `check --format json` states for the require-concurrent-index-creation finding.
std::string index_finding_size(const std::string& json) {
  static const std::regex finding(
      "\"rule\": \"require-concurrent-index-creation\"[^{}]*?\"table_size\": \"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(json, m, finding)) return "no finding";
  return m[1];
}

TEST(GateSearchPath, ApplyJudgesTheSchemaTheMigrationSets) {
  SM_START_PG(pg);
  pg.psql(
      "CREATE SCHEMA other; CREATE TABLE public.\"T\" (id int);"
      "CREATE TABLE other.\"T\" (id int); INSERT INTO other.\"T\" SELECT generate_series(1, 1000);"
      "ANALYZE");
  PrismaProject p;
  p.add("20240101000000_idx", "SET search_path TO other;\nCREATE INDEX \"T_id_idx\" ON \"T\" (\"id\");\n");
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_THAT(r.err, Not(HasSubstr("empty in this database")));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'T_id_idx'"), "0");
  // With the search_path reset before it, the index goes on the empty public."T": not stopped.
  p.add("20240101000000_idx",
        "SET search_path TO other;\nRESET search_path;\nCREATE INDEX \"T_id_idx\" ON \"T\" (\"id\");\n");
  RunResult reset = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(reset.exit_code, 0) << reset.out << reset.err;
  EXPECT_EQ(pg.psql("SELECT schemaname FROM pg_indexes WHERE indexname = 'T_id_idx'"), "public");
}

// Property: for generated sequences of search_path changes (SET, SET LOCAL and set_config in
// transactions that commit or roll back, RESET, DEFAULT, lists with a schema that does not exist),
// the table `check --database-url` judges an unqualified CREATE INDEX by is the one PostgreSQL
// builds it on when the same file runs statement by statement.
TEST(GateSearchPath, CheckJudgesTheTablePostgresBuildsTheIndexOn) {
  SM_START_PG(pg);
  pg.psql(kThreeTables);
  const std::vector<std::string> paths = {"a", "b", "public", "a, b", "b, a", "nosuch, b", "nosuch, a, b"};
  std::mt19937 rng(18);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto set_stmt = [&](bool local) {
    const std::string& path = paths[pick(paths.size())];
    switch (pick(3)) {
      case 0: return std::string(local ? "SET LOCAL" : "SET") + " search_path TO " + path + ";\n";
      case 1:
        return "SELECT set_config('search_path', '" + path + "', " + (local ? "true" : "false") + ");\n";
      default: return std::string(local ? "SET LOCAL" : "SET") + " search_path = " + path + ";\n";
    }
  };
  int mismatches = 0;
  for (int iteration = 0; iteration < 30; ++iteration) {
    std::string sql;
    for (size_t n = 1 + pick(4); n > 0; --n) {
      switch (pick(5)) {
        case 0:
        case 1: sql += set_stmt(false); break;
        case 2: sql += pick(2) ? "RESET search_path;\n" : "SET search_path TO DEFAULT;\n"; break;
        default: sql += "BEGIN;\n" + set_stmt(pick(3) != 0) + (pick(2) ? "COMMIT;\n" : "ROLLBACK;\n"); break;
      }
    }
    sql += "CREATE INDEX \"gen_idx\" ON \"T\" (\"id\");\n";
    PrismaProject p;
    p.add("20240101000000_gen", sql);
    RunResult r = sm_cli("check", pg.url(), p, "--format json --prisma-version 7.4.0");
    std::string judged = schema_of_rows(index_finding_size(r.out));
    std::string real = pg.psql(sql + "SELECT schemaname FROM pg_indexes WHERE indexname = 'gen_idx';\n");
    real = real.substr(real.find_last_of('\n') + 1);
    pg.psql("SET search_path TO " + real + "; DROP INDEX \"gen_idx\"");
    EXPECT_EQ(judged, real) << sql << r.out;
    mismatches += judged != real;
    if (mismatches > 3) break;
  }
}

TEST(GateCreateIfNotExists, AnExistingTableIsNotNew) {
  SM_START_PG(pg);
  // A populated "P" made outside the migrations (a table Prisma's baseline did not record).
  pg.psql("CREATE TABLE \"P\" (id int); INSERT INTO \"P\" SELECT generate_series(1, 1000); ANALYZE");
  PrismaProject p;
  p.add("20240101000000_p",
        "CREATE TABLE IF NOT EXISTS \"P\" (\"id\" INTEGER);\nCREATE INDEX \"P_id_idx\" ON \"P\" (\"id\");\n");
  RunResult check = sm_cli("check", pg.url(), p, "--format json");
  EXPECT_EQ(schema_of_rows(index_finding_size(check.out)), "a") << check.out;
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'P_id_idx'"), "0");
  // On a database without "P" the same migration creates it: nothing to block.
  std::string blank = pg.create_database("blank");
  RunResult fresh = sm_cli("apply", blank, p);
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out << fresh.err;
}

TEST(GateCreateIfNotExists, ATableAnEarlierMigrationMadeIsNotNew) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_p", "CREATE TABLE \"P\" (\"id\" INTEGER);\n");
  ASSERT_EQ(sm_cli("apply", pg.url(), p).exit_code, 0);
  pg.psql("INSERT INTO \"P\" SELECT generate_series(1, 1000); ANALYZE \"P\"");
  p.add("20240102000000_p_again",
        "CREATE TABLE IF NOT EXISTS \"P\" (\"id\" INTEGER);\nCREATE INDEX \"P_id_idx\" ON \"P\" (\"id\");\n");
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations"), "1");
  // Without a database the earlier migration is enough to know.
  RunResult offline = sm::test::run_cli("check --format json " + p.arg());
  EXPECT_THAT(offline.out, HasSubstr("require-concurrent-index-creation"));
}

TEST(GateRename, RowsAndExistenceFollowRenames) {
  SM_START_PG(pg);
  pg.psql(
      "CREATE SCHEMA other; CREATE TABLE \"P\" (id int); INSERT INTO \"P\" SELECT generate_series(1, 1000);"
      "CREATE TABLE \"S\" (id int); INSERT INTO \"S\" SELECT generate_series(1, 1000); ANALYZE");
  PrismaProject p;
  p.add("20240101000000_rename",
        "-- safemigrate-ignore: renaming-table the code reads both names\n"
        "ALTER TABLE \"P\" RENAME TO \"Q\";\n");
  p.add("20240102000000_idx", "CREATE INDEX \"Q_id_idx\" ON \"Q\" (\"id\");\n");
  RunResult check = sm_cli("check", pg.url(), p, "--format json");
  EXPECT_EQ(schema_of_rows(index_finding_size(check.out)), "a") << check.out;
  RunResult r = sm_cli("apply", pg.url(), p);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_THAT(r.err, Not(HasSubstr("not in this database")));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'Q'"), "0");

  // SET SCHEMA in the same migration as the index.
  PrismaProject moved;
  moved.add("20240101000000_move",
            "-- safemigrate-ignore: renaming-table the code reads both names\n"
            "ALTER TABLE \"S\" SET SCHEMA other;\n"
            "CREATE INDEX \"S_id_idx\" ON other.\"S\" (\"id\");\n");
  RunResult m = sm_cli("apply", pg.url(), moved);
  EXPECT_EQ(m.exit_code, 1) << m.out << m.err;
  EXPECT_THAT(m.err, HasSubstr("require-concurrent-index-creation"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'S_id_idx'"), "0");

  // A table this run creates and then renames is still new.
  PrismaProject made;
  made.add("20240101000000_make", "CREATE TABLE \"N\" (\"id\" INTEGER);\n");
  made.add("20240102000000_rename",
           "-- safemigrate-ignore: renaming-table new table\nALTER TABLE \"N\" RENAME TO \"M\";\n"
           "CREATE INDEX \"M_id_idx\" ON \"M\" (\"id\");\n");
  std::string blank = pg.create_database("blank");
  // apply counts the findings it lets through; --dry-run lists each with its reason.
  RunResult listed = sm_cli("apply", blank, made, "--dry-run");
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_THAT(listed.out + listed.err, HasSubstr("\"M\": created by this run"));
  RunResult fresh = sm_cli("apply", blank, made);
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out << fresh.err;
  EXPECT_THAT(
      fresh.err,
      HasSubstr("1 error finding about tables that are empty in this database or created by this run"));
}

}  // namespace

// Issue 18: what the server runs must be what was parsed. With standard_conforming_strings off,
// PostgreSQL lexes `SELECT 'x\'' ; DROP TABLE "sentinel"; --';` as a SELECT and a DROP TABLE,
// where libpg_query (standard strings) sees one SELECT. Each case is a real apply against a real
// PostgreSQL in every mode: the sentinel table survives and _prisma_migrations records nothing
// applied of what would drop it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "history_helpers.h"

namespace {

using sm::test::PrismaProject;
using sm::test::sm_cli;
using ::testing::HasSubstr;

// One SELECT with standard strings; a SELECT, a DROP TABLE and a comment with them off.
const std::string kAttack = "SELECT 'x\\'' ; DROP TABLE \"sentinel\"; --';\n";

const char* const kModes[] = {"prisma-6", "prisma-7", "safe"};

std::string db_name(const std::string& label, const std::string& mode) {
  return "d" + std::to_string(std::hash<std::string>{}(label + mode) % 100000000);
}

bool sentinel_there(const sm::test::PgCluster& pg, const std::string& db) {
  return pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'sentinel'", db) == "1";
}

std::string applied_rows(const sm::test::PgCluster& pg, const std::string& db) {
  if (pg.psql("SELECT count(*) FROM pg_class WHERE relname = '_prisma_migrations'", db) == "0") return "";
  return pg.psql(
      "SELECT string_agg(migration_name, ',' ORDER BY migration_name) FROM _prisma_migrations WHERE "
      "finished_at IS NOT NULL AND rolled_back_at IS NULL",
      db);
}

// The session's effective standard_conforming_strings is off by a default of the role, of the
// database, or of the role in that database: apply refuses before anything runs or is recorded.
TEST(ApplyLexing, RefusesASessionWhoseStandardConformingStringsIsOff) {
  SM_START_PG(pg);
  pg.psql("CREATE ROLE lexer LOGIN SUPERUSER PASSWORD '" + std::string(sm::test::PgCluster::kPassword) + "'");
  struct Default {
    const char* label;
    std::string sql;  // {db} is the database's name
    bool as_lexer;    // connect as the role lexer
    const char* source;
  };
  const Default defaults[] = {
      {"database default", "ALTER DATABASE {db} SET standard_conforming_strings = off", false,
       "the database's default"},
      {"role default", "ALTER ROLE lexer SET standard_conforming_strings = off", true, "the role's default"},
      {"role in database", "ALTER ROLE postgres IN DATABASE {db} SET standard_conforming_strings = off",
       false, "ALTER ROLE … IN DATABASE"},
  };
  for (const char* mode : kModes) {
    for (const Default& d : defaults) {
      SCOPED_TRACE(std::string(d.label) + ", --mode " + mode);
      std::string db = db_name(d.label, mode);
      std::string url = pg.create_database(db);
      if (d.as_lexer)
        url = "postgresql://lexer:" + std::string(sm::test::PgCluster::kPassword) +
              "@127.0.0.1:" + std::to_string(pg.port()) + "/" + db;
      pg.psql("CREATE TABLE sentinel (id int)", db);
      std::string sql = d.sql;
      if (size_t at = sql.find("{db}"); at != std::string::npos) sql.replace(at, 4, db);
      pg.psql(sql);
      PrismaProject p;
      p.add("20240101000000_init", "CREATE TABLE \"ok\" (id int);\n");
      p.add("20240102000000_attack", kAttack);
      sm::test::RunResult r = sm_cli("apply", url, p, std::string("--mode ") + mode);
      EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
      EXPECT_THAT(r.err, HasSubstr("standard_conforming_strings is off (" + std::string(d.source)));
      EXPECT_THAT(r.err, HasSubstr("nothing was applied"));
      EXPECT_TRUE(sentinel_there(pg, db));
      EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('ok', '_prisma_migrations')", db),
                "0")
          << "refused before anything runs or is recorded";
      if (d.as_lexer) pg.psql("ALTER ROLE lexer RESET standard_conforming_strings");
    }
  }
}

// A migration that changes a lexing setting is an error finding of `check` and the gate stops
// apply before anything runs, in every mode and whatever the form of the change. On main the
// first migration ran, and in the split modes the second dropped the sentinel.
TEST(ApplyLexing, AMigrationThatChangesALexingSettingIsAnErrorTheGateBlocks) {
  SM_START_PG(pg);
  const std::pair<const char*, std::string> changes[] = {
      {"SET", "SET standard_conforming_strings = off;\n"},
      {"SET LOCAL", "BEGIN;\nSET LOCAL standard_conforming_strings TO false;\n" + kAttack + "COMMIT;\n"},
      {"set_config", "SELECT set_config('standard_conforming_strings', 'off', false);\n"},
      {"ALTER DATABASE", "ALTER DATABASE \"shop\" SET standard_conforming_strings = off;\n"},
      {"client_encoding", "SET client_encoding = 'SJIS';\n"},
  };
  for (const char* mode : kModes) {
    for (const auto& [label, change] : changes) {
      SCOPED_TRACE(std::string(label) + ", --mode " + mode);
      std::string db = db_name(label, mode);
      std::string url = pg.create_database(db);
      pg.psql("CREATE TABLE sentinel (id int)", db);
      PrismaProject p;
      p.add("20240101000000_change", change + kAttack);
      p.add("20240102000000_attack", kAttack);
      if (std::string(mode) == "prisma-6") {  // check does not depend on the mode
        sm::test::RunResult check = sm::test::run_cli("check " + p.arg());
        EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
        EXPECT_THAT(check.out, HasSubstr("lexing-setting-changed"));
      }
      sm::test::RunResult r = sm_cli("apply", url, p, std::string("--mode ") + mode);
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_THAT(r.err, HasSubstr("[lexing-setting-changed]"));
      EXPECT_THAT(r.err, HasSubstr("nothing was applied"));
      EXPECT_TRUE(sentinel_there(pg, db));
      EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('_prisma_migrations')", db), "0")
          << "the gate comes before anything runs";
    }
  }
}

// A change no rule can see (set_config inside a DO block's body, a string to the parser): apply
// reads the session's settings again before each migration and each part of one, and the split
// modes send each statement alone with the extended protocol, which the server refuses to run
// as several commands. Nothing of the attack runs; the DO block's migration is the only one
// applied.
TEST(ApplyLexing, AChangeNoRuleSeesStopsBeforeTheNextQuery) {
  SM_START_PG(pg);
  const std::string hidden =
      "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$;\n";
  for (const char* mode : kModes) {
    for (bool same_file : {false, true}) {
      SCOPED_TRACE(std::string(same_file ? "same file" : "next file") + ", --mode " + mode);
      std::string db = db_name(same_file ? "hidden-same" : "hidden-next", mode);
      std::string url = pg.create_database(db);
      pg.psql("CREATE TABLE sentinel (id int)", db);
      PrismaProject p;
      if (same_file) {
        p.add("20240101000000_hidden", hidden + kAttack);
      } else {
        p.add("20240101000000_hidden", hidden);
        p.add("20240102000000_attack", kAttack);
      }
      sm::test::RunResult r = sm_cli("apply", url, p, std::string("--mode ") + mode);
      EXPECT_TRUE(sentinel_there(pg, db)) << r.out << r.err;
      // In one simple query (prisma-6) the server lexes the whole file before the DO block runs,
      // so the same file's attack is one SELECT there, and the migration is applied.
      bool whole_file_applies = same_file && std::string(mode) == "prisma-6";
      EXPECT_EQ(r.exit_code, whole_file_applies ? 0 : 1) << r.out << r.err;
      EXPECT_EQ(applied_rows(pg, db), same_file && !whole_file_applies ? "" : "20240101000000_hidden");
      if (same_file && std::string(mode) == "safe") {
        EXPECT_THAT(r.err, HasSubstr("cannot insert multiple commands into a prepared statement"));
      }
      if (!same_file) {
        EXPECT_THAT(r.err, HasSubstr("standard_conforming_strings is off"));
      }
    }
  }
}

}  // namespace

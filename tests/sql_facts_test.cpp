// The facts src/sql extracts from PostgreSQL's parse tree: lock modes, rewrites, scans,
// CONCURRENTLY, NOT VALID, classes, positions, error recovery, and the schema tracker.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sql/lock_table.h"
#include "sql/parse.h"
#include "sql/schema_tracker.h"

namespace {

using sm::model::ActionKind;
using sm::model::LockMode;
using sm::model::StatementClass;

struct LockCase {
  const char* sql;
  ActionKind kind;
  LockMode lock;
  bool rewrites;
  bool scans;
};

constexpr LockMode AEL = LockMode::AccessExclusive;
constexpr LockMode SRE = LockMode::ShareRowExclusive;
constexpr LockMode SUE = LockMode::ShareUpdateExclusive;
constexpr LockMode S = LockMode::Share;

// One row per supported statement kind; expectations from ../shared/reference/postgres-locks.md.
const LockCase kLockCases[] = {
    {"ALTER TABLE t ADD COLUMN c int", ActionKind::AddColumn, AEL, false, false},
    {"ALTER TABLE t ADD COLUMN c int DEFAULT 5", ActionKind::AddColumn, AEL, false, false},
    {"ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()", ActionKind::AddColumn, AEL, false, false},
    {"ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", ActionKind::AddColumn, AEL, true, false},
    {"ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()", ActionKind::AddColumn, AEL, true,
     false},
    {"ALTER TABLE t ADD COLUMN c bigserial", ActionKind::AddColumn, AEL, true, false},
    {"ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY", ActionKind::AddColumn, AEL, true, false},
    {"ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + 1) STORED", ActionKind::AddColumn, AEL, true,
     false},
    {"ALTER TABLE t DROP COLUMN c", ActionKind::DropColumn, AEL, false, false},
    {"ALTER TABLE t ALTER COLUMN c SET NOT NULL", ActionKind::SetNotNull, AEL, false, true},
    {"ALTER TABLE t ALTER COLUMN c DROP NOT NULL", ActionKind::DropNotNull, AEL, false, false},
    {"ALTER TABLE t ALTER COLUMN c SET DEFAULT 1", ActionKind::SetDefault, AEL, false, false},
    {"ALTER TABLE t ALTER COLUMN c DROP DEFAULT", ActionKind::DropDefault, AEL, false, false},
    {"ALTER TABLE t ALTER COLUMN c SET STATISTICS 100", ActionKind::SetStorageOptions, SUE, false, false},
    {"ALTER TABLE t SET (fillfactor = 70)", ActionKind::SetStorageOptions, SUE, false, false},
    {"ALTER TABLE t CLUSTER ON t_pkey", ActionKind::SetStorageOptions, SUE, false, false},
    {"ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0)", ActionKind::AddCheck, AEL, false, true},
    {"ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0) NOT VALID", ActionKind::AddCheck, AEL, false, false},
    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES p(id)", ActionKind::AddForeignKey, SRE, false,
     true},
    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES p(id) NOT VALID", ActionKind::AddForeignKey,
     SRE, false, false},
    {"ALTER TABLE t VALIDATE CONSTRAINT f", ActionKind::ValidateConstraint, SUE, false, false},
    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE (c)", ActionKind::AddUnique, AEL, false, true},
    {"ALTER TABLE t ADD PRIMARY KEY (id)", ActionKind::AddPrimaryKey, AEL, false, true},
    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i", ActionKind::AddUnique, AEL, false, false},
    {"ALTER TABLE t DROP CONSTRAINT k", ActionKind::DropConstraint, AEL, false, false},
    {"ALTER TABLE t RENAME COLUMN a TO b", ActionKind::RenameColumn, AEL, false, false},
    {"ALTER TABLE t RENAME TO u", ActionKind::RenameTable, AEL, false, false},
    {"ALTER TABLE t SET SCHEMA other", ActionKind::SetSchema, AEL, false, false},
    {"CREATE INDEX i ON t (c)", ActionKind::CreateIndex, S, false, true},
    {"CREATE INDEX CONCURRENTLY i ON t (c)", ActionKind::CreateIndex, SUE, false, false},
    {"DROP INDEX i", ActionKind::DropIndex, AEL, false, false},
    // Ends with ACCESS EXCLUSIVE on the (dead) index; SHARE UPDATE EXCLUSIVE on the table (rehearsed).
    {"DROP INDEX CONCURRENTLY i", ActionKind::DropIndex, AEL, false, false},
    {"REINDEX TABLE t", ActionKind::Reindex, S, false, false},
    {"REINDEX INDEX i", ActionKind::Reindex, AEL, false, false},
    {"REINDEX INDEX CONCURRENTLY i", ActionKind::Reindex, AEL, false, false},  // on the old index, at the end
    {"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", ActionKind::CreateTrigger, SRE,
     false, false},
    {"ALTER TABLE t DISABLE TRIGGER tr", ActionKind::EnableDisableTrigger, SRE, false, false},
    {"DROP TRIGGER tr ON t", ActionKind::DropTrigger, AEL, false, false},
    {"ALTER TABLE t ENABLE ROW LEVEL SECURITY", ActionKind::RowLevelSecurity, AEL, false, false},
    {"ALTER TABLE t SET UNLOGGED", ActionKind::SetLoggedUnlogged, AEL, true, false},
    {"ALTER TABLE t SET LOGGED", ActionKind::SetLoggedUnlogged, AEL, true, false},
    {"ALTER TABLE t SET TABLESPACE fast", ActionKind::SetTablespaceOrAccessMethod, AEL, true, false},
    {"ALTER TABLE t DETACH PARTITION p", ActionKind::DetachPartition, AEL, false, false},
    {"TRUNCATE t", ActionKind::TruncateTable, AEL, false, false},
    {"DROP TABLE t", ActionKind::DropTable, AEL, false, false},
    {"VACUUM FULL t", ActionKind::VacuumFull, AEL, true, false},
    {"CLUSTER t USING i", ActionKind::Cluster, AEL, true, false},
    {"CREATE OR REPLACE VIEW v AS SELECT 1", ActionKind::CreateView, AEL, false, false},
    {"UPDATE t SET c = 1", ActionKind::WriteRows, LockMode::RowExclusive, false, false},
    {"INSERT INTO t (c) VALUES (1)", ActionKind::WriteRows, LockMode::RowExclusive, false, false},
    {"DELETE FROM t", ActionKind::WriteRows, LockMode::RowExclusive, false, false},
    {"LOCK TABLE t IN ACCESS EXCLUSIVE MODE", ActionKind::LockTable, AEL, false, false},
    {"LOCK t", ActionKind::LockTable, AEL, false, false},  // ACCESS EXCLUSIVE when no mode is named
    {"LOCK TABLE t IN SHARE MODE", ActionKind::LockTable, S, false, false},
    {"LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE", ActionKind::LockTable, SRE, false, false},
    {"LOCK TABLE t IN ROW EXCLUSIVE MODE", ActionKind::LockTable, LockMode::RowExclusive, false, false},
    {"LOCK TABLE t IN ACCESS SHARE MODE", ActionKind::LockTable, LockMode::AccessShare, false, false},
};

class LockFacts : public ::testing::TestWithParam<LockCase> {};

TEST_P(LockFacts, MatchThePostgresLockTable) {
  const LockCase& c = GetParam();
  auto parsed = sm::sql::parse_sql(c.sql, "x.sql");
  ASSERT_EQ(parsed.statements.size(), 1u) << c.sql;
  const auto& st = parsed.statements[0];
  ASSERT_NE(st.cls, StatementClass::Invalid) << st.syntax_error;
  ASSERT_FALSE(st.actions.empty()) << c.sql;
  const auto& a = st.actions[0];
  EXPECT_EQ(a.kind, c.kind) << c.sql << ": got " << sm::model::action_kind_name(a.kind);
  EXPECT_EQ(a.lock, c.lock) << c.sql << ": got " << sm::model::lock_mode_name(a.lock);
  EXPECT_EQ(a.rewrites, c.rewrites) << c.sql;
  EXPECT_EQ(a.scans, c.scans) << c.sql;
}

// Test names say the statement: ALTER_TABLE_t_ADD_COLUMN_c_int_3.
INSTANTIATE_TEST_SUITE_P(Statements, LockFacts, ::testing::ValuesIn(kLockCases),
                         [](const ::testing::TestParamInfo<LockCase>& param) {
                           std::string name;
                           for (const char* c = param.param.sql; *c && name.size() < 60; ++c)
                             name += isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
                           return name + "_" + std::to_string(param.index);
                         });

TEST(SqlFacts, ForeignKeyLocksBothTables) {
  auto st =
      sm::sql::parse_sql("ALTER TABLE child ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES parent(id)", "x")
          .statements.at(0);
  ASSERT_EQ(st.actions.size(), 2u);
  EXPECT_EQ(st.actions[1].kind, ActionKind::ReferencedByForeignKey);
  EXPECT_EQ(st.actions[1].relation.name, "parent");
  EXPECT_EQ(st.actions[1].lock, LockMode::ShareRowExclusive);
}

TEST(SqlFacts, AttachPartitionLocksParentAndPartition) {
  auto st =
      sm::sql::parse_sql("ALTER TABLE parent ATTACH PARTITION p FOR VALUES IN (1)", "x").statements.at(0);
  ASSERT_EQ(st.actions.size(), 2u);
  EXPECT_EQ(st.actions[0].relation.name, "p");
  EXPECT_EQ(st.actions[0].lock, LockMode::AccessExclusive);
  EXPECT_EQ(st.actions[1].relation.name, "parent");
  EXPECT_EQ(st.actions[1].lock, LockMode::ShareUpdateExclusive);
}

TEST(SqlFacts, ClassesAndTransactionControl) {
  auto p = sm::sql::parse_sql(
      "BEGIN; SET lock_timeout = '5s'; SET LOCAL statement_timeout = 1000; UPDATE t SET a = 1; COPY t FROM "
      "'/tmp/rows';\n"
      "DO $$ BEGIN END $$; SELECT 1; COMMIT; MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;",
      "x");
  ASSERT_EQ(p.statements.size(), 9u);
  EXPECT_EQ(p.statements[0].tx, sm::model::TxControl::Begin);
  EXPECT_EQ(p.statements[1].cls, StatementClass::Session);
  EXPECT_EQ(p.statements[1].set_name, "lock_timeout");
  EXPECT_EQ(p.statements[1].set_value, "5s");
  EXPECT_TRUE(p.statements[2].set_local);
  EXPECT_EQ(p.statements[2].set_value, "1000");
  EXPECT_EQ(p.statements[3].cls, StatementClass::Dml);
  EXPECT_EQ(p.statements[4].cls, StatementClass::Dml);
  EXPECT_EQ(p.statements[5].cls, StatementClass::Dml);
  EXPECT_EQ(p.statements[6].cls, StatementClass::Query);
  EXPECT_EQ(p.statements[7].tx, sm::model::TxControl::Commit);
  EXPECT_EQ(p.statements[8].cls, StatementClass::Dml);
}

// Issue 18: every form of a change to a setting that decides how the server lexes SQL, for each
// such setting, with values that keep lexing as safemigrate reads (no change) and values that do
// not (a change), names in any case; settings that do not change lexing are never one.
TEST(SqlFacts, LexingSettingChangesInEveryForm) {
  struct Setting {
    std::string name;
    std::vector<std::string> as_read, other;
  };
  const std::vector<Setting> settings = {
      {"standard_conforming_strings", {"on", "true", "1", "yes"}, {"off", "false", "0", "no"}},
      {"backslash_quote", {"safe_encoding"}, {"on", "off"}},
      {"client_encoding", {"UTF8", "utf-8", "Unicode"}, {"SJIS", "BIG5", "GBK", "LATIN1"}},
  };
  auto upper = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  };
  size_t cases = 0;
  for (const Setting& set : settings)
    for (const std::string& name : {set.name, upper(set.name)})
      for (bool changes : {false, true})
        for (const std::string& value : changes ? set.other : set.as_read) {
          const std::vector<std::string> forms = {
              "SET " + name + " = '" + value + "'",
              "SET LOCAL " + name + " TO '" + value + "'",
              "SELECT set_config('" + name + "', '" + value + "', false)",
              "SELECT 1 WHERE set_config('" + name + "', '" + value + "', true) IS NOT NULL",
              "ALTER ROLE app SET " + name + " = '" + value + "'",
              "ALTER ROLE app IN DATABASE shop SET " + name + " = '" + value + "'",
              "ALTER DATABASE shop SET " + name + " TO '" + value + "'",
              "ALTER SYSTEM SET " + name + " = '" + value + "'",
          };
          for (const std::string& sql : forms) {
            ++cases;
            auto p = sm::sql::parse_sql(sql, "x");
            ASSERT_EQ(p.statements.size(), 1u) << sql;
            EXPECT_EQ(p.statements[0].lexing_changes.size(), changes ? 1u : 0u) << sql;
          }
        }
  EXPECT_EQ(cases, 288u);
  // RESET and DEFAULT: the session's own starting value (which apply checks) is no change; a
  // role's, a database's or the server's default is one nobody checked.
  for (const char* quiet :
       {"RESET standard_conforming_strings", "SET client_encoding TO DEFAULT", "RESET ALL", "DISCARD ALL",
        "SET escape_string_warning = off", "SET lock_timeout = '1s'",
        "SELECT set_config('lock_timeout', '1s', false)", "SELECT current_setting('x')"})
    EXPECT_TRUE(sm::sql::parse_sql(quiet, "x").statements.at(0).lexing_changes.empty()) << quiet;
  for (const char* loud :
       {"ALTER ROLE app RESET standard_conforming_strings", "ALTER DATABASE shop RESET ALL",
        "ALTER SYSTEM RESET client_encoding", "SELECT set_config(name, 'off', false) FROM settings",
        "SELECT set_config('standard_conforming_strings', v, false) FROM t", "SET NAMES 'SJIS'"})
    EXPECT_EQ(sm::sql::parse_sql(loud, "x").statements.at(0).lexing_changes.size(), 1u) << loud;
}

TEST(SqlFacts, ConcurrentlyCannotRunInATransaction) {
  for (const char* sql :
       {"CREATE INDEX CONCURRENTLY i ON t(c)", "DROP INDEX CONCURRENTLY i", "REINDEX TABLE CONCURRENTLY t",
        "VACUUM t", "ALTER TABLE p DETACH PARTITION c CONCURRENTLY"}) {
    auto st = sm::sql::parse_sql(sql, "x").statements.at(0);
    EXPECT_TRUE(st.cannot_run_in_transaction) << sql;
  }
  EXPECT_FALSE(sm::sql::parse_sql("CREATE INDEX i ON t(c)", "x").statements.at(0).cannot_run_in_transaction);
}

// Two transactions: SHARE UPDATE EXCLUSIVE on both, then ACCESS EXCLUSIVE on the partition to
// finish; the prediction is the strongest lock each relation gets.
TEST(SqlFacts, DetachPartitionConcurrentlyLocksByRelation) {
  auto st = sm::sql::parse_sql("ALTER TABLE p DETACH PARTITION c CONCURRENTLY", "x").statements.at(0);
  std::map<std::string, sm::model::LockMode> locks;
  for (const auto& a : st.actions) {
    EXPECT_TRUE(a.concurrently) << a.relation.name;
    locks[a.relation.name] = a.lock;
  }
  EXPECT_EQ(locks["p"], sm::model::LockMode::ShareUpdateExclusive);
  EXPECT_EQ(locks["c"], sm::model::LockMode::AccessExclusive);
}

// The oldest PostgreSQL that runs a statement, read from the parse tree (the parser is 15's, so
// it accepts them all; an older server would not).
TEST(SqlFacts, MinimumPostgresVersion) {
  const std::vector<std::pair<const char*, uint32_t>> cases = {
      {"CREATE INDEX i ON t(a) INCLUDE (b)", 11},
      {"CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'", 11},
      {"CALL p()", 11},
      {"REINDEX INDEX CONCURRENTLY i", 12},
      {"ALTER TABLE t ADD COLUMN s int GENERATED ALWAYS AS (a + 1) STORED", 12},
      {"CREATE TABLE t (a int, s int GENERATED ALWAYS AS (a + 1) STORED)", 12},
      {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", 14},
      {"CREATE OR REPLACE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", 14},
      {"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", 15},
      {"CREATE UNIQUE INDEX i ON t(a) NULLS NOT DISTINCT", 15},
      {"ALTER TABLE t ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT (a)", 15},
      {"CREATE TABLE t (a int UNIQUE NULLS NOT DISTINCT)", 15},
      {"ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()", 13},
      {"CREATE TABLE t (u uuid DEFAULT public.gen_random_uuid())", 13},
      {"SELECT regexp_count(name, 'a') FROM t", 15},
      {"UPDATE t SET n = 1 WHERE jsonb_path_exists(doc, '$.a')", 12},
      {"CREATE INDEX i ON t(a)", 0},
      {"SELECT uuid_generate_v4()", 0},
      {"REINDEX INDEX i", 0},
      {"ALTER TABLE p DETACH PARTITION c", 0},
      {"CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", 0},
      {"CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY)", 0},
      {"ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)", 0},
  };
  for (const auto& [sql, version] : cases) {
    auto st = sm::sql::parse_sql(sql, "x").statements.at(0);
    EXPECT_EQ(st.min_postgres, version) << sql;
    EXPECT_EQ(st.min_postgres_feature.empty(), version == 0) << sql;
  }
}

// gen_random_uuid() is built in from PostgreSQL 13; before, pgcrypto provides it: the schema
// tracker drops the need once an earlier statement created the extension.
TEST(SqlFacts, AnExtensionCreatedEarlierProvidesAFunction) {
  auto p = sm::sql::parse_sql(
      "CREATE TABLE a (u uuid DEFAULT gen_random_uuid());\n"
      "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n"
      "CREATE TABLE b (u uuid DEFAULT gen_random_uuid());\n",
      "x");
  ASSERT_EQ(p.statements.size(), 3u);
  EXPECT_EQ(p.statements[1].created_extension, "pgcrypto");
  sm::sql::SchemaTracker tracker;
  tracker.begin_migration();
  for (auto& st : p.statements) tracker.apply(st);
  EXPECT_EQ(p.statements[0].min_postgres, 13u);
  EXPECT_EQ(p.statements[0].min_postgres_feature, "gen_random_uuid()");
  EXPECT_EQ(p.statements[2].min_postgres, 0u);
}

TEST(SqlFacts, RelationsAsWritten) {
  auto st = sm::sql::parse_sql("ALTER TABLE \"public\".\"User\" ADD COLUMN x int", "x").statements.at(0);
  EXPECT_EQ(st.actions[0].relation.schema, "public");
  EXPECT_EQ(st.actions[0].relation.name, "User");
  EXPECT_TRUE(st.actions[0].relation.quoted);
  auto plain = sm::sql::parse_sql("ALTER TABLE Users ADD COLUMN x int", "x").statements.at(0);
  EXPECT_EQ(plain.actions[0].relation.name, "users");  // folded to lower case, as PostgreSQL does
  EXPECT_FALSE(plain.actions[0].relation.quoted);
}

TEST(SqlFacts, PositionsAreLineAndColumnOfTheFile) {
  auto p = sm::sql::parse_sql(
      "-- CreateTable\nCREATE TABLE a (id int);\n\n  -- comment\n  ALTER TABLE a\n    ADD COLUMN b int",
      "m.sql");
  ASSERT_EQ(p.statements.size(), 2u);
  EXPECT_EQ(p.statements[0].loc.line, 2u);
  EXPECT_EQ(p.statements[0].loc.column, 1u);
  EXPECT_EQ(p.statements[0].text, "CREATE TABLE a (id int)");
  EXPECT_EQ(p.statements[1].loc.line, 5u);
  EXPECT_EQ(p.statements[1].loc.column, 3u);
  EXPECT_EQ(p.statements[1].actions[0].loc.line, 6u);  // the ADD COLUMN's column definition
  ASSERT_EQ(p.comments.size(), 2u);
  EXPECT_EQ(p.comments[1].text, "comment");
}

TEST(SqlFacts, SyntaxErrorKeepsTheRestOfTheFile) {
  auto p = sm::sql::parse_sql(
      "CREATE TABLE a (id int);\nUPDATE a SET x = 1 y = 2;\nCREATE INDEX i ON a(id);\nDROP TABLE a", "m.sql");
  ASSERT_EQ(p.statements.size(), 4u);
  EXPECT_EQ(p.statements[0].node, "CreateStmt");
  EXPECT_EQ(p.statements[1].cls, StatementClass::Invalid);
  EXPECT_EQ(p.statements[1].syntax_error, "syntax error at or near \"y\"");
  EXPECT_EQ(p.statements[1].loc.line, 2u);
  EXPECT_EQ(p.statements[1].loc.column, 20u);
  EXPECT_EQ(p.statements[2].node, "IndexStmt");
  EXPECT_EQ(p.statements[3].node, "DropStmt");
}

TEST(SqlFacts, SyntaxErrorPositionCountsMultibyteCharacters) {
  auto p = sm::sql::parse_sql("SELECT 'héllo' AS x y;", "m.sql");
  ASSERT_EQ(p.statements.size(), 1u);
  EXPECT_EQ(p.statements[0].cls, StatementClass::Invalid);
  // "y" is the 21st character but the 22nd byte.
  EXPECT_EQ(p.statements[0].loc.column, 22u);
}

TEST(SqlFacts, UnterminatedStringIsOneInvalidStatement) {
  auto p = sm::sql::parse_sql("CREATE TABLE a (id int);\nINSERT INTO a VALUES ('oops);\n", "m.sql");
  ASSERT_FALSE(p.statements.empty());
  EXPECT_EQ(p.statements.back().cls, StatementClass::Invalid);
}

TEST(SqlFacts, SuppressionsAttachToTheNextStatement) {
  auto p = sm::sql::parse_sql(
      "CREATE INDEX a ON t(c); -- trailing note\n"
      "-- safemigrate-ignore: require-concurrent-index-creation, missing-lock-timeout tiny table\n"
      "CREATE INDEX b ON t(c);\n"
      "CREATE INDEX c ON t(c);\n"
      "-- safemigrate: irreversible\n",
      "m.sql");
  ASSERT_EQ(p.statements.size(), 3u);
  EXPECT_TRUE(p.statements[0].suppressions.empty());
  ASSERT_EQ(p.statements[1].suppressions.size(), 2u);
  EXPECT_EQ(p.statements[1].suppressions[0].rule, "require-concurrent-index-creation");
  EXPECT_EQ(p.statements[1].suppressions[1].rule, "missing-lock-timeout");
  EXPECT_EQ(p.statements[1].suppressions[0].reason, "tiny table");
  EXPECT_TRUE(p.statements[2].suppressions.empty());
  EXPECT_TRUE(p.marked_irreversible);
}

TEST(SqlFacts, FileWithoutFinalSemicolonAndOnlyComments) {
  EXPECT_EQ(sm::sql::parse_sql("ALTER TABLE a ADD COLUMN b int", "m").statements.size(), 1u);
  EXPECT_TRUE(sm::sql::parse_sql("-- This is an empty migration.", "m").statements.empty());
  EXPECT_TRUE(sm::sql::parse_sql("", "m").statements.empty());
}

TEST(SqlFacts, EnumAddValueAndItsUse) {
  auto p = sm::sql::parse_sql("ALTER TYPE \"Role\" ADD VALUE 'MOD'; UPDATE u SET role = 'MOD'", "m");
  EXPECT_EQ(p.statements[0].enum_value, "MOD");
  EXPECT_EQ(p.statements[0].enum_type, "Role");
  EXPECT_TRUE(p.statements[0].string_literals.empty());
  ASSERT_EQ(p.statements[1].string_literals.size(), 1u);
  EXPECT_EQ(p.statements[1].string_literals[0], "MOD");
}

// The schema tracker: objects made in the same migration, and column types across migrations.
std::vector<sm::model::Statement> track(sm::sql::SchemaTracker& t, const char* sql) {
  auto p = sm::sql::parse_sql(sql, "m");
  t.begin_migration();
  for (auto& st : p.statements) t.apply(st);
  return p.statements;
}

TEST(SchemaTracker, ObjectsCreatedInTheSameMigration) {
  sm::sql::SchemaTracker t;
  auto sts = track(t,
                   "CREATE TABLE \"A\" (id int); CREATE INDEX \"A_i\" ON \"A\"(id); DROP INDEX \"A_i\"; "
                   "CREATE INDEX x ON b(id)");
  EXPECT_TRUE(sts[1].actions[0].on_new_relation);
  EXPECT_TRUE(sts[2].actions[0].on_new_relation);
  EXPECT_FALSE(sts[3].actions[0].on_new_relation);
  auto next = track(t, "CREATE INDEX \"A_j\" ON \"A\"(id)");
  EXPECT_FALSE(next[0].actions[0].on_new_relation) << "a table made by an earlier migration already exists";
}

TEST(SchemaTracker, TypeChangesKnowTheOldType) {
  sm::sql::SchemaTracker t;
  track(t, "CREATE TABLE o (a varchar(10), b integer, c numeric(10,2), d text)");
  auto sts = track(t,
                   "ALTER TABLE o ALTER COLUMN a TYPE varchar(20);"
                   "ALTER TABLE o ALTER COLUMN b TYPE bigint;"
                   "ALTER TABLE o ALTER COLUMN c TYPE numeric(12,2);"
                   "ALTER TABLE o ALTER COLUMN d TYPE varchar(50);"
                   "ALTER TABLE o ALTER COLUMN a TYPE text;"
                   "ALTER TABLE o ALTER COLUMN zz TYPE text;");
  EXPECT_FALSE(sts[0].actions[0].rewrites);
  EXPECT_EQ(sts[0].actions[0].old_type, "varchar(10)");
  EXPECT_TRUE(sts[1].actions[0].rewrites);
  EXPECT_FALSE(sts[2].actions[0].rewrites);
  EXPECT_TRUE(sts[3].actions[0].rewrites);
  EXPECT_FALSE(sts[4].actions[0].rewrites) << "the tracker follows a's new type varchar(20)";
  EXPECT_TRUE(sts[5].actions[0].rewrite_depends_on_old_type);
}

// Prisma's enum change: Type_new, the columns converted, Type renamed away and Type_new renamed
// back. The column's type is then "Status" again, and the next change starts from it.
TEST(SchemaTracker, AlterTypeRenameIsFollowed) {
  sm::sql::SchemaTracker t;
  track(t, "CREATE TYPE \"Status\" AS ENUM ('a'); CREATE TABLE s (st \"Status\", l \"Status\"[])");
  auto change =
      track(t,
            "CREATE TYPE \"Status_new\" AS ENUM ('a', 'b');"
            "ALTER TABLE s ALTER COLUMN st TYPE \"Status_new\" USING (st::text::\"Status_new\");"
            "ALTER TABLE s ALTER COLUMN l TYPE \"Status_new\"[] USING (l::text[]::\"Status_new\"[]);"
            "ALTER TYPE \"Status\" RENAME TO \"Status_old\";"
            "ALTER TYPE \"Status_new\" RENAME TO \"Status\";"
            "DROP TYPE \"Status_old\"");
  EXPECT_EQ(change[1].actions[0].old_type, "Status");
  EXPECT_EQ(change[4].renamed_type_from, "Status_new");
  EXPECT_EQ(change[4].renamed_type_to, "Status");
  auto next =
      track(t, "ALTER TABLE s ALTER COLUMN st TYPE \"Status\"; ALTER TABLE s ALTER COLUMN l TYPE text[]");
  EXPECT_EQ(next[0].actions[0].old_type, "Status");
  EXPECT_FALSE(next[0].actions[0].rewrites) << "the same type: nothing to rewrite";
  EXPECT_EQ(next[1].actions[0].old_type, "Status[]") << "array types are renamed too";
}

// DROP INDEX learns its table and the indexed columns from the CREATE INDEX that made it.
TEST(SchemaTracker, DropIndexKnowsItsTableAndColumns) {
  sm::sql::SchemaTracker t;
  track(t,
        "CREATE TABLE u (a int, b int); CREATE INDEX u_ab ON u (a, b); CREATE INDEX u_expr ON u "
        "(lower(b::text))");
  auto sts = track(t, "DROP INDEX u_ab; DROP INDEX u_expr");
  ASSERT_EQ(sts[0].actions.size(), 2u);
  EXPECT_EQ(sts[0].actions[1].kind, ActionKind::IndexTable);
  EXPECT_EQ(sts[0].actions[1].relation.name, "u");
  EXPECT_EQ(sts[0].actions[1].column, "a,b");
  EXPECT_EQ(sts[0].actions[1].lock, LockMode::AccessExclusive);
  ASSERT_EQ(sts[1].actions.size(), 2u);
  EXPECT_EQ(sts[1].actions[1].column, "") << "an expression index names no column";
}

// UPDATE and DELETE without WHERE write every row; LOCK TABLE changes nothing.
TEST(SqlFacts, WholeTableWritesAndLockTable) {
  auto parsed = sm::sql::parse_sql(
      "UPDATE t SET c = 1; UPDATE t SET c = 1 WHERE id = 2; DELETE FROM t; DELETE FROM t WHERE id = 2; "
      "INSERT INTO t SELECT * FROM u; LOCK TABLE a, b IN SHARE MODE; "
      "WITH u AS (SELECT 1) INSERT INTO t SELECT * FROM u; INSERT INTO t WITH u AS (SELECT 1) SELECT * FROM "
      "u; "
      "WITH u AS (SELECT 1) INSERT INTO t SELECT * FROM public.u",
      "x.sql");
  ASSERT_EQ(parsed.statements.size(), 9u);
  const auto& s = parsed.statements;
  EXPECT_TRUE(s[0].actions[0].whole_table);
  EXPECT_EQ(s[0].actions[0].detail, "UPDATE");
  EXPECT_FALSE(s[1].actions[0].whole_table);
  EXPECT_TRUE(s[2].actions[0].whole_table);
  EXPECT_EQ(s[2].actions[0].detail, "DELETE");
  EXPECT_FALSE(s[3].actions[0].whole_table);
  // INSERT … SELECT: the target is written (not whole-table), every row of the source is read.
  EXPECT_FALSE(s[4].actions[0].whole_table);
  ASSERT_EQ(s[4].actions.size(), 2u);
  EXPECT_EQ(s[4].actions[1].kind, sm::model::ActionKind::ReadAllRows);
  EXPECT_EQ(s[4].actions[1].relation.name, "u");
  EXPECT_EQ(s[4].actions[1].object, "t");
  EXPECT_TRUE(s[4].actions[1].whole_table);
  EXPECT_EQ(s[5].cls, StatementClass::Query);
  ASSERT_EQ(s[5].actions.size(), 2u);
  EXPECT_EQ(s[5].actions[1].relation.name, "b");
  EXPECT_EQ(s[5].actions[1].lock, S);
  // A name from the WITH clause (of the INSERT or of its SELECT) is no table; a qualified one is.
  EXPECT_EQ(s[6].actions.size(), 1u);
  EXPECT_EQ(s[7].actions.size(), 1u);
  ASSERT_EQ(s[8].actions.size(), 2u);
  EXPECT_EQ(s[8].actions[1].relation.schema, "public");
}

TEST(SchemaTracker, ValidatedNotNullCheckLetsSetNotNullSkipTheScan) {
  sm::sql::SchemaTracker t;
  track(t, "ALTER TABLE u ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID");
  auto before = track(t, "ALTER TABLE u ALTER COLUMN email SET NOT NULL");
  EXPECT_TRUE(before[0].actions[0].scans) << "NOT VALID is not enough";
  track(t, "ALTER TABLE u VALIDATE CONSTRAINT nn");
  auto after = track(t, "ALTER TABLE u ALTER COLUMN email SET NOT NULL");
  EXPECT_FALSE(after[0].actions[0].scans);
}

TEST(TypeCoercion, BinaryCoercibleChanges) {
  using sm::sql::type_change_skips_rewrite;
  EXPECT_TRUE(type_change_skips_rewrite("varchar(10)", "varchar(20)"));
  EXPECT_TRUE(type_change_skips_rewrite("varchar(10)", "text"));
  EXPECT_TRUE(type_change_skips_rewrite("varchar(10)", "varchar"));
  EXPECT_TRUE(type_change_skips_rewrite("numeric(10,2)", "numeric(12,2)"));
  EXPECT_TRUE(type_change_skips_rewrite("timestamp(3)", "timestamp(6)"));
  EXPECT_FALSE(type_change_skips_rewrite("varchar(10)", "varchar(5)"));
  EXPECT_FALSE(type_change_skips_rewrite("int4", "int8"));
  EXPECT_FALSE(type_change_skips_rewrite("text", "varchar(50)"));
  EXPECT_FALSE(type_change_skips_rewrite("numeric(10,2)", "numeric(12,3)"));
  EXPECT_FALSE(type_change_skips_rewrite("timestamp", "timestamptz"));
  EXPECT_FALSE(type_change_skips_rewrite("text", "text[]"));
}

TEST(LockTable, EveryRowNamesARealSubcommand) {
  // Each subtype must parse back out of a real statement's tree: guard against typos.
  for (const auto& row : sm::sql::alter_table_lock_table()) {
    EXPECT_EQ(row.subtype.substr(0, 3), "AT_");
    EXPECT_EQ(&sm::sql::alter_table_lock(row.subtype), &row);
  }
  EXPECT_EQ(sm::sql::alter_table_lock("AT_SomethingNew").lock, LockMode::AccessExclusive);
}

}  // namespace

namespace {

// The facts prefer-bigint-for-keys and truncate-table read.
TEST(SqlFacts, PrimaryKeyAndIdentityColumnsOfCreateTable) {
  auto inline_key =
      sm::sql::parse_sql("CREATE TABLE t (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, n int)",
                         "x")
          .statements.at(0);
  ASSERT_EQ(inline_key.actions.size(), 1u);
  EXPECT_EQ(inline_key.actions[0].primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(inline_key.actions[0].identity_columns, std::vector<std::string>{"id"});
  auto table_key =
      sm::sql::parse_sql(
          "CREATE TABLE \"P\" (\"a\" SERIAL, \"b\" INT, CONSTRAINT \"P_pkey\" PRIMARY KEY (\"a\", \"b\"))",
          "x")
          .statements.at(0);
  EXPECT_EQ(table_key.actions.at(0).primary_key, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(table_key.actions.at(0).identity_columns.empty());
  EXPECT_EQ(table_key.actions.at(0).columns.at(0).second, "serial");
}

TEST(SqlFacts, TruncateCascade) {
  auto st = sm::sql::parse_sql("TRUNCATE a, b CASCADE", "x").statements.at(0);
  ASSERT_EQ(st.actions.size(), 2u);
  EXPECT_TRUE(st.actions[0].cascade);
  EXPECT_TRUE(st.actions[1].cascade);
  EXPECT_FALSE(sm::sql::parse_sql("TRUNCATE a", "x").statements.at(0).actions.at(0).cascade);
}

// Issue 19, unbounded-backfill: every WHERE built from up to three AND-ed conditions, drawn from
// NULL tests of a set column (the backfill's mark), other conditions on the set columns only
// (no bound), and conditions that bound the batch (another column, a subquery): the UPDATE is an
// unbounded backfill exactly when it has a NULL test and no bound. Set columns are written bare
// and qualified.
TEST(SqlFacts, UnboundedBatchIsANullTestOfASetColumnWithNoBound) {
  enum Kind { NullTest, SetColumnsOnly, Bound };
  const std::vector<std::pair<std::string, Kind>> conditions = {
      {"c IS NULL", NullTest},
      {"t.c IS NULL", NullTest},
      {"(c = '' OR d IS NULL)", NullTest},
      {"d IS NOT NULL", SetColumnsOnly},
      {"c <> 'old'", SetColumnsOnly},
      {"true", SetColumnsOnly},
      {"id < 1000", Bound},
      {"id BETWEEN 1 AND 1000", Bound},
      {"id IN (SELECT id FROM t WHERE c IS NULL LIMIT 100)", Bound},
      {"EXISTS (SELECT 1 FROM u WHERE u.c = t.c)", Bound},
      {"other IS NULL", Bound},
      {"created_at < now()", Bound},
  };
  size_t cases = 0, unbounded = 0;
  for (size_t n = 1; n <= 3; ++n) {
    std::vector<size_t> pick(n, 0);
    while (true) {
      std::string where;
      bool bound = false, null_test = false;
      for (size_t i : pick) {
        where += (where.empty() ? "" : " AND ") + conditions[i].first;
        bound = bound || conditions[i].second == Bound;
        null_test = null_test || conditions[i].second == NullTest;
      }
      std::string sql = "UPDATE t SET c = 'x', d = 1 WHERE " + where;
      auto parsed = sm::sql::parse_sql(sql, "x.sql");
      ASSERT_EQ(parsed.statements.size(), 1u) << sql;
      const auto& a = parsed.statements[0].actions.at(0);
      EXPECT_EQ(a.unbounded_batch, null_test && !bound) << sql;
      EXPECT_FALSE(a.whole_table) << sql;
      ++cases;
      unbounded += a.unbounded_batch;
      size_t k = 0;
      while (k < n && ++pick[k] == conditions.size()) pick[k++] = 0;
      if (k == n) break;
    }
  }
  EXPECT_GT(unbounded, 0u);
  EXPECT_EQ(cases, 12u + 144u + 1728u);
  // No WHERE is whole-table-write's; DELETE and INSERT set nothing.
  for (const char* sql :
       {"UPDATE t SET c = 1", "DELETE FROM t WHERE c IS NULL", "INSERT INTO t (c) VALUES (1)"})
    EXPECT_FALSE(sm::sql::parse_sql(sql, "x").statements.at(0).actions.at(0).unbounded_batch) << sql;
}

TEST(SqlFacts, DropSchemaAndPartitionBoundsAndViewReads) {
  auto p = sm::sql::parse_sql(
      "DROP SCHEMA a, \"B\" CASCADE; DROP SCHEMA IF EXISTS c;"
      "ALTER TABLE p ATTACH PARTITION q FOR VALUES FROM ('2024-01-01', 5) TO (MAXVALUE, 10);"
      "ALTER TABLE p ATTACH PARTITION r DEFAULT;"
      "CREATE VIEW v AS WITH w AS (SELECT x, * FROM s.t1) SELECT w.x, b.*, w.* FROM w JOIN t2 b ON true, "
      "(SELECT * FROM t3) q;"
      "CREATE MATERIALIZED VIEW mv AS SELECT sum(total) FROM o;",
      "x");
  const auto& s = p.statements;
  ASSERT_EQ(s.size(), 6u);
  ASSERT_EQ(s[0].actions.size(), 2u);
  EXPECT_EQ(s[0].actions[0].kind, ActionKind::DropSchema);
  EXPECT_EQ(s[0].actions[1].relation.name, "B");
  EXPECT_TRUE(s[0].actions[0].cascade);
  EXPECT_EQ(s[0].actions[0].lock, LockMode::None);
  EXPECT_FALSE(s[1].actions.at(0).cascade);
  EXPECT_TRUE(s[1].actions.at(0).if_exists);
  EXPECT_EQ(s[2].actions.at(0).constants, (std::vector<std::string>{"2024-01-01", "5", "10"}));
  EXPECT_FALSE(s[2].actions.at(0).default_partition);
  EXPECT_TRUE(s[3].actions.at(0).default_partition);
  const auto& v = s[4].actions.at(0);
  std::set<std::string> reads;
  for (const auto& r : v.reads) reads.insert(r.key());
  EXPECT_EQ(reads, (std::set<std::string>{"s.t1", "public.t2", "public.t3"})) << "w names the WITH query";
  // Each star covers the tables of its own SELECT: t1's and t3's inside, t2 by its alias b; w.*
  // is over the WITH query, whose columns are named inside it.
  EXPECT_EQ(v.read_columns, (std::vector<std::string>{"public.t2.*", "public.t3.*", "s.t1.*", "x"}));
  EXPECT_EQ(s[5].actions.at(0).reads.at(0).name, "o");
  EXPECT_EQ(s[5].actions.at(0).read_columns, (std::vector<std::string>{"total"}));
}

TEST(SchemaTracker, ViewsStopTypeChangesOfTheColumnsTheyRead) {
  sm::sql::SchemaTracker t;
  track(t,
        "CREATE TABLE a (id int, x int, y int); CREATE TABLE b (x int);"
        "CREATE VIEW v AS SELECT a.x FROM a JOIN b ON true; CREATE VIEW w AS SELECT * FROM b;"
        "CREATE VIEW u AS SELECT s.* FROM (SELECT id FROM a) s;");
  auto sts = track(t,
                   "ALTER TABLE a ALTER COLUMN x TYPE bigint; ALTER TABLE a ALTER COLUMN y TYPE bigint;"
                   "ALTER TABLE b ALTER COLUMN x TYPE bigint;");
  EXPECT_EQ(sts[0].actions[0].dependent_views, (std::vector<std::string>{"v"}));
  EXPECT_TRUE(sts[1].actions[0].dependent_views.empty()) << "u's star reads only its subquery's id";
  // Matched by name in every table v reads (b.x too), and w reads every column of b.
  EXPECT_EQ(sts[2].actions[0].dependent_views, (std::vector<std::string>{"v", "w"}));
  sts = track(t,
              "DROP VIEW v; ALTER TABLE a RENAME TO c; ALTER TABLE b RENAME COLUMN x TO z;"
              "ALTER TABLE c ALTER COLUMN x TYPE int; ALTER TABLE b ALTER COLUMN z TYPE int;"
              "ALTER VIEW w RENAME TO w2; DROP MATERIALIZED VIEW IF EXISTS w2; ALTER TABLE b ALTER COLUMN z "
              "TYPE text;");
  EXPECT_TRUE(sts[3].actions[0].dependent_views.empty()) << "v was dropped";
  EXPECT_EQ(sts[4].actions[0].dependent_views, (std::vector<std::string>{"w"}));
  EXPECT_TRUE(sts[7].actions[0].dependent_views.empty()) << "w, renamed w2, was dropped";
}

TEST(SchemaTracker, AValidatedNotNullCheckNamingTheBoundSparesTheAttachScan) {
  sm::sql::SchemaTracker t;
  track(t,
        "CREATE TABLE p1 (k date NOT NULL); CREATE TABLE p2 (k date); CREATE TABLE p3 (k date);"
        "CREATE TABLE p4 (k int); ALTER TABLE p4 ALTER COLUMN k SET NOT NULL;");
  track(
      t,
      "ALTER TABLE p1 ADD CONSTRAINT c1 CHECK (k >= '2024-01-01' AND k < '2025-01-01');"
      "ALTER TABLE p2 ADD CONSTRAINT c2 CHECK (k >= '2024-01-01' AND k < '2025-01-01');"
      "ALTER TABLE p3 ADD CONSTRAINT c3 CHECK (k IS NOT NULL AND k >= '2024-01-01' AND k < '2025-01-01') NOT "
      "VALID;"
      "ALTER TABLE p4 ADD CONSTRAINT c4 CHECK (k IN (1, 2));");
  const char* attach =
      "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
      "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
      "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
      "ALTER TABLE l ATTACH PARTITION p4 FOR VALUES IN (1, 2, 3);";
  auto sts = track(t, attach);
  EXPECT_FALSE(sts[0].actions[0].scans) << sts[0].actions[0].detail;
  EXPECT_TRUE(sts[1].actions[0].scans) << "k may be NULL and the CHECK does not say IS NOT NULL";
  EXPECT_TRUE(sts[2].actions[0].scans) << "c3 is not validated yet";
  EXPECT_TRUE(sts[3].actions[0].scans) << "3 is not named by the CHECK";
  track(t, "ALTER TABLE p3 VALIDATE CONSTRAINT c3; ALTER TABLE p1 DROP CONSTRAINT c1;");
  sts = track(t, attach);
  EXPECT_TRUE(sts[0].actions[0].scans) << "c1 was dropped";
  EXPECT_FALSE(sts[2].actions[0].scans) << "c3 is validated and tests IS NOT NULL";
}

}  // namespace

// The static lock model (src/sql/lock_table.cpp and facts.cpp) proven against PostgreSQL 15 itself:
// every statement kind it knows is rehearsed on its own, and any difference between the prediction
// (lock per relation, rewrite, whether a second session is blocked) and the observation fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/rehearse_command.h"
#include "history_helpers.h"

namespace sm::test {
namespace {

// Applied once; its types let the model tell binary-coercible type changes from rewrites.
const std::string kInit = R"sql(
CREATE TYPE "mood" AS ENUM ('sad', 'happy');
CREATE TABLE "t" ("id" INTEGER NOT NULL, "a" INTEGER NOT NULL, "b" VARCHAR(10), "c" TEXT, "d" INTEGER,
  "nopk" INTEGER, CONSTRAINT "t_pkey" PRIMARY KEY ("id"), CONSTRAINT "t_chk0" CHECK ("a" >= -1));
CREATE UNIQUE INDEX "t_id_uniq" ON "t"("id");
CREATE INDEX "t_d_idx" ON "t"("d");
CREATE TABLE "parent" ("id" INTEGER NOT NULL, CONSTRAINT "parent_pkey" PRIMARY KEY ("id"));
CREATE TABLE "child" ("id" INTEGER NOT NULL, "parent_id" INTEGER, "parent2_id" INTEGER,
  CONSTRAINT "child_pkey" PRIMARY KEY ("id"));
ALTER TABLE "child" ADD CONSTRAINT "child_p2_fk" FOREIGN KEY ("parent2_id") REFERENCES "parent"("id") NOT VALID;
CREATE TABLE "nokey" ("id" INTEGER NOT NULL);
CREATE TABLE "idt" ("id" INTEGER GENERATED ALWAYS AS IDENTITY, "v" INTEGER NOT NULL);
CREATE TABLE "events" ("id" INTEGER NOT NULL, "created" DATE NOT NULL) PARTITION BY RANGE ("created");
CREATE TABLE "events_2024" PARTITION OF "events" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE "events_2025" ("id" INTEGER NOT NULL, "created" DATE NOT NULL);
CREATE TABLE "inh_parent" ("x" INTEGER);
CREATE TABLE "inh_child" ("x" INTEGER);
CREATE TABLE "inh_child2" () INHERITS ("inh_parent");
CREATE ACCESS METHOD "heap2" TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE "scratch" ("id" INTEGER);
CREATE SCHEMA "other";
CREATE VIEW "v" AS SELECT "id" FROM "t";
CREATE MATERIALIZED VIEW "mv" AS SELECT "id" FROM "t";
CREATE FUNCTION "trg_fn"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "t_trg" BEFORE UPDATE ON "t" FOR EACH ROW EXECUTE FUNCTION "trg_fn"();
)sql";

const std::string kData = R"sql(
INSERT INTO "t" SELECT g, g % 100, 'b' || (g % 10), md5(g::text), g, g FROM generate_series(1, 20000) g;
INSERT INTO "parent" SELECT g FROM generate_series(1, 1000) g;
INSERT INTO "child" SELECT g, g % 1000 + 1, g % 1000 + 1 FROM generate_series(1, 20000) g;
INSERT INTO "nokey" SELECT g FROM generate_series(1, 20000) g;
INSERT INTO "idt" ("v") SELECT g FROM generate_series(1, 1000) g;
INSERT INTO "events" SELECT g, DATE '2024-01-01' + (g % 300) FROM generate_series(1, 20000) g;
INSERT INTO "events_2025" SELECT g, DATE '2025-01-01' + (g % 300) FROM generate_series(1, 20000) g;
INSERT INTO "scratch" SELECT g FROM generate_series(1, 1000) g;
REFRESH MATERIALIZED VIEW "mv";
ANALYZE;
)sql";

// One statement per kind the lock table and facts.cpp know (transactional ones).
const std::vector<std::pair<std::string, std::string>> kKinds = {
    {"add_column", "ALTER TABLE \"t\" ADD COLUMN \"x\" TEXT"},
    {"add_column_volatile_default", "ALTER TABLE \"t\" ADD COLUMN \"x\" UUID DEFAULT gen_random_uuid()"},
    {"add_column_serial", "ALTER TABLE \"t\" ADD COLUMN \"x\" SERIAL"},
    {"add_column_references", "ALTER TABLE \"t\" ADD COLUMN \"p\" INTEGER REFERENCES \"parent\"(\"id\")"},
    {"drop_column", "ALTER TABLE \"t\" DROP COLUMN \"c\""},
    {"alter_type_rewrite", "ALTER TABLE \"t\" ALTER COLUMN \"d\" TYPE BIGINT"},
    {"alter_type_coercible", "ALTER TABLE \"t\" ALTER COLUMN \"b\" TYPE VARCHAR(20)"},
    // A USING that only casts the column is no USING to PostgreSQL: varchar to text keeps the file.
    {"alter_type_using_cast", "ALTER TABLE \"t\" ALTER COLUMN \"b\" TYPE TEXT USING \"b\"::text"},
    {"alter_type_using_cast_rewrite", "ALTER TABLE \"t\" ALTER COLUMN \"d\" TYPE BIGINT USING \"d\"::bigint"},
    {"set_not_null", "ALTER TABLE \"t\" ALTER COLUMN \"c\" SET NOT NULL"},
    {"drop_not_null", "ALTER TABLE \"t\" ALTER COLUMN \"a\" DROP NOT NULL"},
    {"set_default", "ALTER TABLE \"t\" ALTER COLUMN \"a\" SET DEFAULT 0"},
    {"drop_default", "ALTER TABLE \"t\" ALTER COLUMN \"a\" DROP DEFAULT"},
    {"add_check", "ALTER TABLE \"t\" ADD CONSTRAINT \"t_a_check\" CHECK (\"a\" >= 0)"},
    {"add_check_not_valid", "ALTER TABLE \"t\" ADD CONSTRAINT \"t_a_check\" CHECK (\"a\" >= 0) NOT VALID"},
    {"add_foreign_key",
     "ALTER TABLE \"child\" ADD CONSTRAINT \"child_fk\" FOREIGN KEY (\"parent_id\") REFERENCES "
     "\"parent\"(\"id\")"},
    {"add_foreign_key_not_valid",
     "ALTER TABLE \"child\" ADD CONSTRAINT \"child_fk\" FOREIGN KEY (\"parent_id\") REFERENCES "
     "\"parent\"(\"id\") NOT VALID"},
    {"validate_constraint", "ALTER TABLE \"child\" VALIDATE CONSTRAINT \"child_p2_fk\""},
    {"alter_constraint", "ALTER TABLE \"child\" ALTER CONSTRAINT \"child_p2_fk\" DEFERRABLE"},
    {"add_unique", "ALTER TABLE \"t\" ADD CONSTRAINT \"t_a_id_key\" UNIQUE (\"a\", \"id\")"},
    {"add_primary_key", "ALTER TABLE \"nokey\" ADD CONSTRAINT \"nokey_pkey\" PRIMARY KEY (\"id\")"},
    {"add_unique_using_index",
     "ALTER TABLE \"t\" ADD CONSTRAINT \"t_id_key\" UNIQUE USING INDEX \"t_id_uniq\""},
    {"drop_constraint", "ALTER TABLE \"t\" DROP CONSTRAINT \"t_chk0\""},
    {"set_statistics", "ALTER TABLE \"t\" ALTER COLUMN \"a\" SET STATISTICS 200"},
    {"set_column_options", "ALTER TABLE \"t\" ALTER COLUMN \"a\" SET (n_distinct = 100)"},
    {"reset_column_options", "ALTER TABLE \"t\" ALTER COLUMN \"a\" RESET (n_distinct)"},
    {"set_fillfactor", "ALTER TABLE \"t\" SET (fillfactor = 70)"},
    {"reset_fillfactor", "ALTER TABLE \"t\" RESET (fillfactor)"},
    {"cluster_on", "ALTER TABLE \"t\" CLUSTER ON \"t_pkey\""},
    {"set_without_cluster", "ALTER TABLE \"t\" SET WITHOUT CLUSTER"},
    {"set_storage", "ALTER TABLE \"t\" ALTER COLUMN \"c\" SET STORAGE EXTERNAL"},
    {"set_compression", "ALTER TABLE \"t\" ALTER COLUMN \"c\" SET COMPRESSION pglz"},
    {"disable_trigger", "ALTER TABLE \"t\" DISABLE TRIGGER \"t_trg\""},
    {"enable_trigger", "ALTER TABLE \"t\" ENABLE TRIGGER \"t_trg\""},
    {"enable_always_trigger", "ALTER TABLE \"t\" ENABLE ALWAYS TRIGGER \"t_trg\""},
    {"enable_replica_trigger", "ALTER TABLE \"t\" ENABLE REPLICA TRIGGER \"t_trg\""},
    {"enable_trigger_all", "ALTER TABLE \"t\" ENABLE TRIGGER ALL"},
    {"disable_trigger_all", "ALTER TABLE \"t\" DISABLE TRIGGER ALL"},
    {"enable_trigger_user", "ALTER TABLE \"t\" ENABLE TRIGGER USER"},
    {"disable_trigger_user", "ALTER TABLE \"t\" DISABLE TRIGGER USER"},
    {"attach_partition",
     "ALTER TABLE \"events\" ATTACH PARTITION \"events_2025\" FOR VALUES FROM ('2025-01-01') TO "
     "('2026-01-01')"},
    {"detach_partition", "ALTER TABLE \"events\" DETACH PARTITION \"events_2024\""},
    {"set_unlogged", "ALTER TABLE \"scratch\" SET UNLOGGED"},
    {"set_access_method", "ALTER TABLE \"scratch\" SET ACCESS METHOD \"heap2\""},
    {"enable_rls", "ALTER TABLE \"t\" ENABLE ROW LEVEL SECURITY"},
    {"disable_rls", "ALTER TABLE \"t\" DISABLE ROW LEVEL SECURITY"},
    {"force_rls", "ALTER TABLE \"t\" FORCE ROW LEVEL SECURITY"},
    {"no_force_rls", "ALTER TABLE \"t\" NO FORCE ROW LEVEL SECURITY"},
    {"add_identity", "ALTER TABLE \"t\" ALTER COLUMN \"a\" ADD GENERATED BY DEFAULT AS IDENTITY"},
    {"set_identity", "ALTER TABLE \"idt\" ALTER COLUMN \"id\" SET GENERATED BY DEFAULT"},
    {"drop_identity", "ALTER TABLE \"idt\" ALTER COLUMN \"id\" DROP IDENTITY"},
    {"owner_to", "ALTER TABLE \"t\" OWNER TO postgres"},
    {"replica_identity", "ALTER TABLE \"t\" REPLICA IDENTITY FULL"},
    {"inherit", "ALTER TABLE \"inh_child\" INHERIT \"inh_parent\""},
    {"no_inherit", "ALTER TABLE \"inh_child2\" NO INHERIT \"inh_parent\""},
    {"create_index", "CREATE INDEX \"t_a_idx\" ON \"t\"(\"a\")"},
    {"drop_index", "DROP INDEX \"t_d_idx\""},
    {"reindex_index", "REINDEX INDEX \"t_d_idx\""},
    {"reindex_table", "REINDEX TABLE \"t\""},
    {"create_trigger",
     "CREATE TRIGGER \"t_trg2\" BEFORE INSERT ON \"t\" FOR EACH ROW EXECUTE FUNCTION \"trg_fn\"()"},
    {"drop_trigger", "DROP TRIGGER \"t_trg\" ON \"t\""},
    {"rename_column", "ALTER TABLE \"t\" RENAME COLUMN \"b\" TO \"bb\""},
    {"rename_table", "ALTER TABLE \"t\" RENAME TO \"t_new\""},
    {"rename_constraint", "ALTER TABLE \"t\" RENAME CONSTRAINT \"t_chk0\" TO \"t_chk1\""},
    {"rename_index", "ALTER INDEX \"t_d_idx\" RENAME TO \"t_d_idx2\""},
    {"set_schema", "ALTER TABLE \"scratch\" SET SCHEMA \"other\""},
    {"truncate", "TRUNCATE \"scratch\""},
    {"drop_table", "DROP TABLE \"scratch\""},
    {"cluster", "CLUSTER \"t\" USING \"t_pkey\""},
    {"create_or_replace_view", "CREATE OR REPLACE VIEW \"v\" AS SELECT \"id\", \"a\" FROM \"t\""},
    {"drop_view", "DROP VIEW \"v\""},
    {"refresh_materialized_view", "REFRESH MATERIALIZED VIEW \"mv\""},
    {"alter_enum_add_value", "ALTER TYPE \"mood\" ADD VALUE 'ok'"},
    {"create_table_references",
     "CREATE TABLE \"newt\" (\"id\" INTEGER, \"p\" INTEGER REFERENCES \"parent\"(\"id\"))"},
    {"create_partition_of",
     "CREATE TABLE \"events_2026\" PARTITION OF \"events\" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"},
    {"insert", "INSERT INTO \"t\" (\"id\", \"a\") VALUES (-1, 1)"},
    {"update", "UPDATE \"t\" SET \"a\" = \"a\" + 1 WHERE \"id\" < 100"},
    {"delete", "DELETE FROM \"t\" WHERE \"id\" < 100"},
    {"update_whole_table", "UPDATE \"scratch\" SET \"id\" = \"id\" + 1"},
    {"delete_whole_table", "DELETE FROM \"scratch\""},
    {"lock_table_access_exclusive", "LOCK TABLE \"t\" IN ACCESS EXCLUSIVE MODE"},
    {"lock_table_share", "LOCK TABLE \"t\" IN SHARE MODE"},
    {"lock_table_share_row_exclusive", "LOCK TABLE \"parent\", \"child\" IN SHARE ROW EXCLUSIVE MODE"},
    {"lock_table_row_exclusive", "LOCK TABLE \"t\" IN ROW EXCLUSIVE MODE"},
    {"lock_table_default_mode", "LOCK \"scratch\""},
};

std::string describe(const app::StatementRehearsal& s) {
  std::string out = "    observed:";
  for (const auto& l : s.locks) out += " " + l.relation + " " + l.mode + ";";
  out += "\n    predicted:";
  for (const auto& l : s.predicted) out += " " + l.relation + " " + l.mode + ";";
  for (const auto& d : s.defects) out += "\n    DEFECT: " + d;
  return out;
}

TEST(LockModel, EveryStatementKindMatchesPostgreSQL) {
  SM_START_PG(pg);
  {
    PrismaProject init;
    init.add("20240101000000_init", kInit);
    RunResult r = sm_cli("apply", pg.url(), init);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    pg.psql(kData);
  }
  std::string failures;
  size_t rehearsed = 0;
  for (const auto& [name, sql] : kKinds) {
    PrismaProject p;
    p.add("20240101000000_init", kInit);  // applied: same name and checksum
    p.add("20240102000000_" + name, sql + ";\n");
    app::RehearseOptions o;
    o.history.paths = {p.migrations().string()};
    o.history.database_url = pg.url();
    o.is_copy = true;
    app::RehearsalResult r = app::rehearse(o);
    if (r.migrations.size() != 1 || r.migrations[0].statements.size() != 1) {
      failures += name + ": expected one pending statement\n";
      continue;
    }
    const app::StatementRehearsal& s = r.migrations[0].statements[0];
    ++rehearsed;
    if (s.status != app::StepStatus::Ran)
      failures += name + ": did not run: " + s.note + "\n";
    else if (!s.defects.empty())
      failures += name + ": " + sql + "\n" + describe(s) + "\n";
  }
  EXPECT_EQ(rehearsed, kKinds.size());
  EXPECT_EQ(failures, "") << "prediction and observation differ:\n" << failures;
  // The rehearsals left nothing behind.
  EXPECT_EQ(pg.psql("SELECT count(*) FROM \"t\""), "20000");
  EXPECT_EQ(
      pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('newt', 't_a_idx', 't_new', 'events_2026')"),
      "0");
}

}  // namespace
}  // namespace sm::test

namespace sm::test {
namespace {

// Statements that cannot run in a transaction, run for real (--run-concurrently) on a table big
// enough for the sampler to see their locks while they run.
TEST(LockModel, NonTransactionalKindsMatchPostgreSQLWhileTheyRun) {
  SM_START_PG(pg);
  const std::string init = R"sql(
CREATE TABLE "big" ("id" INTEGER NOT NULL, "a" INTEGER NOT NULL, CONSTRAINT "big_pkey" PRIMARY KEY ("id"));
CREATE INDEX "big_a_idx" ON "big"("a");
CREATE TABLE "ev" ("id" INTEGER NOT NULL, "created" DATE NOT NULL) PARTITION BY RANGE ("created");
CREATE TABLE "ev_2024" PARTITION OF "ev" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
)sql";
  {
    PrismaProject p;
    p.add("20240101000000_init", init);
    RunResult r = sm_cli("apply", pg.url(), p);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    pg.psql(
        "INSERT INTO \"big\" SELECT g, g % 1000 FROM generate_series(1, 300000) g;"
        "INSERT INTO \"ev\" SELECT g, DATE '2024-01-01' + (g % 300) FROM generate_series(1, 1000) g; "
        "ANALYZE");
  }
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"create_index_concurrently", "CREATE INDEX CONCURRENTLY \"big_a2_idx\" ON \"big\"(\"a\", \"id\")"},
      {"reindex_index_concurrently", "REINDEX INDEX CONCURRENTLY \"big_a_idx\""},
      {"vacuum_full", "VACUUM FULL \"big\""},
      {"drop_index_concurrently", "DROP INDEX CONCURRENTLY \"big_a_idx\""},
      {"detach_partition_concurrently", "ALTER TABLE \"ev\" DETACH PARTITION \"ev_2024\" CONCURRENTLY"},
  };
  std::string failures;
  for (const auto& [name, sql] : kinds) {
    PrismaProject p;
    p.add("20240101000000_init", init);
    p.add("20240102000000_" + name, sql + ";\n");
    app::RehearseOptions o;
    o.history.paths = {p.migrations().string()};
    o.history.database_url = pg.url();
    o.is_copy = true;
    o.run_concurrently = true;
    app::RehearsalResult r = app::rehearse(o);
    ASSERT_EQ(r.migrations.size(), 1u) << name;
    const app::StatementRehearsal& s = r.migrations[0].statements.at(0);
    EXPECT_TRUE(r.changed_database) << name;
    if (s.status != app::StepStatus::RanOutsideTransaction)
      failures += name + ": did not run: " + s.note + "\n";
    else if (!s.defects.empty())
      failures += name + ": " + sql + "\n" + describe(s) + "\n";
    if (name == "vacuum_full") {
      EXPECT_THAT(s.rewritten, ::testing::ElementsAre("\"public\".\"big\"")) << s.note;
    }
  }
  EXPECT_EQ(failures, "") << failures;
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 'big_a_idx'"), "0");  // really dropped
}

}  // namespace
}  // namespace sm::test

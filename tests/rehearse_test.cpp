// `safemigrate rehearse` against a real PostgreSQL 15 (tests/pg_cluster.h): tables of a few hundred
// thousand rows from generate_series, what PostgreSQL really does beside src/sql's prediction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/rehearse_command.h"
#include "history_helpers.h"

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int kBigRows = 300000;

// "Booking": kBigRows rows, created by an applied migration so that the static model knows its
// columns' types (as it would in a real project).
const std::string kInit =
    "CREATE TABLE \"Booking\" (\"id\" INTEGER NOT NULL, \"amount\" INTEGER NOT NULL, \"note\" TEXT,\n"
    "  CONSTRAINT \"Booking_pkey\" PRIMARY KEY (\"id\"));\n";

void fill_booking(const PgCluster& pg, int rows = kBigRows) {
  pg.psql("INSERT INTO \"Booking\" SELECT g, g % 1000, md5(g::text) FROM generate_series(1, " +
          std::to_string(rows) + ") g; ANALYZE \"Booking\"");
}

// What must not change when rehearse rolls back: rows, and the catalog of user relations.
std::string fingerprint(const PgCluster& pg) {
  return pg.psql(
      "SELECT (SELECT count(*) FROM \"Booking\"), (SELECT sum(amount) FROM \"Booking\");"
      "SELECT c.relname, c.relkind, c.relfilenode, c.relpersistence, "
      "  (SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod) || ':' || attnotnull, ',' "
      "ORDER "
      "BY attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped), "
      "  (SELECT string_agg(conname || ':' || convalidated, ',' ORDER BY conname) FROM pg_constraint WHERE "
      "conrelid = c.oid) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1;"
      "SELECT count(*) FROM _prisma_migrations");
}

app::RehearseOptions options(const PgCluster& pg, const PrismaProject& p) {
  app::RehearseOptions o;
  o.history.paths = {p.migrations().string()};
  o.history.database_url = pg.url();
  o.is_copy = true;
  return o;
}

const app::StatementRehearsal& only_statement(const app::RehearsalResult& r) {
  if (r.migrations.size() != 1 || r.migrations[0].statements.size() != 1)
    throw std::runtime_error("expected one pending migration with one statement");
  return r.migrations[0].statements[0];
}

bool has_lock(const std::vector<app::RelationLock>& locks, const std::string& relation,
              const std::string& mode) {
  for (const auto& l : locks)
    if (l.relation == relation && l.mode == mode) return true;
  return false;
}

const app::ProbeObservation* probe_on(const app::StatementRehearsal& s, const std::string& relation) {
  for (const auto& p : s.probes)
    if (p.relation == relation) return &p;
  return nullptr;
}

// Applies kInit with safemigrate itself, then fills the table.
void setup_applied_booking(const PgCluster& pg, const PrismaProject& p, int rows = kBigRows) {
  p.add("20240101000000_init", kInit);
  RunResult r = sm_cli("apply", pg.url(), p);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  fill_booking(pg, rows);
}

TEST(Rehearse, RefusesWithoutTheCopyFlag) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p, 1000);
  p.add("20240102000000_wide", "ALTER TABLE \"Booking\" ALTER COLUMN \"amount\" TYPE BIGINT;\n");
  std::string before = fingerprint(pg);
  RunResult r = sm_cli("rehearse", pg.url(), p);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--i-know-this-is-a-copy"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr(PgCluster::kPassword)));
  EXPECT_EQ(fingerprint(pg), before);
  // It does not fall back to $DATABASE_URL either (that is usually production).
  RunResult no_url = run_cli("rehearse --i-know-this-is-a-copy " + p.arg());
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_THAT(no_url.err, HasSubstr("--database-url"));
}

TEST(Rehearse, RewriteUnderAccessExclusiveBlocksASecondSessionThenRollsBack) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p);
  p.add("20240102000000_wide", "ALTER TABLE \"Booking\" ALTER COLUMN \"amount\" TYPE BIGINT;\n");
  std::string before = fingerprint(pg);
  app::RehearsalResult r = app::rehearse(options(pg, p));
  // Only the pending migration is rehearsed: the applied one is in _prisma_migrations.
  ASSERT_EQ(r.migrations.size(), 1u);
  EXPECT_EQ(r.migrations[0].name, "20240102000000_wide");
  const app::StatementRehearsal& s = only_statement(r);
  EXPECT_EQ(s.status, app::StepStatus::Ran) << s.note;
  EXPECT_THAT(s.rewritten, ::testing::ElementsAre("\"public\".\"Booking\""));
  EXPECT_TRUE(has_lock(s.locks, "\"public\".\"Booking\"", "ACCESS EXCLUSIVE"));
  const app::ProbeObservation* probe = probe_on(s, "\"public\".\"Booking\"");
  ASSERT_NE(probe, nullptr);
  EXPECT_TRUE(probe->read_blocked);
  EXPECT_TRUE(probe->write_blocked);
  EXPECT_GT(s.ms, 0);
  EXPECT_THAT(s.defects, IsEmpty());
  EXPECT_FALSE(r.failed);
  EXPECT_FALSE(r.changed_database);
  EXPECT_EQ(fingerprint(pg), before);
}

TEST(Rehearse, DataChangesReportRowsAndAreRolledBack) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p);
  p.add("20240102000000_fix", "UPDATE \"Booking\" SET \"note\" = 'x' WHERE \"id\" <= 1234;\n");
  std::string before = fingerprint(pg);
  app::RehearsalResult r = app::rehearse(options(pg, p));
  const app::StatementRehearsal& s = only_statement(r);
  EXPECT_EQ(s.rows, 1234);
  EXPECT_TRUE(has_lock(s.locks, "\"public\".\"Booking\"", "ROW EXCLUSIVE"));
  const app::ProbeObservation* probe = probe_on(s, "\"public\".\"Booking\"");
  ASSERT_NE(probe, nullptr);
  EXPECT_FALSE(probe->read_blocked);
  EXPECT_FALSE(probe->write_blocked);  // DELETE … WHERE false touches no row the UPDATE holds
  EXPECT_THAT(s.defects, IsEmpty());
  EXPECT_EQ(fingerprint(pg), before);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM \"Booking\" WHERE note = 'x'"), "0");
}

TEST(Rehearse, ConcurrentlyIsSkippedUnlessAskedAndThenDoesNotBlock) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p);
  p.add("20240102000000_idx",
        "CREATE INDEX CONCURRENTLY \"Booking_amount_idx\" ON \"Booking\"(\"amount\");\n");
  std::string before = fingerprint(pg);
  app::RehearsalResult skipped = app::rehearse(options(pg, p));
  EXPECT_EQ(only_statement(skipped).status, app::StepStatus::Skipped);
  EXPECT_THAT(only_statement(skipped).note, HasSubstr("--run-concurrently"));
  EXPECT_EQ(fingerprint(pg), before);

  app::RehearseOptions o = options(pg, p);
  o.run_concurrently = true;
  app::RehearsalResult r = app::rehearse(o);
  const app::StatementRehearsal& s = only_statement(r);
  EXPECT_EQ(s.status, app::StepStatus::RanOutsideTransaction) << s.note;
  EXPECT_TRUE(r.changed_database);
  EXPECT_TRUE(has_lock(s.locks, "\"public\".\"Booking\"", "SHARE UPDATE EXCLUSIVE"));
  const app::ProbeObservation* probe = probe_on(s, "\"public\".\"Booking\"");
  ASSERT_NE(probe, nullptr) << "the index build finished before the second session tried: " << s.note;
  EXPECT_FALSE(probe->read_blocked);
  EXPECT_FALSE(probe->write_blocked);
  EXPECT_THAT(s.defects, IsEmpty());
  // It ran for real: the index is there, valid.
  EXPECT_EQ(pg.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = '\"Booking_amount_idx\"'::regclass"),
            "t");
}

// Issue 26: on a blank copy, a CONCURRENTLY statement on a table that an earlier pending migration
// creates failed with "relation does not exist" under --run-concurrently (the transaction that
// made the table is rolled back first), was reported as failing and said the copy changed.
TEST(Rehearse, RunConcurrentlyOnATableAnEarlierPendingMigrationCreatesIsSkippedNotFailed) {
  SM_START_PG(pg);
  PrismaProject p;
  p.add("20240101000000_init", "CREATE TABLE \"Item\" (\"id\" INTEGER NOT NULL, \"sku\" TEXT);\n");
  p.add("20240102000000_sku_idx", "CREATE INDEX CONCURRENTLY \"Item_sku_idx\" ON \"Item\"(\"sku\");\n");
  app::RehearseOptions o = options(pg, p);
  o.run_concurrently = true;
  app::RehearsalResult r = app::rehearse(o);
  ASSERT_EQ(r.migrations.size(), 2u);
  ASSERT_EQ(r.migrations[1].statements.size(), 1u);
  const app::StatementRehearsal& s = r.migrations[1].statements[0];
  EXPECT_EQ(s.status, app::StepStatus::Skipped) << s.note;
  EXPECT_THAT(s.note, HasSubstr("\"Item\" is made by an earlier statement of this rehearsal"));
  EXPECT_FALSE(r.failed);
  EXPECT_FALSE(r.changed_database);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname IN ('Item', 'Item_sku_idx')"), "0");
  // The CLI's JSON says the same, and exits 0.
  RunResult cli = sm_cli("rehearse", pg.url(), p, "--i-know-this-is-a-copy --run-concurrently --format json");
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("\"changed_database\": false"));
  EXPECT_THAT(cli.out, Not(HasSubstr("does not exist")));
}

TEST(Rehearse, AFailingStatementIsReportedAndNothingChanges) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p, 1000);
  p.add("20240102000000_bad",
        "ALTER TABLE \"Booking\" ADD COLUMN \"code\" TEXT;\n"
        "ALTER TABLE \"Booking\" ADD COLUMN \"must\" TEXT NOT NULL;\n"
        "CREATE INDEX \"Booking_code_idx\" ON \"Booking\"(\"code\");\n");
  std::string before = fingerprint(pg);
  RunResult r = sm_cli("rehearse", pg.url(), p, "--i-know-this-is-a-copy --format json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_TRUE(doc["failed"].get_bool().value());
  auto sts = doc["migrations"].at(0)["statements"].get_array().value();
  ASSERT_EQ(sts.size(), 3u);
  EXPECT_EQ(std::string_view(sts.at(0)["status"].get_string().value()), "ran");
  EXPECT_EQ(std::string_view(sts.at(1)["status"].get_string().value()), "failed");
  EXPECT_THAT(std::string(sts.at(1)["note"].get_string().value()), HasSubstr("23502"));
  EXPECT_EQ(std::string_view(sts.at(2)["status"].get_string().value()), "not-run");
  EXPECT_EQ(fingerprint(pg), before);
}

// A deadlock or serialization failure (which libpqxx 6.4 does not throw as sql_error) and an
// insufficient privilege (which it throws without its SQLSTATE) are failed steps with their code.
TEST(Rehearse, RefusalsOfEveryClassAreFailedStepsWithTheirSqlstate) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p, 10);
  int n = 0;
  for (const char* code : {"40P01", "40001", "42501"}) {
    std::string name = "2024010200000" + std::to_string(n++) + "_bad";
    p.add(name,
          std::string("DO $$ BEGIN RAISE EXCEPTION 'raised here' USING ERRCODE = '") + code + "'; END $$;\n");
    RunResult r = sm_cli("rehearse", pg.url(), p, "--i-know-this-is-a-copy --format json");
    EXPECT_EQ(r.exit_code, 1) << code << r.out << r.err;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << code << r.out << r.err;
    auto sts = doc["migrations"].at(0)["statements"].get_array().value();
    EXPECT_EQ(std::string_view(sts.at(0)["status"].get_string().value()), "failed") << code;
    EXPECT_THAT(std::string(sts.at(0)["note"].get_string().value()),
                HasSubstr(std::string("(") + code + ")"));
    std::filesystem::remove_all(p.migrations() / name);
  }
}

TEST(Rehearse, TextOutputPutsThePredictionBesideTheObservation) {
  SM_START_PG(pg);
  PrismaProject p;
  setup_applied_booking(pg, p, 5000);
  p.add("20240102000000_idx", "CREATE INDEX \"Booking_amount_idx\" ON \"Booking\"(\"amount\");\n");
  RunResult r = sm_cli("rehearse", pg.url(), p, "--i-know-this-is-a-copy");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("migration 20240102000000_idx"));
  // Observed: SHARE on the table (and ACCESS EXCLUSIVE on the new index); predicted: SHARE.
  EXPECT_THAT(r.out,
              HasSubstr("locks: \"public\".\"Booking\" SHARE, \"public\".\"Booking_amount_idx\" ACCESS "
                        "EXCLUSIVE | \"public\".\"Booking\" SHARE\n"));
  EXPECT_THAT(r.out,
              HasSubstr("second session on \"public\".\"Booking\": SELECT ok, write BLOCKED | ok, BLOCKED"));
  EXPECT_THAT(r.out, HasSubstr("0 defect(s) of the static model"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(PgCluster::kPassword)));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'Booking_amount_idx'"), "0");
}

}  // namespace
}  // namespace sm::test

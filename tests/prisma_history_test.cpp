// _prisma_migrations without a database: checksums as Prisma compares them, the text Prisma
// hashes, status from rows, ids. Database URLs are tested in database_url_test.cpp.
#include "adapters/prisma/prisma_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "app/history_support.h"
#include "util/sha256.h"

namespace sm {
namespace {

using ::testing::HasSubstr;

TEST(Checksum, ExactBytesMatch) {
  const std::string sql = "SELECT 1;\n";
  EXPECT_EQ(prisma::prisma_checksum(sql), "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
  EXPECT_TRUE(prisma::prisma_checksum_matches(sql, util::sha256_hex(sql)));
  EXPECT_FALSE(prisma::prisma_checksum_matches("SELECT 2;\n", util::sha256_hex(sql)));
}

TEST(Checksum, OtherLineEndingsAreNotAnEdit) {
  const std::string lf = "CREATE TABLE a (id int);\nSELECT 1;\n";
  const std::string crlf = "CREATE TABLE a (id int);\r\nSELECT 1;\r\n";
  // Applied from a Unix checkout, read from a Windows one, and the other way round.
  EXPECT_TRUE(prisma::prisma_checksum_matches(crlf, util::sha256_hex(lf)));
  EXPECT_TRUE(prisma::prisma_checksum_matches(lf, util::sha256_hex(crlf)));
  EXPECT_FALSE(prisma::prisma_checksum_matches("CREATE TABLE a (id bigint);\n", util::sha256_hex(lf)));
}

TEST(Checksum, OldUnpaddedHexIsAccepted) {
  // Each byte without its leading zero, as an old schema engine stored it (prisma-engines #1887).
  const std::string old = "b4e049784e46eabb8c31975b62152d551bac49c3c2e80932567b485dcd";
  ASSERT_NE(old.size(), 64u);
  EXPECT_TRUE(prisma::prisma_checksum_matches("SELECT 1;\n", old));
  EXPECT_FALSE(prisma::prisma_checksum_matches("SELECT 2;\n", old));
  // A 64-character value is compared in the padded form only.
  EXPECT_FALSE(prisma::prisma_checksum_matches("SELECT 1;\n", old + "000000"));
}

TEST(PrismaScript, InvalidUtf8BecomesReplacementCharactersBeforeHashing) {
  const std::string bytes = "SELECT '\xff';\n";
  const std::string script = prisma::prisma_script(bytes);
  EXPECT_EQ(script, "SELECT '\xEF\xBF\xBD';\n");
  EXPECT_NE(prisma::prisma_checksum(script), util::sha256_hex(bytes));
  EXPECT_EQ(prisma::prisma_checksum(script), util::sha256_hex("SELECT '\xEF\xBF\xBD';\n"));
}

TEST(PrismaScript, ReplacesMaximalSubpartsLikeRust) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(prisma::prisma_script("h\xC3\xA9llo"), "h\xC3\xA9llo");  // valid: unchanged
  EXPECT_EQ(prisma::prisma_script("\xE2\x82"
                                  "A"),
            r + "A");  // truncated 3-byte sequence: one
  EXPECT_EQ(prisma::prisma_script("\xF0\x80"
                                  "A"),
            r + r + "A");                                                    // F0 80 is never valid: two
  EXPECT_EQ(prisma::prisma_script("\xED\xA0\x80"), r + r + r);               // a surrogate: three
  EXPECT_EQ(prisma::prisma_script("\xC0\xAF"), r + r);                       // overlong: two
  EXPECT_EQ(prisma::prisma_script("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
  EXPECT_EQ(prisma::prisma_script("x\xE2\x82"), "x" + r);                    // truncated at the end
}

prisma::PrismaRow row(const std::string& name, const std::string& checksum, bool finished, bool rolled_back,
                      const char* logs = nullptr) {
  prisma::PrismaRow r;
  r.migration_name = name;
  r.checksum = checksum;
  r.finished_at = finished ? "2024-01-01 00:00:00+00" : "";
  r.rolled_back_at = rolled_back ? "2024-01-02 00:00:00+00" : "";
  r.started_at = "2024-01-01 00:00:00+00";
  if (logs) r.logs = logs;
  return r;
}

TEST(Status, FromRowsAsPrismaReadsThem) {
  auto local = [](const std::string& name, const std::string& script) {
    prisma::LocalMigration m;
    m.name = name;
    m.has_script = true;
    m.script = script;
    return m;
  };
  std::vector<prisma::LocalMigration> l = {local("1_applied", "A;"), local("2_edited", "B;"),
                                           local("3_failed", "C;"),  local("4_rolled", "D;"),
                                           local("5_pending", "E;"), local("6_reapplied", "F;")};
  prisma::LocalMigration no_script;
  no_script.name = "7_noscript";
  l.push_back(no_script);
  std::vector<prisma::PrismaRow> rows = {
      row("1_applied", util::sha256_hex("A;"), true, false),
      row("2_edited", util::sha256_hex("old"), true, false),
      row("3_failed", util::sha256_hex("C;"), false, false, "ERROR: boom"),
      row("4_rolled", util::sha256_hex("D;"), false, true, "ERROR: old"),
      // Failed, rolled back, then applied: applied.
      row("6_reapplied", util::sha256_hex("F;"), false, true, "ERROR: first try"),
      row("6_reapplied", util::sha256_hex("F;"), true, false), row("0_gone", "x", true, false),
      row("0_gone_rolled", "x", false, true),  // only rolled back: history, not drift
  };
  std::vector<db::MigrationStatus> s = prisma::compute_status(l, rows);
  ASSERT_EQ(s.size(), 8u);
  using S = db::MigrationState;
  EXPECT_EQ(s[0].state, S::Applied);
  EXPECT_EQ(s[1].state, S::Edited);
  EXPECT_EQ(s[2].state, S::Failed);
  EXPECT_EQ(s[2].logs, "ERROR: boom");
  EXPECT_EQ(s[3].state, S::RolledBack);
  EXPECT_EQ(s[4].state, S::Pending);
  EXPECT_EQ(s[5].state, S::Applied);
  EXPECT_EQ(s[6].state, S::NoScript);
  EXPECT_EQ(s[7].state, S::MissingLocally);
  EXPECT_EQ(s[7].name, "0_gone");
  EXPECT_FALSE(db::is_drift(s[0].state));
  EXPECT_TRUE(db::is_drift(s[4].state));
}

// A failed record blocks deploy whether or not its folder exists (Prisma: P3009), so a failed
// record of a deleted folder is failed, not merely missing locally; once rolled back it is history.
TEST(Status, FailedRecordOfADeletedFolderIsFailed) {
  prisma::LocalMigration m;
  m.name = "2_next";
  m.has_script = true;
  m.script = "B;";
  std::vector<prisma::PrismaRow> rows = {row("1_gone_failed", "x", false, false,
                                             "Migration name: 1_gone_failed\n\nDatabase error code: 42P01\n"),
                                         row("1_gone_rolled", "x", false, true),
                                         row("1_gone_retried", "x", false, true),
                                         row("1_gone_retried", "x", false, false)};
  std::vector<db::MigrationStatus> s = prisma::compute_status({m}, rows);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].state, db::MigrationState::Pending);
  EXPECT_EQ(s[1].name, "1_gone_failed");
  EXPECT_EQ(s[1].state, db::MigrationState::Failed);
  EXPECT_THAT(s[1].logs, HasSubstr("42P01"));
  EXPECT_THAT(s[1].detail, HasSubstr("resolve --rolled-back 1_gone_failed"));
  EXPECT_EQ(s[2].name, "1_gone_retried");
  EXPECT_EQ(s[2].state, db::MigrationState::Failed);
}

// Two appliers at once (Prisma's deploy beside another applier without its lock) finish one
// migration twice: drift, after the migrations' own entries. Failed-then-reapplied is not.
TEST(Status, TwoFinishedRowsOfOneMigrationAreRecordedTwice) {
  prisma::LocalMigration m;
  m.name = "1_users";
  m.has_script = true;
  m.script = "A;";
  prisma::LocalMigration n = m;
  n.name = "2_retried";
  std::vector<prisma::PrismaRow> rows = {row("1_users", util::sha256_hex("A;"), true, false),
                                         row("1_users", util::sha256_hex("A;"), true, false),
                                         row("2_retried", util::sha256_hex("A;"), false, true, "ERROR: x"),
                                         row("2_retried", util::sha256_hex("A;"), true, false)};
  std::vector<db::MigrationStatus> s = prisma::compute_status({m, n}, rows);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].state, db::MigrationState::Applied);
  EXPECT_EQ(s[1].state, db::MigrationState::Applied);
  EXPECT_EQ(s[2].name, "1_users");
  EXPECT_EQ(s[2].state, db::MigrationState::Duplicate);
  EXPECT_TRUE(db::is_drift(s[2].state));
  EXPECT_THAT(s[2].detail, HasSubstr("2 finished rows"));
}

// The error of a failed record as status and apply show it: the line under "Database error:"
// in Prisma's (and apply's) logs, with the SQLSTATE; never the "Migration name:" header.
TEST(RecordedError, IsTheErrorLineOfLogs) {
  const std::string prisma_native =
      "Migration name: 20240102000000_bad\n\nDatabase error code: 42P01\n\nDatabase error:\nERROR: relation "
      "\"missing_table\" does not exist\n\nPosition:\n  0\n  1 INSERT INTO \"missing_table\" VALUES (1);\n\n"
      "DbError { severity: \"ERROR\", code: SqlState(E42P01) }\n";
  EXPECT_EQ(app::recorded_error(prisma_native),
            "ERROR: relation \"missing_table\" does not exist (SQLSTATE 42P01)");
  // Prisma's JavaScript engine (driver adapters): no code, a generic first line.
  EXPECT_EQ(app::recorded_error("external connector error\nNo such table: missing_table\n   0: "
                                "sql_schema_connector::apply_migration::apply_script\n"),
            "No such table: missing_table");
  EXPECT_EQ(app::recorded_error("ERROR: boom"), "ERROR: boom");
  EXPECT_EQ(app::recorded_error("Migration name: x\n\nDatabase error code: 42501\n\nDatabase error:\nERROR:  "
                                "permission denied for schema public (SQLSTATE 42501)\n"),
            "ERROR:  permission denied for schema public (SQLSTATE 42501)");
  EXPECT_EQ(app::recorded_error(""), "");
  EXPECT_LE(app::recorded_error("Database error:\n" + std::string(5000, 'x')).size(), 300u);
}

TEST(Ids, RandomLowercaseUuidV4AndMillisecondTimestamps) {
  std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::string a = prisma::random_uuid_v4(), b = prisma::random_uuid_v4();
  EXPECT_TRUE(std::regex_match(a, uuid)) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(
      std::regex_match(prisma::now_ms_utc(), std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)")));
}

}  // namespace
}  // namespace sm

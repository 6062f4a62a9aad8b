// Prisma's history table, _prisma_migrations: its shape, its checksums and the rows
// `prisma migrate deploy` and `prisma migrate resolve` write, so that Prisma and safemigrate
// read each other's records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/history_store.h"

namespace sm::prisma {

// The key of Prisma's advisory lock (`SELECT pg_advisory_lock(72707369)` in migrate deploy).
inline constexpr int64_t kPrismaAdvisoryLockKey = 72707369;
inline constexpr const char* kPrismaMigrationsTable = "_prisma_migrations";

// The text Prisma runs and hashes: the file read as UTF-8, each ill-formed sequence replaced
// by U+FFFD (Rust's String::from_utf8_lossy). Valid UTF-8 comes back unchanged.
std::string prisma_script(std::string_view file_bytes);

// SHA-256 hex of the script, as stored in _prisma_migrations.checksum.
std::string prisma_checksum(std::string_view script);

// Whether `stored` is the checksum of `script` as Prisma judges it: the script as it is, with
// CRLF turned into LF, or with LF turned into CRLF; compared in the old unpadded hex form
// (each byte without its leading zero) when `stored` is not 64 characters long.
bool prisma_checksum_matches(std::string_view script, std::string_view stored);

// One row of _prisma_migrations; timestamps as text (ISO 8601), empty when NULL.
struct PrismaRow {
  std::string id;
  std::string checksum;
  std::string finished_at;
  std::string migration_name;
  std::optional<std::string> logs;
  std::string rolled_back_at;
  std::string started_at;
  int applied_steps_count = 0;
  bool finished() const { return !finished_at.empty(); }
  bool rolled_back() const { return !rolled_back_at.empty(); }
  bool failed() const { return !finished() && !rolled_back(); }
};

// A local migration folder as status needs it.
struct LocalMigration {
  std::string name;
  bool has_script = false;
  std::string script;                    // prisma_script() of migration.sql
  std::vector<std::string> index_names;  // indexes its SQL creates (from src/sql's facts)
};

// Random lowercase UUID v4, as Prisma generates for _prisma_migrations.id.
std::string random_uuid_v4();
// The client clock in milliseconds, ISO 8601 UTC: "2026-11-30T02:27:38.123Z".
std::string now_ms_utc();

class PrismaHistory : public db::HistoryStore {
 public:
  explicit PrismaHistory(db::Database& db) : db_(db) {}

  std::string table() const override;
  int64_t lock_key() const override { return kPrismaAdvisoryLockKey; }
  bool table_exists() override;
  void check_table() override;
  void create_table() override;

  // Every row, oldest first (call only when the table exists).
  std::vector<PrismaRow> rows();

  // Status of each local migration (in order) and of each recorded one missing locally, plus
  // the invalid indexes in the database named with the local migration that creates them.
  db::HistoryReport report(const std::vector<LocalMigration>& local);

  // The writes of `prisma migrate deploy` and `resolve`; `tx` decides whether they are in a
  // transaction of their own (nontransaction: autocommit, as Prisma does).
  std::string insert_started(pqxx::transaction_base& tx, const std::string& name,
                             const std::string& checksum);
  void add_applied_step(pqxx::transaction_base& tx, const std::string& id);
  void mark_finished(pqxx::transaction_base& tx, const std::string& id);
  void record_logs(pqxx::transaction_base& tx, const std::string& id, const std::string& logs);
  // resolve --rolled-back: rolled_back_at on the failed rows of `name`; returns how many.
  int mark_rolled_back(pqxx::transaction_base& tx, const std::string& name);
  // resolve --applied: a finished row with applied_steps_count 0 and logs ''.
  void insert_applied(pqxx::transaction_base& tx, const std::string& name, const std::string& checksum);

 private:
  db::Database& db_;
};

// Status of local migrations against rows (no database needed; report() uses it).
std::vector<db::MigrationStatus> compute_status(const std::vector<LocalMigration>& local,
                                                const std::vector<PrismaRow>& rows);

}  // namespace sm::prisma

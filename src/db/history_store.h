// What a framework's history table (Prisma's _prisma_migrations, Django's django_migrations)
// says about each migration, in terms every framework shares. Each framework implements
// HistoryStore; the status/verify/apply/resolve commands only talk to this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sm::db {

enum class MigrationState : uint8_t {
  Applied,         // recorded as finished, checksum matches the local file
  Pending,         // not recorded
  RolledBack,      // only rolled-back records: the next apply runs it again
  Failed,          // started, never finished, not rolled back: blocks apply until resolved
  Edited,          // applied, but the local file's checksum differs from the recorded one
  MissingLocally,  // recorded in the database, no local migration folder
  NoScript,        // local folder without its SQL file: apply stops there
  Inconsistent,    // Django: applied, but a dependency is not (Django refuses to migrate)
  // Applied, and recorded more than once (finished rows not rolled back): two appliers ran it at
  // once (Django's migrate takes no lock). An extra entry after the migrations'.
  Duplicate,
};
const char* state_name(MigrationState s);  // "applied", "pending", ...
// Everything but Applied is drift for `verify`.
inline bool is_drift(MigrationState s) {
  return s != MigrationState::Applied;
}

struct MigrationStatus {
  std::string name;
  MigrationState state = MigrationState::Pending;
  std::string started_at;   // of the latest record, as PostgreSQL prints it
  std::string finished_at;  // empty when not finished
  std::string logs;         // failed: the error recorded
  std::string detail;       // one sentence for the user
};

// An index PostgreSQL marks invalid (a failed CREATE INDEX CONCURRENTLY leaves one behind).
struct InvalidIndex {
  std::string schema, table, index;
  std::string migration;  // the local migration that creates an index of that name, or ""
};

struct HistoryReport {
  bool table_exists = false;
  std::vector<MigrationStatus> migrations;  // local ones in apply order, then missing-locally ones
  std::vector<InvalidIndex> invalid_indexes;
};

}  // namespace sm::db

namespace pqxx {
class transaction_base;
}

namespace sm::db {

// A framework's history table in one database. Prisma: adapters/prisma/prisma_history.h; a
// Django store (django_migrations) implements the same interface.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  // Schema-qualified, quoted table name for messages and SQL.
  virtual std::string table() const = 0;
  // The advisory lock every writer of this table takes (Prisma: 72707369).
  virtual int64_t lock_key() const = 0;
  virtual bool table_exists() = 0;
  // Throws DbError when the table's columns are not the ones the framework makes.
  virtual void check_table() = 0;
  // Creates the table exactly as the framework does (and its schema when missing).
  virtual void create_table() = 0;
};

// The rows of `hist`'s table (History: PrismaHistory, DjangoHistory) after checking its columns
// (DbError when they are not the framework's); none when the table does not exist, which
// `exists` reports.
template <class History>
auto read_checked_rows(History& hist, bool& exists) -> decltype(hist.rows()) {
  exists = hist.table_exists();
  if (!exists) return {};
  hist.check_table();
  return hist.rows();
}

}  // namespace sm::db

namespace sm::db {

class Database;

// The invalid indexes of the database (a failed CREATE INDEX CONCURRENTLY leaves one), each
// named with the last migration of `created` (migration, index names it creates) that creates
// an index of that name.
std::vector<InvalidIndex> find_invalid_indexes(
    Database& db, const std::vector<std::pair<std::string, std::vector<std::string>>>& created);

// Whether the history table `name` exists in the URL's schema, and its columns with
// information_schema's data_type, in order: what each store checks before reading or writing.
bool history_table_exists(Database& db, const std::string& name);
std::vector<std::pair<std::string, std::string>> table_columns(Database& db, const std::string& name);

}  // namespace sm::db

#include "adapters/prisma/prisma_history.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <stdexcept>

#include "util/sha256.h"

namespace sm::prisma {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, from.size()) == from) {
      out += to;
      i += from.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

// Prisma's format_checksum_old: each byte as hex without zero padding (prisma-engines #1887).
std::string unpadded_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] != '0') out += hex[i];
    out += hex[i + 1];
  }
  return out;
}

// The columns Prisma creates, with information_schema's data_type for each.
const std::map<std::string, std::string>& expected_columns() {
  static const std::map<std::string, std::string> cols = {
      {"id", "character varying"},
      {"checksum", "character varying"},
      {"finished_at", "timestamp with time zone"},
      {"migration_name", "character varying"},
      {"logs", "text"},
      {"rolled_back_at", "timestamp with time zone"},
      {"started_at", "timestamp with time zone"},
      {"applied_steps_count", "integer"},
  };
  return cols;
}

std::string text_or_empty(const pqxx::field& f) {
  return f.is_null() ? std::string() : f.as<std::string>();
}

}  // namespace

std::string prisma_script(std::string_view b) {
  std::string out;
  out.reserve(b.size());
  const auto* s = reinterpret_cast<const unsigned char*>(b.data());
  const size_t n = b.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Expected length and the allowed range of the second byte (Unicode table 3-7).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    // Maximal subpart: one U+FFFD for the longest valid prefix of a sequence that breaks off.
    size_t k = 1;
    for (; k < len && i + k < n; ++k) {
      unsigned char d = s[i + k];
      unsigned char dlo = k == 1 ? lo : 0x80, dhi = k == 1 ? hi : 0xBF;
      if (d < dlo || d > dhi) break;
    }
    if (k == len) {
      out.append(b.substr(i, len));
    } else {
      out += kReplacement;
    }
    i += k;
  }
  return out;
}

std::string prisma_checksum(std::string_view script) {
  return util::sha256_hex(script);
}

bool prisma_checksum_matches(std::string_view script, std::string_view stored) {
  auto matches = [&](std::string_view text) {
    std::string hex = prisma_checksum(text);
    if (!stored.empty() && stored.size() != 64) return unpadded_hex(hex) == stored;
    return hex == stored;
  };
  if (matches(script)) return true;
  if (matches(replace_all(script, "\r\n", "\n"))) return true;
  return matches(replace_all(script, "\n", "\r\n"));
}

std::string random_uuid_v4() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("cannot get random bytes for a UUID (OpenSSL)");
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

std::string now_ms_utc() {
  auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms = now.time_since_epoch().count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms));
}

std::string PrismaHistory::table() const {
  return db_.quote_name(db_.schema()) + "." + db_.quote_name(kPrismaMigrationsTable);
}

bool PrismaHistory::table_exists() {
  return db::history_table_exists(db_, kPrismaMigrationsTable);
}

void PrismaHistory::check_table() {
  std::vector<std::pair<std::string, std::string>> columns = db::table_columns(db_, kPrismaMigrationsTable);
  const auto& want = expected_columns();
  std::vector<std::string> unexpected, wrong_type;
  std::set<std::string> seen;
  for (const auto& [name, type] : columns) {
    seen.insert(name);
    auto it = want.find(name);
    if (it == want.end())
      unexpected.push_back(name);
    else if (it->second != type)
      wrong_type.push_back(fmt::format("{} is {} (Prisma makes {})", name, type, it->second));
  }
  std::vector<std::string> missing;
  for (const auto& [name, type] : want)
    if (!seen.count(name)) missing.push_back(name);
  if (unexpected.empty() && missing.empty() && wrong_type.empty()) return;
  std::string msg = fmt::format("{} does not have the columns Prisma creates:", table());
  if (!unexpected.empty()) msg += fmt::format(" unexpected column(s) {};", fmt::join(unexpected, ", "));
  if (!missing.empty()) msg += fmt::format(" missing column(s) {};", fmt::join(missing, ", "));
  if (!wrong_type.empty()) msg += fmt::format(" {};", fmt::join(wrong_type, "; "));
  msg +=
      " safemigrate reads and writes it only in Prisma's shape, so nothing was written (is another tool "
      "using "
      "this table name, or the URL's schema wrong?)";
  throw db::DbError(msg);
}

void PrismaHistory::create_table() {
  db_.exec("CREATE SCHEMA IF NOT EXISTS " + db_.quote_name(db_.schema()));
  // Column for column what the schema engine of Prisma 6 creates.
  db_.exec("CREATE TABLE " + table() +
           " (\n"
           "    \"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL,\n"
           "    \"checksum\"              VARCHAR(64) NOT NULL,\n"
           "    \"finished_at\"           TIMESTAMPTZ,\n"
           "    \"migration_name\"        VARCHAR(255) NOT NULL,\n"
           "    \"logs\"                  TEXT,\n"
           "    \"rolled_back_at\"        TIMESTAMPTZ,\n"
           "    \"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
           "    \"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0\n"
           ")");
}

std::vector<PrismaRow> PrismaHistory::rows() {
  pqxx::result r = db_.exec(
      "SELECT id, checksum, finished_at::text, migration_name, logs, rolled_back_at::text, started_at::text, "
      "applied_steps_count FROM " +
      table() + " ORDER BY started_at, id");
  std::vector<PrismaRow> out;
  for (const auto& row : r) {
    PrismaRow p;
    p.id = row[0].as<std::string>();
    p.checksum = row[1].as<std::string>();
    p.finished_at = text_or_empty(row[2]);
    p.migration_name = row[3].as<std::string>();
    if (!row[4].is_null()) p.logs = row[4].as<std::string>();
    p.rolled_back_at = text_or_empty(row[5]);
    p.started_at = text_or_empty(row[6]);
    p.applied_steps_count = row[7].as<int>();
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<db::MigrationStatus> compute_status(const std::vector<LocalMigration>& local,
                                                const std::vector<PrismaRow>& rows) {
  using db::MigrationState;
  std::map<std::string, std::vector<const PrismaRow*>> by_name;
  for (const auto& r : rows) by_name[r.migration_name].push_back(&r);
  std::vector<db::MigrationStatus> out;
  std::set<std::string> local_names;
  for (const LocalMigration& m : local) {
    local_names.insert(m.name);
    db::MigrationStatus s;
    s.name = m.name;
    const auto it = by_name.find(m.name);
    const PrismaRow* applied = nullptr;
    const PrismaRow* failed = nullptr;
    const PrismaRow* latest = nullptr;
    if (it != by_name.end())
      for (const PrismaRow* r : it->second) {
        latest = r;
        if (r->finished() && !r->rolled_back()) applied = r;
        if (r->failed()) failed = r;
      }
    if (latest) s.started_at = latest->started_at;
    // Prisma's order of precedence: a failed record blocks deploy whatever else is recorded.
    if (failed) {
      s.state = MigrationState::Failed;
      s.started_at = failed->started_at;
      s.logs = failed->logs.value_or("");
      s.detail = failed->logs ? "started, did not finish; resolve it (safemigrate resolve --applied or "
                                "--rolled-back) before anything else is applied"
                              : "started, did not finish, no error recorded (the process was killed or lost "
                                "its connection); check the database, then resolve it";
    } else if (applied) {
      s.finished_at = applied->finished_at;
      s.started_at = applied->started_at;
      if (m.has_script && !prisma_checksum_matches(m.script, applied->checksum)) {
        s.state = MigrationState::Edited;
        s.detail =
            fmt::format("migration.sql was changed after it was applied (recorded checksum {}, file {})",
                        applied->checksum, prisma_checksum(m.script));
      } else {
        s.state = MigrationState::Applied;
      }
    } else if (latest) {
      s.state = MigrationState::RolledBack;
      s.detail = "marked rolled back; the next apply runs it again";
    } else if (!m.has_script) {
      s.state = MigrationState::NoScript;
      s.detail = "the folder has no migration.sql: apply stops here (Prisma P3015)";
    } else {
      s.state = MigrationState::Pending;
    }
    out.push_back(std::move(s));
  }
  for (const auto& [name, recs] : by_name) {
    if (local_names.count(name)) continue;
    // Only rolled-back records of a deleted folder are history, not drift.
    auto live = std::find_if(recs.begin(), recs.end(), [](const PrismaRow* r) { return !r->rolled_back(); });
    if (live == recs.end()) continue;
    db::MigrationStatus s;
    s.name = name;
    // A failed record blocks `prisma migrate deploy` (P3009) whether or not its folder is still
    // there, so it is a failure first and a missing folder second.
    auto failed = std::find_if(recs.begin(), recs.end(), [](const PrismaRow* r) { return r->failed(); });
    if (failed != recs.end()) {
      s.state = MigrationState::Failed;
      s.started_at = (*failed)->started_at;
      s.logs = (*failed)->logs.value_or("");
      s.detail =
          "started, did not finish, and its folder is gone; after checking the database, mark it rolled "
          "back (safemigrate resolve --rolled-back " +
          name + ") before anything else is applied";
      out.push_back(std::move(s));
      continue;
    }
    s.state = MigrationState::MissingLocally;
    s.started_at = (*live)->started_at;
    s.finished_at = (*live)->finished_at;
    s.detail = "recorded in the database, but there is no such migration folder";
    out.push_back(std::move(s));
  }
  // Two appliers at once finish the same migration twice.
  for (const auto& [name, recs] : by_name) {
    size_t live = std::count_if(recs.begin(), recs.end(),
                                [](const PrismaRow* r) { return r->finished() && !r->rolled_back(); });
    if (live < 2) continue;
    db::MigrationStatus s;
    s.name = name;
    s.state = MigrationState::Duplicate;
    s.detail = fmt::format(
        "{} finished rows that are not rolled back in _prisma_migrations: it ran {} times (two appliers at "
        "once?); check the database, then delete the extra rows",
        live, live);
    out.push_back(std::move(s));
  }
  return out;
}

db::HistoryReport PrismaHistory::report(const std::vector<LocalMigration>& local) {
  db::HistoryReport rep;
  std::vector<PrismaRow> recorded = db::read_checked_rows(*this, rep.table_exists);
  rep.migrations = compute_status(local, recorded);
  std::vector<std::pair<std::string, std::vector<std::string>>> created;
  for (const LocalMigration& m : local) created.emplace_back(m.name, m.index_names);
  rep.invalid_indexes = db::find_invalid_indexes(db_, created);
  return rep;
}

std::string PrismaHistory::insert_started(pqxx::transaction_base& tx, const std::string& name,
                                          const std::string& checksum) {
  std::string id = random_uuid_v4();
  tx.exec_params("INSERT INTO " + table() +
                     " (id, checksum, started_at, migration_name) VALUES ($1, $2, $3::timestamptz, $4)",
                 id, checksum, now_ms_utc(), name);
  return id;
}

void PrismaHistory::add_applied_step(pqxx::transaction_base& tx, const std::string& id) {
  tx.exec_params("UPDATE " + table() + " SET applied_steps_count = applied_steps_count + 1 WHERE id = $1",
                 id);
}

void PrismaHistory::mark_finished(pqxx::transaction_base& tx, const std::string& id) {
  tx.exec_params("UPDATE " + table() + " SET finished_at = $2::timestamptz WHERE id = $1", id, now_ms_utc());
}

void PrismaHistory::record_logs(pqxx::transaction_base& tx, const std::string& id, const std::string& logs) {
  tx.exec_params("UPDATE " + table() + " SET logs = $2 WHERE id = $1", id, logs);
}

int PrismaHistory::mark_rolled_back(pqxx::transaction_base& tx, const std::string& name) {
  pqxx::result r = tx.exec_params("UPDATE " + table() +
                                      " SET rolled_back_at = $2::timestamptz WHERE migration_name = $1 AND "
                                      "finished_at IS NULL AND rolled_back_at IS NULL",
                                  name, now_ms_utc());
  return static_cast<int>(r.affected_rows());
}

void PrismaHistory::insert_applied(pqxx::transaction_base& tx, const std::string& name,
                                   const std::string& checksum) {
  std::string now = now_ms_utc();
  tx.exec_params("INSERT INTO " + table() +
                     " (id, checksum, started_at, finished_at, migration_name, logs, applied_steps_count) "
                     "VALUES ($1, $2, $3::timestamptz, $3::timestamptz, $4, '', 0)",
                 random_uuid_v4(), checksum, now, name);
}

}  // namespace sm::prisma

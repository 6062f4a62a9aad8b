#include "db/lock_observer.h"

#include <fmt/format.h>

namespace sm::db {

std::vector<HeldLock> held_locks(pqxx::transaction_base& tx, int pid) {
  // LEFT JOIN: a relation dropped in this transaction still holds its lock but has no row.
  pqxx::result r = tx.exec(fmt::format(
      "SELECT l.relation::oid::int8, coalesce(n.nspname, ''), coalesce(c.relname, ''), "
      "coalesce(c.relkind::text, ''), l.mode FROM pg_locks l "
      "LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE l.pid = {} AND l.locktype = 'relation' AND l.granted AND l.database = "
      "(SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema') "
      "AND coalesce(n.nspname, '') NOT LIKE 'pg_toast%' AND l.relation >= 16384 "
      "ORDER BY 1, 5",
      pid));
  std::vector<HeldLock> out;
  for (const auto& row : r) {
    HeldLock h;
    h.oid = static_cast<uint32_t>(row[0].as<int64_t>());
    h.schema = row[1].as<std::string>();
    h.name = row[2].as<std::string>();
    std::string k = row[3].as<std::string>();
    h.relkind = k.empty() ? 0 : k[0];
    h.mode = row[4].as<std::string>();
    out.push_back(std::move(h));
  }
  return out;
}

static RelationState relation_row(const pqxx::result& r) {
  RelationState s;
  if (r.empty() || r[0][0].is_null()) return s;
  s.oid = static_cast<uint32_t>(r[0][0].as<int64_t>());
  s.relfilenode = static_cast<uint32_t>(r[0][1].as<int64_t>());
  s.schema = r[0][2].as<std::string>();
  s.name = r[0][3].as<std::string>();
  std::string k = r[0][4].as<std::string>();
  s.relkind = k.empty() ? 0 : k[0];
  return s;
}

static const char* kRelationColumns =
    "SELECT c.oid::int8, c.relfilenode::int8, n.nspname, c.relname, c.relkind::text FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace ";

RelationState relation_by_name(pqxx::transaction_base& tx, const std::string& sql_name) {
  return relation_row(
      tx.exec(std::string(kRelationColumns) + "WHERE c.oid = to_regclass(" + tx.quote(sql_name) + ")"));
}

RelationState relation_by_oid(pqxx::transaction_base& tx, uint32_t oid) {
  return relation_row(tx.exec(std::string(kRelationColumns) + "WHERE c.oid = " + std::to_string(oid)));
}

std::optional<ProbeResult> probe_relation(pqxx::connection& conn, uint32_t oid,
                                          std::chrono::milliseconds timeout) {
  std::string name;
  char relkind = 0;
  {
    // Naming a relation by its oid takes no lock, so this never waits.
    pqxx::nontransaction tx(conn);
    pqxx::result r = tx.exec("SELECT c.oid::regclass::text, c.relkind::text FROM pg_class c WHERE c.oid = " +
                             std::to_string(oid));
    if (r.empty()) return std::nullopt;
    name = r[0][0].as<std::string>();
    std::string k = r[0][1].as<std::string>();
    relkind = k.empty() ? 0 : k[0];
  }
  ProbeResult out;
  auto attempt = [&](const std::string& sql, bool& blocked) {
    try {
      pqxx::work tx(conn);
      tx.exec(fmt::format("SET LOCAL lock_timeout = {}", timeout.count()));
      tx.exec(sql);
      tx.abort();
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "55P03")
        blocked = true;
      else if (out.error.empty())
        out.error = e.what();
    }
  };
  attempt("SELECT 1 FROM " + name + " LIMIT 0", out.read_blocked);
  if (relkind == 'r' || relkind == 'p') {
    out.write_tried = true;
    attempt("DELETE FROM " + name + " WHERE false", out.write_blocked);
  }
  return out;
}

}  // namespace sm::db

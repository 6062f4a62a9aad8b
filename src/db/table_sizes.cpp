#include "db/table_sizes.h"

#include <fmt/format.h>

#include <cmath>

namespace sm::db {

std::vector<TableSize> read_table_sizes(Database& db, const std::vector<RelationRef>& relations) {
  std::vector<TableSize> out(relations.size());
  if (relations.empty()) return out;
  // One row per place a name is looked for: its schema, or each schema of its search_path in order
  // (the first that holds it wins), or none (NULL: the session's search_path). to_regclass returns
  // NULL, no error, for a relation or schema that does not exist.
  std::string rows;
  for (size_t i = 0; i < relations.size(); ++i) {
    const RelationRef& r = relations[i];
    std::vector<std::string> schemas;
    if (!r.schema.empty())
      schemas.push_back(r.schema);
    else
      schemas = r.search_path;
    if (schemas.empty()) schemas.emplace_back();
    for (size_t o = 0; o < schemas.size(); ++o)
      rows += fmt::format("{}({}, {}, {}, {})", rows.empty() ? "" : ", ", i + 1, o + 1,
                          schemas[o].empty() ? std::string("NULL") : db.quote(schemas[o]), db.quote(r.name));
  }
  pqxx::result res = db.exec(
      "WITH q(i, o, s, n) AS (VALUES " + rows +
      "), r AS (SELECT DISTINCT ON (q.i) q.i, to_regclass(CASE WHEN q.s IS NULL THEN quote_ident(q.n) "
      "WHEN q.s = '$user' THEN quote_ident(current_user) || '.' || quote_ident(q.n) "
      "ELSE quote_ident(q.s) || '.' || quote_ident(q.n) END) AS oid FROM q "
      "WHERE to_regclass(CASE WHEN q.s IS NULL THEN quote_ident(q.n) "
      "WHEN q.s = '$user' THEN quote_ident(current_user) || '.' || quote_ident(q.n) "
      "ELSE quote_ident(q.s) || '.' || quote_ident(q.n) END) IS NOT NULL ORDER BY q.i, q.o) "
      "SELECT r.i, n.nspname, c.relname, c.relkind, c.reltuples::float8, pg_total_relation_size(c.oid), "
      "pg_relation_size(c.oid), coalesce(s.n_live_tup, -1), c.relpages::float8, "
      "current_setting('block_size')::float8 "
      "FROM r JOIN pg_class c ON c.oid = r.oid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid");
  for (const auto& row : res) {
    auto i = row[0].as<size_t>() - 1;
    if (i >= out.size()) continue;
    TableSize& t = out[i];
    t.found = true;
    t.schema = row[1].as<std::string>();
    t.name = row[2].as<std::string>();
    std::string kind = row[3].as<std::string>();
    t.relkind = kind.empty() ? 0 : kind[0];
    double reltuples = row[4].as<double>();
    double live = row[7].as<double>();
    double relpages = row[8].as<double>();
    double pages = static_cast<double>(row[6].as<int64_t>()) / row[9].as<double>();
    // As PostgreSQL's planner estimates it (estimate_rel_size): the rows per page that the last
    // VACUUM or ANALYZE saw, times the pages the table has now, so growth since then counts.
    // n_live_tup only before the first of them (reltuples is -1 then, on PG 14+; 0 with relpages
    // 0 before): it is not a count to trust after that. A session reports its row counts at most
    // once a second, so rows it inserted and then analyzed within that second reach n_live_tup
    // after ANALYZE has set it: 300,000 rows show as 600,000 (measured on PG 15). No live row
    // seen on pages that exist (an ANALYZE before the rows were committed, or all dead):
    // n_live_tup, which counts the commits since.
    if (reltuples > 0 && relpages > 0)
      t.rows = reltuples / relpages * pages;
    else if (reltuples > 0)  // a partitioned table: no pages of its own, ANALYZE sums its partitions
      t.rows = reltuples;
    else
      t.rows = live >= 0 ? live : 0;
    t.total_bytes = row[5].as<int64_t>();
    t.heap_bytes = row[6].as<int64_t>();
    // Never analyzed and no statistics, yet pages on disk: the row count is unknown.
    if (reltuples < 0 && live <= 0 && t.heap_bytes > 0) t.rows = -1;
  }
  return out;
}

std::vector<std::string> starting_search_path(Database& db) {
  std::vector<std::string> out;
  // The starting value is reset_val; current_schemas resolves it only as the session's own, so
  // it is set for a transaction that is rolled back.
  db.exec("BEGIN");
  try {
    db.exec("SELECT set_config('search_path', reset_val, true) FROM pg_settings WHERE name = 'search_path'");
    for (const auto& row : db.exec("SELECT unnest(current_schemas(false))"))
      out.push_back(row[0].as<std::string>());
    db.exec("ROLLBACK");
  } catch (...) {
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  return out;
}

std::string human_bytes(int64_t bytes) {
  static const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} bytes", bytes);
  return v < 10 ? fmt::format("{:.1f} {}", v, units[u]) : fmt::format("{:.0f} {}", v, units[u]);
}

std::string human_rows(double rows) {
  if (rows < 0) return "rows unknown";
  double r = std::round(rows);
  if (r < 1000) return fmt::format("{:.0f} row{}", r, r == 1 ? "" : "s");
  if (r < 1e6) return fmt::format("{:.1f}k rows", r / 1e3);
  if (r < 1e9) return fmt::format("{:.1f}M rows", r / 1e6);
  return fmt::format("{:.1f}B rows", r / 1e9);
}

std::string describe_size(const TableSize& size) {
  if (!size.found) return "not in the database";
  return human_rows(size.rows) + ", " + human_bytes(size.total_bytes);
}

}  // namespace sm::db

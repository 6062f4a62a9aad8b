// How big the relations a migration touches are, from the catalog: row estimates
// (pg_class.reltuples, pg_stat_user_tables.n_live_tup) and sizes (pg_total_relation_size), read in
// one query for all of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/database.h"

namespace sm::db {

// A relation as the SQL names it; an empty schema is resolved through `search_path` (the first
// of its schemas holding the name; "$user" is the role's own), or when that is empty through the
// session's search_path.
struct RelationRef {
  std::string schema;
  std::string name;
  std::vector<std::string> search_path;
  bool operator==(const RelationRef&) const = default;
};

struct TableSize {
  bool found = false;        // the relation exists in the database
  std::string schema, name;  // as the catalog names it
  char relkind = 0;          // pg_class.relkind: 'r' table, 'p' partitioned, 'i' index, …
  double rows = -1;          // estimated live rows; -1: unknown (never analyzed, no statistics)
  int64_t total_bytes = 0;   // pg_total_relation_size: heap, TOAST and indexes
  int64_t heap_bytes = 0;    // pg_relation_size: the main fork only
  // Known to hold no rows: nothing in the heap, or analyzed as empty.
  bool empty() const { return found && (heap_bytes == 0 || rows == 0); }
};

// The schemas a new session of this connection's role and database looks unqualified names up
// in: the search_path it starts with (role, database and connection settings, not the SET this
// connection made), as current_schemas(false) shows it ("$user" resolved, missing schemas left
// out). Django's sessions start with it; safemigrate's own connection sets the URL's schema.
std::vector<std::string> starting_search_path(Database& db);

// Sizes of `relations`, in the same order, in one catalog query.
std::vector<TableSize> read_table_sizes(Database& db, const std::vector<RelationRef>& relations);

// "12.4M rows, 3.1 GB", "850 rows, 96 kB", "rows unknown, 1.2 GB".
std::string describe_size(const TableSize& size);
std::string human_bytes(int64_t bytes);  // "3.1 GB", "96 kB"
std::string human_rows(double rows);     // "12.4M rows", "850 rows"

}  // namespace sm::db

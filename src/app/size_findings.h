// Size-aware findings: the one place where a finding about a table learns how big the table is
// (src/db/table_sizes.h), states it in its message, gets a rough duration for rewrites and index
// builds, and is escalated from warning to error on a large table. Rules never see sizes.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "db/table_sizes.h"
#include "model/finding.h"

namespace sm::app {

struct SizeThresholds {
  double large_table_rows = 1'000'000;    // --large-table-rows
  int64_t large_table_bytes = 1ll << 30;  // --large-table-bytes (1 GiB)
};

// Throughput measured by bench/table_speed.sh (bench/RESULTS.md), in MiB per second, used for
// the rough duration estimates. Deliberately the slow end of what was measured on a shared
// 2-core machine: a production server is usually faster, a busy one slower.
struct SpeedBasis {
  double rewrite_mib_s = 19;  // ALTER COLUMN TYPE int->bigint: heap + indexes rebuilt, of total size
  double index_mib_s = 47;    // CREATE INDEX on one int column, of heap size
  double scan_mib_s = 159;    // validating a CHECK, of heap size
};

// The duration estimate for what `a` does to a table of `size`, e.g. "about 3 min to rewrite";
// empty when the action neither rewrites nor scans, or the size is not known.
std::string estimate_duration(const model::Action& a, const db::TableSize& size,
                              const SpeedBasis& basis = {});

// Whether `size` is above either threshold.
bool is_large(const db::TableSize& size, const SizeThresholds& t);

// Annotates every finding about an existing table: states its size in the message (right after
// the table's name) and in table_size, adds the duration estimate, and makes warnings errors on
// large tables. Tables created in the same migration and empty tables are never escalated.
// `sizes` holds one entry per relation of `relations` (same order); when `sizes` is empty (no
// database), sizes are shown as unknown and severities stay as they are.
// Findings of migrations in `applied` (ids the database records as applied) are left as they
// are: those migrations already ran, and a size is about what is still to run.
// `session_path`: the schemas an unqualified name is looked up in when the migration set none
// (empty: the connection's own), e.g. where Django's sessions start (db::starting_search_path).
void apply_table_sizes(std::span<model::Finding> findings, const std::vector<db::RelationRef>& relations,
                       const std::vector<db::TableSize>& sizes, const SizeThresholds& thresholds,
                       const std::set<std::string>& applied = {},
                       const std::vector<std::string>& session_path = {});

// The relations findings are about (each once), for read_table_sizes.
// Appends to `out`, so that the findings of several sets read from one database share one query.
void finding_relations(std::span<const model::Finding> findings, std::vector<db::RelationRef>& out,
                       const std::set<std::string>& applied = {},
                       const std::vector<std::string>& session_path = {});

}  // namespace sm::app

// `safemigrate drift`: replays the migrations the target's history table records as applied on a
// scratch database, reads both catalogs (src/db/catalog.h) and reports every difference
// (src/model/schema_catalog.h) with the SQL that brings production back to the migrations.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "app/history_command.h"

namespace sm::app {

struct DriftOptions {
  HistoryOptions history;  // paths (a Prisma migrations folder), database_url (the target)
  // An empty database to replay on; empty: a temporary database on the target's server, created
  // and always dropped (a guard process drops it if safemigrate is killed).
  std::string shadow_database_url;
  std::string format = "text";  // text | json | sarif | github
  // RE2 patterns over "schema.name" (for a column, index, constraint or trigger: its table's):
  // objects left out of the comparison on both sides.
  std::vector<std::string> exclude;
};

inline constexpr int kDriftNone = 0;
inline constexpr int kDriftFound = 1;
inline constexpr int kDriftError = 2;

int run_drift(const DriftOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sm::app

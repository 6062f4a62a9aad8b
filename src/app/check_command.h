// `safemigrate check`: find migration folders, read them, parse their SQL in parallel, follow
// the schema through each folder in order, run the rules. The CLI only prints the result.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/baseline_entry.h"
#include "app/size_findings.h"
#include "config/config.h"
#include "model/migration.h"

namespace sm::db {
class Database;
}

namespace sm::app {

struct CheckOptions {
  std::vector<std::string> paths;
  std::string prisma_version;     // empty: read from package.json / lock files, or unknown
  uint32_t postgres_version = 0;  // target major version; 0: the config's postgres_version, or unknown
  uint64_t max_file_size = 10ull << 20;
  unsigned jobs = 0;  // 0: one per core
  // safemigrate.toml, when one was given or found: rule severities and ignored paths apply to
  // the findings; its sources are the paths when none are given.
  const config::Config* config = nullptr;
  // --since REF: only migrations added since REF are checked (the others are still read, for
  // the schema they create), and changes to migrations that existed at REF are findings.
  std::string since;
  // Size-aware findings (src/app/size_findings.h): with table_sizes, findings about tables state
  // their size, read from database_url in one catalog query (unknown when database_url is empty).
  // A set's database: database_url when given, else source_database_urls[i] for paths[i] (the
  // config source's database_url_env; may be shorter than paths, or hold empty strings).
  bool table_sizes = false;
  std::string database_url;
  std::vector<std::string> source_database_urls;
  SizeThresholds thresholds;
  // The database the migrations will run on (apply's), asked whether a CREATE TABLE IF NOT EXISTS
  // finds its table there already; without it, the table sizes' database is asked. May be null.
  db::Database* database = nullptr;
  // The findings are for apply's gate: findings of apps named by the config's exclude_apps stay
  // blocking unless exclude_apps_apply = "pass" (check reports them apart or drops them).
  bool gate = false;
  // --baseline FILE (src/app/baseline_command.h): findings it holds are left out. Empty: the
  // config's `baseline`, unless use_baseline is off (`safemigrate baseline` itself).
  std::string baseline;
  bool use_baseline = true;
  // Keep each Prisma migration.sql's bytes in CheckRun::sql, for a caller that needs them too
  // (status and apply's local project), so that each file is read once.
  bool keep_sql = false;
};

// Findings of Django migrations in apps named by the config's exclude_apps: suppressed with the
// reason (reported apart), dropped (exclude_apps_findings = "off"), or, for the gate, kept with
// a note unless exclude_apps_apply = "pass". Input errors are never touched.
inline constexpr const char* kExcludedAppReason = "exclude_apps: ";
void apply_exclude_apps(const config::Config& config, const std::vector<model::MigrationSet>& sets,
                        std::vector<model::Finding>& findings, bool gate);

// Applies a config's [rules] severities (off drops the finding) and ignore patterns.
void apply_config(const config::Config& config, std::vector<model::Finding>& findings);

struct CheckRun {
  std::vector<model::MigrationSet> sets;
  std::vector<size_t> set_path;          // sets[i] was read from options.paths[set_path[i]]
  std::vector<model::Finding> findings;  // in set, migration and line order
  size_t statements = 0;
  bool input_error = false;  // a path or file could not be read: exit 2
  // With a baseline: the findings it accepted (left out of `findings`), its entries, and the
  // indexes of those that matched no finding (stale).
  size_t baselined = 0;
  std::vector<BaselineEntry> baseline;
  std::vector<size_t> stale_baseline;
  // With CheckOptions::keep_sql: sql[s][i] holds the bytes of sets[s].migrations[i]'s migration.sql
  // as read (empty when unread, and for a Django plan's migrations).
  std::vector<std::vector<std::string>> sql;
};

// `progress` (may be null) receives a line per migration folder read.
CheckRun run_check(const CheckOptions& options, std::ostream* progress);

}  // namespace sm::app

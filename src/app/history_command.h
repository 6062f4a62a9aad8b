// `safemigrate status | verify | apply | resolve`: local migrations against the framework's
// history table, through the framework interface (app/framework.h; implementations in adapters/).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/check_command.h"
#include "model/errors.h"

namespace sm::db {
class Database;
}

namespace sm::app {

struct HistoryOptions {
  std::vector<std::string> paths;
  std::string database_url;    // empty: error (the CLI fills it from DATABASE_URL)
  std::string prisma_version;  // empty: read from package.json / lock files
  uint64_t max_file_size = 10ull << 20;
  // How apply sends each migration: one of the framework's names (Framework::apply_modes; Prisma's
  // are auto, prisma-6, prisma-7 and safe). "auto": as the project's own tool does.
  std::string mode = "auto";
  bool dry_run = false;
  // Django: the Python that runs the project's `migrate` (default: the one recorded in the plan).
  std::string python;
  std::chrono::milliseconds lock_timeout{5000};  // per attempt; 0: none
  int lock_retries = 3;                          // further attempts after a lock timeout
  std::chrono::milliseconds statement_timeout{0};
  std::chrono::milliseconds advisory_lock_wait{10000};  // Prisma gives up after 10 s too
  int connect_timeout_s = 10;
  // safemigrate.toml: its [rules] severities and ignore patterns apply to apply's checklist gate.
  const config::Config* config = nullptr;
  // The PostgreSQL major version the gate judges for: apply sets it to its server's (0: unknown).
  uint32_t postgres_version = 0;
  // The database apply runs on (set by for_server): the gate's checklist asks it whether a CREATE
  // TABLE IF NOT EXISTS finds its table there already.
  db::Database* database = nullptr;
};

// Exit codes: model/errors.h (kExitFindings: verify's drift; apply: a migration failed or was
// refused).

// status (verify = false): prints every migration's state, exit 0. verify: the same, exit 1 on
// any drift (pending, failed, rolled back, edited, missing locally, no migration.sql, invalid index).
int run_status(const HistoryOptions& options, bool verify, std::ostream& out, std::ostream& err);

// Applies pending migrations in order, recording each as the framework's own tool does.
int run_apply(const HistoryOptions& options, std::ostream& out, std::ostream& err);

// resolve --applied NAME (applied_name) or --rolled-back NAME (rolled_back_name).
int run_resolve(const HistoryOptions& options, const std::string& applied_name,
                const std::string& rolled_back_name, std::ostream& out, std::ostream& err);

// The local migrations and which of them the database has not applied, decided exactly as
// `apply` decides (for `rehearse`). Throws std::runtime_error with a message for the user on bad
// input, a failed migration that is not resolved, or an unexpected history table.
struct PendingMigrations {
  CheckRun run;                 // the folder or plan as `check` reads it: run.sets[0]
  std::vector<size_t> pending;  // indexes into run.sets[0].migrations, in apply order
  std::string history_table;
};
PendingMigrations load_pending(const HistoryOptions& options, db::Database& db);

}  // namespace sm::app

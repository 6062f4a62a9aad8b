// `safemigrate rehearse`: runs the pending migrations against a copy of production inside a
// transaction, statement by statement, records what PostgreSQL really did (locks held, tables
// rewritten, rows, time, whether a second session was blocked), rolls back, and sets the static
// prediction from src/sql beside each observation: any difference is a defect of the model.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/history_command.h"

namespace sm::app {

struct RehearseOptions {
  HistoryOptions history;         // paths, database_url, prisma_version, max_file_size, lock_timeout
  bool is_copy = false;           // --i-know-this-is-a-copy: without it, rehearse refuses
  bool run_concurrently = false;  // --run-concurrently: run CONCURRENTLY/VACUUM for real (changes the copy)
  std::chrono::milliseconds probe_timeout{200};  // the second session's lock_timeout
  bool json = false;
};

// A lock: relation (as the user reads it) and PostgreSQL's mode name ("ACCESS EXCLUSIVE").
struct RelationLock {
  std::string relation;
  std::string mode;
};

struct ProbeObservation {
  std::string relation;
  bool read_blocked = false, write_blocked = false, write_tried = false;
  bool predicted_read_blocked = false, predicted_write_blocked = false;
  std::string error;
};

enum class StepStatus { Ran, RanOutsideTransaction, Skipped, Failed, NotRun };
const char* step_status_name(StepStatus s);  // "ran", "ran-outside-transaction", ...

struct StatementRehearsal {
  uint32_t line = 0;
  std::string sql;  // the statement as written
  StepStatus status = StepStatus::NotRun;
  std::string note;  // why skipped, the error, or what running outside the transaction means
  double ms = 0;
  int64_t rows = -1;                    // rows affected (DML), -1 otherwise
  std::vector<RelationLock> locks;      // locks this statement took (new since the previous one)
  std::vector<RelationLock> predicted;  // src/sql's prediction: relation and lock mode
  std::vector<std::string> rewritten;   // relations with a new relfilenode
  std::vector<std::string> predicted_rewrites;
  std::vector<ProbeObservation> probes;
  std::vector<std::string> defects;  // differences between prediction and observation
};

struct MigrationRehearsal {
  std::string name;
  std::vector<StatementRehearsal> statements;
};

struct RehearsalResult {
  std::string database;  // URL with the password masked
  std::vector<MigrationRehearsal> migrations;
  bool changed_database = false;  // a statement ran outside the transaction (--run-concurrently)
  bool failed = false;            // a statement failed: the migration would fail
  size_t defects = 0;
};

// Rehearses and returns what was observed; throws std::runtime_error (e.g. db::DbError) on a
// database or input problem. Refuses (throws) without options.is_copy.
RehearsalResult rehearse(const RehearseOptions& options);

void write_rehearsal_text(std::ostream& out, const RehearsalResult& r);
void write_rehearsal_json(std::ostream& out, const RehearsalResult& r);

// Exit codes: 0 every statement ran (defects of the static model are reported, not fatal), 1 a
// statement failed, 2 usage error (no copy flag, bad input, unreachable database).
int run_rehearse(const RehearseOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sm::app

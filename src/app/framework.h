// What a migration framework must answer for the commands (status, verify, apply, resolve,
// rehearse; check, list and --since through Framework's check block): which paths are its input, reading them
// into the model, its history table, refusals, and how a pending migration runs. The commands are written
// once against this interface; each framework implements it in its own folder under adapters/ and registers
// in adapters/frameworks.cpp. Nothing in src/app names a framework.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/check_command.h"
#include "app/history_command.h"
#include "db/history_store.h"

namespace sm::db {
class AdvisoryLock;
class Database;
}  // namespace sm::db

namespace sm::app {

// Why a framework will not apply anything given its history (Prisma: a failed migration, P3009;
// Django: inconsistent history).
struct Refusal {
  std::string reason;   // one sentence, for rehearse's error ("… apply would stop (P3009)")
  std::string message;  // apply's message on stderr, whole lines
};

// What `apply` has done when it hands over to the framework: connected, locked (unless a dry
// run), read the history, refused or not, gated. `todo` indexes the set's migrations to run, in
// order (pending_migrations()).
struct ApplyContext {
  const HistoryOptions& options;
  db::Database& database;
  db::HistoryStore& history;
  std::optional<db::AdvisoryLock>& lock;  // held, or empty in a dry run; the framework may hand it on
  bool table_exists = false;
  std::vector<db::MigrationStatus>& status;
  const std::vector<size_t>& todo;
  std::ostream& out;
  std::ostream& err;
};

// What drift's replay did (Project::replay): the local migrations the target's history records as
// applied, run on a scratch database exactly as `apply` runs them, and the others sorted out.
struct ReplayOutcome {
  std::string history_table;
  std::vector<std::string> replayed;  // applied in the target, run on scratch
  std::vector<std::string> edited;    // among replayed: the local file differs from what was applied
  std::vector<std::string> pending, failed, missing_locally, no_script;
  std::string mode;   // how the files were run ("prisma-6 (Prisma 6.19.3 from package.json)")
  std::string error;  // a replayed migration failed on scratch: the failure, as apply reports it

  // Django (drift for plans): operations of replayed migrations that were not run, "ID operation N
  // (Kind): why" (RunPython; SQL the exporter could not produce or that names a constraint Django
  // looks up in the database). What they change shows as drift; the report says so.
  std::vector<std::string> not_replayed;
  // Django: tables of models with Meta.managed = False (the plan's unmanaged_tables): no migration
  // makes them, so drift leaves them out of both catalogs.
  std::vector<std::string> unmanaged_tables;
};

// One framework's local migrations (read and checked as `check` reads them) and its history table
// in one database.
class Project {
 public:
  virtual ~Project() = default;
  // The folder or plan as `check` reads it: checked.sets[0].
  CheckRun checked;
  const model::MigrationSet& set() const { return checked.sets.front(); }

  // "the migrations folder", "the plan": the local side in status's verdict.
  virtual std::string local_name() const = 0;
  // The history table in `dbc` (Prisma: _prisma_migrations; Django: django_migrations).
  virtual std::unique_ptr<db::HistoryStore> history(db::Database& dbc) const = 0;
  // status and verify: every migration's state, then invalid indexes.
  virtual db::HistoryReport report(db::HistoryStore& hist) const = 0;
  // Reads the table (checking its columns; `exists` says whether it is there) and compares: one
  // entry per local migration in set order, then entries the set does not hold.
  virtual std::vector<db::MigrationStatus> read_status(db::HistoryStore& hist, bool& exists) const = 0;
  // Why nothing may be applied with this history, or nothing.
  virtual std::optional<Refusal> refusal(const std::vector<db::MigrationStatus>& status) const = 0;

  // apply, in this order. Before the lock (after reading): what the user should know first, work
  // that can overlap the wait (Django starts its migrate runner).
  virtual void before_lock(db::Database& dbc, const HistoryOptions& o, std::ostream& out) = 0;
  // After the lock and the first read (not in a dry run): a framework whose other appliers take no
  // lock waits for them here and reads `status` again.
  virtual void after_lock(ApplyContext& ctx) { (void)ctx; }
  // Warnings about the history that do not stop apply (an edited migration).
  virtual void warn(const std::vector<db::MigrationStatus>& status, std::ostream& out) const {
    (void)status;
    (void)out;
  }
  // How to silence a finding of the gate, for its message.
  virtual std::string ignore_hint() const = 0;
  // "nothing to apply: all N migration(s)…are applied".
  virtual std::string nothing_to_apply() const = 0;
  // Runs ctx.todo (or says what it would run: options.dry_run); the exit code.
  virtual int apply(ApplyContext& ctx) = 0;
  // drift: replays on `scratch` what `target`'s history records as applied. A framework that
  // cannot replay its migrations throws InputError saying so (the default).
  virtual ReplayOutcome replay(db::Database& target, db::Database& scratch, const HistoryOptions& o,
                               std::ostream& out);
  // resolve --applied NAME / --rolled-back NAME under the lock; the exit code.
  virtual int resolve(db::Database& dbc, db::HistoryStore& hist, const HistoryOptions& o,
                      const std::string& applied_name, const std::string& rolled_back_name, std::ostream& out,
                      std::ostream& err) = 0;
};

// ---- fix (safemigrate fix, app/fix_command.h) ----
// fix decides which migrations cannot have run and which findings to fix (those of rules with an
// `.autofix`, checks/rule.h); the framework rewrites its own files.
struct FixSettings {
  std::string lock_timeout = "5s";  // the value a fixed migration's `SET lock_timeout` gets
  uint64_t max_file_size = 10ull << 20;
};
// One migration to rewrite: its index in the set and its fixable findings (in its main file).
struct FixTarget {
  size_t index = 0;
  std::vector<const model::Finding*> findings;
};
struct FixChange {
  std::string rule;
  uint32_t line = 0;
  std::string what;  // what the statement or operation became, and where
  std::string into;  // the migration the rewritten statement is in (the original's or a new one)
};
struct FixLeft {
  std::string rule;
  uint32_t line = 0;
  std::string why;
};
struct FixFile {
  std::string path;
  std::string before;  // empty for a new file
  std::string after;
  bool created = false;  // a new file (fix refuses to overwrite one that exists)
};
struct MigrationFix {
  std::string migration, file;  // the original's id and main file
  std::vector<FixFile> files;   // new files first, then the changed original (written in this order)
  std::vector<FixChange> changes;
  std::vector<FixLeft> left;
};

// ---- What check, list, --since and the command line's inputs ask a framework (issue 25) ----

// One migrations set as `check` reads it.
struct CheckInput {
  model::MigrationSet set;
  // Each migration's SQL for the parser, in set order (empty: the reader parsed it already).
  std::vector<std::string> sql;
  // Decides how a migration runs (its scenarios), after its schema was followed; may be empty.
  std::function<void(model::Migration&)> decide_runs;
};

// A migration a deleted file was (check --since): the folder of its set and its id.
struct DeletedMigration {
  std::filesystem::path folder;
  std::string id;
};

// The database URL a framework's own project names and where that came from ("DATABASE_URL
// from .env"), given the --prisma-version-like version option (empty: detected).
using ProjectDatabaseUrl = std::function<std::pair<std::string, std::string>(const std::string& version)>;

// ---- end of check's block ----

// What a command reads the local migrations for (a framework may refuse one: Django has no resolve).
enum class Purpose { Status, Apply, Resolve, Rehearse, Drift };

class Framework {
 public:
  virtual ~Framework() = default;
  virtual std::string name() const = 0;
  // Whether the command-line path `path` is this framework's input. The registry asks each
  // framework in registration order; the first that claims a path has it.
  virtual bool claims(const std::filesystem::path& path) const = 0;
  // Reads the local migrations for a history command (o.paths); throws InputError with a message
  // for the user.
  virtual std::unique_ptr<Project> open(const HistoryOptions& o, Purpose purpose) const = 0;

  // fix: the ids of the migrations `dbc`'s history table records (they may have run); empty when
  // the table does not exist.
  virtual std::set<std::string> recorded_migrations(db::Database& dbc) const = 0;
  // fix: rewrites `targets` of `set` (migrations that cannot have run) into their safe form; one
  // MigrationFix per target. Nothing is written here. The default leaves every finding, saying
  // that fix does not rewrite this framework's migrations.
  virtual std::vector<MigrationFix> fix(const model::MigrationSet& set, const std::vector<FixTarget>& targets,
                                        const FixSettings& settings) const;
  // fix: whether reading the input again shows what fix wrote (Prisma's folders do; a Django plan is
  // an export, read once: fix does not rewrite its migrations a second time in one run).
  virtual bool fix_rereads() const { return true; }
  // ---- check, list, --since and the command line's inputs ----
  // The model's name for it (a MigrationSet's `framework`).
  virtual model::Framework kind() const = 0;
  // check: reads `path` (which exists, and which this framework claims): one input per migrations
  // set found there; what cannot be read is an input-error finding in a set. Progress lines on
  // `progress` when given.
  virtual std::vector<CheckInput> read_for_check(const std::string& path, const CheckOptions& o,
                                                 std::ostream* progress) const = 0;
  // A usage error in check's options for this framework (e.g. an unreadable --prisma-version), or empty.
  virtual std::string option_error(const CheckOptions& o) const {
    (void)o;
    return {};
  }
  // The ids of the migrations of `set` that `dbc` records as applied. Throws when unreadable.
  virtual std::set<std::string> applied(db::Database& dbc, const model::MigrationSet& set) const = 0;
  // The search_path its sessions on `dbc` look unqualified names up in (empty: the connection's own).
  virtual std::vector<std::string> session_search_path(db::Database& dbc) const {
    (void)dbc;
    return {};
  }
  // Whether safemigrate.toml's exclude_apps names apps of its migrations.
  virtual bool has_apps() const { return false; }
  // --since: the folder of the set a migration's main file belongs to.
  virtual std::filesystem::path migrations_folder(const std::filesystem::path& main_file) const = 0;
  // --since: the migration a deleted file was, if a file of that name is one of its migrations.
  virtual std::optional<DeletedMigration> deleted_migration(const std::filesystem::path& file) const = 0;
  // A [[sources]] entry of this framework naming `path` (which may not exist): what is wrong with
  // it, as the end of a sentence, or empty.
  virtual std::string source_problem(const std::filesystem::path& path) const = 0;
  // Folders among `paths` that hold one of its projects stand for that project's migrations
  // folder (rewritten in place); with `none_given`, the working folder is tried. The database URL
  // of the last project mapped, or empty. Throws InputError when a project cannot be read.
  virtual ProjectDatabaseUrl project_paths(std::vector<std::string>& paths, bool none_given) const {
    (void)paths;
    (void)none_given;
    return {};
  }
  // apply --mode: the names it takes, "auto" first (HistoryOptions::mode holds one).
  virtual std::vector<std::string> apply_modes() const { return {}; }
};

// The registry (adapters/frameworks.cpp): every framework, in the order they are asked.
const std::vector<const Framework*>& frameworks();

// The framework whose input o.paths is (decided by the first path): the one decision of "which
// framework is this path". InputError when no framework claims it.
const Framework& framework_for(const std::vector<std::string>& paths);

// ---- check's registry questions ----
// The framework of a set read into the model (adapters/frameworks.cpp).
const Framework& framework_of(const model::MigrationSet& set);
// The framework a config names ("prisma", "django"), or nullptr.
const Framework* framework_named(const std::string& name);
// apply --mode: every framework's names, each once, in registration order.
std::vector<std::string> apply_mode_names();
// Maps folders holding a framework's project to its migrations folder (Framework::project_paths);
// the database URL of the last project mapped, or empty.
ProjectDatabaseUrl project_paths(std::vector<std::string>& paths, bool none_given);

// The one "which migrations are pending" computation: indexes into the local set (of `local`
// migrations) that apply runs, in order: not recorded, rolled back, or without a script (apply
// stops there). `status` is Project::read_status's.
std::vector<size_t> pending_migrations(const std::vector<db::MigrationStatus>& status, size_t local);

}  // namespace sm::app

// status, verify, apply, resolve and rehearse's pending set, written once against app/framework.h:
// the framework (adapters/) says how its migrations are read, recorded and run.
#include "app/history_command.h"

#include <fmt/format.h>

#include <optional>
#include <ostream>
#include <set>

#include "app/framework.h"
#include "app/history_support.h"
#include "db/database.h"
#include "model/errors.h"

namespace sm::app {

int run_status(const HistoryOptions& o, bool verify, std::ostream& out, std::ostream& err) {
  return guarded(err, o, [&] {
    std::unique_ptr<Project> project = framework_for(o.paths).open(o, Purpose::Status);
    auto dbc = connect(o);
    std::unique_ptr<db::HistoryStore> hist = project->history(*dbc);
    db::HistoryReport rep = project->report(*hist);
    return report_status(rep, *dbc, hist->table(), verify, project->local_name(), out);
  });
}

int run_apply(const HistoryOptions& o, std::ostream& out, std::ostream& err) {
  return guarded(err, o, [&] {
    const Framework& framework = framework_for(o.paths);
    auto dbc = connect(o);
    if (std::string why = lexing_mismatch(*dbc); !why.empty()) {
      err << "safemigrate: " << why << "; nothing was applied\n";
      return model::kExitUsage;
    }
    std::unique_ptr<Project> project = framework.open(for_server(o, *dbc), Purpose::Apply);
    std::unique_ptr<db::HistoryStore> hist = project->history(*dbc);
    project->before_lock(*dbc, o, out);
    std::optional<db::AdvisoryLock> lock;
    if (!o.dry_run) lock.emplace(*dbc, hist->lock_key(), o.advisory_lock_wait, &out);
    // Read the table after the lock: another run may just have applied some migrations.
    bool exists = false;
    std::vector<db::MigrationStatus> status = project->read_status(*hist, exists);
    std::vector<size_t> todo;
    ApplyContext ctx{o, *dbc, *hist, lock, exists, status, todo, out, err};
    if (!o.dry_run) project->after_lock(ctx);
    if (std::optional<Refusal> refused = project->refusal(status)) {
      err << refused->message;
      return model::kExitFindings;
    }
    project->warn(status, out);
    todo = pending_migrations(status, project->set().migrations.size());
    // The checklist is the gate: unsuppressed error findings in what would run stop everything.
    std::set<std::string> pending_names;
    for (size_t i : todo) pending_names.insert(project->set().migrations[i].id);
    if (int code = gate_blocks(project->set(), project->checked.findings, pending_names,
                               project->ignore_hint(), *dbc, err, o.dry_run))
      return code;
    if (todo.empty()) {
      out << project->nothing_to_apply();
      return model::kExitOk;
    }
    return project->apply(ctx);
  });
}

int run_resolve(const HistoryOptions& o, const std::string& applied_name, const std::string& rolled_back_name,
                std::ostream& out, std::ostream& err) {
  return guarded(err, o, [&] {
    if (applied_name.empty() == rolled_back_name.empty())
      throw InputError("resolve needs exactly one of --applied NAME or --rolled-back NAME");
    std::unique_ptr<Project> project = framework_for(o.paths).open(o, Purpose::Resolve);
    auto dbc = connect(o);
    std::unique_ptr<db::HistoryStore> hist = project->history(*dbc);
    db::AdvisoryLock lock(*dbc, hist->lock_key(), o.advisory_lock_wait, &out);
    return project->resolve(*dbc, *hist, o, applied_name, rolled_back_name, out, err);
  });
}

PendingMigrations load_pending(const HistoryOptions& o, db::Database& dbc) {
  std::unique_ptr<Project> project = framework_for(o.paths).open(o, Purpose::Rehearse);
  std::unique_ptr<db::HistoryStore> hist = project->history(dbc);
  bool exists = false;
  std::vector<db::MigrationStatus> status = project->read_status(*hist, exists);
  if (std::optional<Refusal> refused = project->refusal(status)) throw InputError(refused->reason);
  PendingMigrations p;
  p.history_table = hist->table();
  for (size_t i : pending_migrations(status, project->set().migrations.size())) {
    if (status[i].state == db::MigrationState::NoScript) break;  // apply stops there
    p.pending.push_back(i);
  }
  p.run = std::move(project->checked);
  return p;
}

}  // namespace sm::app

// status, verify, apply, resolve, rehearse: the local migrations against a database's history
// table, one run per folder or plan (each [[sources]] entry of the config when no path is given).
#include <algorithm>
#include <functional>
#include <iostream>

#include "app/framework.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "model/errors.h"
#include "report/sanitize.h"

namespace sm::cli {

using model::kExitOk;
using model::kExitUsage;

namespace {

using Each = std::function<int(const app::HistoryOptions&, std::ostream& out, std::ostream& err)>;

struct HistoryRules {
  app::DatabaseUse use = app::DatabaseUse::History;
  bool one_at_a_time = false;       // resolve, rehearse: one folder or plan
  bool stop_after_failure = false;  // apply: a later source may depend on an earlier one
  std::string probe_timeout = "200ms";
};

// What the five commands share: timeouts read, the runs made (one database each), `each` called
// per run.
int run_history(HistoryArgs& a, const CLI::App& cmd, const HistoryRules& rules, const Each& each) {
  const app::DatabaseUse use = rules.use;
  if (url_given_as_path(a.options.paths)) return kExitUsage;
  auto lt = parse_duration(a.lock_timeout), stt = parse_duration(a.statement_timeout),
       pt = parse_duration(rules.probe_timeout);
  if (!lt || !stt || !pt || pt->count() == 0) {
    std::cerr << "safemigrate: --lock-timeout, --statement-timeout and --probe-timeout take e.g. 5s, 500ms "
                 "or 0 (--probe-timeout not 0)\n";
    return kExitUsage;
  }
  // rehearse refuses before anything is read when no --database-url names the copy.
  if (use == app::DatabaseUse::Rehearse && !given(cmd, "--database-url")) app::choose_database(use, {});
  a.options.lock_timeout = *lt;
  a.options.statement_timeout = *stt;
  std::vector<app::HistoryOptions> runs;
  if (auto code = history_runs(a, cmd, use, runs)) return *code;
  if (runs.size() > 1 && rules.one_at_a_time) {
    std::cerr << "safemigrate: " << cmd.get_name()
              << " works on one migrations folder or plan at a time; give its path ("
              << a.config->file.string() << " lists " << runs.size() << " sources)\n";
    return kExitUsage;
  }
  // Migration names, SQL and server messages reach the terminal only through printable().
  report::PrintableStream out(std::cout), err(std::cerr);
  int worst = kExitOk;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs.size() > 1) out << (i ? "\n" : "") << "== " << runs[i].paths.front() << "\n";
    int code = each(runs[i], out, err);
    worst = std::max(worst, code);
    if (rules.stop_after_failure && code != kExitOk && i + 1 < runs.size()) {
      err << "safemigrate: stopped: the sources after " << runs[i].paths.front() << " were not applied\n";
      break;
    }
  }
  return worst;
}

}  // namespace

void status_setup(CLI::App& cmd, HistoryArgs& a) {
  add_history(cmd, a);
}

int status_run(HistoryArgs& a, const CLI::App& cmd) {
  return run_history(a, cmd, {}, [](const auto& run, auto& out, auto& err) {
    return app::run_status(run, false, out, err);
  });
}

void verify_setup(CLI::App& cmd, HistoryArgs& a) {
  add_history(cmd, a);
}

int verify_run(HistoryArgs& a, const CLI::App& cmd) {
  return run_history(
      a, cmd, {}, [](const auto& run, auto& out, auto& err) { return app::run_status(run, true, out, err); });
}

void apply_setup(CLI::App& cmd, ApplyArgs& a) {
  add_history(cmd, a);
  cmd.add_flag("--dry-run", a.options.dry_run, "Print what would run, in order, with each migration's mode");
  cmd.add_option("--mode", a.mode,
                 "auto (the project's Prisma version's mode; safe when unknown), prisma-6 (whole file as one "
                 "query), prisma-7 (statement by statement), safe (transactions, CONCURRENTLY on its own)")
      ->check(CLI::IsMember(app::apply_mode_names()));  // the frameworks' names
  cmd.add_option("--lock-timeout", a.lock_timeout,
                 "lock_timeout per attempt, e.g. 5s or 500ms (default 5s; 0 turns it off)");
  cmd.add_option("--lock-retries", a.options.lock_retries,
                 "Attempts after a lock timeout, with doubling backoff (default 3)");
  cmd.add_option("--statement-timeout", a.statement_timeout,
                 "statement_timeout, e.g. 10min=600s (default off)");
  cmd.add_option("--python", a.options.python,
                 "Django: the Python that runs the project's migrate (default: the one that exported "
                 "the plan, with its PYTHONPATH)");
}

int apply_run(ApplyArgs& a, const CLI::App& cmd) {
  a.options.mode = a.mode;
  return run_history(a, cmd, {.stop_after_failure = true},
                     [](const auto& run, auto& out, auto& err) { return app::run_apply(run, out, err); });
}

void resolve_setup(CLI::App& cmd, ResolveArgs& a) {
  add_history(cmd, a);
  auto* applied = cmd.add_option("--applied", a.applied_name, "Record NAME as applied (finished by hand)");
  auto* rolled =
      cmd.add_option("--rolled-back", a.rolled_back_name, "Mark NAME's failed record as rolled back");
  applied->excludes(rolled);
}

int resolve_run(ResolveArgs& a, const CLI::App& cmd) {
  return run_history(a, cmd, {.one_at_a_time = true}, [&a](const auto& run, auto& out, auto& err) {
    return app::run_resolve(run, a.applied_name, a.rolled_back_name, out, err);
  });
}

void rehearse_setup(CLI::App& cmd, RehearseArgs& a) {
  add_history(cmd, a);
  cmd.add_flag("--i-know-this-is-a-copy", a.rehearse.is_copy,
               "Required: the database is a copy of production that may be locked (and, with "
               "--run-concurrently, changed)");
  cmd.add_flag("--run-concurrently", a.rehearse.run_concurrently,
               "Run statements that cannot run in a transaction (CONCURRENTLY, VACUUM) for real: "
               "they change the copy (default: reported as skipped)");
  cmd.add_option("--probe-timeout", a.probe_timeout,
                 "The second session's lock_timeout when it tries each table (default 200ms)");
  cmd.add_option("--lock-timeout", a.lock_timeout,
                 "lock_timeout of the rehearsal's own statements (default 5s; 0 turns it off)");
  cmd.add_option("--format", a.format, "Output format")->check(CLI::IsMember({"text", "json"}));
}

int rehearse_run(RehearseArgs& a, const CLI::App& cmd) {
  a.rehearse.json = a.format == "json";
  HistoryRules rules{
      .use = app::DatabaseUse::Rehearse, .one_at_a_time = true, .probe_timeout = a.probe_timeout};
  return run_history(a, cmd, rules, [&a](const auto& run, auto& out, auto& err) {
    a.rehearse.history = run;
    a.rehearse.probe_timeout = *parse_duration(a.probe_timeout);  // read by run_history
    return app::run_rehearse(a.rehearse, out, err);
  });
}

}  // namespace sm::cli

// Django behind app/framework.h: a plan (export_plan.py's JSON) read by the check pipeline,
// django_migrations, and apply through Django's own `migrate` (run_migrate.py), which writes the
// rows `manage.py migrate` writes so that `showmigrations` and `migrate` agree.
#include "adapters/django/django_apply.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "adapters/django/django_fix.h"
#include "adapters/django/django_history.h"
#include "adapters/django/django_migrate.h"
#include "adapters/django/django_plan_reader.h"
#include "adapters/django/django_replay.h"
#include "app/check_command.h"
#include "app/history_support.h"
#include "db/table_sizes.h"
#include "model/errors.h"
#include "report/sanitize.h"
#include "sql/parse.h"
#include "util/subprocess.h"

namespace sm::django {

using namespace sm::app;

namespace {

struct PlanFile {
  CheckRun run;  // sets[0] is the plan
  const model::MigrationSet& set() const { return run.sets.front(); }
};

PlanFile load_plan(const HistoryOptions& o) {
  if (o.paths.size() != 1)
    throw InputError("give one Django plan file (one database has one django_migrations table)");
  CheckOptions co;
  co.paths = o.paths;
  co.max_file_size = o.max_file_size;
  co.config = o.config;
  co.postgres_version = o.postgres_version;
  co.database = o.database;
  co.use_baseline = false;  // the gate judges what will run; a baseline only quiets review
  co.gate = true;           // exclude_apps: the gate decides by exclude_apps_apply
  PlanFile p{run_check(co, nullptr)};
  if (p.run.sets.size() != 1) throw InputError("cannot read " + o.paths.front());
  for (const model::Finding& f : p.set().input_findings)
    if (f.rule == model::kInputErrorRule) throw InputError(f.loc.file + ": " + f.message);
  if (p.set().framework != model::Framework::Django)
    throw InputError(o.paths.front() + " is not a Django plan");
  return p;
}

// One run of Django's `migrate` through run_migrate.py, as its events tell it.
struct MigrateRun {
  int exit_code = 0;
  std::vector<std::string> planned;   // the "plan" event: what Django would run, in order
  std::vector<std::string> problems;  // why that is not what was checked
  std::vector<std::string> applied;   // "applied" events
  std::optional<SqlFailure> failure;  // the "failed" event
  std::string failed_migration;       // "" when it failed outside a migration
  std::string statement;              // the statement Django was running, when known
  std::string traceback;
  double failed_after_s = 0;
  std::vector<std::string> errors;        // "error" events: the project or database did not load
  std::vector<std::string> other_output;  // the project's own lines (print() in RunPython…)
  bool done = false;
};

std::string json_str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

double json_num(simdjson::dom::element e, const char* key) {
  double v = 0;
  return e[key].get_double().get(v) == simdjson::SUCCESS ? v : 0;
}

// How `migrate` runs for this plan: the interpreter, its environment, the script's arguments.
struct MigrateCommand {
  util::ProcessSpec spec;
  std::string python, settings, alias, project_dir;
};

MigrateCommand migrate_command(const HistoryOptions& o, const model::MigrationSet& set, bool plan_only) {
  const auto& dj = set.django;
  MigrateCommand c;
  c.python = !o.python.empty() ? o.python : !dj.python.empty() ? dj.python : "python3";
  c.settings = dj.settings;
  c.alias = dj.database_alias.empty() ? "default" : dj.database_alias;
  c.project_dir = !dj.project_dir.empty() ? dj.project_dir
                                          : std::filesystem::absolute(o.paths.front()).parent_path().string();
  if (c.settings.empty())
    throw InputError(o.paths.front() +
                     " does not name the project's settings module; export it again with export_plan.py "
                     "--settings MODULE");
  c.spec.argv = {c.python,
                 "-c",
                 django::kRunMigrateSource,
                 "--settings",
                 c.settings,
                 "--project-dir",
                 c.project_dir,
                 "--database",
                 c.alias,
                 "--lock-timeout-ms",
                 std::to_string(o.lock_timeout.count()),
                 "--statement-timeout-ms",
                 std::to_string(o.statement_timeout.count())};
  if (plan_only) c.spec.argv.push_back("--plan-only");
  c.spec.cwd = c.project_dir;
  // The interpreter of the export finds Django where it found it then (unless --python says otherwise).
  if (o.python.empty() && !dj.pythonpath.empty()) c.spec.env.emplace_back("PYTHONPATH", dj.pythonpath);
  // libpq reads PGOPTIONS for every session, including any a RunPython opens by itself.
  if (o.lock_timeout.count() > 0) {
    const char* pgoptions = std::getenv("PGOPTIONS");
    std::string v = pgoptions ? std::string(pgoptions) + " " : "";
    c.spec.env.emplace_back("PGOPTIONS", v + fmt::format("-c lock_timeout={}ms", o.lock_timeout.count()));
  }
  return c;
}

// Tells run_migrate.py (started, loading the project) to go: what was checked, the session that
// holds the lock, by which it proves that Django's database is this one, and the lock it takes over
// from that session (none: a dry run).
std::string go_line(const std::string& session, const std::string& expect, std::optional<int64_t> lock) {
  return "{\"session\": " + report::json_quote(session) + ", \"expect\": " + expect +
         (lock ? fmt::format(", \"lock\": {}", *lock) : "") + "}\n";
}

// Runs `migrate` once in `process` (started with the command's spec, not told anything yet); `on_event`
// sees each event as it comes (progress output).
MigrateRun run_migrate(util::Process& process, const std::string& go,
                       const std::function<void(const std::string&, simdjson::dom::element)>& on_event) {
  MigrateRun run;
  simdjson::dom::parser parser;
  process.send(go);  // when it ended before reading it, its output says why
  run.exit_code = process.wait([&](const std::string& line) {
    if (line.rfind(django::kRunMigrateEventPrefix, 0) != 0) {
      run.other_output.push_back(line);
      return;
    }
    simdjson::dom::element ev;
    if (parser.parse(line.substr(django::kRunMigrateEventPrefix.size())).get(ev) != simdjson::SUCCESS) return;
    std::string kind = json_str(ev, "event");
    if (kind == "plan") {
      simdjson::dom::array steps, problems;
      if (ev["steps"].get_array().get(steps) == simdjson::SUCCESS)
        for (simdjson::dom::element st : steps) run.planned.push_back(json_str(st, "migration"));
      if (ev["problems"].get_array().get(problems) == simdjson::SUCCESS)
        for (simdjson::dom::element p : problems) {
          std::string_view v;
          if (p.get_string().get(v) == simdjson::SUCCESS) run.problems.emplace_back(v);
        }
    } else if (kind == "applied") {
      run.applied.push_back(json_str(ev, "migration"));
    } else if (kind == "failed") {
      SqlFailure f;
      f.sqlstate = json_str(ev, "sqlstate");
      f.message = json_str(ev, "message");
      bool atomic = true;
      if (ev["atomic"].get_bool().get(atomic) != simdjson::SUCCESS) atomic = true;
      f.retryable = atomic;
      run.failure = f;
      run.failed_migration = json_str(ev, "migration");
      run.statement = json_str(ev, "statement");
      run.traceback = json_str(ev, "traceback");
      run.failed_after_s = json_num(ev, "seconds");
    } else if (kind == "error") {
      run.errors.push_back(json_str(ev, "message"));
    } else if (kind == "done") {
      run.done = true;
    }
    on_event(kind, ev);
  });
  return run;
}

// The tables `statement` (SQL Django ran) locks, read by PostgreSQL's parser.
std::set<std::string> tables_of(const std::string& statement) {
  std::set<std::string> names;
  if (statement.empty()) return names;
  for (const model::Statement& st : sql::parse_sql(statement, "").statements)
    for (const model::Action& a : st.actions)
      if (!a.relation.name.empty()) names.insert(a.relation.name);
  return names;
}

std::string one_line(std::string s, size_t max = 200) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

// Rows of (pid, application_name, state, query) from pg_stat_activity, one line each, as the
// waits and refusals name other sessions: "pid 42 psql (active): ALTER TABLE …".
std::vector<std::string> session_lines(const pqxx::result& r) {
  std::vector<std::string> out;
  for (const auto& row : r)
    out.push_back(fmt::format("pid {}{} ({}): {}", row[0].as<int>(),
                              row[1].as<std::string>().empty() ? "" : " " + row[1].as<std::string>(),
                              row[2].as<std::string>(), one_line(row[3].as<std::string>(), 100)));
  return out;
}

// Sessions other than safemigrate's that are running Django's `migrate` on this database, as far as
// PostgreSQL shows it: a lock on django_migrations, or a query on it that is running or just ended.
std::vector<std::string> other_migrators(db::Database& dbc, const std::string& table) {
  pqxx::result r = dbc.exec(
      "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), coalesce(a.query, '') "
      "FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() "
      "AND coalesce(a.application_name, '') NOT LIKE 'safemigrate%' AND ("
      "EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = to_regclass(" +
      dbc.quote(table) +
      ")) OR (a.query ILIKE '%django_migrations%' AND (a.state <> 'idle' OR a.state_change > now() - "
      "interval '2 seconds'))) ORDER BY 1");
  return session_lines(r);
}

// Client sessions other than safemigrate's that hold a lock only DDL takes (SHARE UPDATE EXCLUSIVE
// and stronger; reads and writes of rows take weaker ones) on one of `tables`: a `migrate` in the
// middle of a migration that changes them, whose own session shows nothing of django_migrations
// (it reads that table at its start and writes its row at the end of each migration).
std::vector<std::string> ddl_lockers(db::Database& dbc, const std::set<std::string>& tables) {
  std::vector<std::string> out;
  if (tables.empty()) return out;
  std::string names;
  for (const std::string& t : tables) names += (names.empty() ? "" : ", ") + dbc.quote(t);
  pqxx::result r = dbc.exec(
      "SELECT DISTINCT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), coalesce(a.query, "
      "''), "
      "l.mode, c.relname FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = "
      "l.relation WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() AND a.backend_type = "
      "'client backend' AND coalesce(a.application_name, '') NOT LIKE 'safemigrate%' AND l.granted AND "
      "l.mode "
      "IN ('ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', "
      "'AccessExclusiveLock') AND c.relname IN (" +
      names + ") ORDER BY 1");
  for (const auto& row : r)
    out.push_back(fmt::format("pid {}{} ({}, {} on {}): {}", row[0].as<int>(),
                              row[1].as<std::string>().empty() ? "" : " " + row[1].as<std::string>(),
                              row[2].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                              one_line(row[3].as<std::string>(), 100)));
  return out;
}

// Client sessions other than safemigrate's that are running something (active or in a
// transaction) on this database.
std::vector<std::string> busy_sessions(db::Database& dbc) {
  pqxx::result r = dbc.exec(
      "SELECT pid, coalesce(application_name, ''), coalesce(state, ''), coalesce(query, '') FROM "
      "pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = "
      "'client backend' AND coalesce(application_name, '') NOT LIKE 'safemigrate%' AND state IN ('active', "
      "'idle in transaction', 'idle in transaction (aborted)') ORDER BY 1");
  return session_lines(r);
}

// The tables the statements of `todo` act on, as the plan's parsed SQL names them.
std::set<std::string> tables_of(const std::vector<const model::Migration*>& todo) {
  std::set<std::string> names;
  for (const model::Migration* m : todo)
    for (const model::Operation& op : m->operations)
      for (const model::Statement& st : op.statements)
        for (const model::Action& a : st.actions)
          if (!a.relation.name.empty()) names.insert(a.relation.name);
  return names;
}

// Waits (up to o.advisory_lock_wait) until no other session is running Django's migrate (on
// django_migrations, or in a migration that changes one of `tables`); false when one still is, with
// the sessions in `still`. `waited`: whether it had to wait.
bool wait_for_other_migrators(db::Database& dbc, const std::string& table,
                              const std::set<std::string>& tables, const HistoryOptions& o, std::ostream& out,
                              std::vector<std::string>& still, bool* waited = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + o.advisory_lock_wait;
  bool said = false;
  for (;;) {
    still = other_migrators(dbc, table);
    for (std::string& s : ddl_lockers(dbc, tables)) still.push_back(std::move(s));
    if (waited) *waited = said;
    if (still.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (!said) {
      out << "waiting: another session is using " << table
          << " (Django's migrate takes no lock, so two at once apply migrations twice):\n";
      for (const std::string& s : still) out << "  " << s << "\n";
      out.flush();
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

class DjangoProject : public Project {
 public:
  explicit DjangoProject(PlanFile plan) { checked = std::move(plan.run); }

  std::string local_name() const override { return "the plan"; }
  std::unique_ptr<db::HistoryStore> history(db::Database& dbc) const override {
    return std::make_unique<DjangoHistory>(dbc, set().history_id_type);
  }
  db::HistoryReport report(db::HistoryStore& hist) const override {
    return static_cast<DjangoHistory&>(hist).report(set());
  }
  std::vector<db::MigrationStatus> read_status(db::HistoryStore& hist, bool& exists) const override {
    return compute_status(set(), db::read_checked_rows(static_cast<DjangoHistory&>(hist), exists));
  }
  std::optional<Refusal> refusal(const std::vector<db::MigrationStatus>& status) const override {
    for (const db::MigrationStatus& s : status)
      if (s.state == db::MigrationState::Inconsistent)
        return Refusal{fmt::format("{}: {}; migrate would refuse to run", s.name, s.detail),
                       fmt::format("safemigrate: {}: {}; nothing was applied\n", s.name, s.detail)};
    return std::nullopt;
  }
  std::string ignore_hint() const override {
    return "a `# safemigrate-ignore: RULE reason` comment on the operation's line or just above it (its SQL "
           "and "
           "its RunPython code; for a finding about a whole migration, RULE = \"warning\" under [rules] in "
           "safemigrate.toml)";
  }
  std::string nothing_to_apply() const override {
    return fmt::format("nothing to apply: all {} migration(s) of the plan are applied\n",
                       set().migrations.size());
  }

  // run_migrate.py proves that Django's database is this one by finding this session by name.
  // Django's start-up (settings, apps, imports) runs while the lock, the history and the gate
  // are done here; it touches nothing until it is told to go, and is stopped if it is not. When
  // it cannot be started, the start before the first try says why.
  void before_lock(db::Database& dbc, const HistoryOptions& o, std::ostream&) override {
    const std::string session_name = fmt::format("safemigrate apply {}-{}", ::getpid(),
                                                 std::chrono::steady_clock::now().time_since_epoch().count());
    pqxx::result me = dbc.exec("SELECT pg_backend_pid(), set_config('application_name', " +
                               dbc.quote(session_name) + ", false)");
    session_ = fmt::format("{} {}", me[0][0].as<int>(), session_name);
    try {
      early_ = migrate_command(o, set(), o.dry_run);
      started_.emplace(early_->spec);
    } catch (const std::exception&) {
    }
  }

  // A plain `manage.py migrate` takes no lock: one in the middle of a pending migration is waited
  // for before the table is read for good, so that what it recorded is not applied again.
  void after_lock(ApplyContext& c) override {
    std::vector<std::string> still;
    bool waited = false;
    if (!wait_for_other_migrators(c.database, c.history.table(), pending_tables(c.status), c.options, c.out,
                                  still, &waited))
      throw others_refused(c.history, still);
    if (waited) c.status = read_status(c.history, c.table_exists);
  }

  int apply(ApplyContext& c) override;
  // drift: the applied migrations from the plan's SQL (django_replay.cpp).
  ReplayOutcome replay(db::Database& target, db::Database& scratch, const HistoryOptions&,
                       std::ostream&) override {
    DjangoHistory hist(target, set().history_id_type);
    bool exists = false;
    std::vector<db::MigrationStatus> status = read_status(hist, exists);
    PlanReplay p = replay_plan(set(), status, scratch);
    ReplayOutcome r;
    r.history_table = hist.table();
    r.mode =
        "the plan's SQL, as Django's schema editor emits it; RunPython is not replayed; names Django looks "
        "up "
        "in the database are looked up on the scratch database";
    r.replayed = std::move(p.replayed);
    r.pending = std::move(p.pending);
    r.failed = std::move(p.failed);
    r.missing_locally = std::move(p.missing_locally);
    r.not_replayed = std::move(p.not_replayed);
    r.unmanaged_tables = set().django.unmanaged_tables;
    r.error = std::move(p.error);
    return r;
  }
  // Django records only finished migrations: nothing to resolve (open() says so for resolve).
  int resolve(db::Database&, db::HistoryStore&, const HistoryOptions& o, const std::string&,
              const std::string&, std::ostream&, std::ostream&) override {
    throw InputError(o.paths.front() +
                     " is a Django plan: resolve is for failed migrations, which Django "
                     "does not record");
  }

 private:
  std::set<std::string> pending_tables(const std::vector<db::MigrationStatus>& status) const {
    std::vector<const model::Migration*> p;
    for (size_t i : pending_migrations(status, set().migrations.size())) p.push_back(&set().migrations[i]);
    return tables_of(p);
  }
  static InputError others_refused(const db::HistoryStore& hist, const std::vector<std::string>& still) {
    std::string who;
    for (const std::string& w : still) who += "\n  " + w;
    return InputError("another session is still using " + hist.table() +
                      " (Django's migrate takes no lock; running two appliers at once records "
                      "migrations twice); nothing was applied:" +
                      who);
  }

  std::string session_;
  std::optional<MigrateCommand> early_;
  std::optional<util::Process> started_;
};

int DjangoProject::apply(ApplyContext& c) {
  const HistoryOptions& o = c.options;
  db::Database& dbc = c.database;
  db::HistoryStore& hist = c.history;
  std::optional<db::AdvisoryLock>& lock = c.lock;
  std::ostream& out = c.out;
  std::ostream& err = c.err;
  const model::MigrationSet& set = this->set();
  std::vector<const model::Migration*> todo;
  for (size_t i : c.todo) todo.push_back(&set.migrations[i]);
  std::string expect = "{";
  for (const auto* m : todo) {
    const model::SourceFile* f = m->main_file();
    expect += fmt::format("{}{}: {}", expect.size() > 1 ? ", " : "", report::json_quote(m->id),
                          f && !f->sha256.empty() ? report::json_quote(f->sha256) : "null");
  }
  expect += "}";
  const MigrateCommand cmd = early_ ? *early_ : migrate_command(o, set, o.dry_run);
  const std::string go =
      go_line(session_, expect, o.dry_run ? std::nullopt : std::optional<int64_t>(hist.lock_key()));
  // The lock goes to run_migrate.py, which migrates: once its session (named by the "locking"
  // event) waits for it, this session lets it go, and the script holds it for as long as it runs,
  // also when this process is killed. Queued first, it is the next to get it.
  auto hand_over = [&](int64_t pid) {
    if (!lock) return;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      pqxx::result r = dbc.exec_params(
          "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND objsubid = 1 "
          "AND ((classid::bigint << 32) | objid::bigint) = $2), EXISTS (SELECT 1 FROM pg_stat_activity "
          "WHERE pid = $1)",
          pid, hist.lock_key());
      if (r[0][0].as<bool>() || !r[0][1].as<bool>()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    lock.reset();
  };
  auto run_once = [&](const std::function<void(const std::string&, simdjson::dom::element)>& on_event) {
    if (!started_) started_.emplace(cmd.spec);
    MigrateRun run = run_migrate(*started_, go, [&](const std::string& kind, simdjson::dom::element ev) {
      int64_t pid = 0;
      if (kind == "locking" && ev["pid"].get_int64().get(pid) == simdjson::SUCCESS) hand_over(pid);
      on_event(kind, ev);
    });
    started_.reset();
    return run;
  };
  out << fmt::format("Django's migrate runs {} migration(s): {} (settings {}, database {}) in {}",
                     todo.size(), cmd.python, cmd.settings, cmd.alias, cmd.project_dir);
  if (o.lock_timeout.count() > 0)
    out << fmt::format("; lock_timeout {} ms per try, {} retries", o.lock_timeout.count(), o.lock_retries);
  out << "\n";
  out.flush();

  size_t done = 0;
  const auto all_start = std::chrono::steady_clock::now();
  auto progress = [&](const std::string& kind, simdjson::dom::element ev) {
    std::string id = json_str(ev, "migration");
    if (kind == "start") {
      bool atomic = true;
      if (ev["atomic"].get_bool().get(atomic) != simdjson::SUCCESS) atomic = true;
      out << fmt::format("[{}/{}] applying {} ({})\n", done + 1, todo.size(), id,
                         atomic ? "atomic: one transaction" : "atomic = False: autocommit");
    } else if (kind == "applied") {
      ++done;
      out << fmt::format("[{}/{}] applied {} in {:.2f} s, {} left\n", done, todo.size(), id,
                         json_num(ev, "seconds"), todo.size() - std::min(done, todo.size()));
    }
    out.flush();
  };
  auto refused = [&](const MigrateRun& run) {
    for (const std::string& e : run.errors) err << "safemigrate: " << e << "\n";
    if (!run.problems.empty()) {
      err << "safemigrate: Django's migrate would not run what safemigrate checked; nothing was applied:\n";
      for (const std::string& p : run.problems) err << "  " << p << "\n";
      err << "Export the plan again, check it, then apply.\n";
    }
    if (run.errors.empty() && run.problems.empty()) {
      err << fmt::format("safemigrate: {} ended with exit code {} before migrating:\n", cmd.python,
                         run.exit_code);
      for (const std::string& l : run.other_output) err << "  " << l << "\n";
    }
    return run.problems.empty() ? model::kExitUsage : model::kExitFindings;
  };

  if (o.dry_run) {
    MigrateRun run = run_once([](const std::string&, simdjson::dom::element) {});
    if (run.exit_code != 0) return refused(run);
    for (const std::string& id : run.planned) out << "would apply " << id << "\n";
    out << "then post_migrate (content types, permissions), as `migrate` ends\n";
    out << "dry run: nothing was written\n";
    return model::kExitOk;
  }

  MigrateRun last;
  std::optional<SqlFailure> failure = retry_on_lock_timeout(
      o,
      [&]() -> std::optional<SqlFailure> {
        // A retry takes the lock again (the last try's script had it), to hand it over again.
        if (!lock) lock.emplace(dbc, hist.lock_key(), o.advisory_lock_wait, &out);
        std::vector<std::string> still;
        if (!wait_for_other_migrators(dbc, hist.table(), pending_tables(c.status), o, out, still))
          throw others_refused(hist, still);
        last = run_once(progress);
        for (const std::string& l : last.other_output) out << "  " << l << "\n";
        if (last.failure) return last.failure;
        return std::nullopt;
      },
      [&](SqlFailure& e, int n, std::optional<std::chrono::milliseconds> wait) {
        std::string who = lock_holders(dbc, tables_of(last.statement));
        std::string what = fmt::format(
            "{}: lock timeout ({} ms) after {:.2f} s{}{}", last.failed_migration, o.lock_timeout.count(),
            last.failed_after_s, last.statement.empty() ? "" : " at `" + one_line(last.statement, 120) + "`",
            who.empty() ? "" : ", waiting for " + who);
        if (!wait) {
          e.message = fmt::format("{}; gave up after {} attempt(s)", what, n);
          return;
        }
        out << fmt::format("  {}; Django rolled the migration back; retry {}/{} in {:.1f} s\n", what, n,
                           o.lock_retries, static_cast<double>(wait->count()) / 1000.0);
        out.flush();
      });
  if (!failure && !last.done) return refused(last);
  if (failure) {
    const std::string& id = last.failed_migration;
    // On a blank database Django creates django_migrations first: when another session (a plain
    // `migrate`, which takes no lock) created it at the same time, Django's CREATE TABLE fails on
    // PostgreSQL's catalog (23505 on pg_type, or 42P07) before any migration ran.
    if (id.empty() && done == 0 && (failure->sqlstate == "23505" || failure->sqlstate == "42P07") &&
        tables_of(last.statement).count(django::kDjangoMigrationsTable)) {
      std::vector<std::string> who = other_migrators(dbc, hist.table());
      if (who.empty()) who = busy_sessions(dbc);
      err << "safemigrate: another session created " << hist.table()
          << " at the same time: Django's migrate runs there (it takes no lock, so two at once apply "
             "migrations twice); nothing was applied. Apply again once it has ended:\n";
      for (const std::string& w : who) err << "  " << w << "\n";
      if (who.empty()) err << "  (it has ended since)\n";
      return model::kExitUsage;
    }
    err << fmt::format(
        "safemigrate: {} failed after {:.2f} s: {}{}\n",
        id.empty() ? "migrate (after the migrations: post_migrate or the history table)" : "migration " + id,
        last.failed_after_s, failure->message,
        failure->sqlstate.empty() ? "" : " (SQLSTATE " + failure->sqlstate + ")");
    if (!last.statement.empty()) err << "  statement: " << one_line(last.statement, 400) << "\n";
    if (failure->sqlstate.empty() && !last.traceback.empty()) err << last.traceback;
    if (!id.empty())
      err << (failure->retryable ? "Django rolled its transaction back: nothing of it is in the database"
                                 : "atomic = False: the statements before the failed one stay applied, so "
                                   "it was not retried")
          << fmt::format("; it is not recorded in django_migrations. {} migration(s) applied, {} left.\n",
                         done, todo.size() - std::min(done, todo.size()));
    return model::kExitFindings;
  }
  out << fmt::format("applied {} migration(s) in {}; post_migrate ran once at the end, as in `migrate`\n",
                     done, fmt_seconds(std::chrono::steady_clock::now() - all_start));
  return model::kExitOk;
}

class DjangoFramework : public Framework {
 public:
  std::string name() const override { return "django"; }
  // A file: the plan export_plan.py writes (what is not a plan says so when it is read).
  bool claims(const std::filesystem::path& path) const override {
    std::error_code ec;
    return !path.empty() && std::filesystem::is_regular_file(path, ec);
  }
  std::unique_ptr<Project> open(const HistoryOptions& o, Purpose purpose) const override {
    if (purpose == Purpose::Resolve)
      throw InputError(o.paths.front() +
                       " is a Django plan: resolve is for Prisma's failed migrations (Django records only "
                       "finished ones; use `manage.py migrate --fake APP NAME` to record one by hand)");
    // Prisma's options mean nothing here: refused rather than ignored in silence.
    if (!o.mode.empty() && o.mode != "auto")
      throw InputError(o.paths.front() +
                       " is a Django plan: --mode is for Prisma migrations folders (Django's migrate "
                       "decides how each migration runs)");
    if (!o.prisma_version.empty())
      throw InputError(o.paths.front() +
                       " is a Django plan: --prisma-version is for Prisma migrations folders");
    return std::make_unique<DjangoProject>(load_plan(o));
  }
  std::set<std::string> recorded_migrations(db::Database& dbc) const override {
    DjangoHistory hist(dbc);
    bool exists = false;
    std::set<std::string> ids;
    for (const DjangoRow& r : db::read_checked_rows(hist, exists)) ids.insert(r.key());
    return ids;
  }
  std::vector<app::MigrationFix> fix(const model::MigrationSet& set,
                                     const std::vector<app::FixTarget>& targets,
                                     const app::FixSettings& settings) const override {
    return fix_django_set(set, targets, settings);
  }
  // The plan is an export: after a rewrite it no longer describes the files.
  bool fix_rereads() const override { return false; }

  // ---- check, list, --since and the command line's inputs ----
  model::Framework kind() const override { return model::Framework::Django; }
  // The plan holds one set; its reader parses the SQL and decides how each migration runs.
  std::vector<CheckInput> read_for_check(const std::string& path, const CheckOptions& o,
                                         std::ostream* progress) const override {
    std::vector<CheckInput> out(1);
    out.front().set = read_plan(path, o.max_file_size);
    if (progress)
      *progress << "reading " << path << ": " << out.front().set.migrations.size() << " migrations\n";
    return out;
  }
  // Applied as Django decides it from django_migrations.
  std::set<std::string> applied(db::Database& dbc, const model::MigrationSet& set) const override {
    std::set<std::string> out;
    bool exists = false;
    DjangoHistory hist(dbc, set.history_id_type);
    std::vector<db::MigrationStatus> status = compute_status(set, db::read_checked_rows(hist, exists));
    for (size_t i = 0; i < set.migrations.size() && i < status.size(); ++i)
      if (status[i].state == db::MigrationState::Applied) out.insert(set.migrations[i].id);
    return out;
  }
  // Django's sessions look unqualified names up in the search_path a new session starts with.
  std::vector<std::string> session_search_path(db::Database& dbc) const override {
    return db::starting_search_path(dbc);
  }
  bool has_apps() const override { return true; }
  // <app>/migrations/<name>.py
  std::filesystem::path migrations_folder(const std::filesystem::path& main_file) const override {
    return main_file.parent_path();
  }
  std::optional<DeletedMigration> deleted_migration(const std::filesystem::path& file) const override {
    if (file.extension() != ".py" || file.filename() == "__init__.py") return std::nullopt;
    return DeletedMigration{file.parent_path(), file.stem().string()};
  }
  std::string source_problem(const std::filesystem::path& path) const override {
    std::error_code ec;
    bool plan = std::filesystem::is_regular_file(path, ec) && is_plan_file(path);
    if (plan || !std::filesystem::exists(path, ec)) return {};
    return "is not a Django plan file (write one with adapters/django/export_plan.py)";
  }
};

}  // namespace

const app::Framework& django_framework() {
  static const DjangoFramework framework;
  return framework;
}

}  // namespace sm::django

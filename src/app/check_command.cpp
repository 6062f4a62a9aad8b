#include "app/check_command.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <span>

#include "app/baseline_command.h"
#include "app/database_choice.h"
#include "app/fingerprint.h"
#include "app/framework.h"
#include "app/git_since.h"
#include "app/history_support.h"
#include "checks/registry.h"
#include "db/database.h"
#include "db/table_sizes.h"
#include "model/errors.h"
#include "sql/parse.h"
#include "sql/schema_tracker.h"
#include "util/parallel.h"

namespace sm::app {

namespace fs = std::filesystem;

namespace {

model::Finding input_error(const std::string& file, std::string message) {
  model::Finding f;
  f.rule = model::kInputErrorRule;
  f.severity = model::Severity::Error;
  f.loc.file = file;
  f.message = std::move(message);
  return f;
}

struct ParseTask {
  model::Migration* migration;
  const std::string* sql;
  sql::ParsedFile result;
};

// libpg_query keeps its memory per thread, so files are parsed on several threads at once.
void parse_all(std::vector<ParseTask>& tasks, unsigned jobs) {
  util::parallel_for(tasks.size(), jobs, [&](size_t i) {
    ParseTask& t = tasks[i];
    t.result = sql::parse_sql(*t.sql, t.migration->files.front().path);
  });
}

// What checking one set produced. Sets share nothing, so they are checked on several threads
// and their results joined in order.
struct SetResult {
  std::vector<model::Finding> findings;
  size_t statements = 0;
  bool input_error = false;
};

// Follows a set's schema through its migrations in order, decides how each migration runs, and
// runs the rules (with --since, only on migrations added since the ref).
// `in_database` (may be empty) tells whether a relation exists in the set's database; it is asked
// only for migrations not in `applied`, which the database has not run.
void check_set(model::MigrationSet& set, const std::function<void(model::Migration&)>& decide_runs,
               uint32_t target_postgres, const std::optional<GitSince>& since,
               const std::string& deploy_lock_timeout, const sql::SchemaTracker::InDatabase& in_database,
               const std::set<std::string>& applied, SetResult& out) {
  for (const auto& f : set.input_findings) {
    out.input_error = out.input_error || f.rule == model::kInputErrorRule;
    out.findings.push_back(f);
  }
  size_t set_begin = out.findings.size(), checked = 0;
  // The project's habits, over all its migrations (those before --since's ref too).
  model::Migration::ProjectHabits habits;
  size_t changing = 0, with_down = 0, setting_timeout = 0;
  for (const model::Migration& m : set.migrations) {
    bool changes = false, sets = false;
    for (const model::Statement* st : m.statements()) {
      changes = changes || checks::changes_something(*st);
      sets = sets || checks::sets_lock_timeout(*st);
    }
    changing += changes;
    with_down += changes && (m.has_down || m.marked_irreversible);
    setting_timeout += changes && sets;
  }
  // A few hand-written files do not make a habit of the project; half of its migrations do.
  habits.writes_down = changing > 0 && with_down * 2 >= changing;
  habits.sets_lock_timeout = changing > 0 && setting_timeout * 2 >= changing;
  sql::SchemaTracker tracker;
  for (model::Migration& m : set.migrations) {
    tracker.begin_migration(m.id, applied.count(m.id) ? sql::SchemaTracker::InDatabase{} : in_database);
    for (auto& op : m.operations)
      for (auto& st : op.statements) {
        tracker.apply(st);
        ++out.statements;
      }
    if (decide_runs) decide_runs(m);
    m.target_postgres = target_postgres;
    m.project = habits;
    // A lock_timeout the config says every deploy sets counts as the session's own.
    if (m.session_lock_timeout.empty() && !deploy_lock_timeout.empty())
      m.session_lock_timeout = deploy_lock_timeout;
    std::vector<model::Finding> found = m.input_findings;
    for (auto& f : found) {
      f.migration = m.id;
      out.input_error = out.input_error || f.rule == model::kInputErrorRule;
    }
    if (since && m.main_file() && !since->added.count(canonical_path(m.main_file()->path))) {
      // Not added since the ref: its schema was followed above; only reading problems count.
      for (auto& f : found)
        if (f.rule == model::kInputErrorRule) out.findings.push_back(std::move(f));
      continue;
    }
    m.under_review = since.has_value();
    size_t first_rule_finding = found.size();
    ++checked;
    checks::run_checks(m, found);
    std::stable_sort(found.begin() + static_cast<std::ptrdiff_t>(first_rule_finding), found.end(),
                     [](const model::Finding& a, const model::Finding& b) {
                       return std::tie(a.loc.line, a.loc.column) < std::tie(b.loc.line, b.loc.column);
                     });
    for (auto& f : found) out.findings.push_back(std::move(f));
  }
  checks::collapse_conditions(set, checked, out.findings, set_begin);
  checks::run_set_checks(set, out.findings);
}

// One connection per database URL, opened when first needed, for the server's version and the
// table sizes; a failure to connect is kept (password scrubbed) and reported once.
struct Servers {
  struct Server {
    std::unique_ptr<db::Database> db;
    std::string error;
  };
  std::map<std::string, Server> by_url;

  Server& get(const std::string& url) {
    auto [it, fresh] = by_url.try_emplace(url);
    if (fresh) {
      try {
        it->second.db = std::make_unique<db::Database>(url);
      } catch (const std::exception& e) {
        it->second.error = scrub_password(e.what(), url);
      }
    }
    return it->second;
  }
  // The server's major version; 0 without a URL or a connection.
  uint32_t major(const std::string& url) {
    if (url.empty()) return 0;
    Server& s = get(url);
    return s.db ? s.db->server_major() : 0;
  }
  // The lock_timeout every session of this URL starts with (the URL's options, ALTER ROLE or
  // ALTER DATABASE … SET): what a deploy through the same URL runs under. Empty when off or unknown.
  std::string lock_timeout(const std::string& url) {
    if (url.empty()) return {};
    Server& s = get(url);
    if (!s.db) return {};
    try {
      std::string v = s.db->exec("SELECT current_setting('lock_timeout')")[0][0].as<std::string>();
      return v == "0" ? std::string{} : v;
    } catch (const std::exception&) {
      return {};
    }
  }
};

// The database each set's tables live in (empty: none, sizes unknown), as choose_database decides.
std::string set_database_url(const CheckOptions& options, const CheckRun& run, size_t set) {
  DatabaseCandidates c;
  if (!options.database_url.empty()) c.flag = options.database_url;
  size_t path = run.set_path[set];
  if (path < options.source_database_urls.size()) c.source = options.source_database_urls[path];
  return choose_database(DatabaseUse::TableSizes, c).url;
}

// The migrations of `set` that `dbc` records as applied, as its framework decides. A history
// table that is missing or unreadable means none: `status` is the command that reports on it.
std::set<std::string> applied_migrations(db::Database& dbc, const model::MigrationSet& set) {
  try {
    return framework_of(set).applied(dbc, set);
  } catch (const std::exception&) {
    return {};
  }
}

// One catalog query per database for every table its sets' findings are about; then sizes,
// estimates, escalation. `set_findings[s]` is the range of run.findings that set s produced.
void add_table_sizes(const CheckOptions& options, CheckRun& run,
                     const std::vector<std::pair<size_t, size_t>>& set_findings, Servers& servers,
                     const std::vector<std::set<std::string>>& applied,
                     const std::vector<std::vector<std::string>>& session_paths) {
  std::map<std::string, std::vector<size_t>> sets_by_url;
  for (size_t s = 0; s < run.sets.size(); ++s) sets_by_url[set_database_url(options, run, s)].push_back(s);
  auto range = [&](size_t s) {
    return std::span<model::Finding>(run.findings)
        .subspan(set_findings[s].first, set_findings[s].second - set_findings[s].first);
  };
  std::vector<model::Finding> errors;
  for (const auto& [url, sets] : sets_by_url) {
    // Findings of migrations the database already ran keep their severity and get no size.
    std::vector<db::RelationRef> relations;
    for (size_t s : sets) finding_relations(range(s), relations, applied[s], session_paths[s]);
    std::vector<db::TableSize> sizes;
    if (!url.empty() && !relations.empty()) {
      Servers::Server& server = servers.get(url);
      std::string error = server.error;
      if (server.db) {
        try {
          sizes = db::read_table_sizes(*server.db, relations);
        } catch (const std::exception& e) {
          error = scrub_password(e.what(), url);
        }
      }
      if (!error.empty()) {
        errors.push_back(input_error(db::mask_url(url), "cannot read table sizes: " + error));
        run.input_error = true;
        continue;
      }
    }
    for (size_t s : sets)
      apply_table_sizes(range(s), relations, sizes, options.thresholds, applied[s], session_paths[s]);
  }
  for (auto& e : errors) run.findings.push_back(std::move(e));
}

}  // namespace

CheckRun run_check(const CheckOptions& options, std::ostream* progress) {
  CheckRun run;
  // Asked first: a bad ref stops the run before any work.
  std::optional<GitSince> since;
  if (!options.since.empty()) since = git_changes_since(fs::current_path(), options.since);

  // 1. Find and read every migrations folder (cheap, sequential).
  std::vector<std::vector<std::string>> sql_per_set;
  std::vector<std::function<void(model::Migration&)>> decide_runs;
  for (size_t path_index = 0; path_index < options.paths.size(); ++path_index) {
    const std::string& path = options.paths[path_index];
    if (path_index > 0) run.set_path.resize(run.sets.size(), path_index - 1);  // the previous path's sets
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      model::MigrationSet set;
      set.source = path;
      set.input_findings.push_back(input_error(path, "no such file or folder: " + path));
      run.sets.push_back(std::move(set));
      sql_per_set.emplace_back();
      decide_runs.emplace_back();
      continue;
    }
    for (CheckInput& in : framework_for({path}).read_for_check(path, options, progress)) {
      run.sets.push_back(std::move(in.set));
      sql_per_set.push_back(std::move(in.sql));
      decide_runs.push_back(std::move(in.decide_runs));
    }
  }

  if (!options.paths.empty()) run.set_path.resize(run.sets.size(), options.paths.size() - 1);

  // 2. Parse every migration.sql, in parallel.
  std::vector<ParseTask> tasks;
  for (size_t s = 0; s < run.sets.size(); ++s)
    for (size_t i = 0; i < run.sets[s].migrations.size(); ++i) {
      model::Migration& m = run.sets[s].migrations[i];
      if (m.files.empty() || i >= sql_per_set[s].size()) continue;
      tasks.push_back({&m, &sql_per_set[s][i], {}});
    }
  parse_all(tasks, options.jobs);
  for (ParseTask& t : tasks) {
    // The reader made the migration.sql operation; the parser fills in its statements.
    if (t.migration->operations.empty()) {
      t.migration->operations.emplace_back();
      t.migration->operations.back().kind = "migration.sql";
      t.migration->operations.back().loc.file = t.migration->files.front().path;
    }
    model::Operation& op = t.migration->operations.front();
    op.statements = std::move(t.result.statements);
    t.migration->marked_irreversible = t.result.marked_irreversible;
    if (!t.result.scan_error.empty() && op.statements.empty())
      t.migration->input_findings.push_back(input_error(op.loc.file, t.result.scan_error));
  }
  if (options.keep_sql) run.sql = std::move(sql_per_set);

  // 3. Follow each folder's schema in order, decide how each migration runs, run the rules.
  // The PostgreSQL it will run on: --postgres-version, the config's postgres_version, else the
  // server of the set's database when sizes are read from one.
  uint32_t declared_postgres = options.postgres_version;
  if (!declared_postgres && options.config && options.config->postgres_version)
    declared_postgres = static_cast<uint32_t>(*options.config->postgres_version);
  Servers servers;  // asked here, before the threads: it connects lazily
  std::vector<uint32_t> targets;
  for (size_t s = 0; s < run.sets.size(); ++s)
    targets.push_back(declared_postgres || !options.table_sizes
                          ? declared_postgres
                          : servers.major(set_database_url(options, run, s)));
  // The lock_timeout deploys run under: said in the config, else seen on the set's database.
  std::string configured = options.config ? options.config->deploy_lock_timeout : std::string{};
  std::vector<std::string> deploy_lock_timeouts;
  for (size_t s = 0; s < run.sets.size(); ++s)
    deploy_lock_timeouts.push_back(!configured.empty() || !options.table_sizes
                                       ? configured
                                       : servers.lock_timeout(set_database_url(options, run, s)));
  // The database each set will run on, when known: what it has applied (those findings keep
  // their severity), and whether a CREATE TABLE IF NOT EXISTS finds its table there already.
  std::vector<std::set<std::string>> applied(run.sets.size());
  std::vector<db::Database*> set_db(run.sets.size(), options.database);
  if (options.table_sizes)
    for (size_t s = 0; s < run.sets.size(); ++s)
      if (std::string url = set_database_url(options, run, s); !url.empty())
        if (Servers::Server& server = servers.get(url); server.db) {
          applied[s] = applied_migrations(*server.db, run.sets[s]);
          set_db[s] = server.db.get();
        }
  // Where the framework's sessions look unqualified names up (Django: the search_path a new
  // session starts with; Prisma: the URL's schema, as safemigrate's connection does).
  std::vector<std::vector<std::string>> session_paths(run.sets.size());
  for (size_t s = 0; s < run.sets.size(); ++s)
    if (set_db[s]) {
      try {
        session_paths[s] = framework_of(run.sets[s]).session_search_path(*set_db[s]);
      } catch (const std::exception&) {
        // Unreadable: the connection's own search_path, as before.
      }
    }
  std::mutex db_mutex;  // sets are checked on several threads; a connection serves one at a time
  std::vector<SetResult> results(run.sets.size());
  util::parallel_for(run.sets.size(), options.jobs, [&](size_t s) {
    sql::SchemaTracker::InDatabase in_database;
    if (db::Database* dbc = set_db[s])
      in_database = [&, dbc, s](const model::RelationName& n, const std::vector<std::string>& path) {
        std::lock_guard<std::mutex> hold(db_mutex);
        try {
          db::RelationRef ref{n.schema, n.name, path};
          if (ref.schema.empty() && ref.search_path.empty()) ref.search_path = session_paths[s];
          return db::read_table_sizes(*dbc, {ref}).front().found;
        } catch (const std::exception&) {
          return false;  // unknown: counted as new, as without a database
        }
      };
    check_set(run.sets[s], decide_runs[s], targets[s], since, deploy_lock_timeouts[s], in_database,
              applied[s], results[s]);
  });
  std::vector<std::pair<size_t, size_t>> set_findings;  // [begin, end) in run.findings per set
  size_t total = 0;
  for (const SetResult& r : results) total += r.findings.size();
  run.findings.reserve(total);
  for (SetResult& r : results) {
    set_findings.emplace_back(run.findings.size(), run.findings.size() + r.findings.size());
    std::move(r.findings.begin(), r.findings.end(), std::back_inserter(run.findings));
    run.statements += r.statements;
    run.input_error = run.input_error || r.input_error;
  }
  if (options.table_sizes) add_table_sizes(options, run, set_findings, servers, applied, session_paths);
  if (since)
    for (auto& f : edited_migration_findings(*since, run.sets)) run.findings.push_back(std::move(f));
  if (options.config) {
    apply_exclude_apps(*options.config, run.sets, run.findings, options.gate);
    apply_config(*options.config, run.findings);
  }
  assign_fingerprints(run.sets, run.findings);
  if (std::string path = baseline_path(options); !path.empty())
    apply_baseline(read_baseline(path), run, since.has_value());
  return run;
}

void apply_exclude_apps(const config::Config& config, const std::vector<model::MigrationSet>& sets,
                        std::vector<model::Finding>& findings, bool gate) {
  if (config.exclude_apps.empty()) return;
  std::map<std::string, std::string> excluded;  // Django migration id -> the entry naming it
  for (const model::MigrationSet& set : sets) {
    if (!framework_of(set).has_apps()) continue;
    for (const model::Migration& m : set.migrations) {
      std::string entry = config.excluded_app(m.app, m.main_file() ? m.main_file()->path : std::string{});
      if (!entry.empty()) excluded[m.id] = entry;
    }
  }
  if (excluded.empty()) return;
  std::erase_if(findings, [&](model::Finding& f) {
    if (f.rule == model::kInputErrorRule) return false;
    auto it = excluded.find(f.migration);
    if (it == excluded.end()) return false;
    if (gate && !config.exclude_apps_pass_apply) {
      // The gate is told explicitly: without exclude_apps_apply = "pass", an error here still stops apply.
      f.message += " (app excluded by exclude_apps \"" + it->second +
                   "\"; its errors stop apply unless exclude_apps_apply = \"pass\")";
      return false;
    }
    if (!gate && config.exclude_apps_findings == config::Config::ExcludedFindings::Off) return true;
    if (!f.suppressed) {
      f.suppressed = true;
      f.suppression_reason = kExcludedAppReason + it->second + " (migrations the project does not own)";
    }
    return false;
  });
}

void apply_config(const config::Config& config, std::vector<model::Finding>& findings) {
  std::erase_if(findings, [&](model::Finding& f) {
    // Problems reading the input are never silenced: they mean migrations went unchecked.
    if (f.rule == model::kInputErrorRule) return false;
    if (config.ignored(f.loc.file)) return true;
    auto it = config.rules.find(f.rule);
    if (it == config.rules.end()) return false;
    if (!it->second) return true;  // "off"
    f.severity = *it->second;
    return false;
  });
}

}  // namespace sm::app

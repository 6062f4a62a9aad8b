// Prisma behind app/framework.h: one migrations folder read by the check pipeline,
// _prisma_migrations, and apply's engine (how each migration.sql is sent in each mode, the history
// rows `prisma migrate deploy` writes, its refusals P3009, P3015, P3008, P3011, P3012, P3017).
#include "adapters/prisma/prisma_apply.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "adapters/prisma/prisma_fix.h"
#include "adapters/prisma/prisma_history.h"
#include "adapters/prisma/prisma_project_paths.h"
#include "adapters/prisma/prisma_reader.h"
#include "adapters/prisma/prisma_version.h"
#include "app/check_command.h"
#include "app/history_support.h"
#include "db/database.h"
#include "model/errors.h"
#include "util/file_read.h"

namespace sm::prisma {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace sm::app;

namespace {

// How `apply` sends a migration.sql to PostgreSQL (apply --mode; HistoryOptions::mode names one).
enum class ApplyMode {
  Auto,     // the project's Prisma version's mode; Safe when the version is unknown
  Prisma6,  // the whole file as one simple-protocol query (Prisma <= 7.3): one implicit transaction
  Prisma7,  // statement by statement in autocommit (Prisma >= 7.4), one batch when its splitter would fail
  Safe,     // transactional statements in explicit transactions, CONCURRENTLY ones on their own
};
constexpr std::pair<ApplyMode, const char*> kApplyModes[] = {{ApplyMode::Auto, "auto"},
                                                             {ApplyMode::Prisma6, "prisma-6"},
                                                             {ApplyMode::Prisma7, "prisma-7"},
                                                             {ApplyMode::Safe, "safe"}};

const char* apply_mode_name(ApplyMode m) {
  for (const auto& [mode, name] : kApplyModes)
    if (mode == m) return name;
  return "?";
}

ApplyMode parse_apply_mode(const std::string& text) {
  for (const auto& [mode, name] : kApplyModes)
    if (text == name) return mode;
  throw InputError("--mode: \"" + text + "\" is not a Prisma apply mode (auto, prisma-6, prisma-7, safe)");
}

// The local side: one Prisma migrations folder, read and parsed by the check pipeline.
struct Local {
  fs::path dir;
  ApplyMode mode = ApplyMode::Safe;
  std::string mode_reason;  // why this mode
  CheckRun run;             // sets[0] is the folder
  std::vector<std::string> bytes;
  std::vector<prisma::LocalMigration> migrations;
  const model::MigrationSet& set() const { return run.sets.front(); }
};

Local load_local(const HistoryOptions& o) {
  Local local;
  if (o.paths.empty()) throw InputError("no migrations folder given");
  std::vector<fs::path> dirs;
  for (const std::string& p : o.paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) throw InputError("no such file or folder: " + p);
    if (fs::is_regular_file(p, ec))
      throw InputError(p +
                       " is a Django plan: resolve is for Prisma's failed migrations (Django records only "
                       "finished ones; use `manage.py migrate --fake APP NAME` to record one by hand)");
    for (fs::path& d : prisma::find_migration_dirs(p)) dirs.push_back(std::move(d));
  }
  if (dirs.empty())
    throw InputError("no Prisma migrations folder found in " + o.paths.front() +
                     " (looked for folders holding migration_lock.toml or */migration.sql)");
  if (dirs.size() > 1) {
    std::string names;
    for (const auto& d : dirs) names += "\n  " + d.string();
    throw InputError("found " + std::to_string(dirs.size()) +
                     " Prisma migrations folders; one database has one _prisma_migrations, so name "
                     "one folder:" +
                     names);
  }
  local.dir = dirs.front();

  // The mode decides how the checklist judges transactions, so it comes first.
  std::optional<prisma::PrismaVersion> version;
  if (!o.prisma_version.empty()) {
    version = prisma::parse_prisma_version(o.prisma_version);
    if (!version) throw InputError("--prisma-version: cannot read \"" + o.prisma_version + "\" as a version");
    version->source = "--prisma-version";
  } else {
    version = prisma::detect_prisma_version(local.dir);
  }
  std::string check_version;
  const ApplyMode requested = parse_apply_mode(o.mode);
  if (requested == ApplyMode::Auto) {
    if (!version) {
      local.mode = ApplyMode::Safe;
      local.mode_reason = "the project's Prisma version is unknown, so safemigrate's own mode";
    } else {
      bool split = prisma::runs_statement_by_statement(*version);
      local.mode = split ? ApplyMode::Prisma7 : ApplyMode::Prisma6;
      local.mode_reason = fmt::format("Prisma {}.{}.{} from {}", version->major, version->minor,
                                      version->patch, version->source);
    }
  } else {
    local.mode = requested;
    local.mode_reason = "--mode";
  }
  // The checklist judges each migration as it will run: one batch, or statements on their own
  // (safe mode runs CONCURRENTLY outside any transaction, as Prisma >= 7.4 does).
  if (requested == ApplyMode::Auto && version)
    check_version = fmt::format("{}.{}.{}", version->major, version->minor, version->patch);
  else
    check_version = local.mode == ApplyMode::Prisma6 ? "7.3.0" : "7.4.0";

  CheckOptions co;
  co.paths = {local.dir.string()};
  co.prisma_version = check_version;
  co.max_file_size = o.max_file_size;
  co.config = o.config;
  co.postgres_version = o.postgres_version;
  co.database = o.database;
  co.use_baseline = false;  // the gate judges what will run; a baseline only quiets review
  co.jobs = 0;
  co.keep_sql = true;  // each migration.sql is read once (issue 23)
  local.run = run_check(co, nullptr);
  if (local.run.sets.size() != 1) throw InputError("cannot read " + local.dir.string());
  for (const model::Finding& f : local.set().input_findings)
    if (f.rule == model::kInputErrorRule) throw InputError(f.message);

  std::vector<std::string>& read_bytes = local.run.sql.front();
  for (size_t i = 0; i < local.set().migrations.size(); ++i) {
    const model::Migration& m = local.set().migrations[i];
    prisma::LocalMigration lm;
    lm.name = m.id;
    std::string bytes;
    if (m.main_file()) {
      // The bytes check read and hashed (its reader records a migration.sql it could not read
      // as an input error, thrown above).
      if (i < read_bytes.size()) bytes = std::move(read_bytes[i]);
      lm.has_script = true;
      lm.script = prisma::prisma_script(bytes);
    } else {
      bool no_script =
          std::any_of(m.input_findings.begin(), m.input_findings.end(),
                      [](const model::Finding& x) { return x.rule == "missing-migration-file"; });
      if (!no_script) {
        for (const auto& x : m.input_findings) throw InputError(x.message);
        throw InputError("cannot read migration " + m.id);
      }
    }
    for (const model::Statement* st : m.statements())
      for (const model::Action& a : st->actions)
        if (a.kind == model::ActionKind::CreateIndex && !a.object.empty()) lm.index_names.push_back(a.object);
    local.bytes.push_back(std::move(bytes));
    local.migrations.push_back(std::move(lm));
  }
  return local;
}

// ---- apply -----------------------------------------------------------------------------------

// A piece of a migration sent to PostgreSQL at once.
struct Unit {
  std::vector<const model::Statement*> statements;  // empty: the whole file as one query
  bool transaction = false;                         // in an explicit BEGIN … COMMIT
};

struct Plan {
  std::string description;  // what the user reads: "safe: one transaction"
  std::vector<Unit> units;
  bool record_in_transaction = false;  // the history row is written inside the only transaction
};

Plan plan_migration(const model::Migration& m, ApplyMode mode) {
  Plan p;
  std::vector<const model::Statement*> sts = m.statements();
  if (mode == ApplyMode::Prisma6) {
    p.units.push_back({});
    p.description = "prisma-6: the whole file as one query (one implicit transaction)";
    return p;
  }
  if (mode == ApplyMode::Prisma7) {
    for (const model::Statement* st : sts)
      if (const char* construct = prisma::prisma_splitter_cannot_parse(*st)) {
        p.units.push_back({});
        p.description = fmt::format(
            "prisma-7: the whole file as one query, because Prisma's splitter cannot parse {} (line {})",
            construct, st->loc.line);
        return p;
      }
    for (const model::Statement* st : sts) p.units.push_back({{st}, false});
    p.description = fmt::format("prisma-7: {} statement(s), each on its own in autocommit", sts.size());
    return p;
  }
  // Safe mode. A file with its own BEGIN/COMMIT decides its transactions itself.
  bool has_tx_control = std::any_of(
      sts.begin(), sts.end(), [](const model::Statement* st) { return st->tx != model::TxControl::None; });
  if (has_tx_control) {
    for (const model::Statement* st : sts) p.units.push_back({{st}, false});
    p.description = "safe: statement by statement in autocommit, because the file has its own BEGIN/COMMIT";
    return p;
  }
  for (const model::Statement* st : sts) {
    if (st->cannot_run_in_transaction) {
      p.units.push_back({{st}, false});
    } else if (!p.units.empty() && p.units.back().transaction) {
      p.units.back().statements.push_back(st);
    } else {
      p.units.push_back({{st}, true});
    }
  }
  if (p.units.size() == 1 && p.units[0].transaction) {
    p.record_in_transaction = true;
    p.description = fmt::format("safe: one transaction ({} statement(s) and the history row, all or nothing)",
                                sts.size());
  } else if (p.units.empty()) {
    p.description = "safe: no statements";
  } else {
    int tx = 0, alone = 0;
    for (const Unit& u : p.units) (u.transaction ? tx : alone)++;
    p.description = fmt::format(
        "safe: {} transaction(s) and {} statement(s) that cannot run in a transaction, "
        "each on its own, in file order",
        tx, alone);
  }
  return p;
}

std::string unit_label(const Unit& u) {
  if (u.statements.empty()) return "the whole file";
  uint32_t a = u.statements.front()->loc.line, b = u.statements.back()->loc.line;
  if (u.statements.size() == 1) return fmt::format("the statement at line {}", a);
  return fmt::format("{} statements (lines {}-{})", u.statements.size(), a, b);
}

// Who holds a lock on the tables of `u` (after a lock timeout), e.g. `"users" (AccessExclusiveLock
// held by pid 42: LOCK TABLE users)`; falls back to the tables the statements lock.
std::string blocking_tables(db::Database& dbc, const Unit& u, const model::Migration& m) {
  std::set<std::string> names;
  auto add = [&](const model::Statement* st) {
    for (const model::Action& a : st->actions) names.insert(a.relation.name);
  };
  if (u.statements.empty())
    for (const model::Statement* st : m.statements()) add(st);
  for (const model::Statement* st : u.statements) add(st);
  names.erase("");
  if (names.empty()) return "";
  if (std::string who = lock_holders(dbc, names); !who.empty()) return who;
  std::vector<std::string> quoted;
  for (const std::string& n : names) quoted.push_back("\"" + n + "\"");
  return fmt::format("table(s) {}", fmt::join(quoted, ", "));
}

class Applier {
 public:
  Applier(db::Database& dbc, prisma::PrismaHistory& hist, const HistoryOptions& o, std::ostream& out)
      : db_(dbc), hist_(hist), o_(o), out_(out) {}

  // Runs one migration; returns true when it was applied and recorded.
  bool apply(const model::Migration& m, const std::string& script, const Plan& plan, std::string& error) {
    // An earlier migration may have changed how this session lexes SQL in a way no rule saw (a DO
    // block's dynamic SQL): nothing more is sent then.
    if (std::string why = lexing_mismatch(db_); !why.empty()) {
      error = fmt::format(
          "Migration name: {}\n\nsafemigrate: {}\nnothing was recorded: the migration is "
          "still pending\n",
          m.id, why);
      return false;
    }
    const std::string checksum = prisma::prisma_checksum(script);
    current_ = &m;
    if (plan.record_in_transaction) return apply_in_one_transaction(m, script, plan, checksum, error);
    std::string id;
    {
      pqxx::nontransaction tx(db_.conn());
      id = hist_.insert_started(tx, m.id, checksum);
    }
    size_t done = 0;
    for (const Unit& u : plan.units) {
      std::optional<SqlFailure> e;
      if (std::string why = done ? lexing_mismatch(db_) : ""; !why.empty())
        e = SqlFailure{"", "safemigrate: " + why, nullptr, false};
      else
        e = run_with_retries(m, script, u);
      if (e) {
        error = failure_logs(m, plan, done, *e);
        pqxx::nontransaction tx(db_.conn());
        hist_.record_logs(tx, id, error);
        return false;
      }
      ++done;
    }
    pqxx::nontransaction tx(db_.conn());
    hist_.add_applied_step(tx, id);
    hist_.mark_finished(tx, id);
    return true;
  }

 private:
  bool apply_in_one_transaction(const model::Migration& m, const std::string& script, const Plan& plan,
                                const std::string& checksum, std::string& error) {
    std::optional<SqlFailure> e =
        with_retries(m, plan.units.front(), [&](const Unit& u) -> std::optional<SqlFailure> {
          pqxx::work tx(db_.conn());
          std::string id = hist_.insert_started(tx, m.id, checksum);
          if (std::optional<SqlFailure> ue = exec_statements(tx, script, u)) return ue;
          hist_.add_applied_step(tx, id);
          hist_.mark_finished(tx, id);
          tx.commit();
          return std::nullopt;
        });
    if (!e) return true;
    if (e->sqlstate == "55P03") {
      // It never got its locks: nothing ran, so it stays pending instead of blocking later applies.
      error = failure_logs(m, plan, 0, *e) + "nothing was recorded: the migration is still pending\n";
      return false;
    }
    // Nothing of the migration is in the database; record the failure as Prisma would.
    error = failure_logs(m, plan, 0, *e);
    pqxx::nontransaction tx(db_.conn());
    std::string id = hist_.insert_started(tx, m.id, checksum);
    hist_.record_logs(tx, id, error);
    return false;
  }

  // Runs each statement of `u` in `tx`; the first failure ends it. Each goes alone with the
  // extended protocol (PQexecParams, no parameters), so the server runs it as one command or
  // refuses it ("cannot insert multiple commands into a prepared statement"): it never splits
  // a statement safemigrate checked into others.
  std::optional<SqlFailure> exec_statements(pqxx::transaction_base& tx, const std::string& script,
                                            const Unit& u) {
    for (const model::Statement* st : u.statements) {
      try {
        tx.exec_params(script.substr(st->loc.offset, st->length));
      } catch (const pqxx::failure& ex) {
        if (std::optional<SqlFailure> f = sql_failure(ex, st)) return f;
        throw;
      }
    }
    return std::nullopt;
  }

  std::optional<SqlFailure> run_unit(const std::string& script, const Unit& u) {
    try {
      if (u.statements.empty()) {
        // One simple-protocol query holding the whole file, as Prisma <= 7.3 sends it. Here the
        // server splits the file itself; it splits as libpg_query did because apply refuses a
        // session whose standard_conforming_strings is off or whose client_encoding is client-only
        // (lexing_mismatch, checked before each migration) and the gate blocks every migration that
        // changes such a setting (lexing-setting-changed).
        try {
          pqxx::nontransaction tx(db_.conn());
          tx.exec(script);
        } catch (const pqxx::failure& ex) {
          if (std::optional<SqlFailure> f = sql_failure(ex, failed_in_whole_file(ex))) return f;
          throw;
        }
        return std::nullopt;
      }
      if (u.transaction) {
        pqxx::work tx(db_.conn());
        if (std::optional<SqlFailure> e = exec_statements(tx, script, u)) return e;
        tx.commit();
        return std::nullopt;
      }
      pqxx::nontransaction tx(db_.conn());
      return exec_statements(tx, script, u);
    } catch (const pqxx::failure& ex) {
      if (std::optional<SqlFailure> f = sql_failure(ex, nullptr)) return f;
      throw;
    }
  }

  // The statement of the file that PostgreSQL's error points at, or null. libpq's message shows
  // the error's line of the query ("LINE 6: ..."), here the file's line (pqxx keeps the error's
  // position only for syntax errors); a line holding more than one statement is not pinned. A
  // syntax error (42601) comes from parsing the whole query before any of it ran, so it says
  // nothing about how far the file got.
  const model::Statement* failed_in_whole_file(const pqxx::failure& ex) const {
    const auto* se = dynamic_cast<const pqxx::sql_error*>(&ex);
    if (!se || se->sqlstate() == "42601" || !current_) return nullptr;
    std::string_view what = ex.what();
    size_t at = what.find("\nLINE ");
    if (at == std::string_view::npos) return nullptr;
    uint32_t line = 0;
    size_t k = at + 6;
    for (; k < what.size() && what[k] >= '0' && what[k] <= '9' && line < 100000000; ++k)
      line = line * 10 + static_cast<uint32_t>(what[k] - '0');
    if (k == at + 6 || k >= what.size() || what[k] != ':') return nullptr;
    const model::Statement* hit = nullptr;
    int hits = 0;
    for (const model::Statement* st : current_->statements()) {
      uint32_t last =
          st->loc.line + static_cast<uint32_t>(std::count(st->text.begin(), st->text.end(), '\n'));
      if (st->loc.line <= line && line <= last) {
        hit = st;
        ++hits;
      }
    }
    return hits == 1 ? hit : nullptr;
  }

  // The lock_timeout an attempt ran under: a `SET lock_timeout` of the migration itself, up to
  // the end of the unit, replaces --lock-timeout's for the rest of the session (issue 26: the
  // lines printed the flag's value while the migration's own had fired).
  std::string lock_timeout_text(const model::Migration& m, const Unit& u) const {
    const model::Statement* end = u.statements.empty() ? nullptr : u.statements.back();
    const model::Statement* set = nullptr;
    for (const model::Statement* st : m.statements()) {
      if (st->cls == model::StatementClass::Session && st->set_name == "lock_timeout") set = st;
      if (st == end) break;
    }
    if (!set) return fmt::format("{} ms", o_.lock_timeout.count());
    return fmt::format(
        "lock_timeout = {} set by the migration at line {}, in place of --lock-timeout's {} ms",
        set->set_value, set->loc.line, o_.lock_timeout.count());
  }

  template <typename F>
  std::optional<SqlFailure> with_retries(const model::Migration& m, const Unit& u, F&& attempt) {
    return retry_on_lock_timeout(
        o_, [&] { return attempt(u); },
        [&](SqlFailure& e, int n, std::optional<std::chrono::milliseconds> wait) {
          std::string who = blocking_tables(db_, u, m);
          if (!wait) {
            e.message = fmt::format("gave up after {} attempt(s): lock timeout ({}) on {}, waiting for {}", n,
                                    lock_timeout_text(m, u), unit_label(u), who.empty() ? "a lock" : who);
            return;
          }
          out_ << fmt::format("  lock timeout ({}) on {}, waiting for {}; retry {}/{} in {:.1f} s\n",
                              lock_timeout_text(m, u), unit_label(u), who.empty() ? "a lock" : who, n,
                              o_.lock_retries, static_cast<double>(wait->count()) / 1000.0);
          out_.flush();
        });
  }

  std::optional<SqlFailure> run_with_retries(const model::Migration& m, const std::string& script,
                                             const Unit& u) {
    return with_retries(m, u, [&](const Unit& unit) { return run_unit(script, unit); });
  }

  // What stays of a file sent as one query (Prisma <= 7.3) that failed. PostgreSQL runs it as one
  // implicit transaction, except that each COMMIT of the file's own that it reaches commits what
  // ran before it (measured on PG 15: a later failure rolls back only what follows that COMMIT).
  static std::string whole_file_outcome(const model::Migration& m, const SqlFailure& e) {
    std::vector<const model::Statement*> commits;
    bool rollback = false;
    for (const model::Statement* st : m.statements()) {
      if (st->tx == model::TxControl::Commit) commits.push_back(st);
      rollback = rollback || st->tx == model::TxControl::Rollback;
    }
    if (commits.empty())
      return "the file ran as one implicit transaction, so nothing of it is in the database";
    const std::string undone = rollback ? " (but for what a ROLLBACK of the file undid)" : "";
    if (e.statement) {
      const model::Statement* last = nullptr;
      for (const model::Statement* st : commits)
        if (st->start < e.statement->start) last = st;
      if (!last)
        return fmt::format(
            "it failed before the file's own COMMIT (line {}), inside the first transaction, so nothing of "
            "it is in the database",
            commits.front()->loc.line);
      return fmt::format(
          "the file's own COMMIT at line {} had committed lines 1-{}: those statements stay in the "
          "database{}; the statements after that COMMIT, up to the failed one, were rolled back and the "
          "rest did not run",
          last->loc.line, last->loc.line, undone);
    }
    std::vector<std::string> lines;
    for (const model::Statement* st : commits) lines.push_back(std::to_string(st->loc.line));
    return fmt::format(
        "the file has its own COMMIT (line {}): PostgreSQL committed at each one it reached, so the "
        "statements "
        "before the last COMMIT it reached stay in the database{} and only those after it were rolled back; "
        "the error does not say which statement failed, so check what lines 1-{} did",
        fmt::join(lines, ", "), undone, commits.back()->loc.line);
  }

  std::string failure_logs(const model::Migration& m, const Plan& plan, size_t done, const SqlFailure& e) {
    std::string where;
    if (e.statement)
      where = fmt::format("statement at line {} failed", e.statement->loc.line);
    else
      where = "the query failed";
    std::string ran;
    if (plan.units.size() > 1)
      ran = fmt::format(
          "{} of {} part(s) had been committed before it; the failed part was rolled back{}", done,
          plan.units.size(),
          plan.units[done].transaction ? "" : " (autocommit: statements before it in that part stay)");
    else if (!plan.units.empty() && plan.units[0].transaction)
      ran = "the transaction was rolled back: nothing of this migration is in the database";
    else if (!plan.units.empty() && plan.units[0].statements.empty())
      ran = whole_file_outcome(m, e);
    else
      ran = "statements before the failed one were committed";
    return fmt::format(
        "Migration name: {}\n\nDatabase error code: {}\n\nDatabase error:\n{}\n\nsafemigrate ({}): {}; {}\n",
        m.id, e.sqlstate, e.message, plan.description, where, ran);
  }

  db::Database& db_;
  prisma::PrismaHistory& hist_;
  const HistoryOptions& o_;
  std::ostream& out_;
  const model::Migration* current_ = nullptr;  // the migration apply() runs
};

// What _prisma_migrations records of `name` (after the connection was lost while applying it).
std::string recorded_state(db::Database& dbc, const std::string& name) {
  prisma::PrismaHistory hist(dbc);
  bool exists = false;
  bool any = false, failed = false, applied = false;
  for (const prisma::PrismaRow& r : db::read_checked_rows(hist, exists))
    if (r.migration_name == name) {
      any = true;
      failed = failed || r.failed();
      applied = applied || (r.finished() && !r.rolled_back());
    }
  if (failed)
    return fmt::format(
        "it is recorded as started and not finished, which `status` and Prisma show as failed; check the "
        "database, then run `safemigrate resolve --rolled-back {}` or `--applied {}`",
        name, name);
  if (applied) return "it is recorded as applied";
  if (any) return "it is recorded as rolled back: the next apply runs it again";
  return "it is not recorded, so it is pending (statements it ran in autocommit stay in the database)";
}

class PrismaProject : public Project {
 public:
  explicit PrismaProject(Local local) : local_(std::move(local)) { checked = std::move(local_.run); }

  std::string local_name() const override { return "the migrations folder"; }
  ReplayOutcome replay(db::Database& target, db::Database& scratch, const HistoryOptions& o,
                       std::ostream& out) override;
  std::unique_ptr<db::HistoryStore> history(db::Database& dbc) const override {
    return std::make_unique<PrismaHistory>(dbc);
  }
  db::HistoryReport report(db::HistoryStore& hist) const override {
    return static_cast<PrismaHistory&>(hist).report(local_.migrations);
  }
  std::vector<db::MigrationStatus> read_status(db::HistoryStore& hist, bool& exists) const override {
    return compute_status(local_.migrations,
                          db::read_checked_rows(static_cast<PrismaHistory&>(hist), exists));
  }

  // Like P3009: a failed migration blocks everything until it is resolved, whether or not its
  // folder is still there.
  std::optional<Refusal> refusal(const std::vector<db::MigrationStatus>& status) const override {
    for (const db::MigrationStatus& s : status)
      if (s.state == db::MigrationState::Failed) {
        Refusal r;
        r.reason =
            fmt::format("migration {} failed earlier and is not resolved; apply would stop (P3009)", s.name);
        bool local_folder = std::any_of(local_.migrations.begin(), local_.migrations.end(),
                                        [&](const LocalMigration& m) { return m.name == s.name; });
        r.message = fmt::format(
            "safemigrate: migration {} failed earlier (started {}) and is not resolved, so nothing is "
            "applied (Prisma refuses the same, P3009).{}\n",
            s.name, s.started_at, s.logs.empty() ? "" : "\nRecorded error: " + recorded_error(s.logs));
        if (local_folder)
          r.message += fmt::format(
              "After checking the database, run `safemigrate resolve --rolled-back {}` (it will be applied "
              "again) or `safemigrate resolve --applied {}` (you finished it by hand).\n",
              s.name, s.name);
        else
          r.message += fmt::format(
              "Its folder is no longer in {}. After checking the database (undo what it did, or keep it), "
              "run `safemigrate resolve --rolled-back {}`.\n",
              local_.dir.string(), s.name);
        return r;
      }
    return std::nullopt;
  }

  void before_lock(db::Database&, const HistoryOptions&, std::ostream& out) override {
    out << fmt::format("mode {} ({})\n", apply_mode_name(local_.mode), local_.mode_reason);
  }
  void warn(const std::vector<db::MigrationStatus>& status, std::ostream& out) const override {
    for (const db::MigrationStatus& s : status)
      if (s.state == db::MigrationState::Edited || s.state == db::MigrationState::MissingLocally)
        out << fmt::format("warning: {}: {}\n", s.name, s.detail);
  }
  std::string ignore_hint() const override {
    return "`-- safemigrate-ignore: RULE reason` before the statement";
  }
  std::string nothing_to_apply() const override {
    return fmt::format("nothing to apply: all {} migration(s) are applied\n", set().migrations.size());
  }

  int apply(ApplyContext& c) override {
    if (c.options.dry_run) return dry_run(c);
    prepare_to_apply(c.history, c.table_exists, c.database, c.options, c.out);
    Applier applier(c.database, static_cast<PrismaHistory&>(c.history), c.options, c.out);
    const auto all_start = Clock::now();
    for (size_t k = 0; k < c.todo.size(); ++k)
      if (int code = apply_one(c, applier, k); code != model::kExitOk) return code;
    c.out << fmt::format("applied {} migration(s) in {}\n", c.todo.size(),
                         fmt_seconds(Clock::now() - all_start));
    return model::kExitOk;
  }

  int resolve(db::Database& dbc, db::HistoryStore& store, const HistoryOptions&,
              const std::string& applied_name, const std::string& rolled_back_name, std::ostream& out,
              std::ostream& err) override;

 private:
  int dry_run(ApplyContext& c) const {
    if (!c.table_exists) c.out << "would create " << c.history.table() << "\n";
    for (size_t i : c.todo) {
      const model::Migration& m = set().migrations[i];
      if (c.status[i].state == db::MigrationState::NoScript) {
        c.out << fmt::format("would stop at {}: the folder has no migration.sql (Prisma P3015)\n", m.id);
        break;
      }
      Plan plan = plan_migration(m, local_.mode);
      c.out << fmt::format("would apply {} ({})\n", m.id, plan.description);
      for (const Unit& u : plan.units)
        c.out << fmt::format("    {} {}\n",
                             u.transaction ? "in a transaction:" : "in autocommit:  ", unit_label(u));
    }
    c.out << "dry run: nothing was written\n";
    return model::kExitOk;
  }

  // Applies c.todo[k], printing its progress; model::kExitOk or the exit code that stops apply.
  int apply_one(ApplyContext& c, Applier& applier, size_t k) {
    const std::vector<size_t>& todo = c.todo;
    const model::Migration& m = set().migrations[todo[k]];
    if (c.status[todo[k]].state == db::MigrationState::NoScript) {
      c.err << fmt::format(
          "safemigrate: {} has no migration.sql, so apply stops there (Prisma stops with P3015); {} later "
          "migration(s) not applied\n",
          m.id, todo.size() - k - 1);
      return model::kExitFindings;
    }
    Plan plan = plan_migration(m, local_.mode);
    c.out << fmt::format("[{}/{}] applying {} ({})\n", k + 1, todo.size(), m.id, plan.description);
    c.out.flush();
    const auto start = Clock::now();
    std::string error;
    bool ok = false;
    try {
      ok = applier.apply(m, local_.migrations[todo[k]].script, plan, error);
    } catch (const std::exception& e) {
      if (c.database.conn().is_open()) throw;
      c.err << lost_connection(c.options, e, m.id, todo.size() - k - 1,
                               [&](db::Database& fresh) { return recorded_state(fresh, m.id); });
      return model::kExitUsage;
    }
    if (!ok) {
      bool recorded = error.find("nothing was recorded") == std::string::npos;
      c.err << fmt::format("safemigrate: migration {} failed after {}{}:\n{}", m.id,
                           fmt_seconds(Clock::now() - start),
                           recorded ? "; it is recorded as failed in " + c.history.table() : "", error);
      c.err << fmt::format("{} later migration(s) not applied.{}\n", todo.size() - k - 1,
                           recorded ? fmt::format(" Resolve with `safemigrate resolve --rolled-back {}` or "
                                                  "`--applied {}`.",
                                                  m.id, m.id)
                                    : "");
      return model::kExitFindings;
    }
    c.out << fmt::format("[{}/{}] applied {} in {}, {} left\n", k + 1, todo.size(), m.id,
                         fmt_seconds(Clock::now() - start), todo.size() - k - 1);
    c.out.flush();
    return model::kExitOk;
  }

  Local local_;
};

// Prisma's resolve (schema-engine mark_migration_applied / mark_migration_rolled_back):
// --rolled-back reads only the history table, so it clears a failed record whose folder is gone;
// --applied needs the folder (its checksum is recorded). Refusals are Prisma's, with exit 1.
int PrismaProject::resolve(db::Database& dbc, db::HistoryStore& store, const HistoryOptions&,
                           const std::string& applied_name, const std::string& rolled_back_name,
                           std::ostream& out, std::ostream& err) {
  PrismaHistory& hist = static_cast<PrismaHistory&>(store);
  const Local& local = local_;
  const std::string& name = applied_name.empty() ? rolled_back_name : applied_name;
  auto found = std::find_if(local.migrations.begin(), local.migrations.end(),
                            [&](const LocalMigration& m) { return m.name == name; });
  bool exists = false;
  std::vector<PrismaRow> rows = db::read_checked_rows(hist, exists);
  int recorded = 0;
  bool failed = false, applied = false, all_finished = true;
  for (const auto& r : rows)
    if (r.migration_name == name) {
      ++recorded;
      failed = failed || r.failed();
      applied = applied || (r.finished() && !r.rolled_back());
      all_finished = all_finished && r.finished();
    }
  if (!rolled_back_name.empty()) {
    if (recorded == 0) {
      err << fmt::format(
          "safemigrate: Migration `{}` cannot be rolled back because it was never applied to the database "
          "(Prisma: P3011). Hint: did you pass in the whole migration name? (example: "
          "\"20201207184859_initial_migration\")\n",
          name);
      return model::kExitFindings;
    }
    if (all_finished) {
      err << fmt::format(
          "safemigrate: Migration `{}` cannot be rolled back because it is not in a failed state (Prisma: "
          "P3012); nothing was written\n",
          name);
      return model::kExitFindings;
    }
    if (!failed) {
      // Prisma does the same: nothing left to mark, and that is not an error.
      out << fmt::format("{} is already marked rolled back; nothing was written\n", name);
      return model::kExitOk;
    }
    pqxx::nontransaction tx(dbc.conn());
    int n = hist.mark_rolled_back(tx, name);
    out << fmt::format("marked {} failed record(s) of {} as rolled back; {}\n", n, name,
                       found != local.migrations.end()
                           ? "the next apply runs it again"
                           : "its folder is gone, so the next apply goes on without it");
    return model::kExitOk;
  }
  if (found == local.migrations.end()) {
    err << fmt::format(
        "safemigrate: the migration {} could not be found in {} (Prisma: P3017): --applied records the "
        "checksum of its migration.sql, so pass the whole name of an existing folder{}\n",
        name, local.dir.string(),
        failed ? fmt::format("; its failed record can be cleared with `safemigrate resolve --rolled-back {}`",
                             name)
               : "");
    return model::kExitFindings;
  }
  if (applied) {
    err << fmt::format(
        "safemigrate: {} is already recorded as applied (Prisma: P3008); nothing was written\n", name);
    return model::kExitFindings;
  }
  if (!found->has_script) throw InputError(name + " has no migration.sql: its checksum cannot be recorded");
  if (!exists) {
    hist.create_table();
    out << "created " << hist.table() << "\n";
  }
  pqxx::work tx(dbc.conn());
  int n = hist.mark_rolled_back(tx, name);
  hist.insert_applied(tx, name, prisma::prisma_checksum(found->script));
  tx.commit();
  out << fmt::format("recorded {} as applied{}\n", name,
                     n ? fmt::format(" (its {} failed record(s) are marked rolled back)", n) : "");
  return model::kExitOk;
}

// drift: what the target records as applied, run on `scratch` by the same plan and executor as
// apply (recorded in scratch's own _prisma_migrations), in the folder's order.
ReplayOutcome PrismaProject::replay(db::Database& target, db::Database& scratch, const HistoryOptions& o,
                                    std::ostream& out) {
  PrismaHistory hist(target);
  bool exists = false;
  std::vector<db::MigrationStatus> status = read_status(hist, exists);
  ReplayOutcome r;
  r.history_table = hist.table();
  r.mode = fmt::format("{} ({})", apply_mode_name(local_.mode), local_.mode_reason);
  std::vector<size_t> todo;
  for (size_t i = 0; i < status.size(); ++i) {
    const db::MigrationStatus& s = status[i];
    switch (s.state) {
      case db::MigrationState::Applied:
      case db::MigrationState::Duplicate:
      case db::MigrationState::Inconsistent: todo.push_back(i); break;
      case db::MigrationState::Edited:
        todo.push_back(i);
        r.edited.push_back(s.name);
        break;
      case db::MigrationState::Pending:
      case db::MigrationState::RolledBack: r.pending.push_back(s.name); break;
      case db::MigrationState::Failed: r.failed.push_back(s.name); break;
      case db::MigrationState::MissingLocally: r.missing_locally.push_back(s.name); break;
      case db::MigrationState::NoScript: r.no_script.push_back(s.name); break;
    }
  }
  PrismaHistory shadow_hist(scratch);
  HistoryOptions so = o;
  so.lock_retries = 0;
  prepare_to_apply(shadow_hist, false, scratch, so, out);
  Applier applier(scratch, shadow_hist, so, out);
  for (size_t i : todo) {
    if (i >= set().migrations.size()) continue;
    const model::Migration& m = set().migrations[i];
    std::string error;
    if (!applier.apply(m, local_.migrations[i].script, plan_migration(m, local_.mode), error)) {
      r.error = error;
      return r;
    }
    r.replayed.push_back(m.id);
  }
  return r;
}

class PrismaFramework : public Framework {
 public:
  std::string name() const override { return "prisma"; }
  // Everything that is not a file: a migrations folder, a folder holding some (a path that does
  // not exist is Prisma's too, which says so when it reads it).
  bool claims(const fs::path& path) const override {
    std::error_code ec;
    return !fs::is_regular_file(path, ec);
  }
  std::unique_ptr<Project> open(const HistoryOptions& o, Purpose) const override {
    return std::make_unique<PrismaProject>(load_local(o));
  }
  // Every row, finished or not: a failed or rolled-back migration has started to run.
  std::set<std::string> recorded_migrations(db::Database& dbc) const override {
    std::set<std::string> names;
    bool exists = false;
    PrismaHistory hist(dbc);
    for (const PrismaRow& r : db::read_checked_rows(hist, exists)) names.insert(r.migration_name);
    return names;
  }
  std::vector<app::MigrationFix> fix(const model::MigrationSet& set,
                                     const std::vector<app::FixTarget>& targets,
                                     const app::FixSettings& settings) const override {
    return fix_prisma_set(set, targets, settings);
  }

  // ---- check, list, --since and the command line's inputs ----
  model::Framework kind() const override { return model::Framework::Prisma; }
  // Every migrations folder under `path`, each run as the project's Prisma version runs it.
  std::vector<CheckInput> read_for_check(const std::string& path, const CheckOptions& o,
                                         std::ostream* progress) const override {
    std::optional<PrismaVersion> forced;
    if (!o.prisma_version.empty()) {
      forced = parse_prisma_version(o.prisma_version);
      if (forced) forced->source = "--prisma-version";
    }
    std::vector<CheckInput> out;
    std::vector<fs::path> dirs = find_migration_dirs(path);
    if (dirs.empty()) {
      CheckInput in;
      in.set.source = path;
      model::Finding f;
      f.rule = model::kInputErrorRule;
      f.severity = model::Severity::Error;
      f.loc.file = path;
      f.message = "no Prisma migrations folder found in " + path +
                  " (looked for folders holding migration_lock.toml or */migration.sql)";
      in.set.input_findings.push_back(std::move(f));
      out.push_back(std::move(in));
      return out;
    }
    ReadOptions read_options;
    read_options.max_file_size = o.max_file_size;
    for (const fs::path& dir : dirs) {
      ReadResult read = read_migrations_dir(dir, read_options);
      if (progress)
        *progress << "reading " << dir.string() << ": " << read.set.migrations.size() << " migrations\n";
      std::optional<PrismaVersion> version = forced ? forced : detect_prisma_version(dir);
      out.push_back({std::move(read.set), std::move(read.sql),
                     [version](model::Migration& m) { assign_scenarios(m, version); }});
    }
    return out;
  }
  std::string option_error(const CheckOptions& o) const override {
    if (o.prisma_version.empty() || parse_prisma_version(o.prisma_version)) return {};
    return "--prisma-version: cannot read \"" + o.prisma_version +
           "\" as a version (expected e.g. 6.19.3 or 7.4)";
  }
  // Finished and not rolled back in _prisma_migrations.
  std::set<std::string> applied(db::Database& dbc, const model::MigrationSet&) const override {
    std::set<std::string> out;
    bool exists = false;
    PrismaHistory hist(dbc);
    for (const PrismaRow& r : db::read_checked_rows(hist, exists))
      if (r.finished() && !r.rolled_back()) out.insert(r.migration_name);
    return out;
  }
  // <migrations>/<folder>/migration.sql
  fs::path migrations_folder(const fs::path& main_file) const override {
    return main_file.parent_path().parent_path();
  }
  std::optional<DeletedMigration> deleted_migration(const fs::path& file) const override {
    if (file.filename() != "migration.sql") return std::nullopt;
    return DeletedMigration{file.parent_path().parent_path(), file.parent_path().filename().string()};
  }
  std::string source_problem(const fs::path& path) const override {
    std::error_code ec;
    if (fs::is_directory(path, ec) || !fs::exists(path, ec)) return {};
    return "is not a folder (give the prisma/migrations folder or a folder above it)";
  }
  ProjectDatabaseUrl project_paths(std::vector<std::string>& paths, bool none_given) const override {
    return map_project_paths(paths, none_given);
  }
  std::vector<std::string> apply_modes() const override {
    std::vector<std::string> names;
    for (const auto& [mode, name] : kApplyModes) names.emplace_back(name);
    return names;
  }
};

}  // namespace

const app::Framework& prisma_framework() {
  static const PrismaFramework framework;
  return framework;
}

}  // namespace sm::prisma

// status, verify and apply for a Django plan (export_plan.py's JSON) against django_migrations,
// writing the rows `manage.py migrate` writes so that `showmigrations` and `migrate` agree.
#include "app/django_history_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <set>

#include "adapters/django/django_history.h"
#include "app/check_command.h"
#include "app/history_support.h"

namespace sm::app {

namespace {

struct Plan {
  CheckRun run;  // sets[0] is the plan
  const model::MigrationSet& set() const { return run.sets.front(); }
};

Plan load_plan(const HistoryOptions& o) {
  if (o.paths.size() != 1)
    throw InputError("give one Django plan file (one database has one django_migrations table)");
  CheckOptions co;
  co.paths = o.paths;
  co.max_file_size = o.max_file_size;
  co.config = o.config;
  co.postgres_version = o.postgres_version;
  Plan p{run_check(co, nullptr)};
  if (p.run.sets.size() != 1) throw InputError("cannot read " + o.paths.front());
  for (const model::Finding& f : p.set().input_findings)
    if (f.rule == "input-error") throw InputError(f.loc.file + ": " + f.message);
  if (p.set().framework != model::Framework::Django)
    throw InputError(o.paths.front() + " is not a Django plan");
  return p;
}

// The plan's SQL that looked up names in a database is right for that database only.
bool exported_against(db::Database& dbc, const model::MigrationSet& set) {
  if (set.exported_database.empty()) return false;
  try {
    pqxx::result r =
        dbc.exec("SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()");
    return !r.empty() && r[0][0].as<std::string>() == set.exported_database;
  } catch (const std::exception&) {
    return false;
  }
}

class DjangoApplier {
 public:
  DjangoApplier(db::Database& dbc, django::DjangoHistory& hist, const HistoryOptions& o, std::ostream& out)
      : db_(dbc), hist_(hist), o_(o), out_(out) {}

  // Applies `m` as `migrate` does: atomic migrations in one transaction with their rows,
  // others statement by statement in autocommit, the rows last. Returns the error, if any.
  std::optional<SqlFailure> apply(const model::Migration& m) {
    std::vector<const model::Statement*> sts = m.statements();
    if (m.atomic)
      return retrying(m, [&]() -> std::optional<SqlFailure> {
        std::vector<django::DjangoRow> existing = hist_.rows();  // read before the transaction opens
        pqxx::work tx(db_.conn());
        for (const model::Statement* st : sts)
          if (auto e = exec(tx, st)) return e;
        hist_.record_applied(tx, m, existing);
        tx.commit();
        return std::nullopt;
      });
    for (const model::Statement* st : sts) {
      auto e = retrying(m, [&]() -> std::optional<SqlFailure> {
        pqxx::nontransaction tx(db_.conn());
        return exec(tx, st);
      });
      if (e) return e;
    }
    std::vector<django::DjangoRow> existing = hist_.rows();
    pqxx::work tx(db_.conn());
    hist_.record_applied(tx, m, existing);
    tx.commit();
    return std::nullopt;
  }

 private:
  static std::optional<SqlFailure> exec(pqxx::transaction_base& tx, const model::Statement* st) {
    try {
      tx.exec(st->text);
      return std::nullopt;
    } catch (const pqxx::failure& e) {
      if (std::optional<SqlFailure> f = sql_failure(e, st)) return f;
      throw;
    }
  }

  template <typename F>
  std::optional<SqlFailure> retrying(const model::Migration& m, F&& attempt) {
    return retry_on_lock_timeout(
        o_, attempt, [&](const SqlFailure& e, int n, std::optional<std::chrono::milliseconds> wait) {
          if (!wait) return;
          out_ << fmt::format("  {}: lock timeout ({} ms){}; retry {}/{} in {:.1f} s\n", m.id,
                              o_.lock_timeout.count(),
                              e.statement ? fmt::format(" at operation line {}", e.statement->loc.line) : "",
                              n, o_.lock_retries, static_cast<double>(wait->count()) / 1000.0);
          out_.flush();
        });
  }

  db::Database& db_;
  django::DjangoHistory& hist_;
  const HistoryOptions& o_;
  std::ostream& out_;
};

// As `migrate` ends every run: squashes whose replaced migrations are all recorded get their row.
void record_replacements(django::DjangoHistory& hist, const model::MigrationSet& set, std::ostream& out) {
  for (const std::string& name : hist.record_replacements(set))
    out << "recorded squash " << name << " (everything it replaces is applied)\n";
}

}  // namespace

bool is_django_plan(const HistoryOptions& o) {
  std::error_code ec;
  return !o.paths.empty() && std::filesystem::is_regular_file(o.paths.front(), ec);
}

PendingMigrations load_django_pending(const HistoryOptions& o, db::Database& dbc) {
  Plan plan = load_plan(o);
  django::DjangoHistory hist(dbc, plan.set().history_id_type);
  bool exists = false;
  std::vector<django::DjangoRow> rows = db::read_checked_rows(hist, exists);
  std::vector<db::MigrationStatus> status = django::compute_status(plan.set(), rows);
  PendingMigrations p;
  p.history_table = hist.table();
  for (size_t i = 0; i < status.size(); ++i) {
    if (status[i].state == db::MigrationState::Inconsistent)
      throw InputError(fmt::format("{}: {}; migrate would refuse to run", status[i].name, status[i].detail));
    if (status[i].state == db::MigrationState::Pending) p.pending.push_back(i);
  }
  p.run = std::move(plan.run);
  return p;
}

int run_django_status(const HistoryOptions& o, bool verify, std::ostream& out, std::ostream& err) {
  return guarded(err, o, [&] {
    Plan plan = load_plan(o);
    auto dbc = connect(o);
    django::DjangoHistory hist(*dbc, plan.set().history_id_type);
    db::HistoryReport rep = hist.report(plan.set());
    return report_status(rep, *dbc, hist.table(), verify, "the plan", out);
  });
}

int run_django_apply(const HistoryOptions& o, std::ostream& out, std::ostream& err) {
  return guarded(err, o, [&] {
    auto dbc = connect(o);
    Plan plan = load_plan(for_server(o, *dbc));
    const model::MigrationSet& set = plan.set();
    django::DjangoHistory hist(*dbc, set.history_id_type);
    std::optional<db::AdvisoryLock> lock;
    if (!o.dry_run) lock.emplace(*dbc, hist.lock_key(), o.advisory_lock_wait, &out);
    // Read the table after the lock: another run may just have applied some migrations.
    bool exists = false;
    std::vector<django::DjangoRow> rows = db::read_checked_rows(hist, exists);
    std::vector<db::MigrationStatus> status = django::compute_status(set, rows);
    for (const db::MigrationStatus& s : status)
      if (s.state == db::MigrationState::Inconsistent) {
        err << fmt::format("safemigrate: {}: {}; nothing was applied\n", s.name, s.detail);
        return kHistoryDrift;
      }
    std::vector<const model::Migration*> todo;
    for (size_t i = 0; i < set.migrations.size(); ++i)
      if (status[i].state == db::MigrationState::Pending) todo.push_back(&set.migrations[i]);

    // The checklist is the gate, as for Prisma.
    std::set<std::string> pending;
    for (const auto* m : todo) pending.insert(m->id);
    if (int code = gate_blocks(set, plan.run.findings, pending,
                               "a `# safemigrate-ignore: RULE reason` comment on the operation", *dbc, err))
      return code;
    if (todo.empty()) {
      if (exists && !o.dry_run) record_replacements(hist, set, out);
      out << "nothing to apply: all " << set.migrations.size() << " migration(s) of the plan are applied\n";
      return kHistoryOk;
    }
    bool trusted = exported_against(*dbc, set);
    if (o.dry_run) {
      if (!exists) out << "would create " << hist.table() << "\n";
      for (const auto* m : todo) {
        std::string why = django::why_not_applicable(*m, trusted);
        if (!why.empty()) {
          out << fmt::format("would stop at {}: {}\n", m->id, why);
          break;
        }
        out << fmt::format("would apply {} ({}, {} statement(s))\n", m->id,
                           m->atomic ? "atomic: one transaction with its django_migrations row(s)"
                                     : "atomic = False: each statement in autocommit, then the row(s)",
                           m->statements().size());
      }
      out << "dry run: nothing was written\n";
      return kHistoryOk;
    }
    prepare_to_apply(hist, exists, *dbc, o, out);
    DjangoApplier applier(*dbc, hist, o, out);
    const auto all_start = std::chrono::steady_clock::now();
    for (size_t k = 0; k < todo.size(); ++k) {
      const model::Migration& m = *todo[k];
      std::string why = django::why_not_applicable(m, trusted);
      if (!why.empty()) {
        record_replacements(hist, set, out);
        err << fmt::format("safemigrate: {} is not applied: {}. {} migration(s) applied, {} left.\n", m.id,
                           why, k, todo.size() - k);
        return kHistoryDrift;
      }
      out << fmt::format("[{}/{}] applying {} ({})\n", k + 1, todo.size(), m.id,
                         m.atomic ? "one transaction" : "atomic = False: autocommit");
      out.flush();
      const auto start = std::chrono::steady_clock::now();
      std::optional<SqlFailure> failure;
      try {
        failure = applier.apply(m);
      } catch (const std::exception& e) {
        if (dbc->conn().is_open()) throw;
        err << lost_connection(o, e, m.id, todo.size() - k - 1, [&](db::Database& fresh) {
          django::DjangoHistory rows_of(fresh, set.history_id_type);
          bool table = false;
          for (const django::DjangoRow& r : db::read_checked_rows(rows_of, table))
            if (r.key() == m.id) return std::string("it is recorded as applied in django_migrations");
          return std::string("it is not recorded in django_migrations, so it is pending") +
                 (m.atomic ? " (its transaction was rolled back)"
                           : " (atomic = False: the statements that ran before stay in the database)");
        });
        return kHistoryError;
      }
      if (auto& e = failure) {
        err << fmt::format(
            "safemigrate: migration {} failed after {}{}: {} ({})\n{}\nIt is not recorded in "
            "django_migrations; "
            "{} later migration(s) not applied.\n",
            m.id, fmt_seconds(std::chrono::steady_clock::now() - start),
            e->statement ? fmt::format(" at {}:{}", e->statement->loc.file, e->statement->loc.line) : "",
            first_line(e->message), e->sqlstate,
            m.atomic ? "The transaction was rolled back: nothing of it is in the database."
                     : "atomic = False: the statements before the failed one stay applied.",
            todo.size() - k - 1);
        return kHistoryDrift;
      }
      out << fmt::format("[{}/{}] applied {} in {}, {} left\n", k + 1, todo.size(), m.id,
                         fmt_seconds(std::chrono::steady_clock::now() - start), todo.size() - k - 1);
      out.flush();
    }
    record_replacements(hist, set, out);
    out << fmt::format("applied {} migration(s) in {}\n", todo.size(),
                       fmt_seconds(std::chrono::steady_clock::now() - all_start));
    return kHistoryOk;
  });
}

}  // namespace sm::app

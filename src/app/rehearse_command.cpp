#include "app/rehearse_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>

#include "app/history_support.h"
#include "db/database.h"
#include "db/lock_observer.h"
#include "report/sanitize.h"

namespace sm::app {

using model::LockMode;
using Clock = std::chrono::steady_clock;

const char* step_status_name(StepStatus s) {
  switch (s) {
    case StepStatus::Ran: return "ran";
    case StepStatus::RanOutsideTransaction: return "ran-outside-transaction";
    case StepStatus::Skipped: return "skipped";
    case StepStatus::Failed: return "failed";
    case StepStatus::NotRun: return "not-run";
  }
  return "?";
}

namespace {

// pg_locks' mode names, in LockMode's order.
LockMode lock_mode_of(const std::string& pg_mode) {
  static const std::map<std::string, LockMode> modes = {
      {"AccessShareLock", LockMode::AccessShare},
      {"RowShareLock", LockMode::RowShare},
      {"RowExclusiveLock", LockMode::RowExclusive},
      {"ShareUpdateExclusiveLock", LockMode::ShareUpdateExclusive},
      {"ShareLock", LockMode::Share},
      {"ShareRowExclusiveLock", LockMode::ShareRowExclusive},
      {"ExclusiveLock", LockMode::Exclusive},
      {"AccessExclusiveLock", LockMode::AccessExclusive},
  };
  auto it = modes.find(pg_mode);
  return it == modes.end() ? LockMode::None : it->second;
}

std::string display(const std::string& schema, const std::string& name) {
  return fmt::format("\"{}\".\"{}\"", schema, name);
}

// What src/sql predicts for one relation in one statement.
struct Predicted {
  std::string name;  // as the user reads it
  LockMode lock = LockMode::None;
  bool rewrite = false;
  bool indirect_ael = false;  // waits as under ACCESS EXCLUSIVE (Action::indirect_access_exclusive)
  char relkind = 0;
};

// Locks by relation oid: the strongest mode and the name to show.
struct Strongest {
  LockMode mode = LockMode::None;
  std::string name;
  char relkind = 0;
};
std::map<uint32_t, Strongest> strongest_by_oid(const std::vector<db::HeldLock>& locks,
                                               const std::map<uint32_t, std::string>& names) {
  std::map<uint32_t, Strongest> out;
  for (const db::HeldLock& h : locks) {
    Strongest& s = out[h.oid];
    s.mode = std::max(s.mode, lock_mode_of(h.mode));
    if (!h.name.empty()) s.name = display(h.schema, h.name);
    if (h.relkind) s.relkind = h.relkind;
    if (s.name.empty()) {
      auto it = names.find(h.oid);
      s.name = it != names.end() ? it->second : fmt::format("relation {}", h.oid);
    }
  }
  return out;
}

bool is_table(char relkind) {
  return relkind == 'r' || relkind == 'p';
}

class Rehearser {
 public:
  Rehearser(const RehearseOptions& o, RehearsalResult& result)
      : o_(o),
        result_(result),
        a_(o.history.database_url),
        b_(o.history.database_url),
        monitor_(o.history.database_url) {}

  void run() {
    result_.database = a_.url().display;
    PendingMigrations p = load_pending(o_.history, a_);
    const model::MigrationSet& set = p.run.sets.front();
    pid_a_ = a_.backend_pid();
    // The rehearsal's own statements may wait for locks held by real traffic on the copy.
    if (o_.history.lock_timeout.count() > 0) a_.set_lock_timeout(o_.history.lock_timeout);
    tx_.emplace(a_.conn());
    begin();
    for (size_t index : p.pending) {
      const model::Migration& m = set.migrations[index];
      MigrationRehearsal mr;
      mr.name = m.id;
      for (const model::Operation& op : m.operations) {
        if (std::string why = not_rehearsable(op); !why.empty()) {
          StatementRehearsal sr;
          sr.line = op.loc.line;
          sr.sql = op.description.empty() ? op.kind : op.description;
          sr.status = StepStatus::Skipped;
          sr.note = why;
          mr.statements.push_back(std::move(sr));
          continue;
        }
        for (const model::Statement& st : op.statements) {
          StatementRehearsal sr;
          sr.line = st.loc.line;
          sr.sql = st.text;
          if (result_.failed) {
            sr.note = "an earlier statement failed";
          } else if (op.sql_depends_on_database) {
            // The plan holds a placeholder where Django looks a name up when it runs the operation.
            sr.note =
                "not rehearsed: Django looks up a constraint or index name in the live database for this "
                "operation (the plan holds a placeholder); `apply` lets Django generate it";
          } else {
            step(st, sr);
          }
          result_.defects += sr.defects.size();
          mr.statements.push_back(std::move(sr));
        }
      }
      result_.migrations.push_back(std::move(mr));
    }
    rollback();
  }

 private:
  void begin() {
    tx_->exec("BEGIN");
    in_tx_ = true;
  }
  void rollback() {
    if (in_tx_) tx_->exec("ROLLBACK");
    in_tx_ = false;
  }

  std::string sql_name(const model::RelationName& r) {
    return r.schema.empty() ? a_.quote_name(r.name) : a_.quote_name(r.schema) + "." + a_.quote_name(r.name);
  }

  // The prediction per relation oid (only relations that exist before the statement).
  std::map<uint32_t, Predicted> predict(const model::Statement& st, pqxx::transaction_base& tx,
                                        std::map<uint32_t, uint32_t>& filenodes) {
    std::map<uint32_t, Predicted> out;
    for (const model::Action& a : st.actions) {
      if (a.relation.name.empty()) continue;
      db::RelationState s = db::relation_by_name(tx, sql_name(a.relation));
      if (!s.oid) continue;  // created by this statement, or a name the model got wrong
      Predicted& p = out[s.oid];
      p.name = display(s.schema, s.name);
      p.lock = std::max(p.lock, a.lock);
      // TRUNCATE gives the table a new, empty file: a new relfilenode without copying rows.
      p.rewrite = p.rewrite || a.rewrites || a.kind == model::ActionKind::TruncateTable;
      p.indirect_ael = p.indirect_ael || (a.indirect_access_exclusive && !a.concurrently);
      p.relkind = s.relkind;
      filenodes[s.oid] = s.relfilenode;
      names_[s.oid] = p.name;
    }
    return out;
  }

  // Django operations that hold no SQL to run: why, shown in the operation's place.
  static std::string not_rehearsable(const model::Operation& op) {
    if (op.runs_python)
      return "RunPython: its Python code is not rehearsed (run `manage.py migrate` against a copy to see it)";
    if (!op.sql_error.empty()) return "the exporter could not produce its SQL: " + op.sql_error;
    return {};
  }

  void step(const model::Statement& st, StatementRehearsal& sr) {
    if (st.tx != model::TxControl::None) {
      sr.status = StepStatus::Skipped;
      sr.note = "transaction control: the rehearsal keeps its own transaction, to roll it back";
      return;
    }
    if (st.cls == model::StatementClass::Invalid) {
      sr.status = StepStatus::Failed;
      sr.note = "does not parse: " + st.syntax_error;
      result_.failed = true;
      return;
    }
    const std::string& sql = st.text;
    if (st.cannot_run_in_transaction) {
      if (!o_.run_concurrently) {
        sr.status = StepStatus::Skipped;
        sr.note =
            "cannot run inside a transaction block (CONCURRENTLY, VACUUM…), so it cannot be rolled back; "
            "pass --run-concurrently to run it for real on the copy";
        return;
      }
      if (std::string table = made_by_this_rehearsal(st); !table.empty()) {
        // Issue 26: run for real, it failed with "relation does not exist" (and said the copy
        // changed) when an earlier pending migration creates its table.
        sr.status = StepStatus::Skipped;
        sr.note =
            table +
            " is made by an earlier statement of this rehearsal, which is rolled back before a statement "
            "runs outside the transaction: not run (on the real database it exists by then)";
        return;
      }
      outside_transaction(st, sql, sr);
      return;
    }
    in_transaction(st, sql, sr);
  }

  // A relation the statement names that exists only inside the rehearsal's open transaction (an
  // earlier pending statement made it), not in the copy as committed; empty when none.
  std::string made_by_this_rehearsal(const model::Statement& st) {
    if (!in_tx_) return {};
    pqxx::nontransaction mon(monitor_.conn());
    for (const model::Action& a : st.actions) {
      if (a.relation.name.empty()) continue;
      std::string name = sql_name(a.relation);
      if (db::relation_by_name(*tx_, name).oid && !db::relation_by_name(mon, name).oid) return name;
    }
    return {};
  }

  void in_transaction(const model::Statement& st, const std::string& sql, StatementRehearsal& sr) {
    std::map<uint32_t, uint32_t> before_nodes;
    std::map<uint32_t, Predicted> pred = predict(st, *tx_, before_nodes);
    std::vector<db::HeldLock> before = db::held_locks(*tx_, pid_a_);
    auto start = Clock::now();
    try {
      pqxx::result r = tx_->exec(sql);
      if (st.cls == model::StatementClass::Dml) sr.rows = r.affected_rows();
    } catch (const pqxx::failure& e) {
      // A deadlock or serialization failure (not an sql_error in libpqxx 6.4) fails the step too.
      std::optional<SqlFailure> f = sql_failure(e, &st);
      if (!f) throw;
      sr.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      sr.status = StepStatus::Failed;
      sr.note = fmt::format("{} ({})", f->message, f->sqlstate);
      result_.failed = true;
      rollback();
      return;
    }
    sr.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    sr.status = StepStatus::Ran;
    std::vector<db::HeldLock> after = db::held_locks(*tx_, pid_a_);
    std::vector<db::HeldLock> fresh;
    for (const db::HeldLock& h : after)
      if (std::find(before.begin(), before.end(), h) == before.end()) fresh.push_back(h);
    std::map<uint32_t, uint32_t> after_nodes;
    for (auto& [oid, node] : before_nodes) {
      db::RelationState s = db::relation_by_oid(*tx_, oid);
      if (s.oid) after_nodes[oid] = s.relfilenode;
    }
    compare(pred, fresh, strongest_by_oid(after, names_), before_nodes, after_nodes, sr);
    probe(pred, strongest_by_oid(fresh, names_), strongest_by_oid(before, names_), sr);
  }

  // CONCURRENTLY and VACUUM: the open transaction is rolled back first (PostgreSQL refuses them
  // inside one, and they would wait for it), the statement runs in autocommit on a thread, and a
  // monitor session samples its locks and probes while it runs.
  void outside_transaction(const model::Statement& st, const std::string& sql, StatementRehearsal& sr) {
    rollback();
    result_.changed_database = true;
    sr.note =
        "ran for real in autocommit (--run-concurrently): it changed the copy; the rehearsal transaction "
        "was rolled back before it, so statements before it no longer hold their locks or effects";
    std::map<uint32_t, uint32_t> before_nodes;
    std::map<uint32_t, Predicted> pred;
    {
      pqxx::nontransaction mon(monitor_.conn());
      pred = predict(st, mon, before_nodes);
    }
    std::atomic<bool> done{false};
    std::string error, sqlstate;
    auto start = Clock::now();
    std::thread worker([&] {
      try {
        tx_->exec(sql);
      } catch (const std::exception& e) {
        error = e.what();
        sqlstate = db::sqlstate_of(e);
      }
      done = true;
    });
    std::vector<db::HeldLock> seen;
    bool probed = false;
    while (!done) {
      try {
        pqxx::nontransaction mon(monitor_.conn());
        for (db::HeldLock& h : db::held_locks(mon, pid_a_))
          if (std::find(seen.begin(), seen.end(), h) == seen.end()) seen.push_back(std::move(h));
      } catch (const std::exception&) {
        // A relation may vanish between pg_locks and pg_class; the next sample sees the rest.
      }
      bool holds_target =
          std::any_of(seen.begin(), seen.end(), [&](const db::HeldLock& h) { return pred.count(h.oid) > 0; });
      if (!probed && holds_target && !done) {
        probe(pred, strongest_by_oid(seen, names_), {}, sr, true);
        probed = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    worker.join();
    sr.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!error.empty()) {
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
      sr.status = StepStatus::Failed;
      sr.note = fmt::format("{} ({})", error, sqlstate);
      result_.failed = true;
      return;
    }
    sr.status = StepStatus::RanOutsideTransaction;
    std::map<uint32_t, uint32_t> after_nodes;
    {
      pqxx::nontransaction mon(monitor_.conn());
      for (auto& [oid, node] : before_nodes) {
        db::RelationState s = db::relation_by_oid(mon, oid);
        if (s.oid) after_nodes[oid] = s.relfilenode;
      }
    }
    if (!probed) sr.note += "; it finished before a second session could try its tables";
    compare_locks(pred, seen, strongest_by_oid(seen, names_), sr, true);
    compare_rewrites(pred, before_nodes, after_nodes, sr);
    begin();
  }

  void compare(const std::map<uint32_t, Predicted>& pred, const std::vector<db::HeldLock>& fresh,
               const std::map<uint32_t, Strongest>& held, const std::map<uint32_t, uint32_t>& before_nodes,
               const std::map<uint32_t, uint32_t>& after_nodes, StatementRehearsal& sr) {
    compare_locks(pred, fresh, held, sr);
    compare_rewrites(pred, before_nodes, after_nodes, sr);
  }

  // `sampled`: the locks were sampled while the statement ran (outside the transaction), so a
  // weaker lock than predicted may only mean the stronger one fell between samples: said, not flagged.
  void compare_locks(const std::map<uint32_t, Predicted>& pred, const std::vector<db::HeldLock>& fresh,
                     const std::map<uint32_t, Strongest>& held, StatementRehearsal& sr,
                     bool sampled = false) {
    std::map<uint32_t, Strongest> taken = strongest_by_oid(fresh, names_);
    for (const db::HeldLock& h : fresh) {
      // A relation with no name now that was not known before is transient: a rewrite's new heap
      // (or REFRESH's, REINDEX CONCURRENTLY's copy), made and dropped by the statement itself.
      if (h.name.empty() && !names_.count(h.oid)) continue;
      auto it = taken.find(h.oid);
      sr.locks.push_back({it->second.name, model::lock_mode_name(lock_mode_of(h.mode))});
    }
    for (const auto& [oid, p] : pred) {
      sr.predicted.push_back({p.name, model::lock_mode_name(p.lock)});
      LockMode now = LockMode::None, got = LockMode::None;
      if (auto it = held.find(oid); it != held.end()) now = it->second.mode;
      if (auto it = taken.find(oid); it != taken.end()) got = it->second.mode;
      // Samples prove that a lock was held, not that a stronger one never was: a CONCURRENTLY
      // statement takes its strongest lock in its last, shortest phase.
      if (sampled && now < p.lock)
        sr.note +=
            fmt::format("; on {} the samples saw at most {} (predicted {}: it may come between samples)",
                        p.name, model::lock_mode_name(now), model::lock_mode_name(p.lock));
      else if (now < p.lock)
        sr.defects.push_back(fmt::format("{}: predicted {}, but the session holds only {}", p.name,
                                         model::lock_mode_name(p.lock), model::lock_mode_name(now)));
      else if (got > p.lock)
        sr.defects.push_back(fmt::format("{}: predicted {}, observed the stronger {}", p.name,
                                         model::lock_mode_name(p.lock), model::lock_mode_name(got)));
    }
    // A table the model does not mention at all, locked in a mode that blocks someone.
    for (const auto& [oid, s] : taken) {
      if (pred.count(oid) || !is_table(s.relkind) || s.mode < LockMode::ShareUpdateExclusive) continue;
      if (!committed(oid)) continue;  // created by the rehearsal itself
      sr.defects.push_back(fmt::format("{}: {} observed on a table the prediction does not mention", s.name,
                                       model::lock_mode_name(s.mode)));
      extra_probe_.insert(oid);
    }
  }

  void compare_rewrites(const std::map<uint32_t, Predicted>& pred, const std::map<uint32_t, uint32_t>& before,
                        const std::map<uint32_t, uint32_t>& after, StatementRehearsal& sr) {
    for (const auto& [oid, p] : pred) {
      auto b = before.find(oid), a = after.find(oid);
      if (a == after.end() || b == before.end()) continue;  // dropped by the statement
      // The model's "rewrite" is about a table's rows; an index given a new file is a rebuild.
      if (p.relkind != 'r' && p.relkind != 'm') continue;
      bool observed = b->second != a->second && b->second != 0;
      if (observed) sr.rewritten.push_back(p.name);
      if (p.rewrite) sr.predicted_rewrites.push_back(p.name);
      if (observed != p.rewrite)
        sr.defects.push_back(
            fmt::format("{}: predicted {}, observed {}", p.name, p.rewrite ? "a rewrite" : "no rewrite",
                        observed ? "a new relfilenode (rewritten)" : "the same relfilenode"));
    }
  }

  // Whether `oid` exists for other sessions (committed before the rehearsal).
  bool committed(uint32_t oid) {
    pqxx::nontransaction tx(b_.conn());
    return !tx.exec("SELECT 1 FROM pg_class WHERE oid = " + std::to_string(oid)).empty();
  }

  // A second session tries a read and a write on each relation the statement locks. What it
  // should find: the statement's predicted lock, or a stronger one the transaction already held
  // before it (`prior`, observed), so that one mistake of the model is reported once.
  // `sampled`: the probe came while a statement ran outside the transaction, at one moment of it;
  // a CONCURRENTLY statement's strongest lock may come later, so "not blocked" is only a note then.
  void probe(const std::map<uint32_t, Predicted>& pred, const std::map<uint32_t, Strongest>& taken,
             const std::map<uint32_t, Strongest>& prior, StatementRehearsal& sr, bool sampled = false) {
    std::set<uint32_t> oids;
    for (const auto& [oid, p] : pred) oids.insert(oid);
    for (const auto& [oid, s] : taken)
      if (is_table(s.relkind)) oids.insert(oid);
    oids.insert(extra_probe_.begin(), extra_probe_.end());
    extra_probe_.clear();
    for (uint32_t oid : oids) {
      std::optional<db::ProbeResult> r = db::probe_relation(b_.conn(), oid, o_.probe_timeout);
      if (!r) continue;  // made by the rehearsal: nobody else can see it yet
      ProbeObservation po;
      auto pit = pred.find(oid);
      po.relation = pit != pred.end() ? pit->second.name : names_.count(oid) ? names_[oid] : "";
      if (po.relation.empty())
        if (auto t = taken.find(oid); t != taken.end()) po.relation = t->second.name;
      LockMode expected = pit != pred.end() ? pit->second.lock : LockMode::None;
      if (auto before = prior.find(oid); before != prior.end())
        expected = std::max(expected, before->second.mode);
      if (pit != pred.end() && pit->second.indirect_ael) expected = LockMode::AccessExclusive;
      po.read_blocked = r->read_blocked;
      po.write_blocked = r->write_blocked;
      po.write_tried = r->write_tried;
      po.error = r->error;
      po.predicted_read_blocked = model::blocks_reads(expected);
      po.predicted_write_blocked = model::blocks_writes(expected);
      // Only the statement that took a new lock on the relation answers for a surprise.
      bool responsible = taken.count(oid) > 0;
      if (responsible && po.error.empty()) {
        auto judge = [&](const char* what, bool blocked, bool predicted) {
          if (blocked == predicted) return;
          std::string text =
              fmt::format("{}: a second session's {} was {}, predicted {}", po.relation, what,
                          blocked ? "blocked" : "not blocked", predicted ? "blocked" : "not blocked");
          if (sampled && !blocked)
            sr.note += "; " + text + " (it may come in a later phase)";
          else
            sr.defects.push_back(std::move(text));
        };
        judge("SELECT", po.read_blocked, po.predicted_read_blocked);
        if (po.write_tried) judge("write", po.write_blocked, po.predicted_write_blocked);
      }
      sr.probes.push_back(std::move(po));
    }
  }

  const RehearseOptions& o_;
  RehearsalResult& result_;
  db::Database a_, b_, monitor_;  // the rehearsal, the second session, the sampler
  std::optional<pqxx::nontransaction> tx_;
  int pid_a_ = 0;
  bool in_tx_ = false;
  std::map<uint32_t, std::string> names_;  // oid -> name seen before a statement (drops, renames)
  std::set<uint32_t> extra_probe_;
};

std::string cut(const std::string& s, size_t n) {
  std::string one;
  for (char c : s) one += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  size_t first = one.find_first_not_of(' ');
  one = first == std::string::npos ? "" : one.substr(first);
  return one.size() > n ? one.substr(0, n - 3) + "..." : one;
}

std::string join_locks(const std::vector<RelationLock>& locks) {
  std::vector<std::string> parts;
  for (const RelationLock& l : locks) parts.push_back(l.relation + " " + l.mode);
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string yes_no_blocked(bool tried, bool blocked) {
  return !tried ? "-" : blocked ? "BLOCKED" : "ok";
}

}  // namespace

RehearsalResult rehearse(const RehearseOptions& o) {
  if (!o.is_copy)
    throw model::InputError(
        "rehearse runs the pending migrations against the database (then rolls back): point it at a copy of "
        "production, never production itself, and say so with --i-know-this-is-a-copy");
  if (o.history.database_url.empty()) throw model::InputError("no database URL: pass --database-url");
  RehearsalResult result;
  Rehearser(o, result).run();
  return result;
}

void write_rehearsal_text(std::ostream& out, const RehearsalResult& r) {
  out << "rehearsal on " << r.database << " (rolled back"
      << (r.changed_database ? "; statements run with --run-concurrently changed it" : "") << ")\n";
  if (r.migrations.empty()) out << "nothing to rehearse: no pending migrations\n";
  for (const MigrationRehearsal& m : r.migrations) {
    out << "\nmigration " << m.name << "\n";
    out << fmt::format("  {:>5}  {:<44} {:>9} {:>7}  {:<8}  {}\n", "line", "statement", "ms", "rows",
                       "status", "observed | predicted");
    for (const StatementRehearsal& s : m.statements) {
      out << fmt::format("  {:>5}  {:<44} {:>9.1f} {:>7}  {:<8}  locks: {} | {}\n", s.line, cut(s.sql, 44),
                         s.ms, s.rows >= 0 ? std::to_string(s.rows) : "-", step_status_name(s.status),
                         join_locks(s.locks), join_locks(s.predicted));
      if (!s.rewritten.empty() || !s.predicted_rewrites.empty())
        out << fmt::format(
            "  {:>5}  {:<44} {:>9} {:>7}  {:<8}  rewrite: {} | {}\n", "", "", "", "", "",
            s.rewritten.empty() ? "-" : fmt::format("{}", fmt::join(s.rewritten, ", ")),
            s.predicted_rewrites.empty() ? "-" : fmt::format("{}", fmt::join(s.predicted_rewrites, ", ")));
      for (const ProbeObservation& p : s.probes)
        out << fmt::format(
            "  {:>5}  {:<44} {:>9} {:>7}  {:<8}  second session on {}: SELECT {}, write {} | {}, {}\n", "",
            "", "", "", "", p.relation, yes_no_blocked(true, p.read_blocked),
            yes_no_blocked(p.write_tried, p.write_blocked), p.predicted_read_blocked ? "BLOCKED" : "ok",
            !p.write_tried              ? "-"
            : p.predicted_write_blocked ? "BLOCKED"
                                        : "ok");
      if (!s.note.empty()) out << "         " << s.note << "\n";
      for (const std::string& d : s.defects) out << "         DEFECT of the static model: " << d << "\n";
    }
  }
  out << fmt::format("\n{} migration(s); {}; {} defect(s) of the static model\n", r.migrations.size(),
                     r.failed ? "a statement FAILED" : "every statement ran or was skipped", r.defects);
}

void write_rehearsal_json(std::ostream& out, const RehearsalResult& r) {
  using report::json_quote;
  auto locks = [](const std::vector<RelationLock>& ls) {
    std::string s = "[";
    for (size_t i = 0; i < ls.size(); ++i)
      s += fmt::format("{}{{\"relation\": {}, \"mode\": {}}}", i ? ", " : "", json_quote(ls[i].relation),
                       json_quote(ls[i].mode));
    return s + "]";
  };
  auto strings = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_quote(v[i]);
    return s + "]";
  };
  out << "{\n  \"database\": " << json_quote(r.database)
      << ",\n  \"rolled_back\": true,\n  \"changed_database\": " << (r.changed_database ? "true" : "false")
      << ",\n  \"failed\": " << (r.failed ? "true" : "false") << ",\n  \"defects\": " << r.defects
      << ",\n  \"migrations\": [";
  for (size_t i = 0; i < r.migrations.size(); ++i) {
    const MigrationRehearsal& m = r.migrations[i];
    out << (i ? ",\n" : "\n") << "    {\"name\": " << json_quote(m.name) << ", \"statements\": [";
    for (size_t j = 0; j < m.statements.size(); ++j) {
      const StatementRehearsal& s = m.statements[j];
      out << (j ? ",\n" : "\n") << "      {\"line\": " << s.line << ", \"sql\": " << json_quote(s.sql)
          << ", \"status\": " << json_quote(step_status_name(s.status))
          << ", \"note\": " << json_quote(s.note) << fmt::format(", \"ms\": {:.3f}", s.ms)
          << ", \"rows\": " << s.rows << ", \"locks\": " << locks(s.locks)
          << ", \"predicted_locks\": " << locks(s.predicted) << ", \"rewritten\": " << strings(s.rewritten)
          << ", \"predicted_rewrites\": " << strings(s.predicted_rewrites) << ", \"probes\": [";
      for (size_t k = 0; k < s.probes.size(); ++k) {
        const ProbeObservation& p = s.probes[k];
        out << (k ? ", " : "") << "{\"relation\": " << json_quote(p.relation)
            << ", \"read_blocked\": " << (p.read_blocked ? "true" : "false")
            << ", \"write_blocked\": " << (p.write_tried ? (p.write_blocked ? "true" : "false") : "null")
            << ", \"predicted_read_blocked\": " << (p.predicted_read_blocked ? "true" : "false")
            << ", \"predicted_write_blocked\": " << (p.predicted_write_blocked ? "true" : "false")
            << ", \"error\": " << json_quote(p.error) << "}";
      }
      out << "], \"defects\": " << strings(s.defects) << "}";
    }
    out << (m.statements.empty() ? "]}" : "\n    ]}");
  }
  out << (r.migrations.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

int run_rehearse(const RehearseOptions& o, std::ostream& out, std::ostream& err) {
  RehearsalResult r;
  try {
    r = rehearse(o);
  } catch (const std::exception& e) {
    err << "safemigrate: " << clean_error(scrub_password(e.what(), o.history.database_url)) << "\n";
    return model::kExitUsage;
  }
  if (o.json)
    write_rehearsal_json(out, r);
  else
    write_rehearsal_text(out, r);
  return r.failed ? model::kExitFindings : model::kExitOk;
}

}  // namespace sm::app

// lock-held-across-statements: LOCK TABLE … IN ACCESS EXCLUSIVE MODE followed by more statements in
// the same transaction: every read and write of the table waits for all of them.
#include <algorithm>

#include "checks/rule.h"

namespace sm::checks::rules {

// Statements that take time on the server (not BEGIN/COMMIT, SET, or the LOCK itself).
static bool runs_work(const model::Statement& st) {
  return st.cls == model::StatementClass::Ddl || st.cls == model::StatementClass::Dml ||
         (st.cls == model::StatementClass::Query && st.node != "LockStmt");
}

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::LockTable || a.lock != model::LockMode::AccessExclusive ||
        a.on_new_relation)
      return;
    // The most statements that run after it in its transaction, over every way the file may run.
    size_t most = 0;
    std::string label;
    for (const model::ExecutionScenario& scenario : m.scenarios) {
      std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
      auto self =
          std::find_if(runs.begin(), runs.end(), [&](const StatementRun& x) { return x.statement == &st; });
      if (self == runs.end()) continue;
      size_t after = 0;
      for (auto it = self + 1; it != runs.end(); ++it)
        if (it->transaction == self->transaction && runs_work(*it->statement)) ++after;
      if (after > most) {
        most = after;
        label = scenario.label;
      }
    }
    if (most == 0) return;
    r.at(st, &a,
         "ACCESS EXCLUSIVE on " + table_name(a) + " is held while " + std::to_string(most) +
             (most == 1 ? " more statement runs" : " more statements run") + " in the same transaction" +
             (label.empty() ? "" : " (" + label + ")") +
             ": every read and write of the table waits until the transaction ends");
  });
}

extern const Rule kLockHeldAcrossStatements = {
    .doc =
        {
            .id = "lock-held-across-statements",
            .severity = model::Severity::Warning,
            .summary =
                "LOCK TABLE … IN ACCESS EXCLUSIVE MODE followed by more statements in the same transaction.",
            .fix = "Take the lock as late as possible: run only the "
                   "statement that needs it after LOCK TABLE, and commit right away.",
            .why =
                "LOCK TABLE … ACCESS EXCLUSIVE keeps every "
                "session from reading or writing the table until the\n"
                "transaction ends, not until the next statement does. Each statement after it in the same\n"
                "transaction (an ALTER, a backfill, an index "
                "build) adds its whole run time to the outage, and a\n"
                "statement that waits for another lock holds "
                "everyone behind it meanwhile. eugene reports the\n"
                "same as E4 (\"running more statements after "
                "taking an ACCESS EXCLUSIVE lock\"). Tables created in\n"
                "the same migration are not reported.",
            .alternative =
                "SET lock_timeout = '5s';\n"
                "BEGIN;\n"
                "LOCK TABLE \"Account\" IN ACCESS EXCLUSIVE MODE;\n"
                "ALTER TABLE \"Account\" RENAME TO \"Account_old\";  -- the one statement that needs it\n"
                "COMMIT;\n"
                "-- the slow work (backfills, index builds) in other transactions",
        },
    .check = check,
};

}  // namespace sm::checks::rules

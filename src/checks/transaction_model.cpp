#include "checks/transaction_model.h"

#include <algorithm>

namespace sm::checks {

using model::ExecutionMode;
using model::StatementClass;
using model::TxControl;

bool changes_something(const model::Statement& st) {
  return st.cls == StatementClass::Ddl || st.cls == StatementClass::Dml;
}

bool sets_lock_timeout(const model::Statement& st) {
  return st.cls == StatementClass::Session && st.set_name == "lock_timeout" && st.set_value != "0" &&
         st.set_value != "DEFAULT" && st.set_value != "0s" && st.set_value != "0ms";
}

bool lock_already_held(const model::Migration& m, const model::Statement& st, const model::Action& a) {
  if (m.scenarios.empty() || a.lock == model::LockMode::None) return false;
  std::string key = a.relation.key();
  for (const model::ExecutionScenario& scenario : m.scenarios) {
    std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
    auto self =
        std::find_if(runs.begin(), runs.end(), [&](const StatementRun& r) { return r.statement == &st; });
    if (self == runs.end()) return false;
    bool held = false;
    for (auto r = runs.begin(); r != self && !held; ++r) {
      if (r->transaction != self->transaction) continue;
      for (const model::Action& b : r->statement->actions)
        if (b.relation.key() == key && b.lock >= a.lock && !b.concurrently) held = true;
    }
    if (!held) return false;
  }
  return true;
}

const model::Action* index_table_of(const model::Statement& st, const model::Action& drop) {
  for (const model::Action& t : st.actions)
    if (t.kind == model::ActionKind::IndexTable && t.object == drop.relation.name) return &t;
  return nullptr;
}

std::vector<StatementRun> plan_runs(const model::Migration& m, ExecutionMode mode) {
  std::vector<const model::Statement*> sts = m.statements();
  std::vector<StatementRun> runs;
  runs.reserve(sts.size());
  int tx = 0;
  bool explicit_block = false;
  for (const model::Statement* st : sts) {
    StatementRun r;
    r.statement = st;
    switch (mode) {
      case ExecutionMode::OneBatch:
        // One multi-statement query: PostgreSQL treats every statement of it as inside a
        // transaction block; a COMMIT inside ends one implicit transaction and starts another.
        r.in_transaction_block = sts.size() > 1;
        r.transaction = tx;
        if (st->tx == TxControl::Commit || st->tx == TxControl::Rollback) ++tx;
        break;
      case ExecutionMode::OneTransaction:
        r.in_transaction_block = true;
        r.transaction = 0;
        break;
      case ExecutionMode::PerStatement:
        if (st->tx == TxControl::Begin) explicit_block = true;
        r.in_transaction_block = explicit_block && st->tx != TxControl::Begin;
        r.transaction = tx;
        if (st->tx == TxControl::Commit || st->tx == TxControl::Rollback) explicit_block = false;
        if (!explicit_block) ++tx;
        break;
    }
    runs.push_back(r);
  }
  return runs;
}

}  // namespace sm::checks

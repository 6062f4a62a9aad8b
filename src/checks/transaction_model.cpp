#include "checks/transaction_model.h"

namespace sm::checks {

using model::ExecutionMode;
using model::StatementClass;
using model::TxControl;

bool changes_something(const model::Statement& st) {
  return st.cls == StatementClass::Ddl || st.cls == StatementClass::Dml;
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

// transaction-nesting: BEGIN inside an open transaction block, or transaction control inside a
// migration the framework already runs in a transaction (Django's atomic migrations).
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  bool framework_transaction = false;
  std::string label;
  for (const auto& s : m.scenarios)
    if (s.mode == model::ExecutionMode::OneTransaction) {
      framework_transaction = true;
      label = s.label;
    }
  const model::Statement* open = nullptr;
  for (const model::Statement* st : m.statements()) {
    if (st->tx == model::TxControl::None || st->tx == model::TxControl::Other) continue;
    if (framework_transaction) {
      // The framework's own BEGIN is already open: COMMIT or ROLLBACK here ends it early.
      r.at(*st, nullptr,
           std::string(st->tx == model::TxControl::Begin ? "BEGIN" : "COMMIT or ROLLBACK") + " inside " +
               label + ", which already runs in a transaction: " +
               (st->tx == model::TxControl::Begin
                    ? "PostgreSQL ignores it with a warning, and the COMMIT that was meant to close it ends "
                      "the "
                      "framework's transaction early"
                    : "it ends the framework's transaction early, so the rest of the migration is not atomic "
                      "with what came before"));
      continue;
    }
    if (st->tx == model::TxControl::Begin) {
      if (open)
        r.at(*st, nullptr,
             "BEGIN while the transaction opened at line " + std::to_string(open->loc.line) +
                 " is still open: PostgreSQL ignores it (WARNING: there is already a transaction in "
                 "progress), "
                 "and the first COMMIT ends both",
             model::Severity::Warning);
      else
        open = st;
    } else {
      open = nullptr;
    }
  }
}

extern const Rule kTransactionNesting = {
    .doc =
        {
            .id = "transaction-nesting",
            .severity = model::Severity::Error,
            .summary = "BEGIN inside an open transaction, or COMMIT/ROLLBACK "
                       "inside a migration the framework runs in a transaction.",
            .fix = "One BEGIN … COMMIT per block; in migrations the framework wraps, write none.",
            .why = "PostgreSQL has no nested transactions: a second "
                   "BEGIN is ignored with a warning, and the first\n"
                   "COMMIT commits everything since the outer BEGIN, "
                   "so the boundaries the author wrote are not the\n"
                   "real ones. Django runs an atomic migration "
                   "inside its own transaction; a COMMIT in its RunSQL\n"
                   "commits that transaction early, and a failure "
                   "after it leaves the migration half-applied and\n"
                   "unrecorded. SAVEPOINT gives real nesting when it is needed.",
            .alternative = "BEGIN;\n"
                           "ALTER TABLE \"Order\" ADD COLUMN \"a\" TEXT;\n"
                           "SAVEPOINT before_b;           -- not BEGIN\n"
                           "ALTER TABLE \"Order\" ADD COLUMN \"b\" TEXT;\n"
                           "COMMIT;",
            .django_fix = "Remove BEGIN/COMMIT from RunSQL; to run outside a "
                          "transaction, set atomic = False on the migration.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// missing-lock-timeout: ACCESS EXCLUSIVE on an existing table with no lock_timeout set before.
#include "checks/rule.h"

namespace sm::checks::rules {

static bool sets_lock_timeout(const model::Statement& st) {
  return st.cls == model::StatementClass::Session && st.set_name == "lock_timeout" && st.set_value != "0" &&
         st.set_value != "DEFAULT" && st.set_value != "0s" && st.set_value != "0ms";
}

static void check(const model::Migration& m, Reporter& r) {
  // A timeout the connection sets (Django's DATABASES OPTIONS) covers every statement.
  bool timeout_set = !m.session_lock_timeout.empty();
  const model::Statement* first = nullptr;
  const model::Action* first_action = nullptr;
  size_t count = 0;
  for (const model::Statement* st : m.statements()) {
    if (sets_lock_timeout(*st)) timeout_set = true;
    if (timeout_set) continue;
    for (const auto& a : st->actions)
      // DROP INDEX CONCURRENTLY's ACCESS EXCLUSIVE is on an index already dead to every query,
      // taken after it has waited out all transactions: not the queueing this rule is about.
      if (a.lock == model::LockMode::AccessExclusive && !a.on_new_relation && !a.concurrently) {
        if (!first) {
          first = st;
          first_action = &a;
        }
        ++count;
        break;
      }
  }
  if (first)
    r.at(
        *first, first_action,
        "takes ACCESS EXCLUSIVE on existing table " + table_name(*first_action) +
            " with no lock_timeout set before" +
            (count > 1 ? " (and " + std::to_string(count - 1) + " more statements after it)" : "") +
            ": if a long query holds the table, this waits, and every query that arrives after it waits too");
}

extern const Rule kMissingLockTimeout = {
    {"missing-lock-timeout", model::Severity::Warning,
     "ACCESS EXCLUSIVE on an existing table without a lock_timeout set before it.",
     "Start the migration with SET lock_timeout = '5s'; and retry the deploy if it times out.",
     "Even an instant change (ADD COLUMN, DROP CONSTRAINT, RENAME) needs ACCESS EXCLUSIVE. If any\n"
     "transaction holds a lock on the table, the migration waits, and while it waits every new query\n"
     "on the table queues behind it: a one-millisecond change becomes an outage. A lock_timeout makes\n"
     "the migration fail fast instead, so it can be retried at a quieter moment.",
     "SET lock_timeout = '5s';\n"
     "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;",
     "Start the migration with RunSQL(\"SET lock_timeout = '5s'\", migrations.RunSQL.noop), or set it in "
     "DATABASES OPTIONS."},
    check};

}  // namespace sm::checks::rules

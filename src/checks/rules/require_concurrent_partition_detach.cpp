// require-concurrent-partition-detach: DETACH PARTITION without CONCURRENTLY.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements()) {
    // src/sql gives DETACH two actions, the partition's and the parent's; one finding per statement.
    const model::Action* parent = nullptr;
    for (const model::Action& a : st->actions)
      if (a.kind == model::ActionKind::DetachPartition) parent = &a;
    if (!parent || parent->concurrently || parent->on_new_relation) continue;
    // Under an ACCESS EXCLUSIVE the transaction already holds on the parent, nothing new waits.
    if (lock_already_held(m, *st, *parent)) continue;
    r.at(*st, parent,
         "DETACH PARTITION takes ACCESS EXCLUSIVE on " + table_name(*parent) +
             ": every query on the partitioned table waits, and queues behind any long one");
  }
}

extern const Rule kRequireConcurrentPartitionDetach = {
    .doc =
        {
            .id = "require-concurrent-partition-detach",
            .severity = model::Severity::Error,
            .summary = "DETACH PARTITION without CONCURRENTLY on an existing partitioned table.",
            .fix = "Use ALTER TABLE … DETACH PARTITION … "
                   "CONCURRENTLY (PostgreSQL 14+), alone in its own migration.",
            .why =
                "Detaching a partition the plain way locks the "
                "whole partitioned table in ACCESS EXCLUSIVE mode:\n"
                "reads and writes of every partition stop until "
                "it is done, and the lock request itself waits\n"
                "behind running queries while blocking the ones "
                "that arrive after it. The CONCURRENTLY form\n"
                "takes SHARE UPDATE EXCLUSIVE on the parent and "
                "waits for running queries instead of blocking\n"
                "new ones. It cannot run in a transaction block; if it is interrupted, finish it with\n"
                "DETACH PARTITION … FINALIZE. Not reported when the same transaction already holds ACCESS\n"
                "EXCLUSIVE on the parent from an earlier statement: the detach then adds no blocking.",
            .alternative = "-- its own migration\n"
                           "ALTER TABLE \"Event\" DETACH PARTITION \"Event_2023\" CONCURRENTLY;",
            .django_fix = "Run it with RunSQL in a migration with atomic = False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

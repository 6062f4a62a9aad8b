// require-concurrent-reindex: REINDEX without CONCURRENTLY on an existing table or index.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::Reindex && !a.concurrently && !a.on_new_relation)
      r.at(st, &a,
           "REINDEX " + a.detail + " " + table_name(a) +
               " without CONCURRENTLY blocks writes to the table while every index is rebuilt, and queries "
               "that use the index being rebuilt wait too");
  });
}

extern const Rule kRequireConcurrentReindex = {
    .doc =
        {
            .id = "require-concurrent-reindex",
            .severity = model::Severity::Error,
            .summary = "REINDEX without CONCURRENTLY.",
            .fix = "Use REINDEX … CONCURRENTLY (PostgreSQL 12+), alone in its own migration.",
            .why = "Plain REINDEX takes a SHARE lock on the table, "
                   "which blocks every INSERT, UPDATE and DELETE for\n"
                   "as long as the rebuild takes, and an ACCESS "
                   "EXCLUSIVE lock on each index it rebuilds, which\n"
                   "blocks the reads that would use it. On a "
                   "large table that is minutes of downtime. REINDEX\n"
                   "CONCURRENTLY builds a new index next to the old "
                   "one and swaps them, taking only SHARE UPDATE\n"
                   "EXCLUSIVE; it cannot run inside a transaction block.",
            .alternative = "-- its own migration\n"
                           "REINDEX INDEX CONCURRENTLY \"User_email_idx\";",
            .django_fix = "Run REINDEX … CONCURRENTLY with RunSQL in a migration with atomic = False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

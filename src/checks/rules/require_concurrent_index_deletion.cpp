// require-concurrent-index-deletion: DROP INDEX without CONCURRENTLY.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::DropIndex && !a.concurrently && !a.on_new_relation)
      r.at(st, &a,
           "DROP INDEX " + table_name(a) +
               " takes ACCESS EXCLUSIVE on the index's table: all reads and writes of that table wait, "
               "and queue behind any long query");
  });
}

extern const Rule kRequireConcurrentIndexDeletion = {
    {"require-concurrent-index-deletion", model::Severity::Error,
     "DROP INDEX without CONCURRENTLY on an index that already exists.",
     "Use DROP INDEX CONCURRENTLY, alone in its own migration.",
     "DROP INDEX takes ACCESS EXCLUSIVE on the table the index belongs to (measured on PostgreSQL 15).\n"
     "The drop itself is quick, but the lock request waits behind every running query on the table, and\n"
     "every query that arrives after it waits too. DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE.\n"
     "Note that Prisma >= 7.4's statement splitter cannot parse DROP INDEX CONCURRENTLY and falls back\n"
     "to sending the file as one batch: keep it alone in its migration.",
     "-- its own migration\n"
     "DROP INDEX CONCURRENTLY IF EXISTS \"User_email_idx\";",
     "Use RemoveIndexConcurrently in a migration with atomic = False."},
    check};

}  // namespace sm::checks::rules

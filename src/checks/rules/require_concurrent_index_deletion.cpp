// require-concurrent-index-deletion: DROP INDEX without CONCURRENTLY.
#include "checks/rule.h"

namespace sm::checks::rules {

// Whether a later statement of the migration drops the index's table, or one of its columns: that
// drops the index too, under an ACCESS EXCLUSIVE that CONCURRENTLY here would not spare.
static bool dropped_later(const model::Migration& m, const model::Statement& st, const model::Action& table) {
  bool after = false;
  std::string key = table.relation.key(), columns = "," + table.column + ",";
  for (const model::Statement* s : m.statements()) {
    if (s == &st) {
      after = true;
      continue;
    }
    if (!after) continue;
    for (const model::Action& a : s->actions) {
      if (a.relation.key() != key) continue;
      if (a.kind == model::ActionKind::DropTable) return true;
      if (a.kind == model::ActionKind::DropColumn && !table.column.empty() &&
          columns.find("," + a.column + ",") != std::string::npos)
        return true;
    }
  }
  return false;
}

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::DropIndex || a.concurrently || a.on_new_relation) return;
    const model::Action* table = index_table_of(st, a);
    if (!table) {
      r.at(st, &a,
           "DROP INDEX " + table_name(a) +
               " takes ACCESS EXCLUSIVE on the table the index belongs to (made before these migrations, so "
               "not named here): all reads and writes of that table wait, and queue behind any long query");
      return;
    }
    // A lock the transaction already holds, or that a later drop takes anyway, adds no blocking.
    if (lock_already_held(m, st, *table) || dropped_later(m, st, *table)) return;
    r.at(st, table,
         "DROP INDEX " + table_name(a) + " takes ACCESS EXCLUSIVE on its table " + table_name(*table) +
             ": all reads and writes of " + table_name(*table) + " wait, and queue behind any long query");
  });
}

extern const Rule kRequireConcurrentIndexDeletion = {
    .doc =
        {
            .id = "require-concurrent-index-deletion",
            .severity = model::Severity::Error,
            .summary = "DROP INDEX without CONCURRENTLY on an index that already exists.",
            .fix = "Use DROP INDEX CONCURRENTLY, alone in its own migration.",
            .why = "DROP INDEX takes ACCESS EXCLUSIVE on the table "
                   "the index belongs to (measured on PostgreSQL 15).\n"
                   "The drop itself is quick, but the lock request "
                   "waits behind every running query on the table, and\n"
                   "every query that arrives after it waits too. DROP "
                   "INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE.\n"
                   "Note that Prisma >= 7.4's statement splitter "
                   "cannot parse DROP INDEX CONCURRENTLY and falls back\n"
                   "to sending the file as one batch: keep it alone in its migration.\n"
                   "Not reported when the drop adds no blocking: the "
                   "same transaction already holds ACCESS EXCLUSIVE\n"
                   "on the table from an earlier statement, or a "
                   "later statement of the migration drops the table or\n"
                   "an indexed column (which drops the index anyway, under the same lock).",
            .alternative = "-- its own migration\n"
                           "DROP INDEX CONCURRENTLY IF EXISTS \"User_email_idx\";",
            .django_fix = "Use RemoveIndexConcurrently in a migration with atomic = False.",
            .autofix = "Prisma: DROP INDEX CONCURRENTLY IF EXISTS, alone in a migration of its own; Django: "
                       "RemoveIndexConcurrently in a new migration with atomic = False",
        },
    .check = check,
};

}  // namespace sm::checks::rules

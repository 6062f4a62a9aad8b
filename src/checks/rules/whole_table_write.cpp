// whole-table-write: UPDATE or DELETE with no WHERE, or INSERT … SELECT of every row, on a table that
// existed before the migration.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (!a.whole_table || a.on_new_relation) return;
    if (a.kind == model::ActionKind::ReadAllRows) {
      r.at(st, &a,
           "INSERT … SELECT copies every row of " + table_name(a) + " into " + a.object +
               " in one statement (no WHERE): on a large table it runs as long as reading the whole "
               "table, writes as many rows (and as much WAL) again, and holds the migration's "
               "transaction and locks open all that time");
      return;
    }
    if (a.kind != model::ActionKind::WriteRows) return;
    bool update = a.detail == "UPDATE";
    r.at(st, &a,
         std::string(update ? "UPDATE" : "DELETE") + " of every row of " + table_name(a) +
             " in one statement (no WHERE): each row stays locked against other writers until the "
             "transaction ends, and " +
             (update ? "the whole table is written again (a new version of every row, and as much WAL)"
                     : "every row is deleted in one go (its dead rows wait for VACUUM)"));
  });
}

extern const Rule kWholeTableWrite = {
    .doc =
        {
            .id = "whole-table-write",
            .severity = model::Severity::Warning,
            .summary = "UPDATE, DELETE or INSERT … SELECT of every row "
                       "of an existing table in one statement (no WHERE).",
            .fix = "Write the rows in batches (a bounded WHERE per batch, e.g. "
                   "by primary key range), in a migration of its own or a script.",
            .why = "One statement that updates or deletes every "
                   "row holds a row lock on each of them until its\n"
                   "transaction commits: every application write to any of those rows waits for the whole\n"
                   "statement. An UPDATE also writes a new version "
                   "of every row (the table's size again in heap and\n"
                   "WAL, replicas falling behind); a DELETE leaves "
                   "every row dead until VACUUM. On a small table this\n"
                   "is nothing; with a database (`check "
                   "--database-url`) the table's size decides: on a large table\n"
                   "the warning becomes an error, as for the other "
                   "rules. Tables created in the same migration are\n"
                   "not reported. squawk has no such rule.",
            .alternative =
                "-- in batches, each its own transaction (repeat until it updates 0 rows)\n"
                "UPDATE \"User\" SET \"plan\" = 'free'\n"
                "WHERE \"id\" IN (SELECT \"id\" FROM \"User\" WHERE \"plan\" IS NULL LIMIT 10000);",
            .django_fix = "Use RunPython that updates in batches "
                          "(queryset.filter(pk__in=…)) in a migration of its own with atomic = False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

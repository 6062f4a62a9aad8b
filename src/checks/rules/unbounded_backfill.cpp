// unbounded-backfill: UPDATE … SET col = … WHERE col IS NULL on an existing table: the WHERE picks
// every row still to do, so one statement (one transaction) writes most of the table.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::WriteRows || !a.unbounded_batch || a.on_new_relation) return;
    r.at(st, &a,
         "backfill UPDATE of " + table_name(a) + " picks its rows by a NULL test of the column" +
             (a.column.find(',') == std::string::npos ? " it sets (" : "s it sets (") + a.column +
             ") and nothing else: no batch bound, so one statement writes and row-locks every row still "
             "to do, on a backfill most of the table, until the transaction ends");
  });
}

extern const Rule kUnboundedBackfill = {
    .doc =
        {
            .id = "unbounded-backfill",
            .severity = model::Severity::Warning,
            .summary = "A backfill UPDATE whose WHERE only tests the column "
                       "it sets for NULL (WHERE col IS NULL): no batch bound.",
            .fix = "Backfill in bounded batches (a primary-key range or a "
                   "LIMITed subquery per statement), each committed on its own.",
            .why = "`UPDATE t SET c = … WHERE c IS NULL` looks "
                   "selective, but on a backfill the rows with c NULL are\n"
                   "most of the table: the one statement writes a "
                   "new version of each, holds a row lock on each\n"
                   "until its transaction commits (application writes to those rows wait), and produces the\n"
                   "table's size again in WAL at once (replicas "
                   "fall behind). A WHERE that names only the columns\n"
                   "the UPDATE sets selects the rows still to do, "
                   "never a batch of them; an UPDATE that picks rows\n"
                   "by another value of the column it sets (`WHERE status = "
                   "'old'`) is a data fix and is not reported. With a database (`check\n"
                   "--database-url`) a large table makes the "
                   "warning an error. UPDATEs with no WHERE at all are\n"
                   "whole-table-write's; tables created in the same migration are not reported.",
            .alternative =
                "-- repeat, each in its own transaction, until it updates 0 rows\n"
                "UPDATE \"User\" SET \"plan\" = 'free'\n"
                "WHERE \"id\" IN (SELECT \"id\" FROM \"User\" WHERE \"plan\" IS NULL LIMIT 10000);",
            .django_fix =
                "Use RunPython that updates in batches "
                "(queryset.filter(pk__in=…)[:10000]) in a migration of its own with atomic = False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// truncate-table: TRUNCATE of an existing table (CASCADE empties the tables that reference it).
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::TruncateTable || a.on_new_relation) return;
    r.at(st, &a,
         "TRUNCATE empties " + table_name(a) +
             (a.cascade ? " and, with CASCADE, every table whose foreign keys point at it (and so on, "
                          "recursively): tables this statement does not name lose their rows too"
                        : ": every row is gone under an ACCESS EXCLUSIVE lock") +
             "; it is not undone by a later migration");
  });
}

extern const Rule kTruncateTable = {
    .doc =
        {
            .id = "truncate-table",
            .severity = model::Severity::Error,
            .summary = "TRUNCATE of an existing table, worst with CASCADE.",
            .fix = "Delete the rows you mean with DELETE … WHERE, in "
                   "batches; never CASCADE into tables you did not name.",
            .why = "TRUNCATE removes every row at once under "
                   "ACCESS EXCLUSIVE, which also blocks reads while it\n"
                   "waits behind running queries. CASCADE extends "
                   "it to every table with a foreign key to the\n"
                   "named ones, recursively: a migration written "
                   "for a staging table can empty production tables\n"
                   "nobody looked at. A migration cannot restore the data afterwards.",
            .alternative = "-- instead of TRUNCATE \"Session\" CASCADE:\n"
                           "DELETE FROM \"Session\" WHERE \"expiresAt\" < "
                           "now() - interval '30 days';  -- in batches if large",
            .django_fix = "Delete in batches with a RunPython data migration "
                          "(or a management command), filtered to the rows meant.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

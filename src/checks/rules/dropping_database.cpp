// dropping-database: DROP DATABASE in a migration.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    if (st->node == "DropdbStmt")
      r.at(*st, nullptr,
           "DROP DATABASE deletes a whole database, every table and row in it, and cannot be rolled back");
}

extern const Rule kDroppingDatabase = {
    .doc =
        {
            .id = "dropping-database",
            .severity = model::Severity::Error,
            .summary = "DROP DATABASE in a migration.",
            .fix =
                "Never drop a database from a migration; do it by hand, after a backup, outside the deploy.",
            .why = "A migration runs unattended on every "
                   "environment, production included. DROP DATABASE removes\n"
                   "everything at once, cannot run inside a "
                   "transaction and cannot be undone. Dropping a scratch\n"
                   "database belongs in a script, not in the schema history every environment replays.",
            .alternative = "-- nothing to migrate: take a backup, then, by hand, on the one server meant:\n"
                           "-- DROP DATABASE \"old_reports\";",
            .django_fix = "Use a management command or a script run by hand, not RunSQL in a migration.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// dropping-table: DROP TABLE of an existing table.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  // The old copy of a rebuilt table, every row of which was copied into the new one, loses nothing.
  TableRebuilds rebuilds = table_rebuilds(m);
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::DropTable && !a.on_new_relation &&
        !rebuilds.copied.count(a.relation.key()))
      r.at(st, &a, "drops table " + table_name(a) + ": its data is gone, and code still using it fails");
  });
}

extern const Rule kDroppingTable = {
    .doc =
        {
            .id = "dropping-table",
            .severity = model::Severity::Warning,
            .summary = "Dropping an existing table.",
            .fix = "Stop using the table in code first; drop it in a later release, after a backup.",
            .why = "DROP TABLE cannot be undone by a later "
                   "migration: the rows are gone. It also takes ACCESS\n"
                   "EXCLUSIVE, which waits behind running queries on the table.",
            .alternative = "-- release N: remove all uses of \"AuditLog\"; keep a dump\n"
                           "-- release N+1:\n"
                           "DROP TABLE \"AuditLog\";",
            .django_fix =
                "Stop using the model first: "
                "SeparateDatabaseAndState(state_operations=[DeleteModel]) now, the real DeleteModel later.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// renaming-table: RENAME TO on an existing table breaks clients that use the old name.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  // A rebuild (rename away, create the name again, copy, drop) keeps the name: nothing to report.
  TableRebuilds rebuilds = table_rebuilds(m);
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::RenameTable && !a.on_new_relation &&
        !rebuilds.recreated.count(a.relation.key()))
      r.at(st, &a,
           "renames " + table_name(a) + " to \"" + a.object +
               "\": application code still running with the old name fails from this moment");
  });
}

extern const Rule kRenamingTable = {
    .doc =
        {
            .id = "renaming-table",
            .severity = model::Severity::Error,
            .summary = "Renaming an existing table (or view).",
            .fix = "Create the new table (or a view with the new "
                   "name), move code over, then drop the old name.",
            .why = "The rename itself takes a brief ACCESS "
                   "EXCLUSIVE lock, but every query of the application\n"
                   "version still running that names the old "
                   "table fails. Prisma's @@map keeps the model name\n"
                   "independent of the table name.",
            .alternative =
                "-- expand: let both names work during the deploy\n"
                "ALTER TABLE \"Customer\" RENAME TO \"Client\";\n"
                "CREATE VIEW \"Customer\" AS SELECT * FROM \"Client\";  -- simple views are updatable\n"
                "-- contract, after no code uses \"Customer\":\n"
                "DROP VIEW \"Customer\";",
            .django_fix =
                "Keep the table name with Meta.db_table while renaming the model, or expand-contract.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

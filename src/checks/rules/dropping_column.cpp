// dropping-column: DROP COLUMN on an existing table (remove the code that uses it first).
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::DropColumn && !a.on_new_relation)
      r.at(st, &a,
           "drops column \"" + a.column + "\" of " + table_name(a) +
               ": the data is gone, and code still reading or writing it fails");
  });
}

extern const Rule kDroppingColumn = {
    .doc =
        {
            .id = "dropping-column",
            .severity = model::Severity::Warning,
            .summary = "Dropping a column of an existing table.",
            .fix = "Deploy code that no longer uses the column first; drop it in a later release.",
            .why = "DROP COLUMN is a quick catalog change, but it "
                   "loses the data for good, and any application\n"
                   "version still running that selects, inserts or "
                   "updates the column fails. With Prisma, remove the\n"
                   "field from the schema and deploy the client before the migration that drops it runs.",
            .alternative = "-- release N: remove every use of \"legacyId\" "
                           "from the code (and from schema.prisma's client)\n"
                           "-- release N+1:\n"
                           "ALTER TABLE \"User\" DROP COLUMN \"legacyId\";",
            .django_fix = "Drop the field from the code first: "
                          "SeparateDatabaseAndState(state_operations=[RemoveField]) "
                          "now, the real RemoveField in a later release.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// renaming-column: RENAME COLUMN on an existing table breaks clients that use the old name.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    // Not reported: a column the same migration added (no running code knows its name; when it
    // replaces a dropped column of another type, changing-column-type names that), or one of a
    // table the same migration renamed (renaming-table says it, once).
    if (a.kind == model::ActionKind::RenameColumn && !a.on_new_relation && !a.on_new_column &&
        !a.on_renamed_relation)
      r.at(st, &a,
           "renames column \"" + a.column + "\" of " + table_name(a) + " to \"" + a.object +
               "\": application code still running with the old name fails from this moment");
  });
}

extern const Rule kRenamingColumn = {
    .doc =
        {
            .id = "renaming-column",
            .severity = model::Severity::Error,
            .summary = "Renaming a column of an existing table.",
            .fix =
                "Expand-contract: add the new column, write both, backfill, switch reads, drop the old one.",
            .why =
                "During a deploy, old and new versions of the application run side by side. The rename is\n"
                "instant, but every query of the old version "
                "that names the column fails until it is gone.\n"
                "(Prisma's @map lets the code use a new name without renaming the column.)\n"
                "Not reported: a column added earlier in the "
                "same migration (no running code knows its name;\n"
                "when it takes the place of a dropped column of "
                "another type, changing-column-type reports the\n"
                "type change), and the columns of a table "
                "renamed earlier in it (renaming-table reports that).",
            .alternative =
                "-- 1. expand\n"
                "ALTER TABLE \"User\" ADD COLUMN \"full_name\" TEXT;\n"
                "-- 2. deploy code that writes both columns; backfill full_name from name in batches\n"
                "-- 3. deploy code that reads full_name only\n"
                "-- 4. contract, in a later release\n"
                "ALTER TABLE \"User\" DROP COLUMN \"name\";",
            .django_fix = "Add the new field, copy, switch code, remove "
                          "the old one; or keep the column with db_column=.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

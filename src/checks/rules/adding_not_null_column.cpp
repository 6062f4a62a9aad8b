// adding-not-null-column: ADD COLUMN … NOT NULL without a default on an existing table.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::AddColumn && !a.on_new_relation && a.not_null && !a.has_default)
      r.at(st, &a,
           "adds NOT NULL column \"" + a.column + "\" without a default to existing table " + table_name(a) +
               ": it fails with \"contains null values\" as soon as the table has rows");
  });
}

extern const Rule kAddingNotNullColumn = {
    .doc =
        {
            .id = "adding-not-null-column",
            .severity = model::Severity::Error,
            .summary = "A NOT NULL column added to an existing table without a default.",
            .fix = "Add the column nullable (or with a constant default), backfill, then add NOT NULL.",
            .why = "PostgreSQL must give every existing row a value "
                   "for the new column. Without a default there is\n"
                   "none, so the statement fails on any table that "
                   "has rows: it passes on an empty development\n"
                   "database and breaks the production deploy. Since "
                   "PostgreSQL 11 a constant default (or now()) is\n"
                   "stored in the catalog and costs no rewrite; a volatile default rewrites the table.",
            .alternative =
                "-- 1. expand: add the column nullable (or with a constant default, which is instant)\n"
                "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;\n"
                "-- 2. backfill in batches, in a separate migration or job\n"
                "UPDATE \"User\" SET \"plan\" = 'free' WHERE "
                "\"id\" BETWEEN 1 AND 10000 AND \"plan\" IS NULL;\n"
                "-- 3. contract: enforce without a long lock\n"
                "ALTER TABLE \"User\" ADD CONSTRAINT "
                "\"User_plan_not_null\" CHECK (\"plan\" IS NOT NULL) NOT VALID;\n"
                "ALTER TABLE \"User\" VALIDATE CONSTRAINT \"User_plan_not_null\";\n"
                "ALTER TABLE \"User\" ALTER COLUMN \"plan\" "
                "SET NOT NULL;  -- no scan: the CHECK proves it\n"
                "ALTER TABLE \"User\" DROP CONSTRAINT \"User_plan_not_null\";",
            .django_fix =
                "Add the field with null=True (or a default), backfill, then AlterField to null=False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

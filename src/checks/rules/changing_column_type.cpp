// changing-column-type: ALTER COLUMN TYPE that rewrites an existing table. Binary-coercible
// changes (varchar(n) to a larger n or to text, numeric precision up…) are not reported: the
// column's old type is followed through earlier migrations.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    // ADD COLUMN "x_new" of another type, copy, DROP COLUMN "x", RENAME "x_new" TO "x": the
    // rename is no hazard (no running code knows "x_new"), the type change under the old name is.
    if (a.kind == model::ActionKind::RenameColumn && a.on_new_column && !a.on_new_relation &&
        !a.old_type.empty() && !a.new_type.empty() && a.old_type != a.new_type) {
      r.at(st, &a,
           "replaces column " + table_name(a) + ".\"" + a.object + "\" (" + a.old_type + ") with \"" +
               a.column + "\" (" + a.new_type + "), added above: code still running reads and writes \"" +
               a.object + "\" as " + a.old_type + ", and fails on values the new type does not take");
      return;
    }
    if (a.kind != model::ActionKind::AlterColumnType || a.on_new_relation || !a.rewrites) return;
    std::string column = table_name(a) + ".\"" + a.column + "\"";
    if (a.rewrite_depends_on_old_type)
      r.at(st, &a,
           "changes the type of " + column + " to " + a.new_type +
               "; its old type is not known from these migrations: unless the change is binary-coercible, "
               "the table is rewritten under ACCESS EXCLUSIVE",
           model::Severity::Warning);
    else
      r.at(st, &a,
           "changes " + column + " from " + (a.old_type.empty() ? "its type" : a.old_type) + " to " +
               a.new_type + (a.detail.empty() ? "" : " with a " + a.detail) +
               ": PostgreSQL rewrites the table and its indexes under ACCESS EXCLUSIVE; reads and writes "
               "wait");
  });
}

extern const Rule kChangingColumnType = {
    .doc =
        {
            .id = "changing-column-type",
            .severity = model::Severity::Error,
            .summary = "Changing a column's type in a way that rewrites the table.",
            .fix = "Add a column of the new type, backfill, switch code over, then drop the old column.",
            .why = "Most type changes rewrite the whole table and rebuild its indexes while holding ACCESS\n"
                   "EXCLUSIVE (int to bigint, text to varchar(n), "
                   "varchar(n) to a smaller n, any USING expression).\n"
                   "Binary-coercible changes do not: varchar(n) to varchar(m >= n) or text, numeric(p,s) to\n"
                   "numeric(q >= p, s), timestamp precision up. "
                   "safemigrate knows the old type when an earlier\n"
                   "migration in the same folder created the column; "
                   "otherwise it warns that the rewrite depends on it.",
            .alternative = "-- expand\n"
                           "ALTER TABLE \"Order\" ADD COLUMN \"total_cents_big\" BIGINT;\n"
                           "-- backfill in batches; write both from the code; then switch reads\n"
                           "-- contract, later\n"
                           "ALTER TABLE \"Order\" DROP COLUMN \"total_cents\";\n"
                           "ALTER TABLE \"Order\" RENAME COLUMN "
                           "\"total_cents_big\" TO \"total_cents\";  -- after code uses the new name",
            .django_fix =
                "Add a field of the new type, backfill in batches, switch code, then remove the old field.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// type-change-breaks-view: ALTER COLUMN TYPE on a column that a view, materialized view or rule made
// by an earlier statement reads: PostgreSQL refuses it and the migration fails.
#include <algorithm>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::AlterColumnType || a.dependent_views.empty()) return;
    // Rules come as `rule "r" on "t"`; when one is there, each view is named a view too.
    bool rules = std::any_of(a.dependent_views.begin(), a.dependent_views.end(),
                             [](const std::string& v) { return v.rfind("rule ", 0) == 0; });
    std::string views;
    for (const std::string& v : a.dependent_views)
      views +=
          (views.empty() ? "" : ", ") + std::string(rules && v.rfind("rule ", 0) != 0 ? "view " : "") + v;
    r.at(st, &a,
         "ALTER COLUMN TYPE of " + table_name(a) + ".\"" + a.column + "\" fails: " +
             (rules                           ? ""
              : a.dependent_views.size() == 1 ? "view "
                                              : "views ") +
             views + " (made by an earlier migration) read" + (a.dependent_views.size() == 1 ? "s" : "") +
             " it, and PostgreSQL refuses to change the type of a column a " +
             (rules ? "view or rule" : "view") + " uses");
  });
}

extern const Rule kTypeChangeBreaksView = {
    .doc =
        {
            .id = "type-change-breaks-view",
            .severity = model::Severity::Error,
            .summary = "ALTER COLUMN … TYPE on a column that a view, "
                       "materialized view or rule uses: the migration fails.",
            .fix = "Drop the views that use the column, change the "
                   "type, and create the views again, in one transaction.",
            .why = "PostgreSQL records which columns a view or "
                   "materialized view reads and refuses to change their\n"
                   "type: \"cannot alter type of a column used by a "
                   "view or rule\" (ERROR 0A000, measured on PG 15).\n"
                   "The migration fails on deploy, after its "
                   "earlier statements ran (and committed, where the\n"
                   "statements do not share a transaction). "
                   "safemigrate follows the views and rules (CREATE RULE: its\n"
                   "WHERE and actions, NEW.col and OLD.col) that earlier statements "
                   "create, replace, rename and\n"
                   "drop, and matches columns by name in each table "
                   "a view or rule reads; views and rules made\n"
                   "outside these migrations are not seen.",
            .alternative =
                "BEGIN;\n"
                "DROP VIEW \"ActiveUser\";\n"
                "ALTER TABLE \"User\" ALTER COLUMN \"email\" TYPE VARCHAR(320);\n"
                "CREATE VIEW \"ActiveUser\" AS SELECT \"id\", \"email\" FROM \"User\" WHERE \"active\";\n"
                "COMMIT;",
            .django_fix = "Use RunSQL that drops the view, changes the column and creates "
                          "the view again (or SeparateDatabaseAndState around AlterField).",
        },
    .check = check,
};

}  // namespace sm::checks::rules

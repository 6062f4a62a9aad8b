// dropping-schema-cascade: DROP SCHEMA … CASCADE, which drops every object in the schema.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::DropSchema || !a.cascade) return;
    // No action passed: a schema has no size, and the finding is about the statement.
    r.at(st, nullptr,
         "DROP SCHEMA " + a.relation.display() +
             " CASCADE drops every table, view, function and type in it, and everything elsewhere that "
             "depends on them (foreign keys, views), without naming any of them");
  });
}

extern const Rule kDroppingSchemaCascade = {
    .doc =
        {
            .id = "dropping-schema-cascade",
            .severity = model::Severity::Error,
            .summary = "DROP SCHEMA … CASCADE in a migration.",
            .fix = "Drop the schema's objects one by one in a migration that names "
                   "them, then DROP SCHEMA without CASCADE (it fails if anything is left).",
            .why = "CASCADE makes PostgreSQL drop whatever the "
                   "schema holds as it is on that database, which on\n"
                   "production may be more than on the developer's: "
                   "tables someone created by hand, an extension's\n"
                   "objects, views in other schemas that read its "
                   "tables (they are dropped too). Nothing lists what\n"
                   "went; the data is gone with the commit. Without "
                   "CASCADE, DROP SCHEMA fails on a schema that is\n"
                   "not empty, which is the check one wants. squawk and eugene have no such rule.",
            .alternative =
                "DROP TABLE \"reporting\".\"daily_totals\";\n"
                "DROP VIEW \"reporting\".\"weekly\";\n"
                "DROP SCHEMA \"reporting\";  -- fails if something is left: look before dropping it",
            .django_fix =
                "Use RunSQL that drops the schema's objects by name, then DROP SCHEMA without CASCADE.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

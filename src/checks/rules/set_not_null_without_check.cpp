// set-not-null-without-check: SET NOT NULL scanning an existing table under ACCESS EXCLUSIVE.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind != model::ActionKind::SetNotNull || a.on_new_relation) return;
    std::string head = "SET NOT NULL on \"" + a.column + "\" scans all of " + table_name(a) +
                       " under ACCESS EXCLUSIVE: reads and writes wait for the scan ";
    if (a.scans)
      r.at(st, &a,
           head + "(no validated CHECK (\"" + a.column + "\" IS NOT NULL) was found in earlier migrations)");
    else if (target_older_than(m, 12))
      r.at(st, &a,
           head + "(the validated CHECK only spares the scan from PostgreSQL 12; the target is PostgreSQL " +
               std::to_string(m.target_postgres) + ": keep the CHECK instead of NOT NULL)");
  });
}

extern const Rule kSetNotNullWithoutCheck = {
    .doc =
        {
            .id = "set-not-null-without-check",
            .severity = model::Severity::Error,
            .summary = "ALTER COLUMN … SET NOT NULL on an existing table without a validated CHECK first.",
            .fix = "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL.",
            .why = "SET NOT NULL reads the whole table to prove "
                   "there is no NULL, holding ACCESS EXCLUSIVE. Since\n"
                   "PostgreSQL 12 the scan is skipped when a "
                   "validated CHECK (col IS NOT NULL) constraint exists, and\n"
                   "that CHECK can be validated without blocking. "
                   "safemigrate follows constraints through earlier\n"
                   "migrations and stays silent when such a CHECK was validated before.",
            .alternative = "ALTER TABLE \"User\" ADD CONSTRAINT "
                           "\"User_email_nn\" CHECK (\"email\" IS NOT NULL) NOT VALID;\n"
                           "-- later migration\n"
                           "ALTER TABLE \"User\" VALIDATE CONSTRAINT \"User_email_nn\";\n"
                           "ALTER TABLE \"User\" ALTER COLUMN \"email\" SET NOT NULL;\n"
                           "ALTER TABLE \"User\" DROP CONSTRAINT \"User_email_nn\";",
            .autofix = "Prisma: CHECK (col IS NOT NULL) NOT VALID, then VALIDATE, SET NOT NULL and DROP "
                       "CONSTRAINT in a following migration (PostgreSQL >= 12)",
        },
    .check = check,
};

}  // namespace sm::checks::rules

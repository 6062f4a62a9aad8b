// constraint-missing-not-valid: ADD CHECK / FOREIGN KEY that validates existing rows under a
// lock that blocks writes.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.on_new_relation || !a.scans) return;
    if (a.kind == model::ActionKind::AddForeignKey)
      r.at(st, &a,
           "ADD FOREIGN KEY validates every row of " + table_name(a) +
               " while holding SHARE ROW EXCLUSIVE on it and on the referenced table: writes to both wait");
    else if (a.kind == model::ActionKind::AddCheck)
      r.at(st, &a,
           "ADD CHECK validates every row of " + table_name(a) +
               " while holding ACCESS EXCLUSIVE: reads and writes wait for the scan");
  });
}

extern const Rule kConstraintMissingNotValid = {
    .doc =
        {
            .id = "constraint-missing-not-valid",
            .severity = model::Severity::Error,
            .summary = "A CHECK or FOREIGN KEY constraint added to an existing table without NOT VALID.",
            .fix = "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
            .why = "Adding a validated CHECK scans the whole table "
                   "under ACCESS EXCLUSIVE; a validated FOREIGN KEY\n"
                   "scans the child under SHARE ROW EXCLUSIVE on both "
                   "tables. With NOT VALID the constraint is added\n"
                   "in a moment and enforced for new rows; VALIDATE "
                   "CONSTRAINT then checks old rows holding only\n"
                   "SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
            .alternative =
                "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\")\n"
                "  REFERENCES \"User\"(\"id\") NOT VALID;\n"
                "-- later migration\n"
                "ALTER TABLE \"Post\" VALIDATE CONSTRAINT \"Post_authorId_fkey\";",
            .django_fix = "Django cannot add NOT VALID itself: use "
                          "SeparateDatabaseAndState with RunSQL(\"… NOT VALID\") as the database "
                          "operation, and RunSQL(\"… VALIDATE CONSTRAINT …\") in a later migration.",
            .autofix =
                "Prisma: ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a following migration",
        },
    .check = check,
};

}  // namespace sm::checks::rules

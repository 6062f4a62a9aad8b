// unique-constraint-builds-index: ADD UNIQUE / PRIMARY KEY / EXCLUDE (or an inline UNIQUE or
// PRIMARY KEY column) that builds its index while holding ACCESS EXCLUSIVE.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  using model::ActionKind;
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    bool builds = a.scans && (a.kind == ActionKind::AddUnique || a.kind == ActionKind::AddPrimaryKey ||
                              a.kind == ActionKind::AddExclusion || a.kind == ActionKind::AddColumn);
    if (builds && !a.on_new_relation)
      r.at(st, &a,
           std::string(model::action_kind_name(a.kind)) + " builds an index on existing table " +
               table_name(a) + " while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build");
  });
}

extern const Rule kUniqueConstraintBuildsIndex = {
    .doc =
        {
            .id = "unique-constraint-builds-index",
            .severity = model::Severity::Error,
            .summary =
                "A UNIQUE, PRIMARY KEY or EXCLUDE constraint that builds its index under ACCESS EXCLUSIVE.",
            .fix =
                "Build the index with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.",
            .why = "ALTER TABLE … ADD UNIQUE / PRIMARY KEY builds a "
                   "new index while holding ACCESS EXCLUSIVE on the\n"
                   "table: nobody can read or write it during the "
                   "build. Build the index concurrently first; turning\n"
                   "an existing valid index into a constraint is a catalog change.",
            .alternative = "-- migration 1, alone in its file\n"
                           "CREATE UNIQUE INDEX CONCURRENTLY \"User_email_key\" ON \"User\"(\"email\");\n"
                           "-- migration 2\n"
                           "ALTER TABLE \"User\" ADD CONSTRAINT "
                           "\"User_email_key\" UNIQUE USING INDEX \"User_email_key\";",
            .django_fix = "Build the index first with AddIndexConcurrently (atomic = False), then add the "
                          "constraint with SeparateDatabaseAndState + RunSQL(\"… UNIQUE USING INDEX …\").",
            .autofix = "Prisma: CREATE UNIQUE INDEX CONCURRENTLY alone in a migration of its own, then ADD "
                       "CONSTRAINT … USING INDEX",
        },
    .check = check,
};

}  // namespace sm::checks::rules

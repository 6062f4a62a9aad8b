// require-concurrent-index-creation: CREATE INDEX without CONCURRENTLY on an existing table.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (a.kind == model::ActionKind::CreateIndex && !a.concurrently && !a.on_new_relation)
      r.at(st, &a,
           "CREATE INDEX on existing table " + table_name(a) +
               " takes a SHARE lock: every INSERT, UPDATE and DELETE on it waits until the index is built");
  });
}

extern const Rule kRequireConcurrentIndexCreation = {
    .doc =
        {
            .id = "require-concurrent-index-creation",
            .severity = model::Severity::Error,
            .summary = "CREATE INDEX without CONCURRENTLY on a table that already exists.",
            .fix = "Use CREATE INDEX CONCURRENTLY, alone in its own migration.",
            .why = "A plain CREATE INDEX holds a SHARE lock on the "
                   "table for the whole build: reads go on, but all\n"
                   "writes wait, for minutes on a large table. CREATE "
                   "INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE,\n"
                   "which lets reads and writes go on. It cannot run "
                   "inside a transaction block, so with Prisma <= 7.3\n"
                   "it must be the only statement of its "
                   "migration.sql. Indexes on tables created earlier in the\n"
                   "same migration are not reported: the table is new and empty.",
            .alternative =
                "-- its own migration, e.g. prisma/migrations/20240101000000_user_email_idx/migration.sql\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"User_email_idx\" ON \"User\"(\"email\");\n"
                "-- if it fails, it leaves an INVALID index: DROP INDEX CONCURRENTLY it and deploy again",
            .django_fix = "Use AddIndexConcurrently "
                          "(django.contrib.postgres.operations) in a migration with atomic = False.",
            .autofix = "Prisma: CREATE INDEX CONCURRENTLY IF NOT EXISTS, alone in a migration of its own "
                       "(Prisma <= 7.3), with a comment on dropping the invalid index a failed build leaves; "
                       "Django: AddIndexConcurrently (an AlterField gaining db_index=True: "
                       "SeparateDatabaseAndState with it) in a new migration with atomic = False",
        },
    .check = check,
};

}  // namespace sm::checks::rules

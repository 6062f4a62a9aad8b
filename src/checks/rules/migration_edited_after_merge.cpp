// migration-edited-after-merge: `check --since REF` found a change to a migration that already
// existed at REF. The rule reads git history, not the model, so src/app/git_since.cpp makes
// its findings; this file holds its documentation (rules, explain, SARIF).
#include "checks/rule.h"

namespace sm::checks::rules {

extern const Rule kMigrationEditedAfterMerge = {
    .doc =
        {
            .id = "migration-edited-after-merge",
            .severity = model::Severity::Error,
            .summary = "A migration that already existed at the --since ref was changed or deleted.",
            .fix = "Leave merged migrations as they are; put the change in a new migration.",
            .why =
                "A merged migration may already have run on a shared database or in production. Databases\n"
                "that applied it never run the edited version, so environments drift apart silently, and\n"
                "the framework notices only later: Prisma stores the file's SHA-256 in _prisma_migrations\n"
                "and `prisma migrate dev` then wants to reset the database; Django records only the name,\n"
                "so an edited Django migration is never re-run "
                "anywhere it was applied. A deleted migration\n"
                "leaves a history row that no file explains.",
            .alternative = "-- instead of editing 20240101000000_init/migration.sql, add a migration:\n"
                           "-- prisma/migrations/20240301000000_fix_user_email/migration.sql\n"
                           "ALTER TABLE \"User\" ALTER COLUMN \"email\" TYPE text;",
            .django_fix =
                "Add a new migration (makemigrations) instead of editing one that was merged; squash with\n"
                "squashmigrations when history must shrink.",
        },
};

}  // namespace sm::checks::rules

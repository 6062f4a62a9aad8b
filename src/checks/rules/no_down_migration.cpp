// no-down-migration: a migration with no way back and no explicit irreversible marker.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  // Prisma only: Django's reversibility is per operation (run-python/sql-without-reverse).
  if (m.framework != model::Framework::Prisma || m.has_down || m.marked_irreversible) return;
  for (const model::Statement* st : m.statements())
    if (changes_something(*st)) {
      r.on_migration("no way back: there is no down.sql beside " +
                     std::string(m.main_file() ? m.main_file()->path : m.id) +
                     ", and no `-- safemigrate: irreversible` marker says that none is meant");
      return;
    }
}

extern const Rule kNoDownMigration = {
    {"no-down-migration", model::Severity::Warning,
     "A migration with neither a down migration nor an explicit irreversible marker.",
     "Add down.sql beside migration.sql, or the comment `-- safemigrate: irreversible`.",
     "The checklist asks for both UP and DOWN, or an explicit statement that there is no way back.\n"
     "Prisma has no down migrations of its own. safemigrate's convention: a `down.sql` file beside\n"
     "`migration.sql` (prisma migrate diff --from-schema-datamodel … --script can write one) holds the\n"
     "SQL that undoes it; or a comment `-- safemigrate: irreversible` anywhere in migration.sql records\n"
     "that the change is forward-only on purpose (the rollback plan is a new forward migration).",
     "-- prisma/migrations/20240101000000_add_plan/down.sql\n"
     "ALTER TABLE \"User\" DROP COLUMN \"plan\";\n"
     "-- or, in migration.sql:\n"
     "-- safemigrate: irreversible (drops legacy data; restore from backup)"},
    check};

}  // namespace sm::checks::rules

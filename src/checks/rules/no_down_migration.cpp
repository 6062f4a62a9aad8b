// no-down-migration: a migration with no way back and no explicit irreversible marker. In a
// project that never writes down.sql this is one project-wide condition, said once; a file is
// reported on its own where it destroys data, or where the project's habit is to write them.
#include "checks/rule.h"

namespace sm::checks::rules {

// The first action that removes data already in the database: what a down.sql could not bring
// back, and so what a person must decide about (backup, or an explicit irreversible marker).
static const model::Action* destroys_data(const model::Migration& m, const model::Statement*& where) {
  for (const model::Statement* st : m.statements())
    for (const model::Action& a : st->actions) {
      if (a.on_new_relation) continue;
      // DROP TABLE and DROP COLUMN are not counted: dropping-table and dropping-column report the
      // same statement and already say that its data is gone (134 of 135 per-file findings on the
      // corpus repeated one); such a migration counts in the condition like any other.
      bool destroys = a.kind == model::ActionKind::TruncateTable ||
                      (a.kind == model::ActionKind::WriteRows && a.whole_table && a.detail == "DELETE");
      if (destroys) {
        where = st;
        return &a;
      }
    }
  return nullptr;
}

static std::string what(const model::Action& a) {
  switch (a.kind) {
    case model::ActionKind::TruncateTable: return "empties " + table_name(a) + " (TRUNCATE)";
    default: return "deletes every row of " + table_name(a);
  }
}

static void check(const model::Migration& m, Reporter& r) {
  // Prisma only: Django's reversibility is per operation (run-python/sql-without-reverse).
  if (m.framework != model::Framework::Prisma || m.has_down || m.marked_irreversible) return;
  bool changes = false;
  for (const model::Statement* st : m.statements()) changes = changes || changes_something(*st);
  if (!changes) return;
  const model::Statement* st = nullptr;
  if (const model::Action* a = destroys_data(m, st)) {
    r.at(*st, a,
         what(*a) +
             " with no way back: the data is gone once this runs, there is no down.sql beside it, and no "
             "`-- safemigrate: irreversible` marker records that a backup (or the data's loss) was decided "
             "on");
    return;
  }
  if (m.project.writes_down) {
    // The project writes down.sql (or marks migrations irreversible): this one breaks the habit.
    r.on_migration(
        "no way back: there is no down.sql beside " +
        std::string(m.main_file() ? m.main_file()->path : m.id) +
        ", and no `-- safemigrate: irreversible` marker says that none is meant (most migrations of "
        "this project have one)");
    return;
  }
  r.routine(
      "no migration of this project has a down.sql or a `-- safemigrate: irreversible` marker: Prisma has no "
      "down migrations, so the way back from each is a new forward migration");
}

extern const Rule kNoDownMigration = {
    .doc =
        {
            .id = "no-down-migration",
            .severity = model::Severity::Warning,
            .summary = "A migration with neither a down migration nor an explicit irreversible marker.",
            .fix = "Add down.sql beside migration.sql, or the comment `-- safemigrate: irreversible`.",
            .why = "The checklist asks for both UP and DOWN, or an "
                   "explicit statement that there is no way back.\n"
                   "Prisma has no down migrations of its own. "
                   "safemigrate's convention: a `down.sql` file beside\n"
                   "`migration.sql` (prisma migrate diff "
                   "--from-schema-datamodel … --script can write one) holds the\n"
                   "SQL that undoes it; or a comment `-- safemigrate: "
                   "irreversible` anywhere in migration.sql records\n"
                   "that the change is forward-only on purpose "
                   "(the rollback plan is a new forward migration).\n"
                   "A project that never writes either hears it "
                   "once, as a project-wide condition with the number\n"
                   "of migrations concerned: repeating it on every "
                   "file would say nothing about any of them. A file\n"
                   "is still reported on its own when it destroys "
                   "data that no other finding names (TRUNCATE, a\n"
                   "DELETE of every row) on a table that existed "
                   "before it, because no forward migration brings that\n"
                   "data back (DROP TABLE and DROP COLUMN carry dropping-table and dropping-column); and "
                   "in a project where at least half of the migrations have a down.sql or a marker, every\n"
                   "file that has neither is.",
            .alternative = "-- prisma/migrations/20240101000000_add_plan/down.sql\n"
                           "ALTER TABLE \"User\" DROP COLUMN \"plan\";\n"
                           "-- or, in migration.sql:\n"
                           "-- safemigrate: irreversible (drops legacy data; restore from backup)",
            .condition_fix =
                "Decide it once for the project: roll back with new forward migrations "
                "(Prisma's way) and mark the migrations that destroy data with `-- safemigrate: "
                "irreversible` after taking a backup, or write a down.sql beside each migration.sql.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

// non-atomic-migration: statements that change the schema commit separately, so a failure
// half-way leaves the schema half-changed. Under Prisma >= 7.4 every multi-statement file is
// like that: the condition belongs to the Prisma version and is said once for the project; a file
// is reported where a later statement can fail on the rows already there, after others committed.
#include <set>

#include "checks/rule.h"

namespace sm::checks::rules {

// Why `st` can fail on data already in the database (empty: it cannot, beyond lock timeouts and
// outages): what a test on an empty database never shows.
static std::string can_fail_on_data(const model::Statement& st) {
  using K = model::ActionKind;
  if (st.cls == model::StatementClass::Dml) {
    for (const auto& a : st.actions)
      if (!a.on_new_relation && a.kind != model::ActionKind::ReadAllRows && a.cannot_fail.empty())
        return "a data change (" + a.detail + " " + table_name(a) + ")";
    if (st.actions.empty()) return "procedural code";
    return {};
  }
  for (const auto& a : st.actions) {
    // SchemaTracker's reason it cannot (columns added NULL above, a cast that always succeeds…).
    if (a.on_new_relation || !a.cannot_fail.empty()) continue;
    std::string t = table_name(a);
    if (a.kind == K::SetNotNull && a.scans) return "SET NOT NULL fails if " + t + " has a NULL";
    if ((a.kind == K::AddUnique || a.kind == K::AddPrimaryKey || a.kind == K::AddExclusion) && a.scans)
      return "a unique index fails on duplicates in " + t;
    if (a.kind == K::CreateIndex && a.detail == "unique") return "a UNIQUE index fails on duplicates in " + t;
    if (a.kind == K::ValidateConstraint) return "VALIDATE fails if a row of " + t + " breaks the constraint";
    if ((a.kind == K::AddCheck || a.kind == K::AddForeignKey) && a.scans)
      return "a validated constraint fails if a row of " + t + " breaks it";
    if (a.kind == K::AlterColumnType && a.rewrites)
      return "the type cast fails on a value of " + t + " it cannot convert";
    if (a.kind == K::AddColumn && a.not_null && !a.has_default)
      return "NOT NULL without a default fails if " + t + " has rows";
    if (a.kind == K::AddColumn && a.scans) return "the new column's constraint fails on the rows of " + t;
    if (a.kind == K::AttachPartition && a.scans)
      return "ATTACH PARTITION fails if a row of " + t + " is outside its bounds";
  }
  return {};
}

static void check(const model::Migration& m, Reporter& r) {
  // BEGIN/COMMIT written in the file: the split, if any, is the author's own.
  bool own_transactions = false;
  for (const model::Statement* st : m.statements())
    own_transactions = own_transactions || st->tx != model::TxControl::None;
  for (const auto& scenario : m.scenarios) {
    std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
    const StatementRun* first = nullptr;
    const StatementRun* split = nullptr;  // the first change that commits apart from `first`
    const StatementRun* fails = nullptr;  // the first such change that can fail on existing rows
    std::string why;
    size_t changes = 0;
    std::set<int> transactions;
    for (const auto& run : runs) {
      if (!changes_something(*run.statement)) continue;
      ++changes;
      transactions.insert(run.transaction);
      if (!first) {
        first = &run;
        continue;
      }
      if (run.transaction == first->transaction) continue;
      if (!split) split = &run;
      if (!fails) {
        why = can_fail_on_data(*run.statement);
        if (!why.empty()) fails = &run;
      }
    }
    if (!split) continue;
    bool framework_split = m.framework == model::Framework::Prisma &&
                           scenario.mode == model::ExecutionMode::PerStatement && !own_transactions;
    std::string head = "not atomic under " + scenario.label + ": " + std::to_string(changes) +
                       " changes commit in " + std::to_string(transactions.size()) + " separate transactions";
    if (framework_split && fails) {
      r.at(*fails->statement, nullptr,
           head + "; this statement can fail on production data (" + why +
               ") after the statements from line " + std::to_string(first->statement->loc.line) +
               " have committed: the migration is then recorded as failed with the schema half-changed, and "
               "the next deploy stops until someone repairs it by hand. Wrap the file in BEGIN; … COMMIT;");
    } else if (framework_split) {
      // Nothing later can fail on the rows already there: only the version's condition remains.
      r.routine(
          scenario.label +
          " runs each statement of a migration.sql on its own: if one fails (a lock timeout, an outage), "
          "the statements before it stay applied and the migration is recorded as failed");
    } else {
      r.at(*split->statement, nullptr,
           head + "; if this statement or a later one fails, the statements before it (from line " +
               std::to_string(first->statement->loc.line) + ") stay applied" +
               (m.framework == model::Framework::Django
                    ? " and the migration is not recorded in django_migrations: the next `migrate` runs it "
                      "again from the start and fails on what is already there. Keep only the concurrent "
                      "index "
                      "operation in the atomic = False migration"
                    : " and the migration is recorded as failed. Wrap the transactional part in BEGIN; … "
                      "COMMIT; and keep CONCURRENTLY statements in migrations of their own"));
    }
  }
}

extern const Rule kNonAtomicMigration = {
    .doc =
        {
            .id = "non-atomic-migration",
            .severity = model::Severity::Warning,
            .summary = "A multi-statement migration whose statements "
                       "commit separately under the executing framework.",
            .fix = "Wrap the transactional statements in BEGIN; … COMMIT; or split the migration.",
            .why = "From Prisma 7.4 the engine splits "
                   "migration.sql into statements and sends each on its own\n"
                   "(prisma-engines pull request 5767): CONCURRENTLY "
                   "works, but the migration is no longer atomic.\n"
                   "When statement N fails, statements 1..N-1 stay "
                   "applied, the migration is marked failed, and the\n"
                   "next deploy refuses to run until someone "
                   "repairs the schema by hand and resolves it. Up to\n"
                   "Prisma 7.3 the file ran as one implicit "
                   "transaction and rolled back as a whole. A COMMIT written\n"
                   "in the middle of a file splits it into several transactions under any version.\n"
                   "Under Prisma >= 7.4 this holds for every multi-statement file, so it is said once, as a\n"
                   "project-wide condition with the number of "
                   "migrations concerned. A file is reported on its own when a\n"
                   "statement after the first committed change can "
                   "fail on the rows already in production, which a\n"
                   "test on an empty database never shows: SET NOT "
                   "NULL, a UNIQUE index or constraint, a validated\n"
                   "CHECK or FOREIGN KEY, VALIDATE CONSTRAINT, a type "
                   "cast, ADD COLUMN NOT NULL without a default, a\n"
                   "data change. A generated CREATE TABLE + CREATE "
                   "INDEX + ADD FOREIGN KEY on new tables can only fail\n"
                   "for reasons unrelated to the file and is not "
                   "reported, nor is what cannot fail on the rows there:\n"
                   "a FOREIGN KEY or UNIQUE index on a column the "
                   "same file added NULL without a default (only NULLs)\n"
                   "or as serial (distinct values), a foreign key "
                   "re-added right after being dropped, a cast that\n"
                   "always succeeds (int to bigint or text, "
                   "varchar(n) to text or a longer varchar), an UPDATE that\n"
                   "sets only columns the file added, to plain values, with no constraint "
                   "or trigger to reject them. Files that split themselves (COMMIT in the\n"
                   "middle) and Django's atomic = False migrations are reported as before.",
            .alternative = "BEGIN;\n"
                           "ALTER TABLE \"Order\" ADD COLUMN \"status\" TEXT;\n"
                           "ALTER TABLE \"Order\" ADD CONSTRAINT "
                           "\"Order_status_check\" CHECK (\"status\" <> '') NOT VALID;\n"
                           "COMMIT;",
            .django_fix = "Keep only the concurrent index operation in the "
                          "atomic = False migration; move the rest to an atomic one.",
            .condition_fix =
                "Wrap a migration.sql in BEGIN; … COMMIT; wherever a failure half-way would "
                "need repair by hand (safemigrate names each file where a later statement can "
                "fail on existing rows); keep CONCURRENTLY statements in migrations of their own.",
            .autofix = "Prisma >= 7.4 (a file run statement by statement): BEGIN; … COMMIT; around the "
                       "statements that must commit together; a statement that cannot run inside a "
                       "transaction block (CONCURRENTLY, VACUUM) goes alone in a migration of its own, as "
                       "do a VALIDATE after its NOT VALID and what uses an enum value after its ADD VALUE, "
                       "each in a folder that sorts right after the original",
        },
    .check = check,
};

}  // namespace sm::checks::rules

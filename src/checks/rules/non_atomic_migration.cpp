// non-atomic-migration: statements that change the schema commit separately, so a failure
// half-way leaves the schema half-changed.
#include <set>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const auto& scenario : m.scenarios) {
    std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
    const StatementRun* first = nullptr;
    for (const auto& run : runs) {
      if (!changes_something(*run.statement)) continue;
      if (!first) {
        first = &run;
        continue;
      }
      if (run.transaction == first->transaction) continue;
      size_t changes = 0;
      std::set<int> transactions;
      for (const auto& x : runs)
        if (changes_something(*x.statement)) {
          ++changes;
          transactions.insert(x.transaction);
        }
      r.at(*run.statement, nullptr,
           "not atomic under " + scenario.label + ": " + std::to_string(changes) + " changes commit in " +
               std::to_string(transactions.size()) +
               " separate transactions; if this statement or a later one fails, the statements before it "
               "(from line " +
               std::to_string(first->statement->loc.line) + ") stay applied" +
               (m.framework == model::Framework::Django
                    ? " and the migration is not recorded in django_migrations: the next `migrate` runs it "
                      "again "
                      "from the start and fails on what is already there. Keep only the concurrent index "
                      "operation in the atomic = False migration"
                    : " and the migration is recorded as failed. Wrap the transactional part in BEGIN; … "
                      "COMMIT; and keep CONCURRENTLY statements in migrations of their own"));
      break;
    }
  }
}

extern const Rule kNonAtomicMigration = {
    {"non-atomic-migration", model::Severity::Warning,
     "A multi-statement migration whose statements commit separately under the executing framework.",
     "Wrap the transactional statements in BEGIN; … COMMIT; or split the migration.",
     "From Prisma 7.4 the engine splits migration.sql into statements and sends each on its own\n"
     "(prisma-engines pull request 5767): CONCURRENTLY works, but the migration is no longer atomic.\n"
     "When statement N fails, statements 1..N-1 stay applied, the migration is marked failed, and the\n"
     "next deploy refuses to run until someone repairs the schema by hand and resolves it. Up to\n"
     "Prisma 7.3 the file ran as one implicit transaction and rolled back as a whole. A COMMIT written\n"
     "in the middle of a file splits it into several transactions under any version.",
     "BEGIN;\n"
     "ALTER TABLE \"Order\" ADD COLUMN \"status\" TEXT;\n"
     "ALTER TABLE \"Order\" ADD CONSTRAINT \"Order_status_check\" CHECK (\"status\" <> '') NOT VALID;\n"
     "COMMIT;",
     "Keep only the concurrent index operation in the atomic = False migration; move the rest to an atomic "
     "one."},
    check};

}  // namespace sm::checks::rules

// validate-in-same-transaction: ADD CONSTRAINT … NOT VALID and its VALIDATE CONSTRAINT in one
// transaction: the ADD's lock is kept for the whole validating scan.
#include <algorithm>

#include "checks/rule.h"

namespace sm::checks::rules {

static bool adds_not_valid(const model::Action& a) {
  return (a.kind == model::ActionKind::AddCheck || a.kind == model::ActionKind::AddForeignKey) && a.not_valid;
}

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& v) {
    if (v.kind != model::ActionKind::ValidateConstraint || v.on_new_relation || v.object.empty()) return;
    for (const model::ExecutionScenario& scenario : m.scenarios) {
      std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
      auto self =
          std::find_if(runs.begin(), runs.end(), [&](const StatementRun& x) { return x.statement == &st; });
      if (self == runs.end()) continue;
      for (auto it = runs.begin(); it != self; ++it) {
        if (it->transaction != self->transaction) continue;
        for (const model::Action& add : it->statement->actions) {
          if (!adds_not_valid(add) || add.object != v.object || add.relation.key() != v.relation.key())
            continue;
          r.at(st, &v,
               "VALIDATE CONSTRAINT " + v.object +
                   " runs in the same transaction as its ADD … NOT VALID (line " +
                   std::to_string(it->statement->loc.line) +
                   (scenario.label.empty() ? "" : ", " + scenario.label) + "): the ADD's " +
                   model::lock_mode_name(add.lock) + " on " + table_name(v) +
                   " is kept for the whole validating scan, as if NOT VALID had not been written");
          return;
        }
      }
    }
  });
}

extern const Rule kValidateInSameTransaction = {
    .doc =
        {
            .id = "validate-in-same-transaction",
            .severity = model::Severity::Error,
            .summary = "VALIDATE CONSTRAINT in the same transaction "
                       "as the ADD CONSTRAINT … NOT VALID it validates.",
            .fix = "Validate in a later migration (or after a "
                   "COMMIT): the ADD's lock is then released before the scan.",
            .why = "NOT VALID exists so that the constraint is added "
                   "in a moment and the scan of existing rows runs\n"
                   "later under SHARE UPDATE EXCLUSIVE, which lets "
                   "reads and writes go on. Locks last until the\n"
                   "transaction ends: when VALIDATE runs in the "
                   "ADD's transaction, the ADD's lock (ACCESS EXCLUSIVE\n"
                   "for a CHECK, SHARE ROW EXCLUSIVE on both "
                   "tables for a FOREIGN KEY) is still held during the\n"
                   "scan, and the table is blocked exactly as "
                   "without NOT VALID. A Prisma migration.sql is one\n"
                   "transaction up to Prisma 7.3, so both statements in one file are in one transaction.",
            .alternative =
                "-- migration 1\n"
                "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\")\n"
                "  REFERENCES \"User\"(\"id\") NOT VALID;\n"
                "-- migration 2\n"
                "ALTER TABLE \"Post\" VALIDATE CONSTRAINT \"Post_authorId_fkey\";",
            .django_fix = "Put RunSQL(\"… VALIDATE CONSTRAINT …\") in a later migration than the one "
                          "that adds the constraint NOT VALID, or mark the migration atomic = False.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

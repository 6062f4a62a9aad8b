// concurrently-in-transaction: a statement PostgreSQL refuses inside a transaction block
// (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM…) that will run inside one.
#include "checks/rule.h"

namespace sm::checks::rules {

static std::string what(const model::Statement& st) {
  if (st.node == "IndexStmt") return "CREATE INDEX CONCURRENTLY";
  if (st.node == "DropStmt") return "DROP INDEX CONCURRENTLY";
  if (st.node == "ReindexStmt") return "REINDEX CONCURRENTLY";
  if (st.node == "VacuumStmt") return "VACUUM";
  if (st.node == "AlterTableStmt") return "DETACH PARTITION CONCURRENTLY";
  return st.node;
}

static void check(const model::Migration& m, Reporter& r) {
  std::vector<const model::Statement*> sts = m.statements();
  std::vector<std::string> why(sts.size());
  for (const auto& scenario : m.scenarios) {
    std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!runs[i].statement->cannot_run_in_transaction || !runs[i].in_transaction_block) continue;
      std::string reason =
          scenario.mode == model::ExecutionMode::OneBatch
              ? "fails under " + scenario.label +
                    ": the whole file is sent as one query, which PostgreSQL runs as one transaction"
          : scenario.mode == model::ExecutionMode::OneTransaction
              ? "fails under " + scenario.label + ": the migration runs inside one transaction"
              : "fails under " + scenario.label + ": it is inside BEGIN … COMMIT";
      why[i] += (why[i].empty() ? "" : "; ") + reason;
    }
  }
  for (size_t i = 0; i < sts.size(); ++i)
    if (!why[i].empty())
      r.at(*sts[i], nullptr,
           what(*sts[i]) + " cannot run inside a transaction block and " + why[i] +
               " (\"cannot run inside a transaction block\"): move it to a migration of its own");
}

extern const Rule kConcurrentlyInTransaction = {
    .doc =
        {
            .id = "concurrently-in-transaction",
            .severity = model::Severity::Error,
            .summary = "CONCURRENTLY (or VACUUM) where it will run inside a transaction block.",
            .fix = "Put the CONCURRENTLY statement alone in its own migration.",
            .why = "PostgreSQL refuses CREATE INDEX CONCURRENTLY, "
                   "DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY,\n"
                   "DETACH PARTITION CONCURRENTLY and VACUUM "
                   "inside a transaction block. How a migration runs\n"
                   "decides whether that is the case:\n"
                   "- Prisma <= 7.3 sends the whole migration.sql "
                   "as one simple-protocol query. PostgreSQL runs a\n"
                   "  multi-statement query as one implicit "
                   "transaction, so CONCURRENTLY fails as soon as the file\n"
                   "  holds any other statement (measured with Prisma 6.19.3). Alone in its file, it works.\n"
                   "- Prisma >= 7.4 sends statements one by one, so "
                   "CONCURRENTLY works unless it sits between BEGIN\n"
                   "  and COMMIT written in the file, or the file "
                   "contains a statement Prisma's splitter cannot\n"
                   "  parse (then the file is sent as one batch again).\n"
                   "- Django runs an atomic migration inside one transaction: use atomic = False.\n"
                   "When the Prisma version is unknown, safemigrate reports what happens under each.",
            .alternative = "-- migration A: the schema change\n"
                           "ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT;\n"
                           "-- migration B, nothing else in the file:\n"
                           "CREATE INDEX CONCURRENTLY \"Post_slug_idx\" ON \"Post\"(\"slug\");",
            .django_fix =
                "Set atomic = False on the migration and keep the concurrent operation alone in it.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

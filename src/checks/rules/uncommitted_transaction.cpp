// uncommitted-transaction: BEGIN with no COMMIT or ROLLBACK after it in the migration.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  const model::Statement* open = nullptr;
  for (const model::Statement* st : m.statements()) {
    if (st->tx == model::TxControl::Begin && !open) open = st;
    if (st->tx == model::TxControl::Commit || st->tx == model::TxControl::Rollback) open = nullptr;
  }
  if (open)
    r.at(*open, nullptr,
         "the transaction opened here is never committed or rolled back in this migration: its changes "
         "stay uncommitted on the framework's connection, which may record the migration as applied and then "
         "close, rolling everything back");
}

extern const Rule kUncommittedTransaction = {
    .doc =
        {
            .id = "uncommitted-transaction",
            .severity = model::Severity::Error,
            .summary = "BEGIN without a COMMIT or ROLLBACK later in the migration.",
            .fix = "End every BEGIN with COMMIT in the same file.",
            .why =
                "A migration that opens a transaction block and "
                "never closes it leaves the block open on the\n"
                "framework's connection. Whatever the framework runs next (Prisma's update of\n"
                "_prisma_migrations, the next migration) joins "
                "that block, and when the connection closes,\n"
                "PostgreSQL rolls all of it back: the deploy can look successful while the schema did not\n"
                "change, or leave a migration recorded as started but never finished.",
            .alternative = "BEGIN;\n"
                           "ALTER TABLE \"Order\" ADD COLUMN \"note\" TEXT;\n"
                           "COMMIT;",
            .django_fix =
                "Do not write BEGIN in RunSQL: Django wraps atomic migrations in a transaction itself.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

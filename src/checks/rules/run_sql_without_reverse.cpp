// run-sql-without-reverse: a RunSQL with no reverse_sql: the migration cannot be unapplied.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const auto& op : m.operations)
    if (op.data_sql && !op.reversible)
      r.on_operation(op, "RunSQL has no reverse_sql: `migrate " + m.app +
                             "` to an earlier migration fails with IrreversibleError");
}

extern const Rule kRunSqlWithoutReverse = {
    .doc =
        {
            .id = "run-sql-without-reverse",
            .severity = model::Severity::Warning,
            .summary = "A RunSQL operation without reverse_sql.",
            .fix = "Give RunSQL a reverse_sql, or "
                   "reverse_sql=migrations.RunSQL.noop when nothing needs undoing.",
            .why = "Without reverse_sql Django cannot unapply the "
                   "migration, so a rollback of the release stops\n"
                   "at it. If the SQL changes the schema, also give state_operations so that Django's model\n"
                   "state matches the database.",
            .alternative = "migrations.RunSQL(\n"
                           "    sql='UPDATE shop_product SET sku = id::text WHERE sku IS NULL',\n"
                           "    reverse_sql=migrations.RunSQL.noop,\n"
                           ")",
        },
    .check = check,
};

}  // namespace sm::checks::rules

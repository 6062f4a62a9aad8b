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
    {"run-sql-without-reverse", model::Severity::Warning, "A RunSQL operation without reverse_sql.",
     "Give RunSQL a reverse_sql, or reverse_sql=migrations.RunSQL.noop when nothing needs undoing.",
     "Without reverse_sql Django cannot unapply the migration, so a rollback of the release stops\n"
     "at it. If the SQL changes the schema, also give state_operations so that Django's model\n"
     "state matches the database.",
     "migrations.RunSQL(\n"
     "    sql='UPDATE shop_product SET sku = id::text WHERE sku IS NULL',\n"
     "    reverse_sql=migrations.RunSQL.noop,\n"
     ")"},
    check};

}  // namespace sm::checks::rules

// mixed-schema-and-data: DDL and DML on existing tables in one migration.
#include "checks/python_source.h"
#include "checks/rule.h"

namespace sm::checks::rules {

// DML that writes only to tables created earlier in the same migration (seed rows of a new
// lookup table) is not a data migration.
static bool writes_existing_data(const model::Statement& st) {
  if (st.cls != model::StatementClass::Dml) return false;
  if (st.actions.empty()) return true;  // DO blocks, CALL: unknown targets
  for (const auto& a : st.actions)
    if (!a.on_new_relation) return true;
  return false;
}

static void check(const model::Migration& m, Reporter& r) {
  const model::Statement* ddl = nullptr;
  const model::Statement* dml = nullptr;
  const model::Operation* python = nullptr;  // Django's RunPython changes data the SQL does not show
  for (const auto& op : m.operations) {
    // RunPython.noop forwards (a placeholder for reverse-only code) changes nothing.
    if (!python && op.runs_python && !(op.code && is_noop(*op.code))) python = &op;
    for (const auto& st : op.statements) {
      if (!ddl && st.cls == model::StatementClass::Ddl) ddl = &st;
      if (!dml && writes_existing_data(st)) dml = &st;
    }
  }
  if (!ddl) return;
  std::string tail =
      "): a long backfill holds the schema change's locks, and the two cannot be rolled back or "
      "retried separately";
  if (dml)
    r.at(*dml, nullptr,
         "changes data in a migration that also changes the schema (line " + std::to_string(ddl->loc.line) +
             tail);
  else if (python)
    r.on_operation(*python,
                   "runs Python that changes data in a migration that also changes the schema (line " +
                       std::to_string(ddl->loc.line) + tail);
}

extern const Rule kMixedSchemaAndData = {
    {"mixed-schema-and-data", model::Severity::Warning,
     "A schema change and a data change (UPDATE, INSERT, DELETE, MERGE, COPY, DO) in one migration.",
     "Move the data change to a migration of its own, after the schema change.",
     "In one transaction, the locks taken by the DDL (often ACCESS EXCLUSIVE) are held until the data\n"
     "change finishes, so a backfill of a large table blocks all traffic to it. A failure in the data\n"
     "part rolls back (or, when not atomic, half-applies) the schema part. Data written to a table\n"
     "created in the same migration (seed rows) is not reported.",
     "-- migration 1: schema\n"
     "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;\n"
     "-- migration 2: data, in batches\n"
     "UPDATE \"User\" SET \"plan\" = 'free' WHERE \"plan\" IS NULL AND \"id\" < 10000;",
     "Put the RunPython/RunSQL data change in a migration of its own, after the schema migration."},
    check};

}  // namespace sm::checks::rules

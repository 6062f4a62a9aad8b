// mixed-schema-and-data: DDL and DML on existing tables in one migration.
#include <algorithm>
#include <cctype>
#include <set>

#include "checks/python_source.h"
#include "checks/rule.h"

namespace sm::checks::rules {

// DML that writes only to tables created earlier in the same migration (seed rows of a new
// lookup table, a copy of an old table into a new one) is not a data migration.
static bool writes_existing_data(const model::Statement& st) {
  if (st.cls != model::StatementClass::Dml) return false;
  if (st.actions.empty()) return true;  // DO blocks, CALL: unknown targets
  for (const auto& a : st.actions)
    if (!a.on_new_relation && a.kind != model::ActionKind::ReadAllRows) return true;
  return false;
}

// Django's RunPython code that only writes rows of models the same migration creates (seed rows
// of a new lookup table): every model it looks up with apps.get_model is one of `created` (lower
// case), and it sends no SQL of its own and imports nothing in its body (code that could reach
// other tables without apps.get_model). The SQL counterpart: INSERT into a table made above.
static bool python_writes_only_new_models(const model::Operation& op, const model::PythonCode& code,
                                          const std::string& app, const std::set<std::string>& created) {
  if (!op.statements.empty() || !code.unread_sql.empty()) return false;
  static const re2::RE2 get_model(R"(get_model\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\))");
  static const re2::RE2 get_model_dotted(R"(get_model\(\s*["'](\w+)\.(\w+)["']\s*\))");
  static const re2::RE2 other_access(R"(\bimport\b|get_model\(|\.execute\(|\bcursor\b|\bconnection\b)");
  bool any = false;
  for (const PythonLine& line : python_lines(code)) {
    re2::StringPiece rest(line.text);
    std::string label, model;
    while (RE2::FindAndConsume(&rest, get_model, &label, &model) ||
           RE2::FindAndConsume(&rest, get_model_dotted, &label, &model)) {
      std::transform(model.begin(), model.end(), model.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      if (label != app || !created.count(model)) return false;
      any = true;
    }
    // The line without its recognised get_model calls: any other way to data.
    std::string other = line.text;
    RE2::GlobalReplace(&other, get_model, "");
    RE2::GlobalReplace(&other, get_model_dotted, "");
    if (RE2::PartialMatch(other, other_access)) return false;
  }
  return any;
}

static bool same_table(const model::Statement& a, const model::Statement& b) {
  for (const auto& x : a.actions)
    for (const auto& y : b.actions)
      if (x.relation.key() == y.relation.key()) return true;
  return false;
}

static void check(const model::Migration& m, Reporter& r) {
  const model::Statement* ddl = nullptr;        // the first schema change
  const model::Statement* dml = nullptr;        // the first data change of existing data
  const model::Statement* ddl_after = nullptr;  // the schema change after `dml` it most likely depends on
  const model::Operation* python = nullptr;     // Django's RunPython changes data the SQL does not show
  std::set<std::string> created;                // Django: models (lower case) created by earlier operations
  for (const auto& op : m.operations) {
    // RunPython.noop forwards (a placeholder for reverse-only code) changes nothing.
    if (!python && op.runs_python && !(op.code && is_noop(*op.code)) &&
        !(op.code && python_writes_only_new_models(op, *op.code, m.app, created)))
      python = &op;
    if (op.kind == "CreateModel")
      for (std::string name : op.models) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        created.insert(name);
      }
    // A Django schema operation's own SQL is no data change of the migration's author, even an
    // UPDATE: AlterField to NOT NULL with a default fills the NULLs itself (UPDATE … WHERE col IS
    // NULL between SET DEFAULT and SET NOT NULL, Django 3.2-5.2); unbounded-backfill and
    // set-not-null-without-check say what that costs, and there is nothing to move elsewhere.
    const bool schema_operation = m.framework == model::Framework::Django && !op.runs_python && !op.data_sql;
    for (const auto& st : op.statements) {
      if (schema_operation && st.cls != model::StatementClass::Ddl) continue;
      if (st.cls == model::StatementClass::Ddl) {
        if (!ddl) ddl = &st;
        if (dml && (!ddl_after || (!same_table(*dml, *ddl_after) && same_table(*dml, st)))) ddl_after = &st;
      }
      if (!dml && writes_existing_data(st)) dml = &st;
    }
  }
  if (!ddl) return;
  bool depends = dml && ddl_after && same_table(*dml, *ddl_after);
  if (dml && ddl_after && ddl == ddl_after) {
    // The data change comes first: it prepares the data the schema change needs (values
    // normalised before an enum change, NULLs filled before SET NOT NULL). It belongs in a migration
    // of its own that runs before, not after.
    model::Finding& f = r.at(
        *dml, nullptr,
        "changes data before a schema change in the same migration (line " +
            std::to_string(ddl_after->loc.line) +
            (depends ? ", on the same table, which likely depends on it" : "") +
            "): the data change's row locks are held through the schema change, and the two cannot be rolled "
            "back or retried separately");
    f.help =
        "Move the data change to a migration of its own that runs before the schema change (in batches on a "
        "large table), so that the schema change finds the data ready.";
    return;
  }
  if (dml && depends) {
    // Schema, data, schema (add a column, backfill it, SET NOT NULL): three steps, in this order.
    model::Finding& f = r.at(
        *dml, nullptr,
        "changes data between schema changes in the same migration (line " + std::to_string(ddl->loc.line) +
            " before it, line " + std::to_string(ddl_after->loc.line) +
            " after it on the same table, which likely depends on it): the backfill holds the first change's "
            "locks, and none of the three can be rolled back or retried separately");
    f.help =
        "Split it in three migrations, in this order: the schema change before the data change, the data "
        "change "
        "(in batches on a large table), then the schema change that needs the data.";
    return;
  }
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
    .doc =
        {
            .id = "mixed-schema-and-data",
            .severity = model::Severity::Warning,
            .summary = "A schema change and a data change (UPDATE, "
                       "INSERT, DELETE, MERGE, COPY, DO) in one migration.",
            .fix = "Move the data change to a migration of its own, after the schema change.",
            .why = "In one transaction, the locks taken by the DDL "
                   "(often ACCESS EXCLUSIVE) are held until the data\n"
                   "change finishes, so a backfill of a large table "
                   "blocks all traffic to it. A failure in the data\n"
                   "part rolls back (or, when not atomic, "
                   "half-applies) the schema part. Data written to a table\n"
                   "created in the same migration (seed rows) is not reported,\n"
                   "nor in Django a RunPython whose apps.get_model "
                   "calls all name models the migration creates, or\n"
                   "the UPDATE Django writes itself inside a schema "
                   "operation (AlterField to NOT NULL with a default).\n"
                   "The advice follows the order: a data change that "
                   "comes after the schema change (a backfill of a\n"
                   "new column) moves to a migration after it; one "
                   "that comes before (normalising values before an\n"
                   "enum change, filling NULLs before SET NOT NULL) "
                   "prepares what the schema change needs and moves to\n"
                   "a migration before it.",
            .alternative = "-- migration 1: schema\n"
                           "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;\n"
                           "-- migration 2: data, in batches\n"
                           "UPDATE \"User\" SET \"plan\" = 'free' WHERE \"plan\" IS NULL AND \"id\" < 10000;",
            .django_fix = "Put the RunPython/RunSQL data change in a "
                          "migration of its own, after the schema migration.",
        },
    .check = check,
};

}  // namespace sm::checks::rules

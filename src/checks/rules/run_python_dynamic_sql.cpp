// run-python-dynamic-sql: RunPython code that sends SQL built at run time (cursor.execute(sql),
// an f-string, a join): the SQL a RunPython sends as literals is checked like any migration's,
// this SQL cannot be, and the user is told so instead of the check passing in silence.
#include "checks/python_source.h"
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const auto& op : m.operations) {
    if (!op.runs_python) continue;
    for (const model::PythonCode* code : python_codes(op)) {
      for (const auto& unread : code->unread_sql) {
        std::string text = python_line_text(*code, unread.line);
        r.in_python(op, code->file, unread.line, text,
                    code->qualname + (code == &*op.reverse_code ? " (reverse code)" : "") +
                        " sends SQL through " + unread.call + "() that safemigrate cannot read (" +
                        unread.why + "): none of the checklist's rules saw it");
      }
    }
  }
}

extern const Rule kRunPythonDynamicSql = {
    .doc =
        {
            .id = "run-python-dynamic-sql",
            .severity = model::Severity::Warning,
            .summary = "RunPython code that sends SQL built at run time, which no rule can check.",
            .fix = "Write the statement as one string literal "
                   "(parameters with %s), or move it to a RunSQL operation.",
            .why =
                "safemigrate reads the SQL that a RunPython "
                "function sends itself — cursor.execute(\"…\") or\n"
                "schema_editor.execute(\"…\") with a string literal — and checks it like the SQL of any\n"
                "migration: a whole-table UPDATE, an index built "
                "without CONCURRENTLY, a missing lock_timeout.\n"
                "When the SQL is built at run time (a "
                "variable, an f-string, a join, a % format), the text\n"
                "PostgreSQL will receive is not in the source, "
                "so none of those checks ran on it. Write the\n"
                "statement as a literal with driver parameters (%s) for the values, or, if it changes the\n"
                "schema, as a RunSQL operation, whose SQL `sqlmigrate` and safemigrate both show.",
            .alternative = "def forwards(apps, schema_editor):\n"
                           "    with schema_editor.connection.cursor() as cursor:\n"
                           "        cursor.execute(\"UPDATE shop_product SET "
                           "sku = %s WHERE sku IS NULL AND id < %s\", ['', 10000])",
        },
    .check = check,
};

}  // namespace sm::checks::rules

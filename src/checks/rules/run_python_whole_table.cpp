// run-python-whole-table: RunPython code that walks or updates a whole table in one go:
// `.all()` iteration, `.update(`/`.delete(` with no filter, `.save()`/`.delete()` in a loop, in the
// forward and the reverse code, and whole-table SQL that the reverse code sends through a cursor.
#include "checks/python_source.h"
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  static const re2::RE2 all_loop(R"(^\s*for\s.+\sin\s.*\.all\(\))");
  // `Model.objects.using(alias)` is already a queryset of every row (data migrations that honour
  // `schema_editor.connection.alias` write it so; seen in Debian's Django apps, issue 19).
  static const re2::RE2 using_loop(R"(^\s*for\s.+\sin\s.*\.objects\.using\([^()]*\)\s*:)");
  static const re2::RE2 unfiltered_update(R"((\.objects(\.using\([^()]*\))?|\.all\(\))\.update\()");
  static const re2::RE2 unfiltered_delete(R"((\.objects(\.using\([^()]*\))?|\.all\(\))\.delete\()");
  static const re2::RE2 save(R"(\.save\()");
  static const re2::RE2 delete_call(R"(\.delete\()");
  for (const auto& op : m.operations) {
    if (!op.runs_python) continue;
    for (const model::PythonCode* code : python_codes(op))
      for (const auto& line : python_lines(*code)) {
        std::string why;
        if (RE2::PartialMatch(line.text, all_loop))
          why = "iterates over every row with .all(): one query loads the whole table";
        else if (RE2::PartialMatch(line.text, using_loop))
          why = "iterates over every row of .objects.using(…): one query loads the whole table";
        else if (RE2::PartialMatch(line.text, unfiltered_update))
          why =
              "updates every row in one statement, holding row locks on all of them until the migration "
              "commits";
        else if (RE2::PartialMatch(line.text, unfiltered_delete))
          why =
              "deletes every row in one statement, holding row locks on all of them until the migration "
              "commits";
        else if (line.in_loop && RE2::PartialMatch(line.text, save))
          why = "calls .save() in a loop: one UPDATE per row, all inside the migration's transaction";
        else if (line.in_loop && RE2::PartialMatch(line.text, delete_call))
          why =
              "calls .delete() in a loop: one DELETE (and its cascades) per row, all inside the migration's "
              "transaction";
        if (!why.empty())
          r.in_python(op, code->file, line.line, line.text,
                      code->qualname + (code == &*op.reverse_code ? " (reverse code) " : " ") + why);
      }
    // The SQL the reverse code sends itself (the forward code's is the operation's own SQL, which
    // whole-table-write reads). A function given both ways is reported once, as forward code.
    const auto codes = python_codes(op);
    if (codes.empty() || !op.reverse_code || codes.back() != &*op.reverse_code) continue;
    for (const auto& st : op.reverse_statements)
      for (const auto& a : st.actions) {
        if (!a.whole_table) continue;
        std::string what = a.kind == model::ActionKind::ReadAllRows ? "INSERT … SELECT of every row of "
                           : a.detail == "UPDATE"                   ? "UPDATE of every row of "
                                                                    : "DELETE of every row of ";
        r.in_python(op, st.loc.file, st.loc.line, python_line_text(*op.reverse_code, st.loc.line),
                    op.reverse_code->qualname + " (reverse code) sends " + what + a.relation.display() +
                        " in one statement (no WHERE), holding the rollback's transaction and row locks "
                        "for as long as it runs");
      }
  }
}

extern const Rule kRunPythonWholeTable = {
    .doc =
        {
            .id = "run-python-whole-table",
            .severity = model::Severity::Warning,
            .summary = "RunPython code that walks or updates a whole table without batching.",
            .fix = "Process rows in batches (by primary key ranges), outside the schema migration.",
            .why = "A data migration that touches every row in one "
                   "transaction holds its row locks (and, in an\n"
                   "atomic migration, the schema changes' locks) "
                   "until the end, bloats the table, and can run for\n"
                   "minutes on production data although it took "
                   "milliseconds on a developer's database. Work in\n"
                   "batches of a few thousand rows, ideally in a "
                   "migration with atomic = False or a management\n"
                   "command, so each batch commits on its own.",
            .alternative = "def forwards(apps, schema_editor):\n"
                           "    Product = apps.get_model('shop', 'Product')\n"
                           "    last = 0\n"
                           "    while True:\n"
                           "        ids = list(Product.objects.filter(pk__gt=last, sku__isnull=True)\n"
                           "                   .order_by('pk').values_list('pk', flat=True)[:1000])\n"
                           "        if not ids:\n"
                           "            break\n"
                           "        Product.objects.filter(pk__in=ids).update(sku='')\n"
                           "        last = ids[-1]",
        },
    .check = check,
};

}  // namespace sm::checks::rules

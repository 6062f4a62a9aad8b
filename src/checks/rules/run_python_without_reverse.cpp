// run-python-without-reverse: a RunPython with no reverse_code: the migration cannot be unapplied.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const auto& op : m.operations)
    if (op.runs_python && !op.reversible)
      r.on_operation(op, "RunPython" + (op.code ? " " + op.code->qualname : std::string()) +
                             " has no reverse_code: `migrate " + m.app +
                             "` to an earlier migration fails with IrreversibleError");
}

extern const Rule kRunPythonWithoutReverse = {
    .doc =
        {
            .id = "run-python-without-reverse",
            .severity = model::Severity::Warning,
            .summary = "A RunPython operation without reverse_code.",
            .fix = "Give RunPython a reverse_code, or "
                   "reverse_code=migrations.RunPython.noop when nothing needs undoing.",
            .why = "The checklist asks that every migration can be "
                   "reversed or is explicitly marked irreversible.\n"
                   "A RunPython without reverse_code makes the "
                   "whole migration irreversible by accident: rolling\n"
                   "back a bad release with `manage.py migrate app "
                   "00NN` stops with IrreversibleError. Passing\n"
                   "reverse_code=migrations.RunPython.noop states that going back needs no data change.",
            .alternative = "def forwards(apps, schema_editor):\n"
                           "    Product = apps.get_model('shop', 'Product')\n"
                           "    Product.objects.filter(sku__isnull=True).update(sku='')\n"
                           "\n"
                           "def backwards(apps, schema_editor):\n"
                           "    pass  # the column is dropped by the schema migration's reverse\n"
                           "\n"
                           "operations = [migrations.RunPython(forwards, backwards)]",
        },
    .check = check,
};

}  // namespace sm::checks::rules

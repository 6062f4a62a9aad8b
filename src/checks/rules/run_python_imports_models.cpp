// run-python-imports-models: RunPython code that imports models directly instead of using
// apps.get_model, so it runs against today's model class, not the historical one.
#include <cctype>

#include "checks/python_source.h"
#include "checks/rule.h"

namespace sm::checks::rules {

constexpr const char* kWhy =
    ": the migration then uses today's model class, whose fields may not exist yet at this point of the "
    "history "
    "(or no longer); use apps.get_model('app', 'Model')";

// `name` appears in `source` as a whole word.
static bool uses_name(const std::string& source, const std::string& name) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = source.find(name); at != std::string::npos; at = source.find(name, at + 1)) {
    bool starts = at == 0 || !word(source[at - 1]);
    bool ends = at + name.size() == source.size() || !word(source[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// An import of an app's models module; django.db.models is the query API (Q, F, Count…), not models.
static bool imports_models(const std::string& line) {
  static const re2::RE2 direct_import(
      R"(^\s*(?:from\s+(\.?[\w.]*models)\s+import\b|import\s+([\w.]+\.models)\b))");
  std::string from, plain;
  if (!RE2::PartialMatch(line, direct_import, &from, &plain)) return false;
  return (from.empty() ? plain : from) != "django.db.models";
}

static void check(const model::Migration& m, Reporter& r) {
  for (const auto& op : m.operations) {
    if (!op.runs_python) continue;
    for (const model::PythonCode* code : python_codes(op)) {
      for (const auto& line : python_lines(*code)) {
        if (!imports_models(line.text)) continue;
        r.in_python(op, code->file, line.line, line.text,
                    "imports models directly in " + code->qualname + kWhy);
      }
      // A models import at the top of the file, used by the code.
      for (const auto& imp : code->module_imports) {
        if (!imports_models(imp.text)) continue;
        for (const auto& name : imp.names) {
          if (!uses_name(code->source, name)) continue;
          r.in_python(
              op, code->file, imp.line, imp.text,
              code->qualname + " uses " + name + ", imported from models at the top of the file" + kWhy);
          break;
        }
      }
    }
  }
}

extern const Rule kRunPythonImportsModels = {
    .doc =
        {
            .id = "run-python-imports-models",
            .severity = model::Severity::Error,
            .summary = "RunPython code that imports models directly instead of apps.get_model.",
            .fix = "Use apps.get_model('app_label', 'Model') inside the RunPython function.",
            .why = "A migration runs against the historical schema "
                   "of its point in the history. A model imported\n"
                   "from the app's models.py has today's fields: "
                   "once a later migration adds a field, the old\n"
                   "data migration breaks on a fresh database (tests, new environments) with errors about\n"
                   "missing columns. apps.get_model returns the model as it was at that migration.",
            .alternative =
                "def forwards(apps, schema_editor):\n"
                "    Product = apps.get_model('shop', 'Product')  # not: from shop.models import Product\n"
                "    ...",
        },
    .check = check,
};

}  // namespace sm::checks::rules

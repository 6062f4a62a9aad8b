// The audit view: one row per data migration, for teams reviewing what their migrations do.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

struct Row {
  const model::Migration* migration = nullptr;
  bool data = false;
  bool atomic = true;
  bool reversible = true;
  bool sql_depends_on_database = false;
  std::vector<std::string> tables;
  std::vector<std::string> code;  // RunPython functions
  std::vector<const model::Finding*> findings;
};

Row make_row(const model::Migration& m, const std::vector<model::Finding>& findings) {
  Row r;
  r.migration = &m;
  std::set<std::string> tables;
  for (const auto& op : m.operations) {
    r.data = r.data || op.runs_python || op.data_sql;
    r.reversible = r.reversible && op.reversible;
    r.sql_depends_on_database = r.sql_depends_on_database || op.sql_depends_on_database;
    if (op.code) r.code.push_back(op.code->qualname);
    for (const auto& name : op.models) tables.insert(name);
    for (const auto& st : op.statements) {
      r.data = r.data || st.cls == model::StatementClass::Dml;
      for (const auto& a : st.actions)
        if (!a.relation.name.empty()) tables.insert(a.relation.display());
    }
  }
  if (m.framework == model::Framework::Prisma) r.reversible = m.has_down || m.marked_irreversible;
  r.atomic = std::all_of(m.scenarios.begin(), m.scenarios.end(),
                         [](const auto& s) { return s.mode != model::ExecutionMode::PerStatement; });
  r.tables.assign(tables.begin(), tables.end());
  for (const auto& f : findings)
    if (f.migration == m.id && !f.suppressed) r.findings.push_back(&f);
  return r;
}

std::vector<Row> rows(const Input& in, bool all) {
  std::vector<Row> out;
  for (const auto& set : in.sets)
    for (const auto& m : set.migrations) {
      Row r = make_row(m, in.findings);
      if (all || r.data) out.push_back(std::move(r));
    }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

void write_audit_text(std::ostream& out, const Input& in, bool all) {
  std::vector<Row> list = rows(in, all);
  for (const Row& r : list) {
    const model::Migration& m = *r.migration;
    out << printable(m.id) << (r.data ? "  [data]" : "") << "\n";
    if (const auto* f = m.main_file()) out << "  file:        " << printable(f->path) << "\n";
    out << "  reversible:  " << (r.reversible ? "yes" : "no") << "\n";
    out << "  atomic:      " << (r.atomic ? "yes" : "no") << "\n";
    if (!r.tables.empty()) out << "  touches:     " << printable(join(r.tables)) << "\n";
    if (!r.code.empty()) out << "  runs Python: " << printable(join(r.code)) << "\n";
    if (r.sql_depends_on_database)
      out << "  note:        its SQL was looked up in the live database when exported\n";
    std::vector<std::string> rules;
    for (const auto* f : r.findings) rules.push_back(fmt::format("{} (line {})", f->rule, f->loc.line));
    out << "  findings:    " << (rules.empty() ? "none" : printable(join(rules))) << "\n\n";
  }
  out << list.size() << (all ? " migrations" : " data migrations") << "\n";
}

void write_audit_json(std::ostream& out, const Input& in, bool all) {
  std::vector<Row> list = rows(in, all);
  out << "{\n  \"format_version\": " << kJsonFormatVersion << ",\n  \"migrations\": [";
  for (size_t i = 0; i < list.size(); ++i) {
    const Row& r = list[i];
    out << (i ? ",\n" : "\n") << "    {\"id\": " << json_quote(r.migration->id)
        << ", \"file\": " << json_quote(r.migration->main_file() ? r.migration->main_file()->path : "")
        << ", \"data\": " << (r.data ? "true" : "false")
        << ", \"reversible\": " << (r.reversible ? "true" : "false")
        << ", \"atomic\": " << (r.atomic ? "true" : "false")
        << ", \"sql_depends_on_database\": " << (r.sql_depends_on_database ? "true" : "false")
        << ", \"tables\": [";
    for (size_t t = 0; t < r.tables.size(); ++t) out << (t ? ", " : "") << json_quote(r.tables[t]);
    out << "], \"python\": [";
    for (size_t t = 0; t < r.code.size(); ++t) out << (t ? ", " : "") << json_quote(r.code[t]);
    out << "], \"findings\": [";
    for (size_t t = 0; t < r.findings.size(); ++t)
      out << (t ? ", " : "") << "{\"rule\": " << json_quote(r.findings[t]->rule)
          << ", \"severity\": " << json_quote(model::severity_name(r.findings[t]->severity))
          << ", \"line\": " << r.findings[t]->loc.line << "}";
    out << "]}";
  }
  out << (list.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

}  // namespace sm::report

// Machine output. Schema (version 1), documented in docs/json-format.md.
#include <fmt/format.h>

#include <ostream>

#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

const char* mode_name(model::ExecutionMode m) {
  switch (m) {
    case model::ExecutionMode::OneBatch: return "one-batch";
    case model::ExecutionMode::OneTransaction: return "one-transaction";
    case model::ExecutionMode::PerStatement: return "per-statement";
  }
  return "?";
}

}  // namespace

void write_json(std::ostream& stream, const Input& in) {
  BufferedOut out(stream);
  Counts c = count(in);
  out << "{\n  \"format_version\": " << kJsonFormatVersion << ",\n  \"tool\": \"safemigrate\",\n";
  out << fmt::format(
      "  \"summary\": {{\"migrations\": {}, \"statements\": {}, \"errors\": {}, \"warnings\": {}, \"infos\": "
      "{}, "
      "\"suppressed\": {}}},\n",
      c.migrations, in.statements, c.errors, c.warnings, c.infos, c.suppressed);
  out << "  \"findings\": [";
  bool first = true;
  for (const auto& f : in.findings) {
    out << (first ? "\n" : ",\n");
    first = false;
    out << "    {\"rule\": " << json_string(f.rule)
        << ", \"severity\": " << json_string(model::severity_name(f.severity))
        << ", \"migration\": " << json_string(f.migration) << ", \"operation\": " << json_string(f.operation)
        << ", \"file\": " << json_string(path_from_cwd(f.loc.file)) << ", \"line\": " << f.loc.line
        << ", \"column\": " << f.loc.column << ", \"message\": " << json_string(f.message)
        << ", \"help\": " << json_string(f.help) << ", \"statement\": " << json_string(f.statement)
        << ", \"suppressed\": " << (f.suppressed ? "true" : "false");
    if (!f.fingerprint.empty()) out << ", \"fingerprint\": " << json_string(f.fingerprint);
    if (f.suppressed) out << ", \"suppression_reason\": " << json_string(f.suppression_reason);
    if (f.migrations_concerned)
      out << ", \"scope\": \"project\", \"migrations_concerned\": " << f.migrations_concerned;
    if (!f.table_size.empty())
      out << ", \"table_size\": " << json_string(f.table_size)
          << ", \"escalated\": " << (f.escalated ? "true" : "false");
    out << "}";
  }
  out << (first ? "],\n" : "\n  ],\n");
  out << "  \"sources\": [";
  first = true;
  for (const auto& s : in.sets) {
    out << (first ? "\n" : ",\n");
    first = false;
    // Paths as SARIF and GitHub give them (issue 26: sources from the config and the --since
    // finding were absolute among relative ones): relative to the working folder when inside it.
    out << "    {\"path\": " << json_string(path_from_cwd(s.source))
        << ", \"framework\": " << json_string(model::framework_name(s.framework)) << ", \"migrations\": [";
    bool first_m = true;
    for (const auto& m : s.migrations) {
      out << (first_m ? "\n" : ",\n");
      first_m = false;
      size_t statements = 0;
      for (const auto& op : m.operations) statements += op.statements.size();
      out << "      {\"id\": " << json_string(m.id)
          << ", \"file\": " << json_string(m.main_file() ? path_from_cwd(m.main_file()->path) : "")
          << ", \"checksum\": " << json_string(m.checksum) << ", \"statements\": " << statements
          << ", \"has_down\": " << (m.has_down ? "true" : "false")
          << ", \"marked_irreversible\": " << (m.marked_irreversible ? "true" : "false");
      if (m.target_postgres) out << ", \"target_postgres\": " << m.target_postgres;
      out << ", \"scenarios\": [";
      for (size_t i = 0; i < m.scenarios.size(); ++i)
        out << (i ? ", " : "") << "{\"label\": " << json_string(m.scenarios[i].label)
            << ", \"mode\": " << json_string(mode_name(m.scenarios[i].mode))
            << ", \"reason\": " << json_string(m.scenarios[i].reason) << "}";
      out << "]}";
    }
    out << (first_m ? "]}" : "\n    ]}");
  }
  out << (first ? "]\n}\n" : "\n  ]\n}\n");
}

}  // namespace sm::report

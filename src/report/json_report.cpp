// Machine output. Schema (version 1), documented in docs/json-format.md.
#include <fmt/format.h>

#include <ostream>

#include "report/report.h"

namespace sm::report {

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

const char* mode_name(model::ExecutionMode m) {
  switch (m) {
    case model::ExecutionMode::OneBatch: return "one-batch";
    case model::ExecutionMode::OneTransaction: return "one-transaction";
    case model::ExecutionMode::PerStatement: return "per-statement";
  }
  return "?";
}

}  // namespace

void write_json(std::ostream& out, const Input& in) {
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
    out << "    {\"rule\": " << quote(f.rule) << ", \"severity\": " << quote(model::severity_name(f.severity))
        << ", \"migration\": " << quote(f.migration) << ", \"operation\": " << quote(f.operation)
        << ", \"file\": " << quote(f.loc.file) << ", \"line\": " << f.loc.line
        << ", \"column\": " << f.loc.column << ", \"message\": " << quote(f.message)
        << ", \"help\": " << quote(f.help) << ", \"statement\": " << quote(f.statement)
        << ", \"suppressed\": " << (f.suppressed ? "true" : "false");
    if (f.suppressed) out << ", \"suppression_reason\": " << quote(f.suppression_reason);
    out << "}";
  }
  out << (first ? "],\n" : "\n  ],\n");
  out << "  \"sources\": [";
  first = true;
  for (const auto& s : in.sets) {
    out << (first ? "\n" : ",\n");
    first = false;
    out << "    {\"path\": " << quote(s.source)
        << ", \"framework\": " << quote(model::framework_name(s.framework)) << ", \"migrations\": [";
    bool first_m = true;
    for (const auto& m : s.migrations) {
      out << (first_m ? "\n" : ",\n");
      first_m = false;
      size_t statements = 0;
      for (const auto& op : m.operations) statements += op.statements.size();
      out << "      {\"id\": " << quote(m.id)
          << ", \"file\": " << quote(m.main_file() ? m.main_file()->path : "")
          << ", \"checksum\": " << quote(m.checksum) << ", \"statements\": " << statements
          << ", \"has_down\": " << (m.has_down ? "true" : "false")
          << ", \"marked_irreversible\": " << (m.marked_irreversible ? "true" : "false")
          << ", \"scenarios\": [";
      for (size_t i = 0; i < m.scenarios.size(); ++i)
        out << (i ? ", " : "") << "{\"label\": " << quote(m.scenarios[i].label)
            << ", \"mode\": " << quote(mode_name(m.scenarios[i].mode))
            << ", \"reason\": " << quote(m.scenarios[i].reason) << "}";
      out << "]}";
    }
    out << (first_m ? "]}" : "\n    ]}");
  }
  out << (first ? "]\n}\n" : "\n  ]\n}\n");
}

}  // namespace sm::report

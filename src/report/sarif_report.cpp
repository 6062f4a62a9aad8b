// SARIF 2.1.0 (OASIS), the format code-scanning services read. Tested against the schema in
// tests/report_formats_test.cpp; see docs/ci.md for the upload steps.
#include <fmt/format.h>

#include <map>
#include <ostream>

#include "checks/registry.h"
#include "model/errors.h"
#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

const char* sarif_level(model::Severity s) {
  switch (s) {
    case model::Severity::Error: return "error";
    case model::Severity::Warning: return "warning";
    case model::Severity::Info: return "note";
  }
  return "none";
}

// A URI reference: the path's bytes outside RFC 3986's unreserved set and '/' are
// percent-encoded (folder names with spaces exist in real repositories).
std::string uri_of(const std::string& file) {
  std::string path = path_from_cwd(file), out;
  for (unsigned char c : path) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return !path.empty() && path.front() == '/' ? "file://" + out : out;
}

struct Descriptor {
  std::string id, summary, full, help_text, help_markdown;
  model::Severity severity;
};

// Ids that findings carry without being rules: problems reading the input.
const std::map<std::string, std::string>& input_ids() {
  static const std::map<std::string, std::string> ids = {
      {model::kInputErrorRule,
       "A path or file could not be read (missing, unreadable, binary, not UTF-8, too large)."},
      {"missing-migration-file",
       "A migration folder without migration.sql: prisma migrate deploy stops there (P3015)."},
  };
  return ids;
}

std::vector<Descriptor> descriptors(const Input& in) {
  std::vector<Descriptor> out;
  for (const checks::Rule* r : checks::all_rules()) {
    Descriptor d;
    d.id = r->doc.id;
    d.summary = r->doc.summary;
    d.full = r->doc.why;
    d.help_text = fmt::format("{}\n\n{}", r->doc.fix, r->doc.alternative);
    d.help_markdown = fmt::format("{}\n\n```sql\n{}\n```", r->doc.fix, r->doc.alternative);
    d.severity = r->doc.severity;
    out.push_back(std::move(d));
  }
  for (const auto& f : in.findings) {
    if (checks::find_rule(f.rule)) continue;
    bool known = false;
    for (const auto& d : out) known = known || d.id == f.rule;
    if (known) continue;
    auto it = input_ids().find(f.rule);
    std::string text = it != input_ids().end() ? it->second : "A problem found while reading the input.";
    out.push_back({f.rule, text, text, text, text, model::Severity::Error});
  }
  return out;
}

void write_message(BufferedOut& out, const char* key, const std::string& text) {
  out << "\"" << key << "\": {\"text\": " << json_string(text) << "}";
}

}  // namespace

void write_sarif(std::ostream& stream, const Input& in) {
  BufferedOut out(stream);
  std::vector<Descriptor> rules = descriptors(in);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rules.size(); ++i) index[rules[i].id] = i;

  out << "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n"
      << "  \"runs\": [\n    {\n      \"tool\": {\"driver\": {\"name\": \"safemigrate\", \"version\": "
      << json_string(SAFEMIGRATE_VERSION) << ", \"rules\": [";
  for (size_t i = 0; i < rules.size(); ++i) {
    const Descriptor& d = rules[i];
    out << (i ? ",\n" : "\n") << "        {\"id\": " << json_string(d.id) << ", ";
    write_message(out, "shortDescription", d.summary);
    out << ", ";
    write_message(out, "fullDescription", d.full);
    out << ", \"help\": {\"text\": " << json_string(d.help_text)
        << ", \"markdown\": " << json_string(d.help_markdown) << "}"
        << ", \"defaultConfiguration\": {\"level\": \"" << sarif_level(d.severity) << "\"}}";
  }
  out << "\n      ]}},\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [";
  bool first = true;
  for (const auto& f : in.findings) {
    out << (first ? "\n" : ",\n");
    first = false;
    std::string text = f.message;
    if (!f.operation.empty()) text += " (" + f.operation + ")";
    if (!f.help.empty()) text += "\nHelp: " + f.help;
    out << "        {\"ruleId\": " << json_string(f.rule) << ", \"ruleIndex\": " << index[f.rule]
        << ", \"level\": \"" << sarif_level(f.severity) << "\", ";
    write_message(out, "message", text);
    if (!f.loc.file.empty()) {
      // A project-wide condition points at its migrations folder: a folder's URI ends with '/'.
      std::string uri = uri_of(f.loc.file);
      if (f.migrations_concerned && !uri.empty() && uri.back() != '/') uri += '/';
      out << ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": " << json_string(uri)
          << "}";
      if (f.loc.line > 0) {
        out << ", \"region\": {\"startLine\": " << f.loc.line;
        if (uint32_t col = column_in_code_points(f); col > 0) out << ", \"startColumn\": " << col;
        out << "}";
      }
      out << "}}]";
    }
    if (f.suppressed)
      out << ", \"suppressions\": [{\"kind\": \"inSource\", \"justification\": "
          << json_string(f.suppression_reason) << "}]";
    // Code scanning matches results across runs by this, not by the line (which edits move).
    if (!f.fingerprint.empty())
      out << ", \"partialFingerprints\": {\"safemigrate/v1\": " << json_string(f.fingerprint) << "}";
    out << ", \"properties\": {\"migration\": " << json_string(f.migration);
    if (f.migrations_concerned)
      out << ", \"scope\": \"project\", \"migrationsConcerned\": " << f.migrations_concerned;
    out << "}}";
  }
  out << (first ? "]\n" : "\n      ]\n") << "    }\n  ]\n}\n";
}

}  // namespace sm::report

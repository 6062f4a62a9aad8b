// GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per finding,
// which the runner shows as an annotation on the line of the pull request's diff.
#include <fmt/format.h>

#include <ostream>

#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

// GitHub's escaping (actions/toolkit, command.ts): the message escapes %, CR and LF; property
// values also ':' and ',', which would otherwise end the value. Other controls and bytes that are
// not UTF-8 are shown visibly first (the log viewer obeys ANSI escapes).
std::string escape_data(const std::string& s) {
  std::string out;
  for (char c : printable(s, true)) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_property(const std::string& s) {
  std::string out;
  for (char c : escape_data(s)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

const char* command(model::Severity s) {
  return s == model::Severity::Error ? "error" : s == model::Severity::Warning ? "warning" : "notice";
}

}  // namespace

void write_github(std::ostream& out, const Input& in) {
  for (const auto& f : in.findings) {
    if (f.suppressed) continue;
    // A finding about no file (a plan-level problem) is an annotation on the run only.
    std::string props;
    if (!f.loc.file.empty()) props = "file=" + escape_property(path_from_cwd(f.loc.file)) + ",";
    if (!f.loc.file.empty() && f.loc.line > 0) {
      props += fmt::format("line={},", f.loc.line);
      if (uint32_t col = column_in_code_points(f); col > 0) props += fmt::format("col={},", col);
    }
    props += "title=" + escape_property(f.rule);
    std::string text = f.message;
    if (!f.operation.empty()) text += " (" + f.operation + ")";
    if (!f.help.empty()) text += "\nHelp: " + f.help;
    out << "::" << command(f.severity) << " " << props << "::" << escape_data(text) << "\n";
  }
  // A plain line: shown in the job's log, not as an annotation.
  Counts c = count(in);
  out << fmt::format("safemigrate: {} migrations, {} statements: {} errors, {} warnings\n", c.migrations,
                     in.statements, c.errors, c.warnings);
}

}  // namespace sm::report

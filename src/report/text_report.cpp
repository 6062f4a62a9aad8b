// Human output: file:line:col, severity and rule, the line with a marker under the spot, help.
#include <fmt/format.h>

#include <ostream>

#include "report/report.h"

namespace sm::report {

namespace {

struct Style {
  bool on;
  std::string paint(const char* code, const std::string& s) const {
    return on ? fmt::format("\033[{}m{}\033[0m", code, s) : s;
  }
};

const char* severity_color(model::Severity s) {
  return s == model::Severity::Error ? "1;31" : s == model::Severity::Warning ? "1;33" : "1;36";
}

}  // namespace

void write_text(std::ostream& out, const Input& in, const TextOptions& options) {
  Style style{options.color};
  for (const auto& f : in.findings) {
    if (f.suppressed && !options.show_suppressed) continue;
    std::string where =
        f.loc.line ? fmt::format("{}:{}:{}", f.loc.file, f.loc.line, f.loc.column) : f.loc.file;
    std::string label = fmt::format("{}[{}]", model::severity_name(f.severity), f.rule);
    out << style.paint("1", where) << ": " << style.paint(severity_color(f.severity), label) << " "
        << f.message;
    if (f.suppressed)
      out << " (suppressed: " << (f.suppression_reason.empty() ? "no reason given" : f.suppression_reason)
          << ")";
    out << "\n";
    if (!f.source_line.empty()) {
      std::string gutter = fmt::format("{:>5} | ", f.loc.line);
      out << style.paint("34", gutter) << f.source_line << "\n";
      out << style.paint("34", std::string(gutter.size() - 2, ' ') + "| ")
          << std::string(f.loc.bytes_before_column(f.source_line.size()), ' ')
          << style.paint(severity_color(f.severity), "^") << "\n";
    }
    if (f.source_line.empty() && !f.statement.empty()) {
      // Django: the SQL has no file of its own; show its first line under the operation.
      std::string first = f.statement.substr(0, f.statement.find('\n'));
      if (first.size() > 120) first = first.substr(0, 117) + "...";
      out << style.paint("34", "      | ") << first << "\n";
    }
    if (!f.operation.empty()) out << "      = " << style.paint("1", "in:") << " " << f.operation << "\n";
    if (!f.help.empty()) out << "      = " << style.paint("1", "help:") << " " << f.help << "\n";
    out << "\n";
  }
  Counts c = count(in);
  out << fmt::format("{} migrations, {} statements: {} errors, {} warnings", c.migrations, in.statements,
                     c.errors, c.warnings);
  if (c.suppressed) out << fmt::format(", {} suppressed", c.suppressed);
  out << "\n";
  if (c.errors + c.warnings > 0)
    out << "Run `safemigrate explain RULE` for the why and the safe alternative.\n";
}

}  // namespace sm::report

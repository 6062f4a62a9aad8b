// Human output: file:line:col, severity and rule, the line with a marker under the spot, help.
#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "report/report.h"
#include "report/sanitize.h"

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

// "1 error", "2 errors".
std::string counted(size_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Where a project-wide condition is: its migrations folder. Run from inside the folder, that is
// "." — a reader recognises the folder's own path better.
std::string folder_name(const std::string& path) {
  if (path != "." && path != "./" && !path.empty()) return path;
  std::error_code ec;
  std::filesystem::path here = std::filesystem::current_path(ec);
  return ec ? path : here.string();
}

}  // namespace

void write_text(std::ostream& out, const Input& in, const TextOptions& options) {
  Style style{options.color};
  // Project-wide conditions first: said once, they frame every per-file finding after them.
  size_t conditions = 0;
  for (const auto& f : in.findings) {
    if (!f.migrations_concerned || (f.suppressed && !options.show_suppressed)) continue;
    if (conditions++ == 0)
      out << style.paint("1", "Project-wide (said once, not on every migration):") << "\n";
    out << style.paint("1", printable(folder_name(f.loc.file))) << ": "
        << style.paint(severity_color(f.severity),
                       fmt::format("{}[{}]", model::severity_name(f.severity), printable(f.rule)))
        << " " << printable(f.message, true) << "\n";
    if (!f.help.empty())
      out << "      = " << style.paint("1", "help:") << " " << printable(f.help, true) << "\n";
  }
  if (conditions) out << "\n";
  for (const auto& f : in.findings) {
    if (f.migrations_concerned) continue;
    if (f.suppressed && !options.show_suppressed) continue;
    // Everything from the input goes through printable(): no escape sequence of a folder name or
    // a statement reaches the terminal.
    std::string file = printable(f.loc.file);
    std::string where = f.loc.line ? fmt::format("{}:{}:{}", file, f.loc.line, f.loc.column) : file;
    std::string label = fmt::format("{}[{}]", model::severity_name(f.severity), printable(f.rule));
    out << style.paint("1", where) << ": " << style.paint(severity_color(f.severity), label) << " "
        << printable(f.message, true);
    if (f.suppressed)
      out << " (suppressed: "
          << (f.suppression_reason.empty() ? "no reason given" : printable(f.suppression_reason)) << ")";
    out << "\n";
    if (!f.source_line.empty()) {
      std::string gutter = fmt::format("{:>5} | ", f.loc.line);
      out << style.paint("34", gutter) << printable(f.source_line) << "\n";
      // The marker sits under the column's character as shown: count code points of the shown prefix.
      std::string before = printable(
          std::string_view(f.source_line).substr(0, f.loc.bytes_before_column(f.source_line.size())));
      size_t width = 0;
      for (size_t i = 0; i < before.size(); i += decode_utf8(before, i).len) ++width;
      out << style.paint("34", std::string(gutter.size() - 2, ' ') + "| ") << std::string(width, ' ')
          << style.paint(severity_color(f.severity), "^") << "\n";
    }
    if (f.source_line.empty() && !f.statement.empty()) {
      // Django: the SQL has no file of its own; show its first line under the operation.
      std::string first = printable(f.statement.substr(0, f.statement.find('\n')));
      if (first.size() > 120) first = valid_utf8(first.substr(0, 117)) + "...";
      out << style.paint("34", "      | ") << first << "\n";
    }
    if (!f.operation.empty())
      out << "      = " << style.paint("1", "in:") << " " << printable(f.operation) << "\n";
    if (!f.help.empty())
      out << "      = " << style.paint("1", "help:") << " " << printable(f.help, true) << "\n";
    out << "\n";
  }
  Counts c = count(in);
  out << counted(c.migrations, "migration") << ", " << counted(in.statements, "statement") << ": ";
  if (conditions) out << counted(conditions, "project-wide condition") << " (above), ";
  out << counted(c.errors, "error") << ", " << counted(c.warnings, "warning");
  if (c.suppressed) out << fmt::format(", {} suppressed", c.suppressed);
  out << "\n";
  if (c.errors + c.warnings > 0)
    out << "Run `safemigrate explain RULE` for the why and the safe alternative.\n";
}

}  // namespace sm::report

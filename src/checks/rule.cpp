#include "checks/rule.h"

namespace sm::checks {

// The text of the finding's line, cut from the statement (whose first line starts at its column).
static std::string line_of(const model::Statement& st, const model::SourceLocation& at) {
  if (at.line < st.loc.line) return {};
  size_t index = at.line - st.loc.line, begin = 0;
  for (size_t i = 0; i < index; ++i) {
    begin = st.text.find('\n', begin);
    if (begin == std::string::npos) return {};
    ++begin;
  }
  size_t end = st.text.find('\n', begin);
  std::string line = st.text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return index == 0 ? std::string(st.loc.column - 1, ' ') + line : line;
}

static void fill_suppression(model::Finding& f, const model::Statement* st) {
  if (!st) return;
  for (const auto& s : st->suppressions) {
    if (s.rule == f.rule || s.rule == "all") {
      f.suppressed = true;
      f.suppression_reason = s.reason;
      return;
    }
  }
}

void Reporter::at(const model::Statement& st, const model::Action* action, std::string message) {
  at(st, action, std::move(message), rule_.doc.severity);
}

void Reporter::at(const model::Statement& st, const model::Action* action, std::string message,
                  model::Severity severity) {
  model::Finding f;
  f.rule = std::string(rule_.doc.id);
  f.severity = severity;
  f.migration = migration_.id;
  f.loc = action && action->loc.line ? action->loc : st.loc;
  f.statement = st.text;
  f.source_line = line_of(st, f.loc);
  f.message = std::move(message);
  f.help = std::string(rule_.doc.fix);
  fill_suppression(f, &st);
  out_.push_back(std::move(f));
}

void Reporter::on_migration(std::string message) {
  model::Finding f;
  f.rule = std::string(rule_.doc.id);
  f.severity = rule_.doc.severity;
  f.migration = migration_.id;
  if (const auto* file = migration_.main_file()) f.loc.file = file->path;
  f.loc.line = f.loc.column = 1;
  f.message = std::move(message);
  f.help = std::string(rule_.doc.fix);
  out_.push_back(std::move(f));
}

std::string table_name(const model::Action& a) {
  return a.relation.display();
}

}  // namespace sm::checks

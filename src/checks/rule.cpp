#include "checks/rule.h"

#include <map>

namespace sm::checks {

// The text of the finding's line, cut from the statement. Located by byte offset, not by line
// number: the statement's text starts at its first token (st.start), while st.loc of a statement
// that does not parse is the error's spot, lines below. A line the statement starts in the middle
// of is padded, so that the caret's column fits.
static std::string line_of(const model::Statement& st, const model::SourceLocation& at) {
  // Line 0 is unknown (a Django operation whose line the exporter could not tell): nothing to show.
  if (at.line == 0 || at.offset < st.start || at.offset - st.start > st.text.size()) return {};
  size_t pos = at.offset - st.start;
  size_t begin = pos == 0 ? 0 : st.text.rfind('\n', pos - 1);
  begin = begin == std::string::npos ? 0 : (pos == 0 ? 0 : begin + 1);
  size_t end = st.text.find('\n', pos);
  std::string line = st.text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t lead = pos - begin;  // bytes of this line before the spot, within the statement
  // Pad the statement's first line so that the caret's column fits (bounded by the spot's offset
  // in the file, so by the file's size).
  size_t before = at.bytes_before_column(at.offset);
  if (begin == 0 && before > lead) line.insert(0, before - lead, ' ');
  return line;
}

static void fill_suppression(model::Finding& f, const std::vector<model::Suppression>& suppressions) {
  for (const auto& s : suppressions) {
    if (s.rule == f.rule || s.rule == "all") {
      f.suppressed = true;
      f.suppression_reason = s.reason;
      return;
    }
  }
}

model::Finding& Reporter::at(const model::Statement& st, const model::Action* action, std::string message) {
  return at(st, action, std::move(message), rule_.doc.severity);
}

// "operation 2: AddField" for Django migrations, whose findings point at the operation.
static std::string operation_label(const model::Operation& op) {
  return "operation " + std::to_string(op.index) + ": " + op.kind;
}

static const model::Operation* operation_of(const model::Migration& m, const model::Statement& st) {
  for (const auto& op : m.operations)
    if (!op.statements.empty() && &st >= &op.statements.front() && &st <= &op.statements.back()) return &op;
  return nullptr;
}

model::Finding& Reporter::at(const model::Statement& st, const model::Action* action, std::string message,
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
  if (action) f.action = std::make_shared<const model::Action>(*action);
  if (migration_.framework == model::Framework::Django) {
    // Django's SQL has no file of its own: point at the operation, show the SQL as statement.
    if (const model::Operation* op = operation_of(migration_, st)) f.operation = operation_label(*op);
    f.source_line.clear();
    if (!rule_.doc.django_fix.empty()) f.help = std::string(rule_.doc.django_fix);
  }
  fill_suppression(f, st.suppressions);
  out_.push_back(std::move(f));
  return out_.back();
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

void Reporter::routine(std::string condition) {
  on_migration(std::move(condition));
  out_.back().routine = true;
}

void Reporter::on_operation(const model::Operation& op, std::string message) {
  model::Finding f;
  f.rule = std::string(rule_.doc.id);
  f.severity = rule_.doc.severity;
  f.migration = migration_.id;
  f.operation = operation_label(op);
  f.loc = op.loc;
  f.message = std::move(message);
  f.help = std::string(rule_.doc.django_fix.empty() ? rule_.doc.fix : rule_.doc.django_fix);
  fill_suppression(f, op.suppressions);  // also covers in_python's findings in the operation's code
  out_.push_back(std::move(f));
}

void Reporter::in_python(const model::Operation& op, const std::string& file, uint32_t line,
                         std::string source_line, std::string message) {
  on_operation(op, std::move(message));
  model::Finding& f = out_.back();
  f.loc.file = file;
  f.loc.line = line;
  f.loc.column = 1;
  f.source_line = std::move(source_line);
}

TableRebuilds table_rebuilds(const model::Migration& m) {
  TableRebuilds out;
  std::map<std::string, std::string> renamed;  // old key -> new key, until the old name is made again
  std::set<std::string> rebuilt;               // new keys of renamed tables whose old name was made again
  for (const model::Statement* st : m.statements())
    for (const model::Action& a : st->actions) {
      std::string key = a.relation.key();
      if (a.kind == model::ActionKind::RenameTable && !a.on_new_relation)
        renamed[key] = model::RelationName{a.relation.schema, a.object, false}.key();
      if (a.kind == model::ActionKind::CreateTable) {
        auto it = renamed.find(key);
        if (it != renamed.end()) {
          out.recreated.insert(key);
          rebuilt.insert(it->second);
        }
      }
      if (a.kind == model::ActionKind::ReadAllRows && rebuilt.count(key)) out.copied.insert(key);
    }
  return out;
}

std::string table_name(const model::Action& a) {
  return a.relation.display();
}

}  // namespace sm::checks

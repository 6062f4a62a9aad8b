#include "app/size_findings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sm::app {

namespace {

using model::ActionKind;

// A table the finding's own statement creates (CREATE TABLE, CREATE VIEW): it holds no rows yet,
// and the database does not know it, so it has no size to state.
bool created_by_statement(const model::Action& a) {
  return a.kind == ActionKind::CreateTable || a.kind == ActionKind::CreateView;
}

bool builds_index(const model::Action& a) {
  return a.kind == ActionKind::CreateIndex || a.kind == ActionKind::AddUnique ||
         a.kind == ActionKind::AddPrimaryKey || a.kind == ActionKind::AddExclusion ||
         a.kind == ActionKind::Reindex || (a.kind == ActionKind::AddColumn && a.scans);
}

std::string human_seconds(double s) {
  if (s < 1) return "under a second";
  if (s < 90) return fmt::format("about {:.0f} s", s);
  if (s < 5400) return fmt::format("about {:.0f} min", s / 60);
  return fmt::format("about {:.1f} h", s / 3600);
}

// The relation `a` is about as this database names it: before the renames of migrations it has
// not run, through the search_path the migration set.
db::RelationRef database_ref(const model::Action& a, const std::set<std::string>& applied,
                             const std::vector<std::string>& session_path) {
  db::RelationRef r;
  model::RelationName n = model::name_in_database(
      a, [&](const std::string& id) { return applied.count(id) > 0; }, &r.search_path);
  r.schema = std::move(n.schema);
  r.name = std::move(n.name);
  if (r.schema.empty() && r.search_path.empty()) r.search_path = session_path;
  return r;
}

// `"Booking"."amount"`: the size goes after the column, not between table and column.
size_t after_column(const std::string& msg, size_t end) {
  if (end + 1 >= msg.size() || msg[end] != '.') return end;
  if (msg[end + 1] == '"') {
    size_t close = msg.find('"', end + 2);
    return close == std::string::npos ? end : close + 1;
  }
  size_t i = end + 1;
  while (i < msg.size() && (std::isalnum(static_cast<unsigned char>(msg[i])) || msg[i] == '_')) ++i;
  return i;
}

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Where `name` stands in `msg` as a whole name: not inside a word ("t" in "existing"), nor part of
// a longer or qualified name; npos when it does not.
size_t find_name(const std::string& msg, const std::string& name) {
  for (size_t at = msg.find(name); at != std::string::npos; at = msg.find(name, at + 1)) {
    char before = at == 0 ? ' ' : msg[at - 1];
    char after = at + name.size() < msg.size() ? msg[at + name.size()] : ' ';
    bool starts = !identifier_char(before) && before != '"' && before != '.';
    bool ends = !identifier_char(after) && (name.back() == '"' || after != '"');
    if (starts && ends) return at;
  }
  return std::string::npos;
}

}  // namespace

std::string estimate_duration(const model::Action& a, const db::TableSize& size, const SpeedBasis& basis) {
  if (!size.found || size.empty()) return {};
  constexpr double mib = 1024.0 * 1024.0;
  const char* what = nullptr;
  double seconds = 0, rate = 0;
  if (a.rewrites) {
    what = "to rewrite";
    rate = basis.rewrite_mib_s;
    seconds = static_cast<double>(size.total_bytes) / mib / rate;
  } else if (builds_index(a)) {
    what = "to build the index";
    rate = basis.index_mib_s;
    seconds = static_cast<double>(size.heap_bytes) / mib / rate;
  } else if (a.scans) {
    what = "to scan";
    rate = basis.scan_mib_s;
    seconds = static_cast<double>(size.heap_bytes) / mib / rate;
  } else {
    return {};
  }
  return fmt::format("{} {} at {:.0f} MB/s (bench/RESULTS.md)", human_seconds(seconds), what, rate);
}

bool is_large(const db::TableSize& size, const SizeThresholds& t) {
  if (!size.found || size.empty()) return false;
  return (size.rows >= 0 && size.rows >= t.large_table_rows) || size.total_bytes >= t.large_table_bytes;
}

void finding_relations(std::span<const model::Finding> findings, std::vector<db::RelationRef>& out,
                       const std::set<std::string>& applied, const std::vector<std::string>& session_path) {
  for (const model::Finding& f : findings) {
    if (!f.action || f.action->on_new_relation || f.action->relation.name.empty()) continue;
    if (created_by_statement(*f.action) || applied.count(f.migration)) continue;
    db::RelationRef ref = database_ref(*f.action, applied, session_path);
    if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(std::move(ref));
  }
}

void apply_table_sizes(std::span<model::Finding> findings, const std::vector<db::RelationRef>& relations,
                       const std::vector<db::TableSize>& sizes, const SizeThresholds& thresholds,
                       const std::set<std::string>& applied, const std::vector<std::string>& session_path) {
  for (model::Finding& f : findings) {
    if (!f.action || f.action->on_new_relation || f.action->relation.name.empty()) continue;
    if (created_by_statement(*f.action) || applied.count(f.migration)) continue;
    const model::Action& a = *f.action;
    const db::TableSize* size = nullptr;
    db::RelationRef ref = database_ref(a, applied, session_path);
    for (size_t i = 0; i < relations.size() && i < sizes.size(); ++i)
      if (relations[i] == ref) size = &sizes[i];
    std::string estimate;
    if (!size) {
      f.table_size = "size unknown";
    } else {
      f.table_size = db::describe_size(*size);
      estimate = estimate_duration(a, *size);
      if (f.severity == model::Severity::Warning && is_large(*size, thresholds)) {
        f.severity = model::Severity::Error;
        f.escalated = true;
      }
    }
    // The size goes right after the table's name, where the reader looks for it.
    std::string name = a.relation.display();
    size_t at = find_name(f.message, name);
    std::string note = "(" + f.table_size + ")";
    size_t insert_at = at == std::string::npos ? at : after_column(f.message, at + name.size());
    // A name followed by a parenthesis of its own (a column's type: `"T"."x" (text) with "y"
    // (enum)`) would read "(size unknown) (text)": the size then goes at the end, as when the
    // message does not name the table.
    if (insert_at != std::string::npos && f.message.compare(insert_at, 2, " (") != 0)
      f.message.insert(insert_at, " " + note);
    else
      f.message += " [" + name + ": " + f.table_size + "]";
    if (!estimate.empty()) f.message += "; " + estimate;
    if (f.escalated)
      f.message += fmt::format(
          " (an error, not a warning: the table is above the large-table threshold of {:.0f} rows or {} "
          "bytes, set by --large-table-rows/--large-table-bytes or [thresholds] in safemigrate.toml)",
          thresholds.large_table_rows, thresholds.large_table_bytes);
  }
}

}  // namespace sm::app

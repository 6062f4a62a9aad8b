// A report for a pull-request or merge-request comment: what the change does to production first
// (locks, rewrites, tables and their sizes), then errors before warnings, grouped by migration,
// each with its safe alternative; project-wide conditions once; statements folded in <details>.
// The first line is a hidden marker, so that CI can find its own comment and update it.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <sstream>

#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

// GitHub refuses a comment above 65,536 characters; the findings past this budget are counted
// instead of shown, with where to see them.
constexpr size_t kCommentBudget = 60000;

// Text from the input as markdown prose: no controls, no HTML (a statement could hold
// `</details>` or `<!--`), no emphasis or table syntax, one line.
std::string md(std::string_view s) {
  std::string out;
  for (char c : printable(s, true)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\n':
      case '\t': out += ' '; break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '#':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

// A name or path as code. <code> rather than backticks: a backtick span leaves `<` to the
// renderer's precedence rules, and a name from the input may hold anything.
std::string code(std::string_view s) {
  return "<code>" + md(s) + "</code>";
}

// A statement, folded: <pre> holds blank lines and is not read as markdown; the text is escaped,
// so `</pre>` or `</details>` in a statement is shown, not obeyed.
std::string sql_block(std::string_view s) {
  std::string out = "<pre>";
  std::string text = printable(s, true);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out + "</pre>\n";
}

std::string plural(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

struct Impact {
  std::string migration, table, size;
  model::LockMode lock = model::LockMode::None;
  bool blocks_reads = false, rewrites = false, scans = false;
};

void write_impact(std::ostream& out, const std::vector<const model::Finding*>& shown) {
  std::vector<Impact> rows;
  std::map<std::pair<std::string, std::string>, size_t> index;
  bool any_size = false;
  for (const model::Finding* f : shown) {
    if (!f->action || f->action->relation.name.empty() || f->action->on_new_relation) continue;
    const model::Action& a = *f->action;
    auto [it, fresh] = index.try_emplace({f->migration, a.relation.display()}, rows.size());
    if (fresh) rows.push_back({f->migration, a.relation.display(), f->table_size});
    Impact& row = rows[it->second];
    row.lock = std::max(row.lock, a.lock);
    row.blocks_reads = row.blocks_reads || model::blocks_reads(a.lock) || a.indirect_access_exclusive;
    row.rewrites = row.rewrites || a.rewrites;
    row.scans = row.scans || a.scans;
    if (row.size.empty()) row.size = f->table_size;
    any_size = any_size || (!f->table_size.empty() && f->table_size != "size unknown");
  }
  out << "### What this change does to production\n\n";
  if (rows.empty()) {
    out << "No finding is about a lock, rewrite or scan of an existing table.\n\n";
    return;
  }
  out << "| migration | table | strongest lock | blocks | rewrite / scan | size |\n"
      << "|---|---|---|---|---|---|\n";
  for (const Impact& r : rows) {
    const char* blocked = r.blocks_reads ? "reads and writes" : model::blocks_writes(r.lock) ? "writes" : "—";
    std::string work = r.rewrites ? "rewrites every row" : r.scans ? "scans every row" : "—";
    out << "| " << code(r.migration) << " | " << code(r.table) << " | " << model::lock_mode_name(r.lock)
        << " | " << blocked << " | " << work << " | " << (r.size.empty() ? "—" : md(r.size)) << " |\n";
  }
  out << "\n";
  if (!any_size)
    out << "Table sizes are unknown: with `--database-url` (a replica or a copy of production) the "
           "report states each table's rows and size and how long a rewrite or scan takes.\n\n";
}

void write_finding(std::ostream& out, const model::Finding& f) {
  out << "**" << code(f.rule) << "**";
  if (f.loc.line > 0) out << " · line " << f.loc.line;
  if (!f.operation.empty()) out << " · " << md(f.operation);
  if (f.escalated) out << " · made an error by the table's size";
  out << "  \n" << md(f.message) << "\n\n";
  if (!f.help.empty()) out << "> **Safe alternative:** " << md(f.help) << "\n\n";
  if (!f.statement.empty())
    out << "<details><summary>Statement</summary>\n\n" << sql_block(f.statement) << "\n</details>\n\n";
}

struct Group {
  std::string migration, file;
  std::vector<const model::Finding*> findings;
};

std::vector<Group> by_migration(const std::vector<const model::Finding*>& findings) {
  std::vector<Group> groups;
  std::map<std::string, size_t> index;
  for (const model::Finding* f : findings) {
    std::string key = f->migration.empty() ? f->loc.file : f->migration;
    auto [it, fresh] = index.try_emplace(key, groups.size());
    if (fresh) groups.push_back({f->migration, path_from_cwd(f->loc.file), {}});
    groups[it->second].findings.push_back(f);
  }
  return groups;
}

}  // namespace

void write_markdown(std::ostream& out, const Input& in) {
  Counts c = count(in);
  std::vector<const model::Finding*> errors, warnings, infos, conditions;
  for (const auto& f : in.findings) {
    if (f.suppressed) continue;
    if (f.migrations_concerned)
      conditions.push_back(&f);
    else if (f.severity == model::Severity::Error)
      errors.push_back(&f);
    else if (f.severity == model::Severity::Warning)
      warnings.push_back(&f);
    else
      infos.push_back(&f);
  }
  std::ostringstream body;
  body << "<!-- safemigrate-report -->\n";
  if (c.errors)
    body << "## safemigrate: " << plural(c.errors, "error", "errors") << " to fix before merging";
  else
    body << "## safemigrate: no errors";
  if (c.warnings) body << ", " << plural(c.warnings, "warning", "warnings");
  body << "\n\n"
       << plural(c.migrations, "migration", "migrations") << ", "
       << plural(in.statements, "statement", "statements") << " checked.\n\n";
  std::vector<const model::Finding*> shown = errors;
  shown.insert(shown.end(), warnings.begin(), warnings.end());
  write_impact(body, shown);

  size_t hidden = 0;
  auto section = [&](const char* title, const std::vector<const model::Finding*>& list) {
    if (list.empty()) return;
    body << "### " << title << "\n\n";
    for (const Group& g : by_migration(list)) {
      if (static_cast<size_t>(body.tellp()) > kCommentBudget) {
        hidden += g.findings.size();
        continue;
      }
      body << "#### " << (g.migration.empty() ? code(g.file) : code(g.migration) + " · " + code(g.file))
           << "\n\n";
      for (const model::Finding* f : g.findings) {
        if (static_cast<size_t>(body.tellp()) > kCommentBudget) {
          ++hidden;
          continue;
        }
        write_finding(body, *f);
      }
    }
  };
  section("Errors", errors);
  section("Warnings", warnings);
  if (!conditions.empty()) {
    body << "### Conditions of the whole project (said once)\n\n";
    for (const model::Finding* f : conditions) {
      body << "**" << code(f->rule) << "** (" << model::severity_name(f->severity) << ") · "
           << code(path_from_cwd(f->loc.file)) << "  \n"
           << md(f->message) << "\n\n";
      if (!f->help.empty()) body << "> **What to do:** " << md(f->help) << "\n\n";
    }
  }
  if (!infos.empty()) {
    body << "<details><summary>" << plural(infos.size(), "note", "notes") << "</summary>\n\n";
    for (const model::Finding* f : infos) {
      if (static_cast<size_t>(body.tellp()) > kCommentBudget) {
        ++hidden;
        continue;
      }
      body << "- " << code(f->rule) << " · "
           << code(f->migration.empty() ? path_from_cwd(f->loc.file) : f->migration)
           << (f->loc.line ? fmt::format(" line {}", f->loc.line) : std::string()) << ": " << md(f->message)
           << "\n";
    }
    body << "\n</details>\n\n";
  }
  if (hidden)
    body << "**" << plural(hidden, "more finding is", "more findings are")
         << " not shown here** (a comment holds 65,536 characters): see the job's log, or run "
            "`safemigrate check` locally.\n\n";
  std::vector<std::string> notes;
  if (c.suppressed)
    notes.push_back(plural(c.suppressed, "finding", "findings") + " silenced by `safemigrate-ignore`");
  if (in.baselined)
    notes.push_back(plural(in.baselined, "finding", "findings") + " accepted by the baseline");
  if (!notes.empty()) {
    body << "<sub>Not shown: ";
    for (size_t i = 0; i < notes.size(); ++i) body << (i ? "; " : "") << notes[i];
    body << ".</sub>\n";
  }
  out << body.str();
}

}  // namespace sm::report

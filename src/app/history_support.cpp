#include "app/history_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "app/check_command.h"
#include "app/framework.h"
#include "db/table_sizes.h"
#include "model/errors.h"

namespace sm::app {

std::string first_line(const std::string& s) {
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string recorded_error(const std::string& logs) {
  std::vector<std::string> lines;
  for (size_t at = 0; at <= logs.size();) {
    size_t nl = logs.find('\n', at);
    std::string line = logs.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  auto value_after = [&](std::string_view header) -> std::string {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind(header, 0) != 0) continue;
      std::string rest = lines[i].substr(header.size());
      while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
      if (!rest.empty()) return rest;
      for (size_t j = i + 1; j < lines.size(); ++j)
        if (!lines[j].empty()) return lines[j];
    }
    return {};
  };
  // Prisma's (and apply's) logs: "Migration name: X", "Database error code: C", then the error
  // under "Database error:". Other writers (Prisma's JavaScript engine: "external connector
  // error" above the error) get their first line that says something.
  std::string error = value_after("Database error:");
  if (error.empty())
    for (const std::string& line : lines)
      if (!line.empty() && line.rfind("Migration name:", 0) != 0 &&
          line.rfind("Database error code:", 0) != 0 && line != "external connector error") {
        error = line;
        break;
      }
  std::string code = value_after("Database error code:");
  if (!code.empty() && error.find(code) == std::string::npos) error += " (SQLSTATE " + code + ")";
  if (error.size() > 300) error = error.substr(0, 297) + "...";
  return error;
}

std::optional<SqlFailure> sql_failure(const std::exception& e, const model::Statement* statement) {
  if (!db::refused_by_server(e)) return std::nullopt;
  return SqlFailure{db::sqlstate_of(e), clean_error(e.what()), statement};
}

std::string lock_holders(db::Database& dbc, const std::set<std::string>& tables) {
  if (tables.empty()) return "";
  std::string in;
  for (const std::string& n : tables) in += (in.empty() ? "" : ", ") + dbc.quote(n);
  try {
    pqxx::result r = dbc.exec(
        "SELECT DISTINCT c.relname, l.pid, l.mode, coalesce(a.query, '') FROM pg_locks l "
        "JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND l.pid <> pg_backend_pid() AND (c.relname IN (" +
        in +
        // An index's lock waits on its table: DROP INDEX names the index, a holder locks the table.
        ") OR c.oid IN (SELECT i.indrelid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
        "WHERE x.relname IN (" +
        in + "))) ORDER BY 1, 2");
    std::vector<std::string> parts;
    for (const auto& row : r) {
      std::string q = row[3].as<std::string>();
      if (q.size() > 60) q = q.substr(0, 57) + "...";
      parts.push_back(fmt::format("table \"{}\" ({} held by pid {}{})", row[0].as<std::string>(),
                                  row[2].as<std::string>(), row[1].as<int>(), q.empty() ? "" : ": " + q));
    }
    return fmt::format("{}", fmt::join(parts, "; "));
  } catch (const std::exception&) {
    return "";  // the caller names the tables instead
  }
}

std::string clean_error(const std::string& what) {
  std::string s = what;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void print_report(const db::HistoryReport& rep, const db::Database& dbc, const std::string& table,
                  std::ostream& out) {
  out << "database " << dbc.url().display << ", table " << table << "\n";
  if (!rep.table_exists) out << "  (the table does not exist: nothing has been applied to this database)\n";
  std::map<db::MigrationState, int> counts;
  for (const db::MigrationStatus& s : rep.migrations) {
    ++counts[s.state];
    std::string when = !s.finished_at.empty()  ? "finished " + s.finished_at
                       : !s.started_at.empty() ? "started " + s.started_at
                                               : "";
    out << fmt::format("  {:<19} {}{}\n", db::state_name(s.state), s.name,
                       when.empty() ? "" : "  (" + when + ")");
    if (!s.detail.empty()) out << "                      " << s.detail << "\n";
    if (!s.logs.empty()) out << "                      error: " << recorded_error(s.logs) << "\n";
  }
  for (const db::InvalidIndex& ix : rep.invalid_indexes) {
    out << fmt::format("  invalid index       \"{}\".\"{}\" on {}", ix.schema, ix.index, ix.table);
    if (!ix.migration.empty())
      out << " (created by migration " << ix.migration << "; a failed CREATE INDEX CONCURRENTLY leaves it)";
    out << "\n                      drop it with DROP INDEX CONCURRENTLY, then create it again\n";
  }
  std::vector<std::string> parts;
  for (auto [state, n] : counts) parts.push_back(fmt::format("{} {}", n, db::state_name(state)));
  if (!rep.invalid_indexes.empty())
    parts.push_back(fmt::format("{} invalid index(es)", rep.invalid_indexes.size()));
  out << (parts.empty() ? std::string("no migrations") : fmt::format("{}", fmt::join(parts, ", "))) << "\n";
}

bool any_drift(const db::HistoryReport& rep) {
  return !rep.invalid_indexes.empty() ||
         std::any_of(rep.migrations.begin(), rep.migrations.end(),
                     [](const db::MigrationStatus& s) { return db::is_drift(s.state); });
}

std::string fmt_seconds(std::chrono::steady_clock::duration d) {
  return fmt::format("{:.2f} s", std::chrono::duration<double>(d).count());
}

void prepare_to_apply(db::HistoryStore& hist, bool exists, db::Database& dbc, const HistoryOptions& o,
                      std::ostream& out) {
  if (!exists) {
    hist.create_table();
    out << "created " << hist.table() << "\n";
  }
  if (o.lock_timeout.count() > 0) dbc.set_lock_timeout(o.lock_timeout);
  if (o.statement_timeout.count() > 0) dbc.set_statement_timeout(o.statement_timeout);
}

std::string lexing_mismatch(db::Database& dbc) {
  pqxx::result r = dbc.exec(
      "SELECT name, setting, source FROM pg_settings WHERE name IN ('standard_conforming_strings', "
      "'client_encoding') ORDER BY name DESC");
  std::vector<std::string> problems;
  for (const auto& row : r) {
    std::string name = row[0].as<std::string>(), value = row[1].as<std::string>(),
                source = row[2].as<std::string>();
    // PostgreSQL's client-only encodings (PG_ENCODING_IS_CLIENT_ONLY), by the names it reports.
    static const std::set<std::string> kClientOnly = {"SJIS", "SHIFT_JIS_2004", "BIG5", "GBK",
                                                      "UHC",  "GB18030",        "JOHAB"};
    bool bad = name == "standard_conforming_strings" ? value != "on" : kClientOnly.count(value) > 0;
    if (!bad) continue;
    // pg_settings.source: "user" / "database" / "database user" are ALTER ROLE/DATABASE … SET.
    std::string from = source == "user"            ? "the role's default (ALTER ROLE … SET)"
                       : source == "database"      ? "the database's default (ALTER DATABASE … SET)"
                       : source == "database user" ? "ALTER ROLE … IN DATABASE … SET"
                                                   : "source: " + source;
    problems.push_back(fmt::format("{} is {} ({})", name, value, from));
  }
  if (problems.empty()) return {};
  return fmt::format(
      "this session's {}: PostgreSQL would lex the migrations otherwise than safemigrate read and "
      "checked them (with standard_conforming_strings on and UTF-8, a backslash before a quote can end a "
      "string here and not there, so one checked statement can run as several); set "
      "standard_conforming_strings to on and client_encoding to UTF8 for this role and database",
      fmt::join(problems, ", "));
}

HistoryOptions for_server(const HistoryOptions& o, db::Database& dbc) {
  HistoryOptions out = o;
  out.postgres_version = dbc.server_major();
  out.database = &dbc;
  return out;
}

std::unique_ptr<db::Database> connect(const HistoryOptions& o) {
  if (o.database_url.empty()) throw InputError("no database URL: pass --database-url or set DATABASE_URL");
  db::ConnectOptions co;
  co.connect_timeout_s = o.connect_timeout_s;
  return std::make_unique<db::Database>(o.database_url, co);
}

int report_status(const db::HistoryReport& rep, const db::Database& dbc, const std::string& table,
                  bool verify, const std::string& local, std::ostream& out) {
  print_report(rep, dbc, table, out);
  if (!verify) return model::kExitOk;
  if (any_drift(rep)) {
    out << "verify: FAILED: the database and " << local << " differ\n";
    return model::kExitFindings;
  }
  out << "verify: ok: every migration of " << local << " is applied, and nothing else is recorded\n";
  return model::kExitOk;
}

namespace {

// Why a finding about `f.action`'s table blocks no one in this database, or empty when it may:
// the table is created by this run (its own migration, or an earlier pending one, whatever it was
// renamed to since), or holds no rows there.
std::string blocks_no_one(const model::Finding& f, const std::set<std::string>& pending,
                          const db::TableSize* size) {
  if (!f.action || f.action->relation.name.empty()) return {};
  if (f.action->on_new_relation || (!f.action->created_by.empty() && pending.count(f.action->created_by)))
    return "created by this run";
  if (!size) return {};
  if (!size->found) return "not in this database";
  if (size->empty()) return "empty in this database";
  return {};
}

}  // namespace

int gate_blocks(const model::MigrationSet& set, const std::vector<model::Finding>& findings,
                const std::set<std::string>& pending, const std::string& ignore_hint, db::Database& dbc,
                std::ostream& err, bool list_waived) {
  std::vector<const model::Finding*> errors;
  for (const model::Finding& f : findings)
    if (f.severity == model::Severity::Error && !f.suppressed && f.rule != "missing-migration-file" &&
        pending.count(f.migration))
      errors.push_back(&f);
  // One catalog query for the tables of the other findings, each by the name it has in this
  // database: before the renames that pending migrations make.
  auto ran = [&](const std::string& id) { return !pending.count(id); };
  // Where the framework's sessions look unqualified names up (Django: where a new session starts;
  // Prisma: in the URL's schema, as this connection does).
  std::vector<std::string> session_path = framework_of(set).session_search_path(dbc);
  std::vector<db::RelationRef> relations;
  std::vector<int> relation_of(errors.size(), -1);
  for (size_t i = 0; i < errors.size(); ++i) {
    const model::Finding& f = *errors[i];
    if (!f.action || f.action->relation.name.empty() || f.action->on_new_relation) continue;
    db::RelationRef ref;
    model::RelationName n = model::name_in_database(*f.action, ran, &ref.search_path);
    ref.schema = n.schema;
    ref.name = n.name;
    if (ref.schema.empty() && ref.search_path.empty()) ref.search_path = session_path;
    auto it = std::find(relations.begin(), relations.end(), ref);
    relation_of[i] = static_cast<int>(it - relations.begin());
    if (it == relations.end()) relations.push_back(std::move(ref));
  }
  std::vector<db::TableSize> sizes = db::read_table_sizes(dbc, relations);
  std::vector<std::string> blocking, waived;
  bool input = false;  // a file that cannot be read as it is (not UTF-8, too large…): bad input
  for (size_t i = 0; i < errors.size(); ++i) {
    const model::Finding& f = *errors[i];
    const db::TableSize* size = relation_of[i] >= 0 ? &sizes[static_cast<size_t>(relation_of[i])] : nullptr;
    std::string why = blocks_no_one(f, pending, size);
    input = input || f.rule == model::kInputErrorRule;
    if (why.empty())
      blocking.push_back(fmt::format("  {}:{}: {} [{}]\n", f.loc.file, f.loc.line, f.message, f.rule));
    else
      waived.push_back(fmt::format("  {}:{}: [{}] {}: {}\n", f.loc.file, f.loc.line, f.rule,
                                   f.action->relation.display(), why));
  }
  // Errors in apps the config excludes, let through by exclude_apps_apply = "pass": said, not hidden.
  std::vector<std::string> passed;
  for (const model::Finding& f : findings)
    if (f.severity == model::Severity::Error && f.suppressed && pending.count(f.migration) &&
        f.suppression_reason.rfind(kExcludedAppReason, 0) == 0)
      passed.push_back(fmt::format("  {}:{}: {} [{}]\n", f.loc.file, f.loc.line, f.message, f.rule));
  if (!passed.empty()) {
    err << fmt::format(
        "safemigrate: {} error finding(s) in apps named by exclude_apps do not stop apply "
        "(exclude_apps_apply = "
        "\"pass\"):\n",
        passed.size());
    for (const std::string& line : passed) err << line;
  }
  if (!waived.empty()) {
    // A count, not a list: on a blank database that is every finding (260 lines of 1,098 on
    // cal.com), and none of them asks anything of the reader. --dry-run lists them.
    err << fmt::format(
        "safemigrate: {} error finding{} about tables that are empty in this database or created by this run "
        "do not stop apply (nothing there can be blocked or rewritten at length){}\n",
        waived.size(), waived.size() == 1 ? "" : "s", list_waived ? ":" : "; apply --dry-run lists them");
    if (list_waived)
      for (const std::string& line : waived) err << line;
  }
  // What was not parsed or analysed never runs, whatever the config or a suppression says: the
  // model itself is asked, not the findings (a rule set to "off" leaves none).
  size_t unanalysed = 0;
  for (const model::Migration& m : set.migrations) {
    if (!pending.count(m.id)) continue;
    for (const model::Statement* st : m.statements()) {
      if (st->cls != model::StatementClass::Invalid && !st->copy_from_stdin) continue;
      ++unanalysed;
      std::string why = !st->syntax_error.empty()   ? "PostgreSQL cannot parse it: " + st->syntax_error
                        : !st->not_analysed.empty() ? "not analysed: " + st->not_analysed
                                                    : "COPY … FROM STDIN with rows that are not SQL";
      blocking.push_back(fmt::format("  {}:{}: {} [never applied]\n", st->loc.file, st->loc.line, why));
    }
  }
  if (blocking.empty()) return model::kExitOk;
  err << fmt::format("safemigrate: {} error(s) in pending migrations; nothing was applied:\n",
                     blocking.size());
  for (const std::string& line : blocking) err << line;
  if (unanalysed)
    err << fmt::format(
        "{} statement(s) were not parsed or analysed: fix them; no setting lets apply run them.\n",
        unanalysed);
  if (blocking.size() > unanalysed)
    err << "Fix them, or silence one with " << ignore_hint << " (`safemigrate check` shows the details).\n";
  return input ? model::kExitUsage : model::kExitFindings;
}

std::string scrub_password(const std::string& text, const std::string& url) {
  try {
    return db::scrub(text, db::parse_database_url(url).secrets);
  } catch (const std::exception&) {
    // Not readable, so never connected to: only a message quoting it whole could show it.
    return db::scrub(text, url);
  }
}

std::string lost_connection(const HistoryOptions& o, const std::exception& e, const std::string& migration,
                            size_t later, const std::function<std::string(db::Database&)>& recorded) {
  std::string why = first_line(clean_error(scrub_password(e.what(), o.database_url)));
  // libpqxx's "Could not obtain client encoding: not connected." says no more than that.
  if (why.find("not connected") != std::string::npos) why = "the server closed it";
  std::string state;
  try {
    std::unique_ptr<db::Database> fresh = connect(o);
    state = recorded(*fresh);
  } catch (const std::exception& again) {
    state = "what the history table records of it could not be read (" +
            first_line(clean_error(scrub_password(again.what(), o.database_url))) +
            "): run `safemigrate status` when the server is back";
  }
  return fmt::format(
      "safemigrate: the connection to the server was lost while applying migration {} ({}); {}.\n{} later "
      "migration(s) not applied.\n",
      migration, why, state, later);
}

}  // namespace sm::app

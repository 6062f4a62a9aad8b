// drift's replay of a Django plan (adapters/django/django_replay.h).
#include "adapters/django/django_replay.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <string_view>

namespace sm::django {

namespace {

// The name export_plan.py writes where Django's schema editor looks a constraint or index name up
// in the live database (OFFLINE_NAME): the replay looks it up on the scratch database, which then
// holds what the target held when Django ran the operation.
constexpr std::string_view kLookedUpName = "safemigrate_name_looked_up_in_database";

const std::string& quoted_looked_up_name() {
  static const std::string q = "\"" + std::string(kLookedUpName) + "\"";
  return q;
}

// Whether the statement holds the placeholder (an identifier the exporter wrote; never SQL the
// user wrote, so a search for the quoted sentinel cannot meet anything else).
bool holds_placeholder(const model::Statement& st) {
  return st.text.find(quoted_looked_up_name()) != std::string::npos;
}

std::string replaced(std::string text, const std::string& quoted_name) {
  const std::string& ph = quoted_looked_up_name();
  for (size_t at = text.find(ph); at != std::string::npos; at = text.find(ph, at + quoted_name.size()))
    text.replace(at, ph.size(), quoted_name);
  return text;
}

// What Django looked up for a placeholder statement: the foreign keys of a column (an
// `ALTER TABLE … DROP CONSTRAINT` after `SET CONSTRAINTS … IMMEDIATE`, _delete_fk_sql), its
// other single-column constraints (unique, primary key, check), or its indexes (DROP INDEX).
enum class Lookup { ForeignKey, OtherConstraint, Index };

// The names Django's _constraint_names finds on `table` for one of `columns` (single-column ones,
// as Django asks with [field.column]), read in the replay's own transaction.
std::vector<std::string> looked_up(pqxx::transaction_base& tx, const std::string& table,
                                   const std::set<std::string>& columns, Lookup kind) {
  std::string names;
  for (const std::string& c : columns) names += (names.empty() ? "" : ", ") + tx.quote(c);
  if (names.empty()) return {};
  const std::string rel = "to_regclass(quote_ident(" + tx.quote(table) + "))";
  std::string sql;
  if (kind == Lookup::Index)
    sql =
        "SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_attribute a ON "
        "a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = " +
        rel +
        " AND i.indnatts = 1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.conrelid = i.indrelid) AND a.attname IN (" +
        names + ") ORDER BY 1";
  else
    sql =
        "SELECT con.conname FROM pg_constraint con JOIN pg_attribute a ON a.attrelid = con.conrelid AND "
        "a.attnum = con.conkey[1] WHERE con.conrelid = " +
        rel + " AND cardinality(con.conkey) = 1 AND a.attname IN (" + names + ") AND con.contype " +
        (kind == Lookup::ForeignKey ? "= 'f'" : "IN ('u', 'p', 'c')") + " ORDER BY 1";
  std::vector<std::string> out;
  for (const auto& row : tx.exec(sql)) out.push_back(row[0].as<std::string>());
  return out;
}

// How one operation's statements run on scratch: as exported, or with a looked-up name put in.
struct Step {
  std::string sql;
  std::optional<Lookup> lookup;  // the statement holds the placeholder
  std::string table;             // …on this table
};

// The statements of `op` to run; empty `why` when every placeholder has a statement kind and a
// table the replay can look it up for.
std::vector<Step> steps_of(const model::Operation& op, std::string& why) {
  std::set<std::string> tables;
  for (const model::Statement& st : op.statements)
    for (const model::Action& a : st.actions)
      if (a.kind != model::ActionKind::DropIndex && !a.relation.name.empty() &&
          a.relation.name != kLookedUpName)
        tables.insert(a.relation.name);
  std::vector<Step> steps;
  bool after_set_constraints = false;
  for (const model::Statement& st : op.statements) {
    Step s{st.text, std::nullopt, {}};
    if (!holds_placeholder(st)) {
      after_set_constraints = false;
      steps.push_back(std::move(s));
      continue;
    }
    if (st.node == "ConstraintsSetStmt") {
      // Fires the pending deferred checks of that constraint before it is dropped: nothing on the
      // schema, so not run (its name is known only with the DROP that follows).
      after_set_constraints = true;
      continue;
    }
    for (const model::Action& a : st.actions) {
      if (a.kind == model::ActionKind::DropConstraint && a.object == kLookedUpName) {
        s.lookup = after_set_constraints ? Lookup::ForeignKey : Lookup::OtherConstraint;
        s.table = a.relation.name;
      } else if (a.kind == model::ActionKind::IndexTable && a.object == kLookedUpName) {
        s.lookup = Lookup::Index;
        s.table = a.relation.name;
      } else if (a.kind == model::ActionKind::DropIndex && a.relation.name == kLookedUpName && !s.lookup) {
        s.lookup = Lookup::Index;
        if (tables.size() == 1) s.table = *tables.begin();
      }
    }
    after_set_constraints = false;
    if (!s.lookup || s.table.empty()) {
      why =
          "its SQL names a constraint or index Django looks up in the database when it runs, in a "
          "statement safemigrate cannot look it up for: " +
          st.text;
      return {};
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

// The columns an operation's statements are about (the field's column: Django looks its
// constraints up by [field.column]).
std::set<std::string> columns_of(const model::Operation& op) {
  std::set<std::string> out;
  for (const model::Statement& st : op.statements)
    for (const model::Action& a : st.actions)
      if (!a.column.empty()) out.insert(a.column);
  return out;
}

bool runs_in_transaction(const model::Migration& m) {
  if (!m.atomic) return false;
  for (const model::Operation& op : m.operations) {
    if (op.non_transactional) return false;
    for (const model::Statement& st : op.statements)
      if (st.cannot_run_in_transaction || st.cls == model::StatementClass::Transaction) return false;
  }
  return true;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s.size() > 300 ? s.substr(0, 297) + "..." : s;
}

// Runs one migration; "" or the failure.
std::string replay_one(const model::Migration& m, db::Database& scratch,
                       std::vector<std::string>& not_replayed) {
  std::unique_ptr<pqxx::transaction_base> tx;
  if (runs_in_transaction(m))
    tx = std::make_unique<pqxx::work>(scratch.conn());
  else
    tx = std::make_unique<pqxx::nontransaction>(scratch.conn());
  for (const model::Operation& op : m.operations) {
    const std::string where = fmt::format("{} operation {} ({})", m.id, op.index, op.kind);
    if (op.runs_python) {
      bool ddl = false;
      for (const model::Statement& st : op.statements) ddl |= st.cls == model::StatementClass::Ddl;
      not_replayed.push_back(
          where + ": RunPython is not replayed" +
          (ddl ? " (its code changes the schema: what it makes shows as production-only)"
               : " (data only, unless its code changes the schema through the schema editor)"));
      continue;
    }
    if (!op.sql_error.empty()) {
      not_replayed.push_back(where + ": the exporter could not produce its SQL (" + op.sql_error +
                             "); what it changes shows as drift");
      continue;
    }
    std::string why;
    std::vector<Step> steps = steps_of(op, why);
    if (!why.empty()) {
      not_replayed.push_back(where + ": " + one_line(why) + "; what it changes shows as drift");
      continue;
    }
    const std::set<std::string> columns = columns_of(op);
    std::set<std::string> dropped;  // a name Django found is dropped once (a _like twin is a second one)
    for (const Step& s : steps) {
      try {
        if (!s.lookup) {
          tx->exec(s.sql);
          continue;
        }
        std::vector<std::string> names = looked_up(*tx, s.table, columns, *s.lookup);
        std::erase_if(names, [&](const std::string& n) { return dropped.count(n) > 0; });
        if (*s.lookup == Lookup::OtherConstraint && names.size() > 1) {
          not_replayed.push_back(fmt::format(
              "{}: a constraint Django looks up in the database is one of {} on {} (which one the plan "
              "does not say); not dropped, so what it changes shows as drift",
              where, fmt::join(names, ", "), s.table));
          continue;
        }
        // Django drops every name it finds (none: nothing); the exporter wrote one statement per
        // name it expected, so the first placeholder statement of a kind takes them all.
        for (const std::string& n : names) {
          tx->exec(replaced(s.sql, scratch.quote_name(n)));
          dropped.insert(n);
        }
      } catch (const pqxx::sql_error& e) {
        std::string msg = e.what();
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        return fmt::format("{}: {}{}\n  statement: {}\n", where, msg,
                           e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")", one_line(s.sql));
      }
    }
  }
  try {
    tx->commit();
  } catch (const pqxx::sql_error& e) {
    return fmt::format("{}: {} (at commit)\n", m.id, e.what());
  }
  return "";
}

}  // namespace

PlanReplay replay_plan(const model::MigrationSet& set, const std::vector<db::MigrationStatus>& status,
                       db::Database& scratch) {
  PlanReplay r;
  std::vector<size_t> todo;
  for (size_t i = 0; i < status.size(); ++i) {
    const db::MigrationStatus& s = status[i];
    switch (s.state) {
      case db::MigrationState::Applied:
      case db::MigrationState::Duplicate:
      case db::MigrationState::Edited: todo.push_back(i); break;
      case db::MigrationState::Inconsistent:
        // Applied with a dependency that is not (replayed: the target has it), or a squash half
        // applied (Django then runs the replaced migrations, which the plan does not hold).
        if (!s.finished_at.empty())
          todo.push_back(i);
        else
          r.failed.push_back(s.name + " (" + s.detail + ")");
        break;
      case db::MigrationState::Pending:
      case db::MigrationState::RolledBack: r.pending.push_back(s.name); break;
      case db::MigrationState::Failed: r.failed.push_back(s.name); break;
      case db::MigrationState::MissingLocally: r.missing_locally.push_back(s.name); break;
      case db::MigrationState::NoScript: r.not_replayed.push_back(s.name + ": no script"); break;
    }
  }
  for (size_t i : todo) {
    if (i >= set.migrations.size()) continue;
    const model::Migration& m = set.migrations[i];
    r.error = replay_one(m, scratch, r.not_replayed);
    if (!r.error.empty()) return r;
    r.replayed.push_back(m.id);
  }
  return r;
}

}  // namespace sm::django

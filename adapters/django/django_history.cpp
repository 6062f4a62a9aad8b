#include "adapters/django/django_history.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace sm::django {

namespace {

bool is_squash_applied(const model::Migration& m, const std::set<std::string>& recorded) {
  if (m.replaces.empty()) return recorded.count(m.id) > 0;
  for (const auto& r : m.replaces)
    if (!recorded.count(r)) return false;
  return true;
}

}  // namespace

std::string DjangoHistory::table() const {
  return db_.quote_name(db_.schema()) + "." + db_.quote_name(kDjangoMigrationsTable);
}

bool DjangoHistory::table_exists() {
  return db::history_table_exists(db_, kDjangoMigrationsTable);
}

void DjangoHistory::check_table() {
  std::vector<std::pair<std::string, std::string>> columns = db::table_columns(db_, kDjangoMigrationsTable);
  // Django's recorder model: id (AutoField or BigAutoField), app, name, applied.
  const std::map<std::string, std::set<std::string>> want = {
      {"id", {"integer", "bigint"}},
      {"app", {"character varying"}},
      {"name", {"character varying"}},
      {"applied", {"timestamp with time zone"}},
  };
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& [name, type] : columns) {
    seen.insert(name);
    auto it = want.find(name);
    if (it == want.end())
      problems.push_back("unexpected column " + name);
    else if (!it->second.count(type))
      problems.push_back(fmt::format("{} is {}", name, type));
  }
  for (const auto& [name, types] : want)
    if (!seen.count(name)) problems.push_back("missing column " + name);
  if (problems.empty()) return;
  throw db::DbError(fmt::format(
      "{} does not have the columns Django creates ({}); safemigrate reads and writes it only in Django's "
      "shape, so nothing was written",
      table(), fmt::join(problems, "; ")));
}

void DjangoHistory::create_table() {
  // As Django's MigrationRecorder.ensure_schema() creates it (no unique constraint on app, name).
  std::string id = id_type_ == "serial" ? "serial" : "bigserial";
  db_.exec("CREATE TABLE " + table() + " (\"id\" " + id +
           " NOT NULL PRIMARY KEY, \"app\" varchar(255) NOT NULL, \"name\" varchar(255) NOT NULL, "
           "\"applied\" timestamp with time zone NOT NULL)");
}

std::vector<DjangoRow> DjangoHistory::rows() {
  std::vector<DjangoRow> out;
  pqxx::result r = db_.exec("SELECT id, app, name, applied::text FROM " + table() + " ORDER BY id");
  for (const auto& row : r)
    out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                   row[3].is_null() ? std::string() : row[3].as<std::string>()});
  return out;
}

db::HistoryReport DjangoHistory::report(const model::MigrationSet& plan) {
  db::HistoryReport rep;
  std::vector<DjangoRow> recorded = db::read_checked_rows(*this, rep.table_exists);
  rep.migrations = compute_status(plan, recorded);
  std::vector<std::pair<std::string, std::vector<std::string>>> created;
  for (const auto& m : plan.migrations) {
    std::vector<std::string> names;
    for (const model::Statement* st : m.statements())
      for (const model::Action& a : st->actions)
        if (a.kind == model::ActionKind::CreateIndex && !a.object.empty()) names.push_back(a.object);
    created.emplace_back(m.id, std::move(names));
  }
  rep.invalid_indexes = db::find_invalid_indexes(db_, created);
  return rep;
}

std::vector<db::MigrationStatus> compute_status(const model::MigrationSet& plan,
                                                const std::vector<DjangoRow>& rows) {
  std::set<std::string> recorded;
  std::map<std::string, const DjangoRow*> by_key;
  for (const auto& r : rows) {
    recorded.insert(r.key());
    by_key[r.key()] = &r;
  }
  std::set<std::string> applied, known, apps;
  for (const auto& m : plan.migrations) {
    known.insert(m.id);
    for (const auto& r : m.replaces) known.insert(r);
    apps.insert(m.app);
    if (is_squash_applied(m, recorded)) applied.insert(m.id);
  }
  std::vector<db::MigrationStatus> out;
  for (const auto& m : plan.migrations) {
    db::MigrationStatus s;
    s.name = m.id;
    if (applied.count(m.id)) {
      s.state = db::MigrationState::Applied;
      auto it = by_key.find(m.id);
      if (it == by_key.end() && !m.replaces.empty()) it = by_key.find(m.replaces.back());
      if (it != by_key.end()) s.finished_at = it->second->applied;
      for (const auto& dep : m.dependencies)
        if (known.count(dep) && !applied.count(dep)) {
          s.state = db::MigrationState::Inconsistent;
          s.detail = "applied, but its dependency " + dep +
                     " is not: Django refuses to migrate (InconsistentMigrationHistory)";
          break;
        }
    } else {
      s.state = db::MigrationState::Pending;
      size_t done = 0;
      for (const auto& r : m.replaces) done += recorded.count(r);
      if (done) {
        // Django then runs the replaced migrations instead, and this plan does not hold them.
        s.state = db::MigrationState::Inconsistent;
        s.detail = fmt::format(
            "a squash of which {} of the {} replaced migrations are recorded: Django goes back to the "
            "replaced "
            "migrations, which this plan (exported when none or all were applied) does not hold; export the "
            "plan again against this database",
            done, m.replaces.size());
      }
    }
    out.push_back(std::move(s));
  }
  for (const auto& r : rows) {
    if (!apps.count(r.app) || known.count(r.key())) continue;
    db::MigrationStatus s;
    s.name = r.key();
    s.state = db::MigrationState::MissingLocally;
    s.finished_at = r.applied;
    s.detail = "recorded in django_migrations, but the plan has no such migration (deleted or renamed?)";
    out.push_back(std::move(s));
  }
  // Django's migrate takes no lock: two at once record (and run) the same migration twice.
  std::map<std::string, std::vector<int64_t>> ids;
  for (const auto& r : rows) ids[r.key()].push_back(r.id);
  for (const auto& [key, list] : ids) {
    if (list.size() < 2) continue;
    db::MigrationStatus s;
    s.name = key;
    s.state = db::MigrationState::Duplicate;
    s.detail = fmt::format(
        "{} rows in django_migrations (ids {}): two appliers ran it at once (Django's migrate takes no "
        "lock); check what it did twice, then delete the extra rows",
        list.size(), fmt::join(list, ", "));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sm::django

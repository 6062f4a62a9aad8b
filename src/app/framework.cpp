#include "app/framework.h"

#include <algorithm>

#include "app/history_support.h"

namespace sm::app {

const Framework& framework_for(const std::vector<std::string>& paths) {
  // No path at all is still put to the frameworks: one of them reads "nothing given" as its own
  // input error, as the commands always have.
  const std::filesystem::path first =
      paths.empty() ? std::filesystem::path() : std::filesystem::path(paths.front());
  for (const Framework* f : frameworks())
    if (f->claims(first)) return *f;
  throw InputError("no migration framework reads " + first.string());
}

const Framework* framework_named(const std::string& name) {
  for (const Framework* f : frameworks())
    if (f->name() == name) return f;
  return nullptr;
}

std::vector<std::string> apply_mode_names() {
  std::vector<std::string> names;
  for (const Framework* f : frameworks())
    for (std::string& m : f->apply_modes())
      if (std::find(names.begin(), names.end(), m) == names.end()) names.push_back(std::move(m));
  return names;
}

ProjectDatabaseUrl project_paths(std::vector<std::string>& paths, bool none_given) {
  ProjectDatabaseUrl found;
  for (const Framework* f : frameworks())
    if (ProjectDatabaseUrl url = f->project_paths(paths, none_given)) found = std::move(url);
  return found;
}

ReplayOutcome Project::replay(db::Database&, db::Database&, const HistoryOptions& o, std::ostream&) {
  throw InputError("drift cannot replay " + (o.paths.empty() ? local_name() : o.paths.front()) +
                   " yet; give a Prisma migrations folder");
}

std::vector<MigrationFix> Framework::fix(const model::MigrationSet& set,
                                         const std::vector<FixTarget>& targets, const FixSettings&) const {
  std::vector<MigrationFix> out;
  for (const FixTarget& t : targets) {
    const model::Migration& m = set.migrations[t.index];
    MigrationFix mf;
    mf.migration = m.id;
    mf.file = m.main_file() ? m.main_file()->path : m.directory;
    for (const model::Finding* f : t.findings)
      mf.left.push_back({f->rule, f->loc.line, "fix does not rewrite " + name() + " migrations yet"});
    out.push_back(std::move(mf));
  }
  return out;
}

std::vector<size_t> pending_migrations(const std::vector<db::MigrationStatus>& status, size_t local) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < status.size() && i < local; ++i)
    if (status[i].state == db::MigrationState::Pending || status[i].state == db::MigrationState::RolledBack ||
        status[i].state == db::MigrationState::NoScript)
      todo.push_back(i);
  return todo;
}

}  // namespace sm::app

// inconsistent-history: an applied Django migration whose dependency is not applied.
#include <unordered_map>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check_set(const model::MigrationSet& set, const Rule& rule, std::vector<model::Finding>& out) {
  std::unordered_map<std::string, const model::Migration*> by_id;
  for (const auto& m : set.migrations) by_id[m.id] = &m;
  for (const auto& m : set.migrations) {
    if (!m.applied.value_or(false)) continue;
    for (const auto& dep : m.dependencies) {
      auto it = by_id.find(dep);
      if (it == by_id.end() || !it->second->applied.has_value() || *it->second->applied) continue;
      Reporter(rule, m, out)
          .on_migration(m.id + " is applied but its dependency " + dep +
                        " is not: Django stops with InconsistentMigrationHistory before migrating anything");
    }
  }
}

extern const Rule kInconsistentHistory = {
    .doc =
        {
            .id = "inconsistent-history",
            .severity = model::Severity::Error,
            .summary = "An applied Django migration whose dependency is not "
                       "applied (django_migrations disagrees with the graph).",
            .fix = "Apply the missing dependency (or fake it if its changes are present), then migrate.",
            .why =
                "Django checks the history table against the "
                "graph before every migrate; a migration recorded\n"
                "as applied while one it depends on is not means the database was changed out of order (a\n"
                "renamed migration, a manual insert into "
                "django_migrations, a branch deployed and reverted).",
            .alternative = "python3 manage.py showmigrations shop   # see what is recorded\n"
                           "python3 manage.py migrate shop 0002 --fake   # "
                           "only if its changes are really in the database",
        },
    .check_set = check_set,
};

}  // namespace sm::checks::rules

// migration-conflict: two leaf migrations in one Django app; `migrate` refuses to run.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check_set(const model::MigrationSet& set, const Rule& rule, std::vector<model::Finding>& out) {
  for (const auto& [app, leaves] : set.leaves) {
    if (leaves.size() < 2) continue;
    std::string names;
    for (const auto& l : leaves) names += (names.empty() ? "" : ", ") + l;
    for (const auto& m : set.migrations)
      if (m.app == app && m.id == app + "." + leaves.back()) {
        Reporter(rule, m, out)
            .on_migration("app " + app + " has " + std::to_string(leaves.size()) + " leaf migrations (" +
                          names + "): `manage.py migrate` stops with \"Conflicting migrations detected\"");
        break;
      }
  }
}

extern const Rule kMigrationConflict = {
    .doc =
        {
            .id = "migration-conflict",
            .severity = model::Severity::Error,
            .summary = "Two or more leaf migrations in one Django app.",
            .fix =
                "Run `manage.py makemigrations --merge` (or rebase one branch's migration onto the other).",
            .why =
                "Two branches each added a migration on top of the same parent. Django refuses to migrate\n"
                "until a merge migration says in which order they apply; deploying before that fails.",
            .alternative = "python3 manage.py makemigrations --merge shop",
        },
    .check_set = check_set,
};

}  // namespace sm::checks::rules

// `check --since REF`: what git says changed since REF, by running the git command line (the
// user's git, with the user's configuration, as CI runs it).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "model/migration.h"

namespace sm::app {

struct GitChange {
  char status = 'M';           // M modified, D deleted, T type changed
  std::filesystem::path path;  // absolute, canonical
  uint32_t first_line = 1;     // first changed line in the new file (1 when unknown or deleted)
};

struct GitSince {
  std::string ref;
  std::string base;  // the commit compared against: the merge base of REF and HEAD
  std::filesystem::path top;
  std::set<std::filesystem::path> added;  // absolute, canonical: added since base, or untracked
  std::vector<GitChange> changed;         // files that existed at base and differ now
};

// Runs git in `cwd`; throws std::runtime_error with a message for the user when the folder is
// not in a repository or REF cannot be found (saying so when the clone is shallow).
GitSince git_changes_since(const std::filesystem::path& cwd, const std::string& ref);

// Canonical form used to compare migration files with git's paths.
std::filesystem::path canonical_path(const std::string& path);

// Findings of migration-edited-after-merge for the changed files that are migrations of `sets`
// (or were, for deleted ones).
std::vector<model::Finding> edited_migration_findings(const GitSince& since,
                                                      const std::vector<model::MigrationSet>& sets);

}  // namespace sm::app

// `safemigrate fix` for one Prisma migration: rewrites the statements that the fixable rules
// report into their safe form, and splits the file into folders that sort right after it where
// the way the Prisma version runs a file needs it (<= 7.3: one implicit transaction per file, so a
// CONCURRENTLY statement must be alone and a VALIDATE must come in a later file; >= 7.4, for a file
// reported by non-atomic-migration: the same folders, each with several changes wrapped in
// BEGIN; … COMMIT;). Text is edited
// at the scanner's token positions (src/sql/sql_edit.h); comments and formatting elsewhere stay.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/framework.h"
#include "model/migration.h"

namespace sm::prisma {

// Whether the Prisma fixer rewrites findings of `rule` (each such rule says how in its `.autofix`).
bool prisma_fixes(std::string_view rule);

struct FixSettings {
  // The file runs statement by statement (Prisma >= 7.4 known, no BEGIN/COMMIT, no splitter
  // fallback): CONCURRENTLY and VALIDATE may stay in the file.
  bool per_statement = false;
  // The file holds BEGIN/COMMIT of its own: its statements are meant to commit together, and a split
  // would leave a transaction open across folders; only lock_timeout is fixed there.
  bool explicit_transaction = false;
  std::string lock_timeout = "5s";  // the value `SET lock_timeout` gets
  uint32_t target_postgres = 0;     // 0: unknown (assumed current)
  std::string next_folder;          // the migration after this one in Prisma's order; empty: last
};

// What changed ("CREATE INDEX … CONCURRENTLY IF NOT EXISTS, alone in 2024_x_01_concurrent_index",
// `into` the folder it is in) and what was left, as fix reports them for every framework.
using FixChange = app::FixChange;
using FixLeft = app::FixLeft;
struct NewFolder {
  std::string name;
  std::string sql;
};
struct PrismaFix {
  std::string sql;                 // the migration.sql after the fix (== input when nothing changed)
  std::vector<NewFolder> folders;  // new migrations, in order, each sorting right after the last
  std::vector<FixChange> changes;
  std::vector<FixLeft> left;
};

// `findings` are the check's findings for `m` (others are ignored); `sql` the bytes of its
// migration.sql, which m's statement offsets refer to.
PrismaFix fix_prisma_migration(const model::Migration& m, std::string_view sql,
                               const std::vector<const model::Finding*>& findings,
                               const FixSettings& settings);

// Framework::fix for Prisma: reads each target's migration.sql and rewrites it; the new folders
// sort right after the original (checked against the next folder in `set`).
std::vector<app::MigrationFix> fix_prisma_set(const model::MigrationSet& set,
                                              const std::vector<app::FixTarget>& targets,
                                              const app::FixSettings& settings);

}  // namespace sm::prisma

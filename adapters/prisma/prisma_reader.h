// Reads Prisma's migrations folder (prisma/migrations) into the shared model, in the order
// `prisma migrate deploy` applies it. Reading only: SQL is parsed elsewhere (src/sql).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/migration.h"
#include "util/file_read.h"

namespace sm::prisma {

// True when `dir` holds a migration_lock.toml, or at least one subfolder holding a
// migration.sql.
bool looks_like_prisma_migrations_dir(const std::filesystem::path& dir);

// Every folder at or under `root` that looks like a Prisma migrations folder, sorted. `root`
// may be a migrations folder itself, a project root (prisma/migrations) or a folder holding
// several projects. Skips node_modules and .git, follows symbolic links once (a visited set of
// canonical paths stops loops), does not descend into a migrations folder once found, and
// skips what it cannot read. Paths are `root` joined with the names found (not canonical).
std::vector<std::filesystem::path> find_migration_dirs(const std::filesystem::path& root);

// Orders migration folder names the way Prisma does (JavaScript's localeCompare, i.e. ICU
// root collation); <0, 0 or >0. See the comment in prisma_reader.cpp for the approximation.
int compare_like_prisma(std::string_view a, std::string_view b);

struct ReadOptions {
  uint64_t max_file_size = util::kDefaultMaxFileSize;
};

struct ReadResult {
  model::MigrationSet set;
  // sql[i] holds the bytes of set.migrations[i]'s migration.sql (empty when it could not be
  // read); sql.size() == set.migrations.size().
  std::vector<std::string> sql;
};

// Reads one migrations folder: one Migration per subfolder in Prisma's order, each with
// files[0] = migration.sql (sha256, size), checksum = sha256 of the raw bytes, has_down, and
// one Operation of kind "migration.sql" (without statements) when the file was read.
// Problems become findings (rule "input-error" or "missing-migration-file"), never exceptions;
// execution scenarios are not assigned here (see prisma_version.h).
ReadResult read_migrations_dir(const std::filesystem::path& dir, const ReadOptions& options = {});

}  // namespace sm::prisma

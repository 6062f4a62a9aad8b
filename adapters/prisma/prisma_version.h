// Which Prisma version a project uses, and what that means for how a migration runs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "model/migration.h"

namespace sm::prisma {

struct PrismaVersion {
  int major = 0, minor = 0, patch = 0;
  std::string source;  // the file it came from (package-lock.json, pnpm-lock.yaml, yarn.lock, package.json)
  std::string text;    // as written there: "6.19.3", "^6.19.3"
};

// Parses a version or an npm range and returns the lowest version it allows, i.e. the numbers
// written: "6.19.3", "^6.19.3", "~7.4.0", ">=7.4", "7", "v7.4.1", "7.4.0-dev.3" (pre-release
// suffix ignored), "6.x". Returns nullopt for what names no lower bound ("*", "latest",
// "workspace:*", "<7", "").
std::optional<PrismaVersion> parse_prisma_version(std::string_view text);

// Walks up from the migrations folder (stopping after a folder that holds .git, or at the
// filesystem root) to the first package.json whose dependencies or devDependencies name
// `prisma` (preferred) or `@prisma/client`, and returns the exact version from a lock file
// (package-lock.json / npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock) beside it or in a
// folder above it (monorepos keep one lock file at the root), else the range's lowest version.
std::optional<PrismaVersion> detect_prisma_version(const std::filesystem::path& migrations_dir);

// True from Prisma 7.4, which splits migration.sql into statements (prisma-engines PR 5767).
bool runs_statement_by_statement(const PrismaVersion& v);

// The construct in `st` that the statement splitter of Prisma >= 7.4 cannot parse, making it
// send the whole file as one batch, or nullptr.
const char* prisma_splitter_cannot_parse(const model::Statement& st);

// Sets m.scenarios (replacing any): one scenario when the version is known, two ("Prisma <= 7.3"
// and "Prisma >= 7.4") when it is not. Reads m's statements for the >= 7.4 fallback, so call it
// after the SQL has been analysed.
void assign_scenarios(model::Migration& m, const std::optional<PrismaVersion>& version);

}  // namespace sm::prisma

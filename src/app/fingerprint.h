// Stable fingerprints of findings, for baselines and for the code-scanning services that
// deduplicate results across runs (SARIF partialFingerprints, GitLab Code Quality).
#pragma once

#include <string>
#include <vector>

#include "model/migration.h"

namespace sm::app {

// The version of the fingerprint scheme, part of every fingerprint's input (and SARIF's key).
inline constexpr const char* kFingerprintScheme = "safemigrate/v1";

// Gives every finding its fingerprint: SHA-256 (first 128 bits, hex) of the rule, the framework,
// the migration's identity as the framework knows it (Prisma: the folder name; Django:
// app.name), the Django operation, and the statement as PostgreSQL's scanner reads it
// (sql::normalized_statement); never the line, the file's path or the message. Findings that are
// equal on all of these are told apart by their order (an occurrence index). A project-wide
// condition stands for its set, named by its first migration; an input error by its file.
void assign_fingerprints(const std::vector<model::MigrationSet>& sets, std::vector<model::Finding>& findings);

}  // namespace sm::app

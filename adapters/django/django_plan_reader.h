// Reads the plan JSON written by export_plan.py (format in adapters/django/README.md) into the
// shared model: one Migration per Django migration (`app.name`), one Operation per Django
// operation carrying the SQL that Django's schema editor emits for it, parsed by src/sql.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "model/migration.h"

namespace sm::django {

constexpr int kPlanFormatMajor = 1;

// Whether `path` looks like a plan file (a regular file, not a folder).
bool is_plan_file(const std::filesystem::path& path);

// Problems (unreadable file, malformed JSON with its line:column, a format version this
// reader does not know) become input-error findings in the set's input_findings.
model::MigrationSet read_plan(const std::filesystem::path& path, uint64_t max_file_size);

}  // namespace sm::django

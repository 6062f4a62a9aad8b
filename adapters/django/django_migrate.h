// Django's own `migrate`, run by `safemigrate apply` with the project's Python: the script
// (adapters/django/run_migrate.py, embedded at build time) and how it reports progress.
#pragma once

#include <string_view>

namespace sm::django {

// The source of run_migrate.py, run as `python -c SOURCE ARGS…`.
extern const char* const kRunMigrateSource;
// Lines of its standard output that start with this carry one JSON event; others are the project's.
inline constexpr std::string_view kRunMigrateEventPrefix = "@@safemigrate-event ";
// Its exit codes.
inline constexpr int kRunMigrateFailed = 3;    // a migration failed: a "failed" event says which
inline constexpr int kRunMigrateMismatch = 4;  // Django would run something else than was checked

}  // namespace sm::django

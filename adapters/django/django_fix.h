// `safemigrate fix` for Django plans: which findings an operation's rewrite fixes (decided here,
// from the plan), and the rewrite itself, done by fix_migrations.py (embedded at build time) with
// the project's own Python and Django, which loads the migrations through Django's loader and
// writes them with Django's MigrationWriter. Nothing is written here: the texts come back to
// app/fix_command.cpp, which diffs or writes them.
#pragma once

#include <vector>

#include "app/framework.h"
#include "model/migration.h"

namespace sm::django {

// The source of fix_migrations.py, run as `python -c SOURCE ARGS…`.
extern const char* const kFixMigrationsSource;

// Framework::fix for a Django plan.
std::vector<app::MigrationFix> fix_django_set(const model::MigrationSet& set,
                                              const std::vector<app::FixTarget>& targets,
                                              const app::FixSettings& settings);

}  // namespace sm::django

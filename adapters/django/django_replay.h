// drift's replay of a Django plan (Project::replay): the migrations django_migrations records as
// applied, run on a scratch database from the plan's SQL (what Django's schema editor emits).
#pragma once

#include <string>
#include <vector>

#include "db/database.h"
#include "db/history_store.h"
#include "model/migration.h"

namespace sm::django {

// What the replay did; Project::replay (django_apply.cpp) hands it on as app::ReplayOutcome.
struct PlanReplay {
  std::vector<std::string> replayed, pending, failed, missing_locally, not_replayed;
  std::string error;  // a migration failed on scratch: which, the server's message, the statement
};

// Runs on `scratch`, in plan order, every migration `status` (compute_status against the target's
// django_migrations) says is applied. RunPython is not run; an operation whose SQL could not be
// exported, or names a constraint Django looks up that the scratch database does not settle, is
// not run either: both are listed in not_replayed with the reason. A statement that fails sets
// `error` and ends the replay.
PlanReplay replay_plan(const model::MigrationSet& set, const std::vector<db::MigrationStatus>& status,
                       db::Database& scratch);

}  // namespace sm::django

// status, verify and apply for a Django plan file against django_migrations (the Prisma side
// is history_command.h; run_status and run_apply dispatch here for a plan file).
#pragma once

#include <iosfwd>

#include "app/history_command.h"

namespace sm::app {

// The paths name a file (a Django plan), not a Prisma migrations folder.
bool is_django_plan(const HistoryOptions& o);

int run_django_status(const HistoryOptions& o, bool verify, std::ostream& out, std::ostream& err);
int run_django_apply(const HistoryOptions& o, std::ostream& out, std::ostream& err);
// The plan's migrations that django_migrations does not record, in plan order (for rehearse);
// inconsistent history is an InputError, as for apply.
PendingMigrations load_django_pending(const HistoryOptions& o, db::Database& dbc);

}  // namespace sm::app

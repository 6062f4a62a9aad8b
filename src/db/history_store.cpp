#include "db/history_store.h"

namespace sm::db {

const char* state_name(MigrationState s) {
  switch (s) {
    case MigrationState::Applied: return "applied";
    case MigrationState::Pending: return "pending";
    case MigrationState::RolledBack: return "rolled back";
    case MigrationState::Failed: return "failed";
    case MigrationState::Edited: return "edited after apply";
    case MigrationState::MissingLocally: return "missing locally";
    case MigrationState::NoScript: return "no migration file";
    case MigrationState::Inconsistent: return "applied before its dependency";
  }
  return "?";
}

}  // namespace sm::db

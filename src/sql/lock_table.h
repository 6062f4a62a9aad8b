// What each ALTER TABLE subcommand locks, and whether it rewrites or scans the table, on
// PostgreSQL 15. Source: the ALTER TABLE page of PostgreSQL's documentation, checked against
// measurements (../shared/reference/postgres-locks.md). Refinements that depend on the
// subcommand's arguments (a volatile default, NOT VALID, USING INDEX…) are made by the caller.
#pragma once

#include <string_view>
#include <vector>

#include "model/statement.h"

namespace sm::sql {

struct SubcommandLock {
  std::string_view subtype;  // libpg_query's AlterTableType name, e.g. "AT_AddColumn"
  model::ActionKind kind;
  model::LockMode lock;
  bool rewrites;
  bool scans;
};

// The row for `subtype`; unknown subcommands get ACCESS EXCLUSIVE (PostgreSQL's default for
// ALTER TABLE) and kind OtherAlter.
const SubcommandLock& alter_table_lock(std::string_view subtype);

// Every row of the table (for documentation and tests).
const std::vector<SubcommandLock>& alter_table_lock_table();

}  // namespace sm::sql

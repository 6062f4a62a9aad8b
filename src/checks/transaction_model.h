// How a migration's statements meet PostgreSQL's transactions under one execution scenario:
// which statements share a transaction, and which run inside a transaction block (where
// CONCURRENTLY and VACUUM are refused).
#pragma once

#include <vector>

#include "model/migration.h"

namespace sm::checks {

struct StatementRun {
  const model::Statement* statement = nullptr;
  bool in_transaction_block = false;  // PostgreSQL refuses CONCURRENTLY here
  int transaction = 0;                // statements with the same number commit or fail together
};

std::vector<StatementRun> plan_runs(const model::Migration& m, model::ExecutionMode mode);

// Statements that change something (DDL or DML), as opposed to SET, BEGIN or SELECT.
bool changes_something(const model::Statement& st);

}  // namespace sm::checks

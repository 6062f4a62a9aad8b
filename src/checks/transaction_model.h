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

// SET lock_timeout to something other than 0 / DEFAULT.
bool sets_lock_timeout(const model::Statement& st);

// Whether, under every scenario of `m`, `st` runs in a transaction that an earlier statement of
// it already holds a lock as strong as `a`'s on `a`'s relation in: `a` then waits for nobody and
// blocks nobody new (the lock is no stronger, and lasts no longer). Lock modes compare by
// strength, which is right for what ordinary reads and writes wait for.
bool lock_already_held(const model::Migration& m, const model::Statement& st, const model::Action& a);

// The table `drop`'s index belongs to, as SchemaTracker added it (an IndexTable action of the same
// statement); null when the index was made outside these migrations.
const model::Action* index_table_of(const model::Statement& st, const model::Action& drop);

}  // namespace sm::checks

// Turns one statement's parse tree into typed facts (model::Statement): its class, the
// relations it touches with the lock taken on each, rewrites, scans, CONCURRENTLY, NOT VALID…
// Facts that depend on earlier statements (objects created in the same migration, column
// types from earlier migrations) are added later by SchemaTracker.
#pragma once

#include <string_view>

#include "model/statement.h"
#include "sql/parse_tree.h"

namespace sm::sql {

// `stmt` is the value of a "stmt" field: {"AlterTableStmt": {...}}. Parse-tree locations are
// relative to the parsed string, which starts at byte `base` of `file_text`.
void extract_facts(Node stmt, std::string_view file_text, uint32_t base, model::Statement& out);

}  // namespace sm::sql

// Follows the schema through a set of migrations, in order, to add the facts that one
// statement alone cannot give:
// - whether a relation was created earlier in the same migration (so an index on a table made
//   three lines above is not an index on an existing table);
// - a column's type from earlier migrations, so ALTER COLUMN TYPE can tell a binary-coercible
//   change (no rewrite) from a rewrite;
// - whether a validated CHECK (col IS NOT NULL) exists, which lets SET NOT NULL skip its scan;
// - which extensions exist, so that a function one provides needs no newer PostgreSQL;
// - which views read which columns, so that ALTER COLUMN TYPE knows PostgreSQL will refuse it;
// - which validated CHECK constraints a table has, so that ATTACH PARTITION knows whether one
//   names its bound (PostgreSQL then skips the partition's scan).
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/statement.h"

namespace sm::sql {

class SchemaTracker {
 public:
  // Call before the statements of each migration.
  void begin_migration();
  // Annotates `st`'s actions, then records what `st` changes.
  void apply(model::Statement& st);

 private:
  using Columns = std::unordered_map<std::string, std::string>;
  std::unordered_set<std::string> created_here_;                      // relation keys made in this migration
  std::unordered_map<std::string, Columns> tables_;                   // key -> column -> type
  std::unordered_map<std::string, std::string> index_table_;          // index key -> table key
  std::unordered_map<std::string, std::string> index_columns_;        // index key -> "a,b" (no expressions)
  std::unordered_map<std::string, model::RelationName> table_names_;  // table key -> name as written
  // Constraint name -> "table key/column" of CHECK (col IS NOT NULL), not yet validated.
  std::unordered_map<std::string, std::string> pending_not_null_checks_;
  std::unordered_set<std::string> valid_not_null_checks_;  // "table key/column"
  std::unordered_set<std::string> extensions_;             // made by CREATE EXTENSION so far
  // Views and materialized views made so far: what ALTER COLUMN TYPE would break.
  struct View {
    std::string display;
    std::unordered_set<std::string> tables;   // table keys its query reads
    std::unordered_set<std::string> columns;  // column names it uses; "*" for every column
  };
  std::unordered_map<std::string, View> views_;  // view key -> what it reads
  // CHECK constraints: "table key/constraint" -> whether validated, and the ADD CHECK action.
  std::unordered_map<std::string, std::pair<bool, model::Action>> checks_;
  std::unordered_set<std::string> not_null_;  // "table key/column" declared NOT NULL
  uint64_t unnamed_checks_ = 0;
};

// Whether changing a column from `from` to `to` (PostgreSQL type names with modifiers, as
// facts.cpp writes them) is binary-coercible, so that PostgreSQL skips the table rewrite.
bool type_change_skips_rewrite(const std::string& from, const std::string& to);

}  // namespace sm::sql

// Follows the schema through a set of migrations, in order, to add the facts that one
// statement alone cannot give:
// - whether a relation was created earlier in the same migration (so an index on a table made
//   three lines above is not an index on an existing table);
// - a column's type from earlier migrations, so ALTER COLUMN TYPE can tell a binary-coercible
//   change (no rewrite) from a rewrite;
// - whether a validated CHECK (col IS NOT NULL) exists, which lets SET NOT NULL skip its scan;
// - which extensions exist, so that a function one provides needs no newer PostgreSQL.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

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
  // What this migration did so far, to tell which statements cannot fail on the rows already
  // there (non-atomic-migration) and which renames no running code can notice (renaming-column).
  struct NewColumn {
    bool only_nulls = false;   // added NULL without a default, no row written since
    bool distinct = false;     // serial or identity: distinct values, never NULL
    bool not_null = false;     // NOT NULL (added so, or SET NOT NULL since)
    bool constrained = false;  // an inline or later UNIQUE, CHECK, FOREIGN KEY or index on it
  };
  std::unordered_map<std::string, NewColumn> new_columns_;            // "table key/column"
  std::unordered_map<std::string, std::string> dropped_columns_;      // "table key/column" -> type
  std::unordered_set<std::string> renamed_tables_;                    // new keys of RENAME TO here
  std::unordered_map<std::string, std::string> dropped_constraints_;  // "table key/name" -> FK or ""
  // Across migrations: foreign keys ("table key/name" -> "columns->parent key"), tables with a
  // CHECK added NOT VALID and not validated (an UPDATE rechecks it on every row it writes), and
  // tables with a trigger (which may reject a write).
  std::unordered_map<std::string, std::string> foreign_keys_;
  std::unordered_map<std::string, std::string> unvalidated_checks_;  // constraint name -> table key
  std::unordered_set<std::string> tables_with_triggers_;
  void annotate(model::Action& a, const std::string& key);
  void record(const model::Action& a, const std::string& key);
};

// Whether every value of type `from` converts to `to` without an error (int4 to int8, any type
// to text, varchar(n) to varchar(m >= n)…): ALTER COLUMN TYPE without USING then cannot fail on
// the rows already there, although it may rewrite them.
bool type_cast_cannot_fail(const std::string& from, const std::string& to);

// Whether changing a column from `from` to `to` (PostgreSQL type names with modifiers, as
// facts.cpp writes them) is binary-coercible, so that PostgreSQL skips the table rewrite.
bool type_change_skips_rewrite(const std::string& from, const std::string& to);

}  // namespace sm::sql

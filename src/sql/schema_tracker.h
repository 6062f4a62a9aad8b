// Follows the schema through a set of migrations, in order, to add the facts that one
// statement alone cannot give:
// - whether a relation was created earlier in the same migration (so an index on a table made
//   three lines above is not an index on an existing table);
// - a column's type from earlier migrations, so ALTER COLUMN TYPE can tell a binary-coercible
//   change (no rewrite) from a rewrite;
// - whether a validated CHECK (col IS NOT NULL) exists, which lets SET NOT NULL skip its scan;
// - which extensions exist, so that a function one provides needs no newer PostgreSQL;
// - the search_path a migration sets (SET, SET LOCAL, RESET, set_config), so that an unqualified
//   name is the table PostgreSQL will really use;
// - where each relation comes from: the migration that created it, the names it had before
//   (RENAME TO, SET SCHEMA), and whether CREATE TABLE IF NOT EXISTS found it there already.
// - which views and rules read which columns, so that ALTER COLUMN TYPE knows PostgreSQL will
//   refuse it;
// - which validated CHECK constraints a table has (added, or declared in its CREATE TABLE), so
//   that ATTACH PARTITION knows whether one names its bound (PostgreSQL then skips the
//   partition's scan).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/statement.h"

namespace sm::sql {

class SchemaTracker {
 public:
  // Whether a relation exists in the database before the migration runs (asked only about CREATE
  // TABLE IF NOT EXISTS of a table the migrations do not know): its name, and for an unqualified
  // name the schemas of the search_path the migration set (empty: the session's own).
  using InDatabase =
      std::function<bool(const model::RelationName& name, const std::vector<std::string>& search_path)>;
  // Call before the statements of each migration, with its id and, when a database is known to
  // be at the state before this migration, how to ask it.
  void begin_migration(std::string id = {}, InDatabase in_database = {});
  // Annotates `st`'s actions, then records what `st` changes.
  void apply(model::Statement& st);

 private:
  using Columns = std::unordered_map<std::string, std::string>;
  std::unordered_set<std::string> created_here_;     // relation keys made in this migration
  std::unordered_map<std::string, Columns> tables_;  // key -> column -> type
  // Tables whose every column is known (made by CREATE TABLE here): their columns in order, which
  // an INSERT without a column list writes.
  std::unordered_map<std::string, std::vector<std::string>> column_order_;
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

  struct Origin {
    std::string created_by;                             // migration id; empty: existed before
    std::vector<model::Action::PastName> renamed_from;  // most recent first
  };
  // Relations the migrations created, renamed or found existing, by key.
  std::unordered_map<std::string, Origin> origins_;
  std::string migration_;
  InDatabase in_database_;
  // The search_path the migration set: nullopt is the session's default. A SET LOCAL lasts to the
  // end of the transaction; a ROLLBACK also undoes a SET made in it.
  std::optional<std::vector<std::string>> session_path_, local_path_, path_at_begin_;
  bool path_unknown_ = false;  // set_config with a value that is not a constant

  void follow_search_path(const model::Statement& st);
  // Qualifies an unqualified name by the search_path the migration set, or fills `path` with the
  // schemas to look it up in when that takes the database.
  void resolve(model::RelationName& name, std::vector<std::string>& path) const;
  void move_relation(const model::Action& a, const model::RelationName& to);
  // Views and materialized views made so far: what ALTER COLUMN TYPE would break.
  struct View {
    std::string display;
    std::unordered_set<std::string> tables;   // table keys its query reads
    std::unordered_set<std::string> columns;  // column names it uses; "*" for every column
    std::string rule_on;                      // a rule (CREATE RULE): its table's key; else empty
  };
  // Rules are kept with the views, keyed "rule NAME on TABLE-KEY" as they are created.
  void drop_rules(const std::string& table_key, const std::string& name);
  std::unordered_map<std::string, View> views_;  // view key -> what it reads
  // CHECK constraints: "table key/constraint" -> whether validated, and the ADD CHECK action.
  std::unordered_map<std::string, std::pair<bool, model::Action>> checks_;
  std::unordered_set<std::string> not_null_;  // "table key/column" declared NOT NULL
  uint64_t unnamed_checks_ = 0;
};

// Whether every value of type `from` converts to `to` without an error (int4 to int8, any type
// to text, varchar(n) to varchar(m >= n)…): ALTER COLUMN TYPE without USING then cannot fail on
// the rows already there, although it may rewrite them.
bool type_cast_cannot_fail(const std::string& from, const std::string& to);

// Whether changing a column from `from` to `to` (PostgreSQL type names with modifiers, as
// facts.cpp writes them) is binary-coercible, so that PostgreSQL skips the table rewrite.
bool type_change_skips_rewrite(const std::string& from, const std::string& to);

}  // namespace sm::sql

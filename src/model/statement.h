// Facts about one SQL statement, as src/sql extracts them from PostgreSQL's parse tree.
// Rules read these facts; they never see SQL text or parse trees.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sm::model {

// PostgreSQL's table-level lock modes, weakest first (ordering is used for comparisons).
enum class LockMode : uint8_t {
  None,
  AccessShare,
  RowShare,
  RowExclusive,
  ShareUpdateExclusive,
  Share,
  ShareRowExclusive,
  Exclusive,
  AccessExclusive,
};
const char* lock_mode_name(LockMode mode);  // "ACCESS EXCLUSIVE", ...
inline bool blocks_writes(LockMode m) {
  return m >= LockMode::Share;
}
inline bool blocks_reads(LockMode m) {
  return m == LockMode::AccessExclusive;
}

// A position in a source file. Lines and columns are 1-based; columns count bytes; 0 is unknown.
struct SourceLocation {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  uint32_t offset = 0;  // byte offset in the file
  // Bytes before the column on its line, for padding a marker under it: 0 when the column is
  // unknown (an unsigned column - 1 would pad with 4 GiB of spaces), at most `line_length`.
  size_t bytes_before_column(size_t line_length) const {
    return column == 0 ? 0 : std::min<size_t>(column - 1, line_length);
  }
};

// A relation as written in the SQL: schema may be empty; quoted says whether the name was
// written in double quotes (and so is case-sensitive).
struct RelationName {
  std::string schema;
  std::string name;
  bool quoted = false;
  // Name as a user reads it: "public"."User" or users.
  std::string display() const;

  // Identity used to match objects across statements: schema defaults to public.
  std::string key() const;
};

// What one statement (or one ALTER TABLE subcommand) does to one relation.
enum class ActionKind : uint8_t {
  CreateTable,
  DropTable,
  TruncateTable,
  RenameTable,
  SetSchema,
  AddColumn,
  DropColumn,
  RenameColumn,
  AlterColumnType,
  SetNotNull,
  DropNotNull,
  SetDefault,
  DropDefault,
  AddCheck,
  AddForeignKey,  // on the child table; the parent gets a ReferencedByForeignKey action
  ReferencedByForeignKey,
  AddUnique,
  AddPrimaryKey,
  AddExclusion,
  ValidateConstraint,
  DropConstraint,
  RenameConstraint,
  CreateIndex,
  DropIndex,
  Reindex,
  CreateTrigger,
  DropTrigger,
  EnableDisableTrigger,
  AttachPartition,
  DetachPartition,
  SetLoggedUnlogged,
  SetTablespaceOrAccessMethod,
  SetStorageOptions,  // SET (fillfactor…), SET STATISTICS, CLUSTER ON …
  RowLevelSecurity,
  VacuumFull,
  Cluster,
  CreateView,
  DropView,
  AlterEnumAddValue,
  WriteRows,  // INSERT / UPDATE / DELETE / MERGE / COPY FROM (detail: the command)
  LockTable,  // LOCK TABLE … IN mode MODE
  // INSERT … SELECT reading every row of this table (object: the table written to).
  ReadAllRows,
  // The table of an index that DROP INDEX or REINDEX INDEX names: PostgreSQL locks it too.
  // Added by SchemaTracker when it knows which table the index belongs to.
  IndexTable,
  OtherAlter,
  // DROP SCHEMA (relation.name: the schema; cascade: … CASCADE). No table lock of its own.
  DropSchema,
  // CREATE [OR REPLACE] RULE / DROP RULE on a table (object: the rule's name). A rule's query, as
  // a view's, reads columns whose type PostgreSQL then refuses to change (`reads`, `read_columns`).
  CreateRule,
  DropRule,
};
const char* action_kind_name(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::OtherAlter;
  RelationName relation;  // the table the action locks (for DropIndex: the index)
  std::string column;     // column involved, when there is one
  std::string object;     // constraint, index or new name, when there is one
  LockMode lock = LockMode::None;
  bool rewrites = false;  // table rewritten (new relfilenode): blocks reads and writes for its length
  bool rewrite_depends_on_old_type = false;  // ALTER COLUMN TYPE whose old type was unknown
  bool scans = false;                        // full scan while holding a lock that blocks writes
  bool concurrently = false;
  bool not_valid = false;
  bool has_default = false;       // ADD COLUMN … DEFAULT
  bool volatile_default = false;  // default evaluated per row (forces a rewrite)
  bool not_null = false;          // ADD COLUMN … NOT NULL / PRIMARY KEY
  bool using_index = false;       // ADD UNIQUE/PRIMARY KEY … USING INDEX
  bool if_exists = false;
  bool on_new_relation = false;    // the relation was created earlier in the same migration
  bool check_is_not_null = false;  // ADD CHECK (col IS NOT NULL): lets a later SET NOT NULL skip its scan
  // Every read and write of the relation waits as under ACCESS EXCLUSIVE, although its own lock
  // is weaker (measured on PG 15): REINDEX holds ACCESS EXCLUSIVE on the table's indexes, which
  // every query's planner opens; NO INHERIT holds it on a child that every query on the parent scans.
  bool indirect_access_exclusive = false;
  std::string new_type;  // ALTER COLUMN TYPE / ADD COLUMN: type as PostgreSQL names it
  std::string old_type;  // ALTER COLUMN TYPE: known from earlier migrations, or empty
  std::vector<std::pair<std::string, std::string>> columns;  // CREATE TABLE: (column, type)
  std::vector<std::string> primary_key;                      // CREATE TABLE: primary key columns
  std::vector<std::string> identity_columns;                 // CREATE TABLE: GENERATED … AS IDENTITY
  // CREATE TABLE: its CHECK constraints (column and table constraints), each as the ADD CHECK
  // action it equals; valid from the start (PostgreSQL ignores NOT VALID on a new table).
  std::vector<Action> checks;
  bool cascade = false;  // TRUNCATE … CASCADE
  // UPDATE / DELETE with no WHERE: every row is written and row-locked; ReadAllRows: every row read
  bool whole_table = false;
  // UPDATE whose WHERE tests only the columns it sets (`SET c = … WHERE c IS NULL`): nothing but
  // the data bounds how many rows one statement, one transaction, writes.
  bool unbounded_batch = false;
  // Constants of a partition bound (ATTACH PARTITION) or of a CHECK expression (ADD CHECK), as
  // written: whether a validated CHECK names every value of a bound.
  std::vector<std::string> constants;
  bool default_partition = false;  // ATTACH PARTITION … DEFAULT
  // CREATE TABLE: the columns declared NOT NULL or PRIMARY KEY; ADD CHECK: the columns it tests
  // with IS NOT NULL. A CHECK implies a partition bound only for columns that cannot be NULL
  // (the bound's constraint has `key IS NOT NULL`; measured on PG 15).
  std::vector<std::string> not_null_columns;
  // CREATE VIEW / MATERIALIZED VIEW: the tables its query reads and the column names it uses
  // ("schema.table.*" for a star over a table); PostgreSQL records a dependency on each column
  // the view reads. ADD CHECK:
  // read_columns holds the columns its expression names.
  std::vector<RelationName> reads;
  std::vector<std::string> read_columns;
  // CREATE RULE: its actions' INSERTs without a column list (the table, how many values): they
  // write the table's first columns, which SchemaTracker names when it knows the table's columns.
  std::vector<std::pair<RelationName, uint32_t>> positional_inserts;
  // ALTER COLUMN TYPE: views made by earlier statements that read the column (SchemaTracker);
  // PostgreSQL refuses the change while they exist.
  std::vector<std::string> dependent_views;
  std::string detail;  // short human detail, e.g. "volatile default gen_random_uuid()"
  SourceLocation loc;  // where the subcommand starts
  // UNIQUE … NULLS NOT DISTINCT (PostgreSQL 15): NULLs collide like values.
  bool nulls_not_distinct = false;
  // ADD FOREIGN KEY: the parent table (a key) and MATCH FULL; the child columns are in `column`.
  std::string references;
  bool match_full = false;
  // UPDATE with no FROM and a WHERE of plain comparisons: each SET target and what it is set to,
  // "const" (a constant that is not NULL, coerced when planned), "null" (a constant that may be
  // NULL), "col:NAME" (another column of the row). Empty when some value is an expression that
  // may fail row by row (a cast of a column, a function call, a subquery).
  std::vector<std::pair<std::string, std::string>> assignments;
  // Set by SchemaTracker: why this action cannot fail on the rows already in the table (the
  // columns it constrains hold only NULLs, a cast that always succeeds…); empty when it may.
  std::string cannot_fail;
  // RENAME COLUMN (SchemaTracker): the column was added earlier in the same migration, so no
  // running code knows its name; old_type/new_type then hold the type of the column of the new
  // name that the migration dropped (empty if none) and the renamed column's type.
  bool on_new_column = false;
  // RENAME COLUMN (SchemaTracker): the table itself was renamed earlier in the same migration.
  bool on_renamed_relation = false;
  // What SchemaTracker learnt of the relation from the migrations before this action:
  // An unqualified name under a search_path that a SET of the migration made of several schemas:
  // the schemas to look it up in, in order ("$user" included); the database resolves it.
  std::vector<std::string> search_path;
  // The migration whose CREATE made the relation; empty when it existed before the migrations.
  std::string created_by;
  // The names the relation had before (ALTER TABLE … RENAME TO, SET SCHEMA), most recent first,
  // each with the migration that renamed it: a database where that migration has not run knows
  // the relation by the older name.
  struct PastName {
    std::string migration;
    RelationName name;
    std::vector<std::string> search_path;  // as above, for that name
  };
  std::vector<PastName> renamed_from;
  // CREATE TABLE IF NOT EXISTS of a table that exists already (made by an earlier migration, or in
  // the database): it creates nothing.
  bool exists_already = false;
};

// The name `a`'s relation has in a database where the migrations `ran` says true of have run and
// the others have not; `search_path` receives the schemas an unqualified name is looked up in
// (empty: the session's own).
template <typename Ran>
RelationName name_in_database(const Action& a, Ran&& ran, std::vector<std::string>* search_path = nullptr) {
  RelationName n = a.relation;
  std::vector<std::string> path = a.search_path;
  for (const Action::PastName& p : a.renamed_from) {
    if (ran(p.migration)) break;
    n = p.name;
    path = p.search_path;
  }
  if (search_path) *search_path = std::move(path);
  return n;
}

enum class StatementClass : uint8_t {
  Ddl,
  Dml,          // UPDATE, INSERT, DELETE, MERGE, COPY, DO blocks, SELECT with side effects
  Transaction,  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT…
  Session,      // SET, RESET
  Query,        // plain SELECT, LOCK TABLE: changes nothing
  Invalid,      // does not parse
};

enum class TxControl : uint8_t { None, Begin, Commit, Rollback, Other };

// A comment `-- safemigrate-ignore: RULE reason` right before the statement.
struct Suppression {
  std::string rule;
  std::string reason;
};

struct Statement {
  std::string text;    // the statement as written, without surrounding comments
  SourceLocation loc;  // its first token (of a statement that does not parse: the error's spot)
  uint32_t start = 0;  // byte offset of its first token; text is [start, start + length) of the file
  uint32_t length = 0;
  std::string node;  // PostgreSQL's node name, e.g. "AlterTableStmt"
  StatementClass cls = StatementClass::Ddl;
  TxControl tx = TxControl::None;
  bool concurrently = false;               // CREATE/DROP INDEX, REINDEX, DETACH … CONCURRENTLY
  bool cannot_run_in_transaction = false;  // PostgreSQL refuses it inside a transaction block
  std::string set_name;                    // SET name = value
  std::string set_value;
  bool set_local = false;
  // SET/RESET search_path, set_config('search_path', …): the schemas it names, in order (empty:
  // back to the session's default: RESET, DEFAULT, RESET ALL). search_path_unknown: a set_config
  // whose value or is_local is not a constant.
  bool sets_search_path = false;
  bool search_path_unknown = false;
  std::vector<std::string> search_path;
  std::vector<Action> actions;
  std::vector<std::string> string_literals;  // string constants used (for enum-value use)
  std::string enum_type;                     // ALTER TYPE … ADD VALUE
  std::string enum_value;
  // ALTER TYPE from RENAME TO to: columns of type `from` now have type `to` (SchemaTracker).
  std::string renamed_type_from, renamed_type_to;
  std::string syntax_error;  // PostgreSQL's message when the statement does not parse
  // Why a statement that may well parse was not analysed (cls Invalid, syntax_error empty): its
  // parse tree nests deeper than safemigrate reads. Never skipped in silence: a finding.
  std::string not_analysed;
  // COPY … FROM STDIN: the rows that follow it in the file (up to a line `\.`) are data that psql
  // would send, not SQL; they are covered by the statement and never parsed.
  bool copy_from_stdin = false;
  uint32_t copy_data_lines = 0;
  uint32_t copy_data_begin = 0, copy_data_end = 0;  // byte range of the rows and their `\.` line
  // The oldest PostgreSQL major version that runs the statement (0: any we support), and the
  // feature that needs it, e.g. "DETACH PARTITION … CONCURRENTLY".
  uint32_t min_postgres = 0;
  std::string min_postgres_feature;
  // An extension that gives that feature on older versions too (pgcrypto for gen_random_uuid());
  // SchemaTracker drops the need when an earlier statement created it.
  std::string min_postgres_unless_extension;
  std::string created_extension;  // CREATE EXTENSION name
  // Each change this statement makes to a setting that decides how PostgreSQL lexes SQL text
  // (standard_conforming_strings, backslash_quote, client_encoding), as written: "SET
  // standard_conforming_strings = off", "set_config('client_encoding', …)". safemigrate splits
  // and reads every file with standard strings and UTF-8; after such a change the server may cut
  // the next query into other statements than the ones that were checked.
  std::vector<std::string> lexing_changes;
  std::vector<Suppression> suppressions;
};

}  // namespace sm::model

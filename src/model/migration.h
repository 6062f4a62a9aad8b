// The framework-neutral model: what every adapter produces and every rule reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/finding.h"
#include "model/statement.h"

namespace sm::model {

enum class Framework : uint8_t { Prisma, Django };
const char* framework_name(Framework f);

// How the framework sends a migration's statements to PostgreSQL.
enum class ExecutionMode : uint8_t {
  // The whole file is one multi-statement simple-protocol query (Prisma <= 7.3): PostgreSQL
  // runs it as one implicit transaction, and refuses CONCURRENTLY when the query holds more
  // than one statement. A single statement is not inside a transaction block.
  OneBatch,
  // The statements are sent one by one inside BEGIN … COMMIT (Django's atomic migrations).
  OneTransaction,
  // Each statement is sent on its own in autocommit (Prisma >= 7.4, Django atomic=False):
  // not atomic; explicit BEGIN … COMMIT in the file still groups statements.
  PerStatement,
};

// One way the migration may run, with the reason a user can read, e.g.
// "Prisma 6.19.3 (<= 7.3): the file is sent as one query, one implicit transaction".
struct ExecutionScenario {
  ExecutionMode mode = ExecutionMode::OneTransaction;
  std::string label;   // short: "Prisma <= 7.3"
  std::string reason;  // one sentence
};

struct SourceFile {
  std::string path;
  std::string sha256;  // hex of the raw bytes
  uint64_t size = 0;
};

// A framework operation (Django's AddField, RunPython…; for Prisma the whole migration.sql).
// Python code a data migration runs (Django's RunPython), with its source text.
struct PythonCode {
  std::string module;
  std::string qualname;
  std::string file;
  uint32_t line = 0;  // first line of `source` in `file`
  std::string source;
  // The top-level imports of `file`: code may use a name one of them binds.
  struct Import {
    uint32_t line = 0;
    std::string text;
    std::vector<std::string> names;
  };
  std::vector<Import> module_imports;
  // SQL the code sends itself (cursor.execute(…), schema_editor.execute(…)) whose text is built
  // at run time, so that no rule could read it: where, the call, and why.
  struct UnreadSql {
    uint32_t line = 0;
    std::string call, why;
  };
  std::vector<UnreadSql> unread_sql;
};

// A framework operation (Django's AddField, RunPython…; for Prisma the whole migration.sql).
struct Operation {
  std::string kind;                           // "migration.sql", "AddField", "RunPython", …
  std::string description;                    // human summary
  SourceLocation loc;                         // Django: the operation's line in the migration file
  size_t index = 0;                           // 1-based position in its migration
  std::vector<Statement> statements;          // forward SQL (RunPython: the SQL its code sends itself)
  std::vector<Statement> reverse_statements;  // RunPython: the SQL its reverse code sends itself
  // Django facts; defaults fit Prisma.
  bool reversible = true;                  // a way back exists (reverse_code, reverse_sql…)
  bool non_transactional = false;          // must run outside a transaction (AddIndexConcurrently)
  bool sql_depends_on_database = false;    // its SQL looked up names in the live database
  bool runs_python = false;                // RunPython: changes data the SQL does not show
  bool data_sql = false;                   // RunSQL (its statements say whether it writes rows)
  std::string sql_error;                   // the exporter could not produce its SQL
  std::optional<PythonCode> code;          // RunPython forward code
  std::optional<PythonCode> reverse_code;  // RunPython reverse code (none: irreversible)
  bool reverse_is_noop = false;            // RunPython.noop / RunSQL.noop
  std::vector<std::string> models;         // model names the operation is about, when known
  // `# safemigrate-ignore: RULE reason` on the operation (Django): silences RULE's findings about
  // the operation itself and its Python code; its SQL statements carry them too.
  std::vector<Suppression> suppressions;
};

struct Migration {
  std::string id;   // Prisma: folder name; Django: app.name
  std::string app;  // Django app label (empty for Prisma)
  Framework framework = Framework::Prisma;
  size_t order = 0;
  std::string directory;
  std::vector<SourceFile> files;  // files[0] is the main file (migration.sql)
  std::string checksum;           // what the framework's history table stores
  // Every scenario the migration may run under: one when the framework version is known,
  // several when it is not (rules report what happens under each).
  std::vector<ExecutionScenario> scenarios;
  bool has_down = false;             // a down.sql (or reverse) exists
  bool marked_irreversible = false;  // `-- safemigrate: irreversible`
  std::vector<Operation> operations;
  std::vector<Finding> input_findings;  // problems found while reading (syntax errors, bad files)
  // Django: graph facts from the exported plan.
  std::vector<std::string> dependencies;  // ids this migration depends on
  std::vector<std::string> replaces;      // ids a squash replaces
  bool atomic = true;
  // lock_timeout every session starts with, before the migration's own statements (Django:
  // DATABASES OPTIONS or the role's settings, as exported); empty when none.
  std::string session_lock_timeout;
  // What the migration's whole project (its set) does, for rules that say a project-wide
  // condition once and report a file only where it breaks the project's own habit.
  struct ProjectHabits {
    bool writes_down = false;  // at least half of the migrations have a down.sql or the irreversible marker
    bool sets_lock_timeout = false;  // at least half of the migrations that change something set lock_timeout
  } project;
  // Checked as a change under review (--since: added since the ref), not as history read once:
  // rules that say a history's condition once (prefer-bigint-for-keys) report such a file itself.
  bool under_review = false;
  std::optional<bool> applied;  // known when the plan was exported with a database
  // The PostgreSQL major version the migration will run on (--postgres-version, postgres_version
  // in safemigrate.toml); 0 when unknown: rules then assume a current version.
  uint32_t target_postgres = 0;

  // All statements of all operations, in order.
  std::vector<const Statement*> statements() const;
  const SourceFile* main_file() const { return files.empty() ? nullptr : &files.front(); }
};

struct MigrationSet {
  std::string source;  // the folder or plan file as the user gave it
  Framework framework = Framework::Prisma;
  std::vector<Migration> migrations;
  std::vector<Finding> input_findings;  // problems not tied to one migration
  // Django: leaf migrations per app (more than one is a conflict) and the pending order.
  std::vector<std::pair<std::string, std::vector<std::string>>> leaves;
  std::vector<std::string> pending;
  // Django: the database the plan was exported against ("system identifier/database name",
  // empty offline), and the primary key type of Django's django_migrations (bigserial/serial).
  std::string exported_database;
  std::string history_id_type;
  // Django: how the project's own `migrate` runs, as the exporter ran (empty when not recorded).
  struct DjangoProject {
    std::string settings;        // settings module
    std::string database_alias;  // DATABASES key
    std::string python;          // sys.executable
    std::string pythonpath;      // PYTHONPATH it ran with
    std::string project_dir;     // put first on sys.path; the working folder of `migrate`
    // db_table of the models Django never migrates (Meta.managed = False), which drift leaves out.
    std::vector<std::string> unmanaged_tables;
  } django;
};

}  // namespace sm::model

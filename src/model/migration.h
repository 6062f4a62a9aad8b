// The framework-neutral model: what every adapter produces and every rule reads.
#pragma once

#include <optional>
#include <string>
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
struct Operation {
  std::string kind;         // "migration.sql", "AddField", "RunPython", …
  std::string description;  // human summary
  SourceLocation loc;
  std::vector<Statement> statements;
};

struct Migration {
  std::string id;  // Prisma: folder name; Django: app.name
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

  // All statements of all operations, in order.
  std::vector<const Statement*> statements() const;
  const SourceFile* main_file() const { return files.empty() ? nullptr : &files.front(); }
};

struct MigrationSet {
  std::string source;  // the folder or plan file as the user gave it
  Framework framework = Framework::Prisma;
  std::vector<Migration> migrations;
  std::vector<Finding> input_findings;  // problems not tied to one migration
};

}  // namespace sm::model

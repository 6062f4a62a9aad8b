// One result of a rule, or of reading the input.
#pragma once

#include <memory>
#include <optional>  // for the files that use it through this header
#include <string>

#include "model/statement.h"

namespace sm::model {

enum class Severity : uint8_t { Info, Warning, Error };
const char* severity_name(Severity s);  // "info", "warning", "error"

struct Finding {
  std::string rule;  // kebab-case id, e.g. "adding-not-null-column"
  Severity severity = Severity::Error;
  std::string migration;  // migration id
  std::string operation;  // e.g. "operation 2: AddField" (empty for Prisma)
  SourceLocation loc;
  std::string statement;    // the statement's text (may be empty for migration-level findings)
  std::string source_line;  // the text of line loc.line, for showing the spot
  std::string message;      // what is wrong here, with the facts (lock, table, scenario)
  std::string help;         // the safe alternative in one or two sentences
  bool suppressed = false;
  std::string suppression_reason;
  // The action the finding is about, when it is about one: lets size-aware checking
  // (src/app/size_findings.h) find the table and whether it is rewritten or scanned. Shared and
  // read-only: an Action is 700 bytes of strings and lists, and findings are moved and copied
  // (vector growth, joining the sets' results) far more often than they are made; as a value it
  // cost a tenth of check's CPU on the corpus (perf, issue 23).
  std::shared_ptr<const Action> action;
  std::string table_size;  // "12.4M rows, 3.1 GB", "size unknown"…; empty when not about a table
  bool escalated = false;  // a warning made an error because the table is large
  // A rule sets this on a finding that only restates a condition of the whole project (Prisma >=
  // 7.4 runs every file statement by statement; no migration has a down.sql): such findings are
  // collapsed into one project-wide finding per source (checks::collapse_conditions).
  bool routine = false;
  // > 0: this finding is that project-wide condition ("scope": "project" in JSON), said once for
  // a source (loc.file is its folder) and standing for this many migrations.
  size_t migrations_concerned = 0;
  // Stable identity across runs (src/app/fingerprint.h): the rule, the migration as the framework
  // names it and the normalised statement, not the line. Empty until run_check assigns it.
  std::string fingerprint;
};

}  // namespace sm::model

// One result of a rule, or of reading the input.
#pragma once

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
};

}  // namespace sm::model

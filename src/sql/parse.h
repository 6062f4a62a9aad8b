// The only entry point that turns SQL text into statements with facts. It uses libpg_query
// (PostgreSQL's own parser) and never looks at SQL text with patterns of its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/statement.h"

namespace sm::sql {

// A comment in the file, with its text without the `--` or `/* */` markers.
struct Comment {
  uint32_t offset = 0;
  uint32_t line = 0;
  std::string text;
};

struct ParsedFile {
  std::vector<model::Statement> statements;  // in file order; ones that do not parse have cls Invalid
  std::vector<Comment> comments;
  bool marked_irreversible = false;  // a `-- safemigrate: irreversible` comment
  std::string scan_error;            // the lexer failed (e.g. an unterminated string)
};

// Parses `text` (the bytes of `file`). Locations in the result are in that file. When the
// file does not parse as a whole, it is split with PostgreSQL's scanner and each statement is
// parsed on its own, so one syntax error does not hide the rest of the file. Thread-safe.
ParsedFile parse_sql(std::string_view text, const std::string& file);

// Line and column (1-based, columns in bytes) of byte `offset` in `text`.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  model::SourceLocation locate(uint32_t offset, const std::string& file) const;

 private:
  std::vector<uint32_t> line_starts_;
};

}  // namespace sm::sql

namespace sm::sql {

// The statement as PostgreSQL's scanner reads it, for telling statements apart regardless of
// layout: its tokens joined by one space, comments dropped, keywords and unquoted identifiers in
// lower case (PostgreSQL folds them), a trailing `;` dropped. Constants stay as written, so
// `DEFAULT 1` and `DEFAULT 2` differ. Text the scanner rejects (an unterminated string) is
// returned with its runs of white space made one space.
std::string normalized_statement(std::string_view text);

// The rules a comment `safemigrate-ignore: RULE[, RULE…] reason` (its text, without `--` or `#`)
// silences, each with the reason; empty for any other comment. Statements get them from the
// comment before them; Django operations from the `# safemigrate-ignore:` comment on their line.
std::vector<model::Suppression> ignore_directive(std::string_view comment);

}  // namespace sm::sql

// Token-level views of SQL text for `safemigrate fix`: the text is cut and spliced only at the
// token boundaries PostgreSQL's own scanner (pg_query_scan) reports, never with patterns of our
// own, so that comments and formatting around an edit survive byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sm::sql {

struct SqlToken {
  uint32_t begin = 0, end = 0;  // byte range in the scanned text
  bool comment = false;         // `--` or `/* */`
  bool semicolon = false;
  bool open_paren = false, close_paren = false, comma = false;
  std::string keyword;  // upper-case keyword when the scanner says it is one ("INDEX"), else empty
};

// The tokens of `text` in order, comments included. Returns false (and `error`) when the scanner
// fails, e.g. on an unterminated string.
bool scan_tokens(std::string_view text, std::vector<SqlToken>& out, std::string& error);

// `name` as a double-quoted SQL identifier ("a""b").
std::string quote_identifier(std::string_view name);

// A statement's code tokens (comments dropped), with the text they came from, for splicing.
class StatementTokens {
 public:
  // `text` is the statement alone (without its `;`).
  bool scan(std::string_view text, std::string& error);
  size_t size() const { return tokens_.size(); }
  const SqlToken& operator[](size_t i) const { return tokens_[i]; }
  bool is(size_t i, std::string_view keyword) const {
    return i < tokens_.size() && tokens_[i].keyword == keyword;
  }
  std::string_view token_text(size_t i) const;
  // The text from token `first` to token `last` inclusive, as written.
  std::string_view span(size_t first, size_t last) const;
  // Index of the first token at or after `from`, at bracket depth 0 relative to `from`, that is
  // the keyword `kw`; size() when none.
  size_t find_keyword(size_t from, std::string_view kw) const;
  // Whether a comma stands at bracket depth 0 (several ALTER TABLE subcommands, several names).
  bool top_level_comma() const;
  // Index of the token closing the bracket opened at `open`; size() when none.
  size_t matching_paren(size_t open) const;
  std::string_view text() const { return text_; }

 private:
  std::string text_;
  std::vector<SqlToken> tokens_;
};

// Text edits at byte offsets of one string, applied together (offsets in the original text).
struct TextEdit {
  uint32_t begin = 0, end = 0;  // replaced range (begin == end: insertion)
  std::string replacement;
};
std::string apply_edits(std::string_view text, std::vector<TextEdit> edits);

}  // namespace sm::sql

#include "sql/parse.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "sql/facts.h"
#include "sql/parse_tree.h"

namespace sm::sql {

LineIndex::LineIndex(std::string_view text) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(i + 1);
}

model::SourceLocation LineIndex::locate(uint32_t offset, const std::string& file) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = static_cast<size_t>(it - line_starts_.begin());  // 1-based
  model::SourceLocation loc;
  loc.file = file;
  loc.line = static_cast<uint32_t>(line);
  loc.column = offset - line_starts_[line - 1] + 1;
  loc.offset = offset;
  return loc;
}

namespace {

struct Token {
  uint32_t start, end;
};

// PostgreSQL reports error positions in characters; we need bytes.
uint32_t char_to_byte(std::string_view s, int chars) {
  uint32_t i = 0;
  for (int n = 0; n < chars && i < s.size(); ++n) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

class FileParser {
 public:
  FileParser(std::string_view text, const std::string& file) : text_(text), file_(file), lines_(text) {}

  ParsedFile run() {
    owned_ = std::string(text_);  // libpg_query wants a NUL-terminated string
    scan();
    PgQueryParseResult whole = pg_query_parse(owned_.c_str());
    if (!whole.error) {
      add_statements_from_json(whole.parse_tree, 0, static_cast<uint32_t>(text_.size()));
    } else {
      parse_piece_by_piece(whole.error);
    }
    pg_query_free_parse_result(whole);
    attach_directives();
    return std::move(out_);
  }

 private:
  void scan() {
    PgQueryScanResult r = pg_query_scan(owned_.c_str());
    if (r.error) {
      out_.scan_error = r.error->message;
      pg_query_free_scan_result(r);
      return;
    }
    PgQuery__ScanResult* sr =
        pg_query__scan_result__unpack(nullptr, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data));
    if (sr) {
      for (size_t i = 0; i < sr->n_tokens; ++i) {
        const PgQuery__ScanToken* t = sr->tokens[i];
        uint32_t s = static_cast<uint32_t>(t->start), e = static_cast<uint32_t>(t->end);
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT) {
          std::string_view raw = text_.substr(s, e - s);
          std::string_view inner = t->token == PG_QUERY__TOKEN__SQL_COMMENT ? raw.substr(2)
                                   : raw.size() >= 4                        ? raw.substr(2, raw.size() - 4)
                                                                            : raw;
          out_.comments.push_back({s, lines_.locate(s, file_).line, trim(inner)});
        } else {
          tokens_.push_back({s, e});
        }
      }
      pg_query__scan_result__free_unpacked(sr, nullptr);
    }
    pg_query_free_scan_result(r);
  }

  // First and last real (non-comment) token inside [begin, end): the statement's true extent.
  bool extent(uint32_t begin, uint32_t end, uint32_t& first, uint32_t& last) const {
    auto it = std::lower_bound(tokens_.begin(), tokens_.end(), begin,
                               [](const Token& t, uint32_t v) { return t.start < v; });
    if (it == tokens_.end() || it->start >= end) return false;
    first = it->start;
    last = it->end;
    for (; it != tokens_.end() && it->start < end; ++it) last = it->end;
    return true;
  }

  model::Statement make_statement(uint32_t begin, uint32_t end) {
    uint32_t first = begin, last = end;
    if (tokens_.empty() || !extent(begin, end, first, last)) {
      // No scanner tokens (lexer error): fall back to trimming whitespace.
      std::string_view piece = text_.substr(begin, end - begin);
      size_t b = piece.find_first_not_of(" \t\r\n");
      first = begin + static_cast<uint32_t>(b == std::string_view::npos ? 0 : b);
      last = end;
    }
    if (last > 0 && last <= text_.size() && text_[last - 1] == ';') --last;
    model::Statement st;
    st.loc = lines_.locate(first, file_);
    st.length = last > first ? last - first : 0;
    st.text = std::string(text_.substr(first, st.length));
    return st;
  }

  void add_statements_from_json(const char* json, uint32_t base, uint32_t limit) {
    // One simdjson parser per thread: its buffers are reused across files.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json, std::strlen(json)).get(doc) != simdjson::SUCCESS) return;
    for (Node s : list(doc, "stmts")) {
      int64_t loc = integer(s, "stmt_location", 0);
      int64_t len = integer(s, "stmt_len", 0);
      uint32_t begin = base + static_cast<uint32_t>(loc);
      uint32_t end = len > 0 ? begin + static_cast<uint32_t>(len) : limit;
      model::Statement st = make_statement(begin, std::min(end, limit));
      Node stmt;
      if (field(s, "stmt", stmt)) extract_facts(stmt, text_, base, st);
      for (auto& a : st.actions) a.loc = lines_.locate(a.loc.offset, file_);
      out_.statements.push_back(std::move(st));
    }
  }

  void add_invalid(uint32_t begin, uint32_t end, const PgQueryError* err) {
    model::Statement st = make_statement(begin, end);
    st.cls = model::StatementClass::Invalid;
    st.node = "";
    st.syntax_error = err->message ? err->message : "syntax error";
    if (err->cursorpos > 0) {
      std::string_view piece = text_.substr(begin, end - begin);
      st.loc = lines_.locate(begin + char_to_byte(piece, err->cursorpos - 1), file_);
    }
    out_.statements.push_back(std::move(st));
  }

  // The file has a syntax error somewhere: split it with the scanner (which needs no valid
  // grammar) and parse each statement alone, so the others are still checked.
  void parse_piece_by_piece(const PgQueryError* whole_error) {
    PgQuerySplitResult split = pg_query_split_with_scanner(owned_.c_str());
    if (split.error || split.n_stmts == 0) {
      add_invalid(0, static_cast<uint32_t>(text_.size()), whole_error);
      pg_query_free_split_result(split);
      return;
    }
    for (int i = 0; i < split.n_stmts; ++i) {
      uint32_t begin = static_cast<uint32_t>(split.stmts[i]->stmt_location);
      uint32_t len = static_cast<uint32_t>(split.stmts[i]->stmt_len);
      uint32_t end = len > 0 ? begin + len : static_cast<uint32_t>(text_.size());
      uint32_t first, last;
      if (!tokens_.empty() && !extent(begin, end, first, last)) continue;  // only comments
      std::string piece(text_.substr(begin, end - begin));
      PgQueryParseResult r = pg_query_parse(piece.c_str());
      if (r.error)
        add_invalid(begin, end, r.error);
      else
        add_statements_from_json(r.parse_tree, begin, end);
      pg_query_free_parse_result(r);
    }
    pg_query_free_split_result(split);
  }

  // `-- safemigrate-ignore: RULE[,RULE] reason` before a statement silences RULE for it;
  // `-- safemigrate: irreversible` anywhere marks the migration as having no way back.
  void attach_directives() {
    size_t c = 0;
    uint32_t prev_end = 0;
    for (auto& st : out_.statements) {
      for (; c < out_.comments.size() && out_.comments[c].offset < st.loc.offset; ++c) {
        const Comment& cm = out_.comments[c];
        if (cm.offset < prev_end) continue;
        std::string_view t = cm.text;
        static constexpr std::string_view kIgnore = "safemigrate-ignore:";
        if (t.substr(0, kIgnore.size()) != kIgnore) continue;
        // Rule ids separated by commas ("a, b" or "a,b"), then the reason.
        std::string rest = trim(t.substr(kIgnore.size()));
        std::vector<std::string> rules;
        size_t pos = 0;
        while (pos < rest.size()) {
          size_t end = rest.find_first_of(" \t,", pos);
          if (end == std::string::npos) end = rest.size();
          if (end > pos) rules.push_back(rest.substr(pos, end - pos));
          pos = rest.find_first_not_of(" \t", end);
          if (pos == std::string::npos || rest[pos] != ',') break;
          pos = rest.find_first_not_of(" \t", pos + 1);
          if (pos == std::string::npos) break;
        }
        std::string reason = pos == std::string::npos ? "" : trim(std::string_view(rest).substr(pos));
        for (auto& rule : rules) st.suppressions.push_back({rule, reason});
      }
      prev_end = st.loc.offset + st.length;
    }
    for (const auto& cm : out_.comments)
      if (cm.text == "safemigrate: irreversible" || cm.text.rfind("safemigrate: irreversible ", 0) == 0)
        out_.marked_irreversible = true;
  }

  std::string_view text_;
  const std::string& file_;
  LineIndex lines_;
  std::string owned_;
  std::vector<Token> tokens_;
  ParsedFile out_;
};

}  // namespace

ParsedFile parse_sql(std::string_view text, const std::string& file) {
  return FileParser(text, file).run();
}

}  // namespace sm::sql

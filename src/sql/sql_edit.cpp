#include "sql/sql_edit.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>

namespace sm::sql {

bool scan_tokens(std::string_view text, std::vector<SqlToken>& out, std::string& error) {
  out.clear();
  std::string buf(text);  // pg_query_scan reads a NUL-terminated string
  PgQueryScanResult r = pg_query_scan(buf.c_str());
  if (r.error) {
    error = r.error->message;
    pg_query_free_scan_result(r);
    return false;
  }
  PgQuery__ScanResult* sr =
      pg_query__scan_result__unpack(nullptr, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data));
  if (!sr) {
    pg_query_free_scan_result(r);
    error = "the scanner's result could not be read";
    return false;
  }
  for (size_t i = 0; i < sr->n_tokens; ++i) {
    const PgQuery__ScanToken* t = sr->tokens[i];
    SqlToken tok;
    tok.begin = static_cast<uint32_t>(t->start);
    tok.end = static_cast<uint32_t>(t->end);
    if (t->token == PG_QUERY__TOKEN__UIDENT || t->token == PG_QUERY__TOKEN__USCONST) {
      // U&"…" and U&'…' get the length of their decoded value: they end where the next token
      // starts, less the white space between (as in parse.cpp).
      tok.end = i + 1 < sr->n_tokens ? static_cast<uint32_t>(sr->tokens[i + 1]->start)
                                     : static_cast<uint32_t>(buf.size());
      while (tok.end > tok.begin + 1 && std::isspace(static_cast<unsigned char>(buf[tok.end - 1]))) --tok.end;
    }
    tok.comment = t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
    tok.semicolon = t->token == PG_QUERY__TOKEN__ASCII_59;
    tok.open_paren = t->token == PG_QUERY__TOKEN__ASCII_40;
    tok.close_paren = t->token == PG_QUERY__TOKEN__ASCII_41;
    tok.comma = t->token == PG_QUERY__TOKEN__ASCII_44;
    if (t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD) {
      tok.keyword = buf.substr(tok.begin, tok.end - tok.begin);
      for (char& c : tok.keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    out.push_back(std::move(tok));
  }
  pg_query__scan_result__free_unpacked(sr, nullptr);
  pg_query_free_scan_result(r);
  return true;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool StatementTokens::scan(std::string_view text, std::string& error) {
  text_ = std::string(text);
  std::vector<SqlToken> all;
  if (!scan_tokens(text_, all, error)) return false;
  tokens_.clear();
  for (SqlToken& t : all)
    if (!t.comment) tokens_.push_back(std::move(t));
  return true;
}

std::string_view StatementTokens::token_text(size_t i) const {
  if (i >= tokens_.size()) return {};
  return std::string_view(text_).substr(tokens_[i].begin, tokens_[i].end - tokens_[i].begin);
}

std::string_view StatementTokens::span(size_t first, size_t last) const {
  if (first > last || last >= tokens_.size()) return {};
  return std::string_view(text_).substr(tokens_[first].begin, tokens_[last].end - tokens_[first].begin);
}

size_t StatementTokens::find_keyword(size_t from, std::string_view kw) const {
  int depth = 0;
  for (size_t i = from; i < tokens_.size(); ++i) {
    if (tokens_[i].open_paren) ++depth;
    if (tokens_[i].close_paren) --depth;
    if (depth == 0 && tokens_[i].keyword == kw) return i;
  }
  return tokens_.size();
}

bool StatementTokens::top_level_comma() const {
  int depth = 0;
  for (const SqlToken& t : tokens_) {
    if (t.open_paren) ++depth;
    if (t.close_paren) --depth;
    if (depth == 0 && t.comma) return true;
  }
  return false;
}

size_t StatementTokens::matching_paren(size_t open) const {
  int depth = 0;
  for (size_t i = open; i < tokens_.size(); ++i) {
    if (tokens_[i].open_paren) ++depth;
    if (tokens_[i].close_paren && --depth == 0) return i;
  }
  return tokens_.size();
}

std::string apply_edits(std::string_view text, std::vector<TextEdit> edits) {
  std::stable_sort(edits.begin(), edits.end(),
                   [](const TextEdit& a, const TextEdit& b) { return a.begin < b.begin; });
  std::string out;
  uint32_t at = 0;
  for (const TextEdit& e : edits) {
    if (e.begin < at) continue;  // overlapping edits: the first wins
    out.append(text.substr(at, e.begin - at));
    out += e.replacement;
    at = e.end;
  }
  out.append(text.substr(std::min<size_t>(at, text.size())));
  return out;
}

}  // namespace sm::sql

// normalized_statement(): a statement's tokens, from libpg_query's scanner, as one canonical line.
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <string>

#include "sql/parse.h"

namespace sm::sql {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string collapse_space(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void append_lower(std::string& out, std::string_view token) {
  for (char c : token) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string normalized_statement(std::string_view text) {
  std::string region(text);
  PgQueryScanResult r = pg_query_scan(region.c_str());
  if (r.error) {
    pg_query_free_scan_result(r);
    return collapse_space(text);
  }
  std::string out;
  PgQuery__ScanResult* sr =
      pg_query__scan_result__unpack(nullptr, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data));
  if (!sr) {
    pg_query_free_scan_result(r);
    return collapse_space(text);
  }
  size_t last = sr->n_tokens;
  // A trailing `;` (or several) ends the statement without being part of it.
  while (last > 0 && sr->tokens[last - 1]->token == ';') --last;
  for (size_t i = 0; i < last; ++i) {
    const PgQuery__ScanToken* t = sr->tokens[i];
    if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT) continue;
    size_t start = static_cast<size_t>(t->start), end = static_cast<size_t>(t->end);
    // U&"…" and U&'…' carry their decoded length: they end where the next token starts.
    if (t->token == PG_QUERY__TOKEN__UIDENT || t->token == PG_QUERY__TOKEN__USCONST)
      end = i + 1 < sr->n_tokens ? static_cast<size_t>(sr->tokens[i + 1]->start) : region.size();
    if (start > region.size()) start = region.size();
    if (end > region.size() || end < start) end = region.size();
    std::string_view tok = std::string_view(region).substr(start, end - start);
    while (!tok.empty() && is_space(tok.back())) tok.remove_suffix(1);
    if (!out.empty()) out += ' ';
    bool folded = t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD || t->token == PG_QUERY__TOKEN__IDENT;
    if (folded && !tok.empty() && tok.front() != '"')
      append_lower(out, tok);
    else
      out += tok;
  }
  pg_query__scan_result__free_unpacked(sr, nullptr);
  pg_query_free_scan_result(r);
  return out;
}

}  // namespace sm::sql

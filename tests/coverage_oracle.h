// The property issue 9 asks of src/sql: every byte of a migration is accounted for. Checked from
// outside the parser: blank every statement's text and every COPY data block, then ask
// PostgreSQL's scanner what is left; only comments, `;` and white space may remain.
#pragma once

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <string>
#include <string_view>

#include "sql/parse.h"

namespace sm::test {

// Empty when `parsed` covers all of `text`; otherwise what is not covered, and where.
inline std::string uncovered(std::string_view text, const sql::ParsedFile& parsed) {
  std::string rest(text);
  auto blank = [&](size_t b, size_t e) {
    for (size_t i = b; i < e && i < rest.size(); ++i)
      if (rest[i] != '\n') rest[i] = ' ';
  };
  for (const model::Statement& st : parsed.statements) {
    if (st.start + size_t{st.length} > text.size() || text.substr(st.start, st.length) != st.text)
      return "statement at byte " + std::to_string(st.start) + " is not the file's text there";
    if (st.cls != model::StatementClass::Invalid && st.node.empty())
      return "statement at byte " + std::to_string(st.start) + " has no parse tree and is not marked invalid";
    blank(st.start, st.start + size_t{st.length});
    if (st.copy_from_stdin) blank(st.copy_data_begin, st.copy_data_end);
  }
  if (rest.find('\0') != std::string::npos) return "a NUL byte outside any statement";
  PgQueryScanResult r = pg_query_scan(rest.c_str());
  std::string problem;
  if (r.error) {
    problem = std::string("what no statement covers does not scan: ") + r.error->message + " at character " +
              std::to_string(r.error->cursorpos);
  } else if (PgQuery__ScanResult* sr = pg_query__scan_result__unpack(
                 nullptr, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data))) {
    for (size_t i = 0; i < sr->n_tokens && problem.empty(); ++i) {
      const PgQuery__ScanToken* t = sr->tokens[i];
      if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT ||
          t->token == PG_QUERY__TOKEN__ASCII_59)
        continue;
      problem = "bytes " + std::to_string(t->start) + ".." + std::to_string(t->end) + " (`" +
                rest.substr(static_cast<size_t>(t->start), static_cast<size_t>(t->end - t->start)) +
                "`) are in no statement";
    }
    pg_query__scan_result__free_unpacked(sr, nullptr);
  }
  pg_query_free_scan_result(r);
  return problem;
}

}  // namespace sm::test

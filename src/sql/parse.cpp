#include "sql/parse.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <pthread.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>

#include "sql/facts.h"
#include "sql/parse_tree.h"
#include "util/arena.h"
#include "util/big_stack.h"
#include "util/utf8.h"

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
  int32_t kind;
};

// How deep libpg_query may recurse when it writes a tree out: it has no depth check there, and a
// statement of 70,000 nested operators overflowed an 8 MiB stack (about 115 bytes a level,
// measured). kStackPerLevel allows four times that, kStackReserve what a flat statement needs
// besides. A statement is parsed on the calling thread when its nesting bound (below) fits in the
// stack that thread has left (a thread's stack is what `ulimit -s` says, 512 KiB or less on some
// machines: 4,000 operators, then parsed inline, overflowed 512 KiB); otherwise, up to kMaxNesting,
// on a thread with a stack of its own; beyond that it is not parsed at all, and says so.
constexpr size_t kStackPerLevel = 512;
constexpr size_t kStackReserve = 256u << 10;
// And never more than this inline, whatever the stack: sanitizer builds' frames are larger than
// the 115 bytes measured, and this bound held there on 8 MiB.
constexpr uint32_t kInlineNesting = 4000;
constexpr uint32_t kMaxNesting = 200000;
// The parse tree's JSON is read to this depth (simdjson's default is 1024, which a 507-term
// `1+1+…` reaches); a deeper tree is reported as not analysed. Walks over the tree are iterative.
constexpr size_t kMaxTreeDepth = 20000;

// The lowest address of the calling thread's stack, or 0 when unknown. For the main thread glibc
// derives it from getrlimit(RLIMIT_STACK) and the top of the stack's mapping; for any other
// thread, from the size it was created with (a std::thread gets RLIMIT_STACK's too, so `ulimit -s
// 512` leaves every parser thread 512 KiB). Read once per thread: glibc reads /proc/self/maps.
uintptr_t stack_low_end() {
  thread_local uintptr_t low = [] {
    uintptr_t out = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) out = reinterpret_cast<uintptr_t>(addr);
      pthread_attr_destroy(&attr);
    }
    return out;
  }();
  return low;
}

// Bytes of stack the calling thread has left below this frame; 0 when unknown (then every
// statement with a tree is parsed on a thread of its own).
size_t stack_left() {
  char here = 0;
  auto sp = reinterpret_cast<uintptr_t>(&here);
  uintptr_t low = stack_low_end();
  return low != 0 && sp > low ? sp - low : 0;
}

// Tokens that never deepen a parse tree: leaves (names, constants) and list punctuation.
bool is_flat(int32_t kind) {
  switch (kind) {
    case PG_QUERY__TOKEN__IDENT:
    case PG_QUERY__TOKEN__UIDENT:
    case PG_QUERY__TOKEN__FCONST:
    case PG_QUERY__TOKEN__SCONST:
    case PG_QUERY__TOKEN__USCONST:
    case PG_QUERY__TOKEN__BCONST:
    case PG_QUERY__TOKEN__XCONST:
    case PG_QUERY__TOKEN__ICONST:
    case PG_QUERY__TOKEN__PARAM:
    case PG_QUERY__TOKEN__NULL_P:
    case PG_QUERY__TOKEN__TRUE_P:
    case PG_QUERY__TOKEN__FALSE_P:
    case PG_QUERY__TOKEN__DEFAULT:
    case PG_QUERY__TOKEN__ASCII_44:  // ,
    case PG_QUERY__TOKEN__ASCII_46:  // .
    case PG_QUERY__TOKEN__ASCII_59:  // ;
      return true;
    default: return false;
  }
}

bool opens(int32_t kind) {
  return kind == PG_QUERY__TOKEN__ASCII_40 || kind == PG_QUERY__TOKEN__ASCII_91;
}
bool closes(int32_t kind) {
  return kind == PG_QUERY__TOKEN__ASCII_41 || kind == PG_QUERY__TOKEN__ASCII_93;
}

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

// A parse result that frees itself.
struct Parsed {
  PgQueryParseResult r{};
  Parsed() = default;
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;
  ~Parsed() { pg_query_free_parse_result(r); }
};

// One simdjson parser per thread (its buffers are reused across files), reading kMaxTreeDepth deep.
simdjson::dom::parser& json_parser() {
  thread_local simdjson::dom::parser parser;
  thread_local bool sized = false;
  if (!sized) {
    if (parser.allocate(1 << 16, kMaxTreeDepth) != simdjson::SUCCESS) throw std::bad_alloc();
    sized = true;
  }
  return parser;
}

// Parses one file. Every byte of it ends up in exactly one of: a statement that was parsed and
// analysed, a statement that was not (a syntax error, or a tree too deep: cls Invalid, always a
// finding), the data rows of a COPY … FROM STDIN, a comment, or white space. Nothing is dropped.
class FileParser {
 public:
  FileParser(std::string_view text, const std::string& file) : text_(text), file_(file), lines_(text) {}

  ParsedFile run() {
    uint32_t pos = 0, size = static_cast<uint32_t>(text_.size());
    // libpg_query reads up to a NUL byte; the server rejects one in a query. File readers refuse
    // NUL bytes earlier; SQL from elsewhere (a Django plan's JSON "\u0000") gets here.
    size_t nul = text_.find('\0');
    uint32_t sql_end = nul == std::string_view::npos ? size : static_cast<uint32_t>(nul);
    sql_end_ = sql_end;
    while (pos < sql_end) pos = parse_region(pos, sql_end);
    if (sql_end < size) {
      tokens_.clear();
      covered_.clear();
      add_unanalysed(sql_end, size,
                     "a NUL byte (PostgreSQL refuses it: invalid byte sequence for encoding \"UTF8\": 0x00)",
                     0, "");
    }
    std::stable_sort(
        out_.statements.begin(), out_.statements.end(),
        [](const model::Statement& a, const model::Statement& b) { return a.loc.offset < b.loc.offset; });
    attach_directives();
    return std::move(out_);
  }

 private:
  struct Range {
    uint32_t begin, end;
  };

  // Parses [begin, end) of the file, which holds SQL from `begin` on. Returns `end`, or where the
  // SQL goes on after the data rows of a COPY … FROM STDIN (which are not SQL: the scanner would
  // read them as statements, or fail on a quote in them).
  uint32_t parse_region(uint32_t begin, uint32_t end) {
    tokens_.clear();
    covered_.clear();
    size_t first_statement = out_.statements.size(), first_comment = out_.comments.size();
    std::string region(text_.substr(begin, end - begin));  // libpg_query wants a NUL at the end
    // The scanner stops at the first bad token (an unterminated quote, often a row of COPY data
    // such as O'Brien): read what comes before that line as a region of its own, so that a COPY
    // in it skips its data rows and what follows them is read again.
    for (int tries = 0; tries < 64; ++tries) {
      int cursor = scan(region, begin);
      if (cursor <= 0) break;
      uint32_t at = begin + char_to_byte(region, cursor - 1);
      size_t nl = at > begin ? text_.rfind('\n', at - 1) : std::string_view::npos;
      uint32_t cut = nl == std::string_view::npos || nl < begin ? begin : static_cast<uint32_t>(nl + 1);
      if (cut <= begin) break;
      tokens_.clear();
      out_.comments.resize(first_comment);
      end = cut;
      region.assign(text_.substr(begin, end - begin));
    }

    uint32_t bound = nesting_bound(begin, end);
    bool whole_done = false;
    if (bound <= kMaxNesting) {
      Parsed whole;
      parse_text(region, bound, whole);
      if (!whole.r.error) {
        std::vector<model::Statement> got;
        std::vector<Range> ranges;
        // A tree too deep to read: parse statement by statement, so that only that one is lost.
        if (statements_from_json(whole.r.parse_tree, begin, end, got, ranges).empty()) {
          for (auto& st : got) out_.statements.push_back(std::move(st));
          covered_.insert(covered_.end(), ranges.begin(), ranges.end());
          whole_done = true;
        }
      }
    }
    if (!whole_done) parse_piece_by_piece(region, begin, end);
    cover_gaps(begin, end);

    std::stable_sort(
        out_.statements.begin() + static_cast<std::ptrdiff_t>(first_statement), out_.statements.end(),
        [](const model::Statement& a, const model::Statement& b) { return a.loc.offset < b.loc.offset; });
    return skip_copy_data(first_statement, first_comment, end);
  }

  // A COPY … FROM STDIN takes its rows from the lines after it, up to a line `\.` (as psql and
  // pg_dump write them): drop what was read of them as SQL, and go on after them.
  uint32_t skip_copy_data(size_t first_statement, size_t first_comment, uint32_t region_end) {
    // The data may run past the region (cut short at a quote in a row): look to the file's end.
    uint32_t end = sql_end_;
    for (size_t i = first_statement; i < out_.statements.size(); ++i) {
      model::Statement& st = out_.statements[i];
      if (!st.copy_from_stdin) continue;
      uint32_t stmt_end = statement_end(st);
      size_t nl = text_.find('\n', stmt_end);
      uint32_t data_begin = nl == std::string_view::npos || nl >= end ? end : static_cast<uint32_t>(nl + 1);
      uint32_t pos = data_begin, lines = 0, resume = end;
      while (pos < end) {
        size_t eol = text_.find('\n', pos);
        uint32_t line_end = eol == std::string_view::npos || eol >= end ? end : static_cast<uint32_t>(eol);
        std::string_view line = text_.substr(pos, line_end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = line_end < end ? line_end + 1 : end;
        if (line == "\\.") {
          resume = pos;
          break;
        }
        ++lines;
      }
      st.copy_data_lines = lines;
      st.copy_data_begin = data_begin;
      st.copy_data_end = resume;
      auto in_data = [&](uint32_t offset) { return offset >= data_begin; };
      out_.statements.erase(
          std::remove_if(out_.statements.begin() + static_cast<std::ptrdiff_t>(i + 1), out_.statements.end(),
                         [&](const model::Statement& s) { return in_data(s.loc.offset); }),
          out_.statements.end());
      out_.comments.erase(
          std::remove_if(out_.comments.begin() + static_cast<std::ptrdiff_t>(first_comment),
                         out_.comments.end(), [&](const Comment& c) { return in_data(c.offset); }),
          out_.comments.end());
      return resume;
    }
    return region_end;
  }

  // Where a statement's text ends, past its `;` when one follows.
  uint32_t statement_end(const model::Statement& st) const {
    for (const Range& r : covered_)
      if (r.begin <= st.loc.offset && st.loc.offset < r.end) return r.end;
    return st.loc.offset + st.length;
  }

  // Fills tokens_ and comments; returns the scanner's error position (characters, 1-based), or 0.
  int scan(const std::string& region, uint32_t base) {
    PgQueryScanResult r = pg_query_scan(region.c_str());
    if (r.error) {
      if (out_.scan_error.empty()) out_.scan_error = r.error->message;
      int cursor = std::max(r.error->cursorpos, 1);
      pg_query_free_scan_result(r);
      return cursor;
    }
    // The unpacked tokens (a struct each) come from this thread's arena, emptied per region: one
    // malloc and free per token was 4 % of check -j 1's CPU on the corpus (perf, issue 23).
    thread_local util::Arena arena(256u << 10);
    arena.reset();
    ProtobufCAllocator in_arena{[](void* a, size_t n) { return static_cast<util::Arena*>(a)->allocate(n); },
                                [](void*, void*) {}, &arena};
    PgQuery__ScanResult* sr =
        pg_query__scan_result__unpack(&in_arena, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data));
    if (sr) {
      for (size_t i = 0; i < sr->n_tokens; ++i) {
        const PgQuery__ScanToken* t = sr->tokens[i];
        uint32_t s = base + static_cast<uint32_t>(t->start), e = base + static_cast<uint32_t>(t->end);
        if (t->token == PG_QUERY__TOKEN__UIDENT || t->token == PG_QUERY__TOKEN__USCONST) {
          // The scanner gives U&"…" and U&'…' the length of their decoded value: they end where
          // the next token starts, less the white space between.
          e = i + 1 < sr->n_tokens ? base + static_cast<uint32_t>(sr->tokens[i + 1]->start)
                                   : base + static_cast<uint32_t>(region.size());
          while (e > s + 1 && std::strchr(" \t\r\n\f\v", text_[e - 1])) --e;
        }
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT) {
          std::string_view raw = text_.substr(s, e - s);
          std::string_view inner = t->token == PG_QUERY__TOKEN__SQL_COMMENT ? raw.substr(2)
                                   : raw.size() >= 4                        ? raw.substr(2, raw.size() - 4)
                                                                            : raw;
          out_.comments.push_back({s, lines_.locate(s, file_).line, trim(inner)});
        } else {
          tokens_.push_back({s, e, static_cast<int32_t>(t->token)});
        }
      }
    }
    pg_query_free_scan_result(r);
    return 0;
  }

  // An upper bound of how deep the tree of the tokens in [begin, end) can nest: every level needs
  // a token of its own (an operator, a keyword) or a bracket around it. Without tokens (the
  // scanner failed, which the parser then does at the same spot) there is no tree.
  uint32_t nesting_bound(uint32_t begin, uint32_t end) const {
    uint32_t deep = 0, depth = 0, max_depth = 0;
    for (auto it = first_token(begin); it != tokens_.end() && it->start < end; ++it) {
      if (opens(it->kind)) {
        max_depth = std::max(max_depth, ++depth);
      } else if (closes(it->kind)) {
        if (depth > 0) --depth;
      } else if (!is_flat(it->kind)) {
        ++deep;
      }
    }
    return deep + max_depth;
  }

  std::vector<Token>::const_iterator first_token(uint32_t begin) const {
    return std::lower_bound(tokens_.begin(), tokens_.end(), begin,
                            [](const Token& t, uint32_t v) { return t.start < v; });
  }

  // pg_query_parse, on a stack deep enough for a tree of `bound` levels: this thread's when what
  // it has left holds that, else a thread's of its own.
  static void parse_text(const std::string& sql, uint32_t bound, Parsed& out) {
    size_t need = kStackReserve + size_t{bound} * kStackPerLevel;
    if (bound <= kInlineNesting && need <= stack_left()) {
      out.r = pg_query_parse(sql.c_str());
      return;
    }
    util::run_with_stack((16u << 20) + size_t{bound} * kStackPerLevel,
                         [&] { out.r = pg_query_parse(sql.c_str()); });
  }

  // First and last real (non-comment) token inside [begin, end): the statement's true extent.
  bool extent(uint32_t begin, uint32_t end, uint32_t& first, uint32_t& last) const {
    auto it = first_token(begin);
    if (it == tokens_.end() || it->start >= end) return false;
    first = it->start;
    last = it->end;
    for (; it != tokens_.end() && it->start < end; ++it) last = it->end;
    return true;
  }

  // The statement in [begin, end), trimmed to its tokens, and the range it covers (with its `;`).
  model::Statement make_statement(uint32_t begin, uint32_t end, Range& covers) const {
    uint32_t first = begin, last = end;
    if (tokens_.empty() || !extent(begin, end, first, last)) {
      // No scanner tokens (lexer error): fall back to trimming whitespace.
      std::string_view piece = text_.substr(begin, end - begin);
      size_t b = piece.find_first_not_of(" \t\r\n");
      first = begin + static_cast<uint32_t>(b == std::string_view::npos ? 0 : b);
      last = end;
    }
    covers = {first, last};
    if (last > 0 && last <= text_.size() && text_[last - 1] == ';') --last;
    model::Statement st;
    st.loc = lines_.locate(first, file_);
    st.start = first;
    st.length = last > first ? last - first : 0;
    st.text = std::string(text_.substr(first, st.length));
    return st;
  }

  // The statements of libpg_query's JSON for [base, limit) into `got`. Returns why it could not
  // be read (empty when it could).
  std::string statements_from_json(const char* json, uint32_t base, uint32_t limit,
                                   std::vector<model::Statement>& got, std::vector<Range>& ranges) const {
    simdjson::dom::element doc;
    simdjson::error_code e = json_parser().parse(json, std::strlen(json)).get(doc);
    std::string repaired;
    if (e == simdjson::UTF8_ERROR) {
      // libpg_query copies bytes that are not UTF-8 (a Latin-1 `é` in a name or a string) into the
      // tree's JSON as they are. They can only be inside its strings (its syntax is ASCII): read
      // them as U+FFFD, which is also what Prisma sends the server in their place. The file's
      // reader reports the bytes themselves, once (an input error); the statement is analysed.
      repaired = util::valid_utf8(json);
      e = json_parser().parse(repaired).get(doc);
    }
    if (e != simdjson::SUCCESS)
      return e == simdjson::DEPTH_ERROR
                 ? fmt::format("its parse tree nests deeper than the {} levels safemigrate reads",
                               kMaxTreeDepth)
                 : std::string("its parse tree could not be read: ") + simdjson::error_message(e);
    for (Node s : list(doc, "stmts")) {
      int64_t loc = integer(s, "stmt_location", 0);
      int64_t len = integer(s, "stmt_len", 0);
      uint32_t begin = base + static_cast<uint32_t>(loc);
      uint32_t end = len > 0 ? begin + static_cast<uint32_t>(len) : limit;
      Range covers;
      model::Statement st = make_statement(begin, std::min(end, limit), covers);
      Node stmt;
      if (field(s, "stmt", stmt)) extract_facts(stmt, text_, base, st);
      for (auto& a : st.actions) a.loc = lines_.locate(a.loc.offset, file_);
      got.push_back(std::move(st));
      ranges.push_back(covers);
    }
    return {};
  }

  // A statement that was not analysed: PostgreSQL rejects it (`syntax_error`, at the parser's
  // position `cursor` in characters from `begin`), or safemigrate could not read its tree.
  void add_unanalysed(uint32_t begin, uint32_t end, std::string syntax_error, int cursor,
                      std::string not_analysed) {
    Range covers;
    model::Statement st = make_statement(begin, end, covers);
    st.cls = model::StatementClass::Invalid;
    st.node = "";
    st.syntax_error = std::move(syntax_error);
    st.not_analysed = std::move(not_analysed);
    if (cursor > 0) {
      std::string_view piece = text_.substr(begin, end - begin);
      st.loc = lines_.locate(begin + char_to_byte(piece, cursor - 1), file_);
    }
    out_.statements.push_back(std::move(st));
    covered_.push_back(covers);
  }

  // One statement (or a stretch the splitter could not split) parsed alone.
  void parse_piece(uint32_t begin, uint32_t end) {
    uint32_t bound = nesting_bound(begin, end);
    if (bound > kMaxNesting) {
      add_unanalysed(begin, end, "", 0,
                     fmt::format("it has {} operators, keywords and brackets, more than the {} whose nesting "
                                 "safemigrate parses",
                                 bound, kMaxNesting));
      return;
    }
    std::string piece(text_.substr(begin, end - begin));
    Parsed r;
    parse_text(piece, bound, r);
    if (r.r.error) {
      add_unanalysed(begin, end, r.r.error->message ? r.r.error->message : "syntax error",
                     r.r.error->cursorpos, "");
      return;
    }
    std::vector<model::Statement> got;
    std::vector<Range> ranges;
    std::string why = statements_from_json(r.r.parse_tree, begin, end, got, ranges);
    if (!why.empty()) {
      add_unanalysed(begin, end, "", 0, why);
      return;
    }
    for (auto& st : got) out_.statements.push_back(std::move(st));
    covered_.insert(covered_.end(), ranges.begin(), ranges.end());
  }

  // When the statement whose first token starts at `begin` is a CREATE [OR REPLACE] FUNCTION or
  // PROCEDURE with a SQL-standard body (BEGIN ATOMIC … END), where it ends: past the `;` after
  // the body's END (or at `end`). 0 otherwise, or when the body has no END before `end`. The
  // scanner's splitter cuts at every `;`, so it cut such a body into pieces (a syntax error, the
  // body's statements, and `END`, which alone is a COMMIT). Like psql's scanner, a CASE in the
  // body is closed by an END of its own; BEGIN counts only outside brackets.
  uint32_t atomic_body_end(uint32_t begin, uint32_t end) const {
    auto it = first_token(begin), stop = tokens_.end();
    auto kind = [&](decltype(it) t) { return t != stop && t->start < end ? t->kind : -1; };
    if (kind(it) != PG_QUERY__TOKEN__CREATE) return 0;
    ++it;
    if (kind(it) == PG_QUERY__TOKEN__OR) {
      if (kind(it + 1) != PG_QUERY__TOKEN__REPLACE) return 0;
      it += 2;
    }
    if (kind(it) != PG_QUERY__TOKEN__FUNCTION && kind(it) != PG_QUERY__TOKEN__PROCEDURE) return 0;
    uint32_t parens = 0, depth = 0;
    bool body_seen = false;
    for (; kind(it) != -1; ++it) {
      int32_t k = it->kind;
      if (depth == 0) {
        if (k == PG_QUERY__TOKEN__ASCII_59) return body_seen ? it->end : 0;
        if (body_seen) continue;
        if (opens(k)) ++parens;
        if (closes(k) && parens > 0) --parens;
        if (k == PG_QUERY__TOKEN__BEGIN_P && parens == 0 && kind(it + 1) == PG_QUERY__TOKEN__ATOMIC) {
          depth = 1;
          body_seen = true;
          ++it;
        }
      } else if (k == PG_QUERY__TOKEN__CASE) {
        ++depth;
      } else if (k == PG_QUERY__TOKEN__END_P) {
        --depth;
      }
    }
    return body_seen && depth == 0 ? end : 0;
  }

  // The region has a syntax error somewhere (or a statement too deep to read): split it with the
  // scanner (which needs no valid grammar) and parse each statement alone, so the others are
  // still checked. A BEGIN ATOMIC body the splitter cut is put back together first.
  void parse_piece_by_piece(const std::string& region, uint32_t base, uint32_t end) {
    PgQuerySplitResult split = pg_query_split_with_scanner(region.c_str());
    if (!split.error) {
      uint32_t merged_to = 0;  // the pieces before this are part of a body already parsed
      for (int i = 0; i < split.n_stmts; ++i) {
        uint32_t begin = base + static_cast<uint32_t>(split.stmts[i]->stmt_location);
        uint32_t len = static_cast<uint32_t>(split.stmts[i]->stmt_len);
        uint32_t stop = len > 0 ? std::min(begin + len, end) : end;
        uint32_t first, last;
        if (!tokens_.empty() && !extent(begin, stop, first, last)) continue;  // only comments
        if (!tokens_.empty() && first < merged_to) continue;
        if (!tokens_.empty()) {
          if (uint32_t body_end = atomic_body_end(first, end); body_end > stop) stop = merged_to = body_end;
        }
        parse_piece(begin, stop);
      }
    }
    pg_query_free_split_result(split);
  }

  // What no statement covers yet: the scanner's splitter returns nothing for some stretches it
  // cannot make sense of (a statement with no keyword such as `SELEC 1;`, everything after an
  // unbalanced `(`). Each such stretch, cut at its `;`s, is parsed alone: a syntax error then,
  // or statements after all. Without scanner tokens, every uncovered non-blank byte counts.
  void cover_gaps(uint32_t begin, uint32_t end) {
    std::sort(covered_.begin(), covered_.end(),
              [](const Range& a, const Range& b) { return a.begin < b.begin; });
    auto is_covered = [&](uint32_t s, uint32_t e) {
      auto it = std::upper_bound(covered_.begin(), covered_.end(), s,
                                 [](uint32_t v, const Range& r) { return v < r.begin; });
      if (it == covered_.begin()) return false;
      --it;
      return it->begin <= s && e <= it->end;
    };
    std::vector<Range> gaps;
    if (tokens_.empty()) {
      // The scanner failed, and its splitter may have stopped part-way: every stretch between
      // what is covered that holds more than white space is parsed alone (a comment parses to
      // nothing; anything else to statements or a syntax error).
      uint32_t pos = begin;
      auto gap = [&](uint32_t b, uint32_t e) {
        if (text_.substr(b, e - b).find_first_not_of(" \t\r\n\f\v;") != std::string_view::npos)
          gaps.push_back({b, e});
      };
      for (const Range& r : covered_) {
        if (r.begin > pos) gap(pos, std::min(r.begin, end));
        pos = std::max(pos, r.end);
      }
      if (pos < end) gap(pos, end);
    } else {
      bool open = false;
      Range cur{0, 0};
      for (auto it = first_token(begin); it != tokens_.end() && it->start < end; ++it) {
        bool semicolon = it->kind == PG_QUERY__TOKEN__ASCII_59;
        if (semicolon || is_covered(it->start, it->end)) {
          if (open) gaps.push_back({cur.begin, semicolon ? it->end : cur.end});
          open = false;
          continue;
        }
        if (!open) {
          // A BEGIN ATOMIC body is one statement here too, not one per `;`.
          if (uint32_t body_end = atomic_body_end(it->start, end)) {
            gaps.push_back({it->start, body_end});
            while (it + 1 != tokens_.end() && (it + 1)->start < body_end) ++it;
            continue;
          }
          cur.begin = it->start;
        }
        cur.end = it->end;
        open = true;
      }
      if (open) gaps.push_back(cur);
    }
    for (const Range& g : gaps) parse_piece(g.begin, g.end);
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
        for (auto& sup : ignore_directive(cm.text)) st.suppressions.push_back(std::move(sup));
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
  std::vector<Token> tokens_;   // of the region being parsed
  std::vector<Range> covered_;  // what the region's statements cover so far
  uint32_t sql_end_ = 0;        // where the SQL ends (a NUL byte, or the end)
  ParsedFile out_;
};

}  // namespace

ParsedFile parse_sql(std::string_view text, const std::string& file) {
  return FileParser(text, file).run();
}

std::vector<model::Suppression> ignore_directive(std::string_view t) {
  static constexpr std::string_view kIgnore = "safemigrate-ignore:";
  if (t.substr(0, kIgnore.size()) != kIgnore) return {};
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
  std::vector<model::Suppression> out;
  for (auto& rule : rules) out.push_back({std::move(rule), reason});
  return out;
}

}  // namespace sm::sql

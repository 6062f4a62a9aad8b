#include "adapters/prisma/prisma_fix.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "adapters/prisma/prisma_reader.h"
#include "sql/parse.h"
#include "sql/sql_edit.h"
#include "util/file_read.h"

namespace sm::prisma {

bool prisma_fixes(std::string_view rule) {
  // What each becomes is said once, in the rule's `.autofix` (src/checks/rules/).
  static constexpr std::string_view kRules[] = {
      "require-concurrent-index-creation",
      "require-concurrent-index-deletion",
      "constraint-missing-not-valid",
      "set-not-null-without-check",
      "unique-constraint-builds-index",
      "missing-lock-timeout",
      "non-atomic-migration",
  };
  for (std::string_view r : kRules)
    if (r == rule) return true;
  return false;
}

namespace {

struct Segment {
  std::string text;
  std::string purpose;  // suffix of the new folder's name
  bool alone = false;   // holds one CONCURRENTLY statement, nothing else may join it
  size_t statements = 0;
  size_t body = 0;  // where the text after the header (and lock_timeout prefix) starts
};

class Fixer_ {
 public:
  Fixer_(const model::Migration& m, std::string_view sql, const FixSettings& s) : m_(m), sql_(sql), s_(s) {
    segs_.push_back({});
  }

  PrismaFix run(const std::vector<const model::Finding*>& findings);

 private:
  Segment& cur() { return segs_.back(); }
  // Folders are split as Prisma <= 7.3 needs them: that version, or a per-statement file being made
  // atomic (each folder then wrapped in BEGIN; … COMMIT;, see wrap()).
  bool splits() const { return !s_.per_statement || wrap_; }
  void close(const std::string& purpose, bool alone) {
    if (!splits()) return;
    if (!cur().text.empty() && cur().text.back() != '\n') cur().text += '\n';
    segs_.push_back({});
    cur().purpose = purpose;
    cur().alone = alone;
    cur().text = header(purpose);
    if (!alone) cur().text += timeout_prefix_;
    cur().body = cur().text.size();
  }
  std::string header(const std::string& purpose) const {
    std::string h = fmt::format("-- Split from {} by `safemigrate fix` ({}).\n", m_.id, purpose);
    if (m_.marked_irreversible) h += "-- safemigrate: irreversible\n";
    return h;
  }
  // Appends a statement that must run outside any transaction and alone under Prisma <= 7.3.
  void emit_alone(const std::string& purpose, const std::string& text, const std::string& comment) {
    if (!splits()) {
      cur().text += text;
      ++cur().statements;
      return;
    }
    close(purpose, true);
    cur().text += comment + text + "\n";
    cur().statements = 1;
    last_alone_ = segs_.size() - 1;
    close("continued", false);
  }
  void flush_validates() {
    if (validates_.empty()) return;
    if (splits()) close("validate", false);
    for (const std::string& v : validates_) {
      cur().text += (cur().text.empty() || cur().text.back() == '\n' ? "" : "\n") + v + ";\n";
      ++cur().statements;
    }
    validates_.clear();
  }
  void leave(const model::Finding& f, std::string why) {
    out_.left.push_back({f.rule, f.loc.line, std::move(why)});
  }
  void changed(const model::Finding& f, std::string what, size_t seg) {
    out_.changes.push_back({f.rule, f.loc.line, std::move(what), std::to_string(seg)});
  }
  size_t here() const { return segs_.size() - 1; }
  size_t alone_here() const { return splits() ? last_alone_ : here(); }

  // Each returns false (after leave()) when the statement stays as written.
  bool create_index(const model::Statement& st, const model::Finding& f, const std::string& tail);
  bool drop_index(const model::Statement& st, const model::Finding& f, const std::string& tail);
  bool not_valid(const model::Statement& st, const model::Finding& f, const std::string& tail);
  bool set_not_null(const model::Statement& st, const model::Finding& f, const std::string& tail);
  bool unique_constraint(const model::Statement& st, const model::Finding& f, const std::string& tail);
  // ALTER TABLE [IF EXISTS] [ONLY] rel …: index of rel's first token and of the token after it
  // (`stop`, a keyword that ends the name), or false.
  // PostgreSQL refuses `st` inside a transaction block: CONCURRENTLY, VACUUM… (the model says), and
  // ALTER TYPE … ADD VALUE before PostgreSQL 12.
  bool outside_transactions(const model::Statement& st) const {
    return st.cannot_run_in_transaction ||
           (!st.enum_value.empty() && s_.target_postgres != 0 && s_.target_postgres < 12);
  }
  // Wraps a folder's changes in BEGIN; … COMMIT; where it holds more than one (and nothing that
  // cannot run inside a transaction block), at the scanner's token positions.
  void wrap(Segment& sg) const;
  bool alter_table_relation(const sql::StatementTokens& t, std::string_view stop, size_t& first,
                            size_t& after, bool& only, bool& if_exists) const;

  const model::Migration& m_;
  std::string_view sql_;
  const FixSettings& s_;
  std::vector<Segment> segs_;
  std::vector<std::string> validates_;
  std::string timeout_prefix_;
  size_t last_alone_ = 0;
  bool wrap_ = false;  // non-atomic-migration is fixed: statements that must commit together are wrapped
  PrismaFix out_;
};

bool tokens_of(const model::Statement& st, sql::StatementTokens& t) {
  std::string error;
  return t.scan(st.text, error) && t.size() > 0;
}

bool Fixer_::create_index(const model::Statement& st, const model::Finding& f, const std::string& tail) {
  sql::StatementTokens t;
  if (!tokens_of(st, t) || !t.is(0, "CREATE"))
    return leave(f, "the statement could not be read as CREATE INDEX"), false;
  size_t k = t.is(1, "UNIQUE") ? 2 : 1;
  if (!t.is(k, "INDEX") || t.is(k + 1, "CONCURRENTLY"))
    return leave(f, "the statement could not be read as CREATE INDEX"), false;
  size_t on = t.find_keyword(k + 1, "ON");
  if (on >= t.size()) return leave(f, "no ON clause found"), false;
  if (t.is(on + 1, "ONLY"))
    return leave(
               f,
               "an index on ONLY a partitioned table cannot be built CONCURRENTLY; build one per partition"),
           false;
  bool has_if = t.is(k + 1, "IF");
  bool named = on > k + 1;
  std::string name = named ? std::string(t.token_text(has_if ? k + 4 : k + 1)) : std::string();
  std::string insert = "CONCURRENTLY ";
  if (named && !has_if) insert += "IF NOT EXISTS ";
  std::string text = sql::apply_edits(st.text, {{t[k + 1].begin, t[k + 1].begin, insert}});
  std::string comment = named
                            ? fmt::format(
                                  "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction, so it is "
                                  "the only statement of this\n"
                                  "-- migration. A build that fails leaves the index INVALID, and IF NOT "
                                  "EXISTS would then keep it:\n"
                                  "-- drop it with DROP INDEX CONCURRENTLY IF EXISTS {} and deploy again.\n",
                                  name)
                            : std::string(
                                  "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction, so it is "
                                  "the only statement of this\n"
                                  "-- migration. A build that fails leaves an INVALID index: drop it before "
                                  "deploying again.\n");
  emit_alone("concurrent_index", text + ";" + tail, comment);
  changed(f, "CREATE INDEX CONCURRENTLY" + std::string(named ? " IF NOT EXISTS" : ""), alone_here());
  return true;
}

bool Fixer_::drop_index(const model::Statement& st, const model::Finding& f, const std::string& tail) {
  sql::StatementTokens t;
  if (!tokens_of(st, t) || !t.is(0, "DROP") || !t.is(1, "INDEX") || t.is(2, "CONCURRENTLY"))
    return leave(f, "the statement could not be read as DROP INDEX"), false;
  if (t.top_level_comma())
    return leave(f,
                 "DROP INDEX CONCURRENTLY drops one index at a time: write one DROP INDEX per index first"),
           false;
  if (t.find_keyword(2, "CASCADE") < t.size())
    return leave(f, "DROP INDEX CONCURRENTLY does not support CASCADE: drop the dependent objects first"),
           false;
  std::string insert = "CONCURRENTLY ";
  if (!t.is(2, "IF")) insert += "IF EXISTS ";
  std::string text = sql::apply_edits(st.text, {{t[2].begin, t[2].begin, insert}});
  emit_alone(
      "concurrent_drop_index", text + ";" + tail,
      "-- DROP INDEX CONCURRENTLY cannot run inside a transaction, so it is the only statement of this\n"
      "-- migration.\n");
  changed(f, "DROP INDEX CONCURRENTLY IF EXISTS", alone_here());
  return true;
}

bool Fixer_::alter_table_relation(const sql::StatementTokens& t, std::string_view stop, size_t& first,
                                  size_t& after, bool& only, bool& if_exists) const {
  if (!t.is(0, "ALTER") || !t.is(1, "TABLE")) return false;
  size_t i = 2;
  if_exists = t.is(i, "IF") && t.is(i + 1, "EXISTS");
  if (if_exists) i += 2;
  only = t.is(i, "ONLY");
  if (only) ++i;
  first = i;
  after = t.find_keyword(i, stop);
  return after < t.size() && after > first;
}

bool Fixer_::not_valid(const model::Statement& st, const model::Finding& f, const std::string& tail) {
  sql::StatementTokens t;
  size_t rel = 0, add = 0;
  bool only = false, if_exists = false;
  if (!tokens_of(st, t) || !alter_table_relation(t, "ADD", rel, add, only, if_exists))
    return leave(f, "the statement could not be read as ALTER TABLE … ADD CONSTRAINT"), false;
  if (t.top_level_comma())
    return leave(
               f,
               "several subcommands in one ALTER TABLE: give the constraint an ALTER TABLE of its own first"),
           false;
  if (!t.is(add + 1, "CONSTRAINT"))
    return leave(f, "the constraint has no name, so no VALIDATE CONSTRAINT can name it: name it first"),
           false;
  std::string rel_text(t.span(rel, add - 1));
  std::string name(t.token_text(add + 2));
  uint32_t end = t[t.size() - 1].end;
  cur().text += sql::apply_edits(st.text, {{end, end, " NOT VALID"}}) + ";" + tail;
  ++cur().statements;
  validates_.push_back(
      fmt::format("ALTER TABLE {}{} VALIDATE CONSTRAINT {}", only ? "ONLY " : "", rel_text, name));
  changed(f,
          "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT " + name +
              (splits() ? " in a following migration" : " in the same file (run statement by statement)"),
          here());
  return true;
}

bool Fixer_::set_not_null(const model::Statement& st, const model::Finding& f, const std::string& tail) {
  if (s_.target_postgres != 0 && s_.target_postgres < 12)
    return leave(f, fmt::format("PostgreSQL {} does not use a validated CHECK for SET NOT NULL (12 does)",
                                s_.target_postgres)),
           false;
  sql::StatementTokens t;
  size_t rel = 0, alter = 0;
  bool only = false, if_exists = false;
  if (!tokens_of(st, t) || !alter_table_relation(t, "ALTER", rel, alter, only, if_exists) ||
      t.top_level_comma())
    return leave(f, "not a single ALTER TABLE … ALTER COLUMN … SET NOT NULL"), false;
  size_t col = t.is(alter + 1, "COLUMN") ? alter + 2 : alter + 1;
  if (!(t.is(col + 1, "SET") && t.is(col + 2, "NOT") && t.is(col + 3, "NULL") && col + 4 == t.size()) ||
      !f.action || f.action->column.empty())
    return leave(f, "not a single ALTER TABLE … ALTER COLUMN … SET NOT NULL"), false;
  std::string rel_text = std::string(only ? "ONLY " : "") + std::string(t.span(rel, alter - 1));
  std::string check_name = f.action->relation.name + "_" + f.action->column + "_not_null";
  if (check_name.size() > 63) check_name.resize(63);  // NAMEDATALEN - 1
  std::string cname = sql::quote_identifier(check_name);
  cur().text += fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;", rel_text,
                            cname, t.token_text(col)) +
                tail;
  ++cur().statements;
  flush_validates();
  if (splits()) close("set_not_null", false);
  cur().text +=
      fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};\n{};\nALTER TABLE {} DROP CONSTRAINT {};\n",
                  rel_text, cname, st.text, rel_text, cname);
  cur().statements += 3;
  changed(f,
          "CHECK (" + std::string(t.token_text(col)) +
              " IS NOT NULL) NOT VALID, then VALIDATE, SET NOT NULL and "
              "DROP CONSTRAINT" +
              (splits() ? " in a following migration" : ""),
          here());
  return true;
}

bool Fixer_::unique_constraint(const model::Statement& st, const model::Finding& f, const std::string& tail) {
  sql::StatementTokens t;
  size_t rel = 0, add = 0;
  bool only = false, if_exists = false;
  if (!tokens_of(st, t) || !alter_table_relation(t, "ADD", rel, add, only, if_exists) ||
      t.top_level_comma() || !t.is(add + 1, "CONSTRAINT"))
    return leave(f,
                 "only a single named ALTER TABLE … ADD CONSTRAINT name UNIQUE|PRIMARY KEY (columns) is "
                 "rewritten"),
           false;
  if (only || if_exists)
    return leave(f, "ALTER TABLE ONLY / IF EXISTS: no concurrent index can match it"), false;
  size_t kind = add + 3;
  bool pk = t.is(kind, "PRIMARY") && t.is(kind + 1, "KEY");
  if (!pk && !t.is(kind, "UNIQUE"))
    return leave(f, "only ADD CONSTRAINT name UNIQUE|PRIMARY KEY (columns) is rewritten"), false;
  size_t open = kind + (pk ? 2 : 1);
  if (open >= t.size() || !t[open].open_paren || t.matching_paren(open) != t.size() - 1)
    return leave(
               f,
               "the constraint has options beyond its column list (INCLUDE, WITH, DEFERRABLE, NULLS…), which "
               "ADD CONSTRAINT … USING INDEX cannot carry over as written"),
           false;
  std::string rel_text(t.span(rel, add - 1));
  std::string name(t.token_text(add + 2));
  std::string cols(t.span(open, t.size() - 1));
  std::string index =
      fmt::format("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} {};\n", name, rel_text, cols);
  emit_alone(
      pk ? "primary_key_index" : "unique_index", index,
      fmt::format(
          "-- The index for constraint {}, built without blocking writes. A build that fails leaves it\n"
          "-- INVALID: drop it with DROP INDEX CONCURRENTLY IF EXISTS {} and deploy again.\n",
          name, name));
  cur().text += fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {};", rel_text, name,
                            pk ? "PRIMARY KEY" : "UNIQUE", name) +
                tail;
  ++cur().statements;
  changed(f,
          std::string("unique index built CONCURRENTLY, then ADD CONSTRAINT … ") +
              (pk ? "PRIMARY KEY" : "UNIQUE") + " USING INDEX",
          here());
  return true;
}

// Whether a statement after stmts[i] uses the enum value stmts[i] adds (as the rule
// enum-value-used-in-transaction sees a use: a string constant equal to it).
bool used_later(const std::vector<const model::Statement*>& stmts, size_t i) {
  for (size_t j = i + 1; j < stmts.size(); ++j)
    for (const std::string& lit : stmts[j]->string_literals)
      if (lit == stmts[i]->enum_value) return true;
  return false;
}

void Fixer_::wrap(Segment& sg) const {
  sql::ParsedFile parsed = sql::parse_sql(sg.text, m_.id);
  const model::Statement *first = nullptr, *last = nullptr;
  size_t changes = 0;
  for (const model::Statement& st : parsed.statements) {
    if (outside_transactions(st) || st.tx != model::TxControl::None) return;
    if (st.cls != model::StatementClass::Ddl && st.cls != model::StatementClass::Dml) continue;
    ++changes;
    if (!first) first = &st;
    last = &st;
  }
  std::vector<sql::SqlToken> tokens;
  std::string error;
  if (changes < 2 || !sql::scan_tokens(sg.text, tokens, error)) return;
  // COMMIT goes on a line of its own after the last change's `;` and a comment on the same line.
  uint32_t end = last->start + last->length;
  std::string commit = ";\nCOMMIT;";
  auto it =
      std::find_if(tokens.begin(), tokens.end(), [&](const sql::SqlToken& t) { return t.begin >= end; });
  if (it != tokens.end() && it->semicolon) {
    end = it->end;
    commit = "\nCOMMIT;";
    ++it;
  }
  if (it != tokens.end() && it->comment &&
      sg.text.substr(end, it->begin - end).find('\n') == std::string::npos)
    end = it->end;
  sg.text = sql::apply_edits(sg.text, {{first->start, first->start, "BEGIN;\n"}, {end, end, commit}});
}

bool turns_timeout_off(const model::Statement& st) {
  return st.cls == model::StatementClass::Session && st.set_name == "lock_timeout" &&
         (st.set_value == "0" || st.set_value == "DEFAULT" || st.set_value.empty());
}

PrismaFix Fixer_::run(const std::vector<const model::Finding*>& findings) {
  out_.sql = std::string(sql_);
  std::vector<const model::Statement*> stmts = m_.statements();
  // Findings per statement (by the byte offset the finding points at).
  std::vector<std::vector<const model::Finding*>> per(stmts.size());
  bool want_timeout = false;
  const model::Finding* timeout_finding = nullptr;
  std::vector<const model::Finding*> atomic_findings;  // non-atomic-migration (one per scenario)
  for (const model::Finding* f : findings) {
    if (f->suppressed || !prisma_fixes(f->rule)) continue;
    if (f->rule == "non-atomic-migration") {
      atomic_findings.push_back(f);
      continue;
    }
    if (f->rule == "missing-lock-timeout") {
      want_timeout = true;
      if (!timeout_finding) timeout_finding = f;
      continue;
    }
    for (size_t i = 0; i < stmts.size(); ++i)
      if (f->loc.offset >= stmts[i]->start && f->loc.offset <= stmts[i]->start + stmts[i]->length) {
        per[i].push_back(f);
        break;
      }
  }
  bool any = want_timeout || !atomic_findings.empty();
  for (const auto& p : per) any = any || !p.empty();
  if (!any) return out_;

  std::vector<sql::SqlToken> file_tokens;
  std::string error;
  if (!sql::scan_tokens(sql_, file_tokens, error)) {
    for (const model::Finding* f : findings)
      if (!f->suppressed && prisma_fixes(f->rule)) leave(*f, "the file could not be scanned: " + error);
    return out_;
  }
  if (!atomic_findings.empty() && s_.per_statement) {
    // Prisma >= 7.4 runs the file statement by statement: its statements get the folders Prisma <=
    // 7.3 would need (CONCURRENTLY alone, VALIDATE after its NOT VALID has committed), and each
    // folder with more than one change is wrapped in BEGIN; … COMMIT; (wrap()).
    wrap_ = true;
    for (const model::Finding* f : atomic_findings)
      changed(*f, "BEGIN; … COMMIT; around the statements that must commit together", 0);
  }
  for (const model::Finding* f : atomic_findings) {
    if (wrap_) break;
    leave(*f, s_.explicit_transaction
                  ? "the file holds BEGIN/COMMIT of its own: where it commits is the author's choice"
                  : "fix wraps a file in BEGIN; … COMMIT; only where the Prisma version is known to run it "
                    "statement by statement (>= 7.4; give --prisma-version)");
  }
  bool timeout_placed = false;
  uint32_t cursor = 0;
  for (size_t i = 0; i < stmts.size(); ++i) {
    const model::Statement& st = *stmts[i];
    uint32_t s = st.start, e = st.start + st.length;
    // The statement's `;`, and a comment after it on the same line, go with it.
    std::string tail;
    auto it = std::find_if(file_tokens.begin(), file_tokens.end(),
                           [&](const sql::SqlToken& t) { return t.begin >= e; });
    if (it != file_tokens.end() && it->semicolon) {
      e = it->end;
      ++it;
    }
    if (it != file_tokens.end() && it->comment &&
        sql_.substr(e, it->begin - e).find('\n') == std::string_view::npos)
      e = it->end;
    bool has_semicolon = e > st.start + st.length;
    uint32_t tail_from = st.start + st.length;
    if (has_semicolon) {
      // What follows the `;` (a same-line comment).
      auto semi = std::find_if(file_tokens.begin(), file_tokens.end(),
                               [&](const sql::SqlToken& t) { return t.begin >= tail_from && t.semicolon; });
      tail_from = semi->end;
    }
    tail = std::string(sql_.substr(tail_from, e - tail_from));

    const model::Finding* fix = nullptr;
    for (const model::Finding* f : per[i]) fix = fix ? fix : f;
    bool converting_add = fix && !s_.explicit_transaction && fix->rule == "constraint-missing-not-valid";
    if (!converting_add) flush_validates();
    std::string between(sql_.substr(cursor, s - cursor));
    // A new folder starts on its first statement, not on the line break that ended the last one.
    if (cur().body > 0 && cur().text.size() == cur().body && !between.empty() && between[0] == '\n')
      between.erase(0, 1);
    cur().text += between;
    cursor = e;

    bool moves_alone = (fix && !s_.explicit_transaction &&
                        (fix->rule == "require-concurrent-index-creation" ||
                         fix->rule == "require-concurrent-index-deletion")) ||
                       (wrap_ && outside_transactions(st));
    if (want_timeout && !timeout_placed && !moves_alone && st.cls != model::StatementClass::Session &&
        st.cls != model::StatementClass::Transaction) {
      if (timeout_prefix_.empty()) {
        timeout_prefix_ = fmt::format("SET lock_timeout = '{}';\n", s_.lock_timeout);
        cur().text += timeout_prefix_;
        ++cur().statements;
        out_.changes.push_back({"missing-lock-timeout", timeout_finding->loc.line,
                                "SET lock_timeout = '" + s_.lock_timeout + "' before the first statement",
                                std::to_string(segs_.size() - 1)});
      }
      timeout_placed = true;
    }
    if (st.cls == model::StatementClass::Session && st.set_name == "lock_timeout") {
      if (want_timeout && turns_timeout_off(st)) {
        std::string text =
            fmt::format("SET {}lock_timeout = '{}';", st.set_local ? "LOCAL " : "", s_.lock_timeout);
        cur().text += text + tail;
        ++cur().statements;
        timeout_prefix_ = text + "\n";
        out_.changes.push_back({"missing-lock-timeout", st.loc.line,
                                "SET lock_timeout = '" + s_.lock_timeout + "' instead of turning it off",
                                std::to_string(segs_.size() - 1)});
        continue;
      }
      if (!turns_timeout_off(st))
        timeout_prefix_ = std::string(sql_.substr(s, tail_from - s)) + (has_semicolon ? "" : ";") + "\n";
    }
    bool done = false;
    if (fix && s_.explicit_transaction) {
      leave(*fix,
            "the file holds BEGIN/COMMIT of its own: its statements are meant to commit together, and "
            "moving one to a migration of its own would break that transaction");
      fix = nullptr;
    }
    if (fix) {
      // A statement reported by several fixable rules is rewritten for the first; the others
      // are checked again after the fix.
      if (fix->rule == "require-concurrent-index-creation")
        done = create_index(st, *fix, tail);
      else if (fix->rule == "require-concurrent-index-deletion")
        done = drop_index(st, *fix, tail);
      else if (fix->rule == "constraint-missing-not-valid")
        done = not_valid(st, *fix, tail);
      else if (fix->rule == "set-not-null-without-check")
        done = set_not_null(st, *fix, tail);
      else if (fix->rule == "unique-constraint-builds-index")
        done = unique_constraint(st, *fix, tail);
    }
    if (!done && wrap_ && outside_transactions(st)) {
      emit_alone("alone", std::string(sql_.substr(s, tail_from - s)) + (has_semicolon ? "" : ";") + tail,
                 "-- This statement cannot run inside a transaction block, so it is the only one of this\n"
                 "-- migration.\n");
      done = true;
    }
    if (!done) {
      cur().text += std::string(sql_.substr(s, e - s));
      if (st.cls != model::StatementClass::Invalid || !st.text.empty()) ++cur().statements;
    }
    // A value ALTER TYPE … ADD VALUE adds cannot be used before it commits ("unsafe use of new
    // value"): where the file uses it later, the folder ends after it.
    if (wrap_ && !st.enum_value.empty() && used_later(stmts, i)) close("after_enum_value", false);
  }
  flush_validates();
  cur().text += std::string(sql_.substr(cursor));
  if (want_timeout && !timeout_placed && timeout_prefix_.empty() && timeout_finding)
    leave(*timeout_finding, "no statement could take a SET lock_timeout before it");

  if (out_.changes.empty()) {
    out_.sql = std::string(sql_);
    return out_;
  }
  // Segments without statements join the next one (an empty migration.sql is no migration); their
  // text (comments between statements) goes along.
  std::vector<Segment> merged;
  std::vector<size_t> index_of(segs_.size());
  std::string pending;
  for (size_t i = 0; i < segs_.size(); ++i) {
    Segment sg = segs_[i];
    index_of[i] = merged.size();
    if (sg.statements == 0 && i + 1 < segs_.size()) {
      pending += sg.text.substr(sg.body);
      continue;
    }
    if (sg.statements == 0 && !merged.empty()) {  // the last: its text (the file's end) joins the one before
      merged.back().text += pending + sg.text.substr(sg.body);
      index_of[i] = merged.size() - 1;
      continue;
    }
    if (merged.empty() && i > 0) {
      sg.text = pending + sg.text.substr(sg.body);  // becomes the original file itself
      sg.body = 0;
    } else {
      sg.text = sg.text.substr(0, sg.body) + pending + sg.text.substr(sg.body);
    }
    pending.clear();
    merged.push_back(std::move(sg));
  }
  if (wrap_)
    for (Segment& sg : merged) wrap(sg);
  out_.sql = merged[0].text;
  std::string previous = m_.id;
  for (size_t i = 1; i < merged.size(); ++i) {
    std::string name = fmt::format("{}_{:02}_{}", m_.id, i, merged[i].purpose);
    bool sorts = compare_like_prisma(previous, name) < 0 &&
                 (s_.next_folder.empty() || compare_like_prisma(name, s_.next_folder) < 0);
    if (!sorts) {
      PrismaFix none;
      none.sql = std::string(sql_);
      for (const model::Finding* f : findings)
        if (!f->suppressed && prisma_fixes(f->rule))
          none.left.push_back({f->rule, f->loc.line,
                               fmt::format("no folder name sorts right after {} and before {}: {} does not",
                                           m_.id, s_.next_folder, name)});
      return none;
    }
    out_.folders.push_back({name, merged[i].text});
    previous = name;
  }
  for (FixChange& c : out_.changes) {
    size_t seg = index_of[std::stoul(c.into)];
    c.into = seg == 0 ? m_.id : out_.folders[seg - 1].name;
  }
  return out_;
}

}  // namespace

PrismaFix fix_prisma_migration(const model::Migration& m, std::string_view sql,
                               const std::vector<const model::Finding*>& findings,
                               const FixSettings& settings) {
  return Fixer_(m, sql, settings).run(findings);
}

std::vector<app::MigrationFix> fix_prisma_set(const model::MigrationSet& set,
                                              const std::vector<app::FixTarget>& targets,
                                              const app::FixSettings& settings) {
  namespace fs = std::filesystem;
  std::vector<app::MigrationFix> out;
  for (const app::FixTarget& t : targets) {
    const model::Migration& m = set.migrations[t.index];
    const model::SourceFile* main = m.main_file();
    app::MigrationFix mf;
    mf.migration = m.id;
    mf.file = main ? main->path : m.directory;
    if (!main) {
      out.push_back(std::move(mf));
      continue;
    }
    util::FileReadResult bytes = util::read_whole_file(main->path, settings.max_file_size);
    if (!bytes.ok) throw std::runtime_error(bytes.error);
    FixSettings s;
    s.lock_timeout = settings.lock_timeout;
    s.target_postgres = m.target_postgres;
    s.next_folder = t.index + 1 < set.migrations.size() ? set.migrations[t.index + 1].id : std::string();
    bool has_tx = false;
    for (const model::Statement* st : m.statements())
      has_tx = has_tx || st->cls == model::StatementClass::Transaction;
    s.explicit_transaction = has_tx;
    s.per_statement =
        m.scenarios.size() == 1 && m.scenarios[0].mode == model::ExecutionMode::PerStatement && !has_tx;
    PrismaFix fix = fix_prisma_migration(m, bytes.bytes, t.findings, s);
    fs::path parent = fs::path(m.directory).parent_path();
    for (const NewFolder& nf : fix.folders)
      mf.files.push_back({(parent / nf.name / "migration.sql").string(), "", nf.sql, true});
    if (fix.sql != bytes.bytes) mf.files.push_back({main->path, bytes.bytes, fix.sql, false});
    mf.changes = std::move(fix.changes);
    mf.left = std::move(fix.left);
    out.push_back(std::move(mf));
  }
  return out;
}

}  // namespace sm::prisma

// Issue 9: never check, apply or record what was not parsed. src/sql must account for every byte
// of a migration (coverage_oracle.h), report what it cannot parse or analyse, and never crash on
// deep trees. The regressions from the issue first, then the property over generated files.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "coverage_oracle.h"
#include "sql/parse.h"
#include "test_support.h"

namespace {

using sm::model::StatementClass;
using sm::sql::parse_sql;

std::string repeat_joined(const std::string& term, const std::string& sep, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += sep;
    out += term;
  }
  return out;
}

// Checks the property and returns the statements' kinds as "ok", "syntax", "deep", "copy".
std::vector<std::string> kinds(const std::string& sql) {
  sm::sql::ParsedFile f = parse_sql(sql, "m.sql");
  EXPECT_EQ(sm::test::uncovered(sql, f), "") << sql.substr(0, 200);
  std::vector<std::string> out;
  for (const auto& st : f.statements)
    out.push_back(st.copy_from_stdin                  ? "copy"
                  : st.cls != StatementClass::Invalid ? "ok"
                  : !st.syntax_error.empty()          ? "syntax"
                                                      : "deep");
  return out;
}

using Kinds = std::vector<std::string>;

TEST(ParseCoverage, DeepTreeIsAnalysedOrReportedNeverDropped) {
  // 600 terms went past simdjson's default depth and lost the whole file; they are analysed now.
  EXPECT_EQ(kinds("SELECT " + repeat_joined("1", "+", 600) + ";\nDROP TABLE \"T\";"), (Kinds{"ok", "ok"}));
  EXPECT_EQ(kinds("SELECT " + repeat_joined("'a'", "||", 600) + ";\nDROP TABLE \"T\";"), (Kinds{"ok", "ok"}));
  // Deeper than the tree is read: reported, and the DROP after it still analysed.
  EXPECT_EQ(kinds("SELECT " + repeat_joined("1", "+", 30000) + ";\nDROP TABLE \"T\";"),
            (Kinds{"deep", "ok"}));
}

TEST(ParseCoverage, TreesThatOverflowedTheStackAreReportedWithoutACrash) {
  // 70,000 nested operators crashed libpg_query's JSON writer on an 8 MiB stack.
  for (size_t n : {70000u, 199000u, 400000u}) {
    Kinds k = kinds("SELECT " + repeat_joined("1", "+", n) + ";\nDROP TABLE \"T\";");
    EXPECT_EQ(k, (Kinds{"deep", "ok"})) << n;
  }
  // Other ways to nest: brackets, subqueries, casts, CASE.
  EXPECT_EQ(kinds("SELECT " + std::string(150000, '(') + "1" + std::string(150000, ')') + ";").size(), 1u);
  EXPECT_EQ(kinds("SELECT 1" + repeat_joined("::int", "", 100000) + ";"), (Kinds{"deep"}));
  std::string sub;
  for (int i = 0; i < 60000; ++i) sub += "(SELECT ";
  EXPECT_EQ(kinds("SELECT " + sub + "1" + std::string(60000, ')') + ";").size(), 1u);
  std::string cases;
  for (int i = 0; i < 60000; ++i) cases += "CASE WHEN true THEN ";
  for (int i = 0; i < 60000; ++i) cases += " END";
  EXPECT_EQ(kinds("SELECT " + cases + ";"), (Kinds{"deep"}));
}

TEST(ParseCoverage, StatementsTheSplitterDropsAreSyntaxErrors) {
  EXPECT_EQ(kinds("SELECT 1;\nSELEC 1;\nVACUM \"A\";\nFOO;\nDROP TABLE \"T\";\n"),
            (Kinds{"ok", "syntax", "syntax", "syntax", "ok"}));
  EXPECT_EQ(kinds("SELECT 1;\nCREATE TABLE \"A\" (id int;\nDROP TABLE \"T\";\n"),
            (Kinds{"ok", "syntax", "ok"}));
  EXPECT_EQ(kinds("FOO"), (Kinds{"syntax"}));
  EXPECT_EQ(kinds("SELECT 1; )))); SELECT 2"), (Kinds{"ok", "syntax", "ok"}));
}

TEST(ParseCoverage, CopyDataRowsAreNotReadAsSql) {
  std::string sql =
      "CREATE TABLE \"T\" (id int, name text);\n"
      "COPY \"T\" (id, name) FROM stdin;\n"
      "1\tO'Brien\n"
      "2\tbob; DROP TABLE \"T\";\n"
      "\\.\n"
      "DROP TABLE \"U\";\n";
  sm::sql::ParsedFile f = parse_sql(sql, "m.sql");
  EXPECT_EQ(sm::test::uncovered(sql, f), "");
  ASSERT_EQ(f.statements.size(), 3u);
  EXPECT_TRUE(f.statements[1].copy_from_stdin);
  EXPECT_EQ(f.statements[1].copy_data_lines, 2u);
  EXPECT_EQ(f.statements[2].text, "DROP TABLE \"U\"");
  // Rows up to the end of the file when `\.` is missing; COPY from a file has no rows.
  EXPECT_EQ(kinds("COPY t FROM stdin;\n1\t2\n3; DROP TABLE x;\n"), (Kinds{"copy"}));
  EXPECT_EQ(kinds("COPY t FROM '/tmp/x';\nDROP TABLE x;\n"), (Kinds{"ok", "ok"}));
}

TEST(ParseCoverage, NulByteEndsTheSqlAndIsReported) {
  std::string sql = std::string("SELECT 1;\n") + '\0' + "DROP TABLE x;";
  EXPECT_EQ(kinds(sql), (Kinds{"ok", "syntax"}));
}

// Fragments that real and broken migrations are made of; the generator glues random ones.
const std::vector<std::string> kFragments = {
    "CREATE TABLE \"A\" (\"id\" SERIAL NOT NULL, \"n\" TEXT, CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\"));",
    "ALTER TABLE \"A\" ADD COLUMN \"b\" INTEGER NOT NULL DEFAULT 0;",
    "CREATE INDEX CONCURRENTLY \"i\" ON \"A\"(\"n\");",
    "DROP TABLE \"T\";",
    "UPDATE \"A\" SET \"n\" = 'x' WHERE \"id\" = 1;",
    "BEGIN;",
    "COMMIT;",
    "SET lock_timeout = '5s';",
    "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
    "DO $$ BEGIN PERFORM 1; END $$;",
    "SELEC 1;",
    "VACUM \"A\";",
    "FOO;",
    "(",
    ")",
    ";",
    ";;",
    "'",
    "\"",
    "$$",
    "$x$",
    "/*",
    "*/",
    "--",
    "\n",
    " ",
    "\t",
    "\\.",
    "COPY \"A\" FROM stdin;\n",
    "1\tO'Brien\n",
    "COPY \"A\" (id) FROM STDIN WITH (FORMAT csv);\n",
    "-- safemigrate-ignore: dropping-table reason\n",
    "/* block\ncomment */",
    "CREATE TABLE \"B\" (id int",
    "E'\\\\'",
    "U&\"a\"",
    "\xc3\xa9",
    "\xe9",
    "\xff\xfe",
    "1+1+1+1",
    "::int",
    "ARRAY[1,2]",
    "CASE WHEN",
    "END",
    "WITH x AS (SELECT 1) SELECT * FROM x;",
    "CREATE TYPE \"E\" AS ENUM ('a', 'b');",
    "ALTER TYPE \"E\" ADD VALUE 'c';",
    "REINDEX INDEX CONCURRENTLY \"i\";",
    "SELECT 1",
    "\r\n",
};

std::string generate(std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> count(0, 24), pick(0, kFragments.size() - 1);
  std::string out;
  for (size_t i = 0, n = count(rng); i < n; ++i) {
    out += kFragments[pick(rng)];
    if (rng() % 3 == 0) out += rng() % 2 ? "\n" : " ";
  }
  if (rng() % 10 == 0) out += "SELECT " + repeat_joined("1", "+", 500 + rng() % 3000) + ";";
  return out;
}

TEST(ParseCoverage, PropertyEveryByteOfAGeneratedFileIsAccountedFor) {
  std::mt19937_64 rng(20261201);
  int invalid = 0, copies = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string sql = generate(rng);
    sm::sql::ParsedFile f = parse_sql(sql, "m.sql");
    ASSERT_EQ(sm::test::uncovered(sql, f), "") << "case " << i << ":\n" << sql;
    uint32_t prev_end = 0;
    for (const auto& st : f.statements) {
      ASSERT_GE(st.start, prev_end) << "overlapping statements, case " << i << ":\n" << sql;
      prev_end = st.start + st.length;
      if (st.cls == StatementClass::Invalid) {
        ++invalid;
        ASSERT_FALSE(st.syntax_error.empty() && st.not_analysed.empty()) << "invalid without a reason:\n"
                                                                         << sql;
      }
      copies += st.copy_from_stdin;
    }
  }
  // The generator does reach the cases the property is about.
  EXPECT_GT(invalid, 1000);
  EXPECT_GT(copies, 100);
}

// ---- issue 18: no crash, no silent pass ------------------------------------------------------

// A valid SQL-standard function body (BEGIN ATOMIC … END) is one statement wherever a broken
// statement sits: before it, after it, between two of them, or inside the body (then the whole
// function is the one syntax error). The scanner's splitter cut it at each `;` into a syntax
// error, the body's statements and an `END` (a COMMIT on its own).
struct Item {
  std::string sql;   // with its `;`
  std::string kind;  // what it must come out as: "ok" or "syntax"
};

std::string atomic_function(std::mt19937_64& rng, bool broken_inside) {
  static const std::vector<std::string> body = {
      "SELECT 1;",
      "SELECT CASE WHEN x > 0 THEN 'a;' ELSE 'END' END FROM \"A\";",
      "INSERT INTO \"A\" (id) VALUES (1);",
      "UPDATE \"A\" SET n = (CASE WHEN id = 1 THEN 'x' END) WHERE id = 1;",
      "SELECT (SELECT 1);",
      "SELECT $$;END;$$;",
  };
  std::string head = rng() % 2 ? "CREATE OR REPLACE " : "CREATE ";
  head += rng() % 3
              ? "FUNCTION \"f" + std::to_string(rng() % 100) + "\"(x int DEFAULT 1) RETURNS int LANGUAGE sql"
              : "PROCEDURE \"p" + std::to_string(rng() % 100) + "\"() LANGUAGE sql";
  std::string out = head + (rng() % 2 ? "\n" : " ") + "BEGIN ATOMIC\n";
  size_t n = 1 + rng() % 4, broken_at = rng() % n;
  for (size_t i = 0; i < n; ++i) {
    std::string st = body[rng() % body.size()];
    if (head.find("FUNCTION") != std::string::npos && i + 1 == n) st = "SELECT 1;";  // returns int
    if (broken_inside && i == broken_at) st = "SELEC 2;";
    out += "  " + st + "\n";
  }
  return out + "END;";
}

TEST(ParseCoverage, PropertyBeginAtomicBodyIsOneStatementWhereverABrokenStatementSits) {
  static const std::vector<Item> others = {
      {"SELEC 1;", "syntax"},
      {"VACUM \"A\";", "syntax"},
      {"CREATE TABLE \"B\" (id int;", "syntax"},
      {"DROP TABLE \"T\";", "ok"},
      {"CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;", "ok"},
      {"SELECT CASE WHEN true THEN 1 END;", "ok"},
  };
  std::mt19937_64 rng(20261206);
  int with_broken = 0, broken_bodies = 0;
  for (int c = 0; c < 1500; ++c) {
    std::vector<Item> items;
    for (size_t i = 0, n = 1 + rng() % 5; i < n; ++i) {
      if (rng() % 2) {
        bool inside = rng() % 5 == 0;
        broken_bodies += inside;
        items.push_back({atomic_function(rng, inside), inside ? "syntax" : "ok"});
      } else {
        items.push_back(others[rng() % others.size()]);
      }
    }
    std::string sql;
    Kinds want;
    bool broken = false;
    for (const Item& it : items) {
      sql += it.sql + (rng() % 2 ? "\n" : " ");
      want.push_back(it.kind);
      broken |= it.kind == "syntax";
    }
    with_broken += broken;
    sm::sql::ParsedFile f = parse_sql(sql, "m.sql");
    ASSERT_EQ(kinds(sql), want) << "case " << c << ":\n" << sql;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string text = items[i].sql.substr(0, items[i].sql.size() - 1);
      ASSERT_EQ(f.statements[i].text, text) << "case " << c << ":\n" << sql;
      if (items[i].kind == "ok" && text.find("ATOMIC") != std::string::npos) {
        EXPECT_EQ(f.statements[i].node, "CreateFunctionStmt") << text;  // procedures too
      }
    }
  }
  EXPECT_GT(with_broken, 500) << "the generator reaches files with a broken statement";
  EXPECT_GT(broken_bodies, 100);
}

// A byte that is not UTF-8 is reported once, by the file's reader (an input error). The parser
// reads it as it reads a valid non-ASCII letter in the same place: the same statements, analysed
// or not alike. It reported each statement holding one as not analysable (statement-too-complex).
TEST(ParseCoverage, PropertyANonUtf8ByteIsReadLikeAValidLetterAnywhere) {
  const std::vector<std::string> files = {
      "CREATE TABLE \"A\" (\"id\" int, \"n\" text DEFAULT 'x');\n-- note\nALTER TABLE \"A\" ADD COLUMN \"b\" "
      "int;\n",
      "UPDATE \"A\" SET \"n\" = 'caf' WHERE \"id\" = 1; /* c */ DROP TABLE \"T\";",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nSELEC 1;\n",
      "DO $$ BEGIN PERFORM 1; END $$;\nCREATE INDEX CONCURRENTLY \"i\" ON \"A\"(\"n\");",
      "SELECT " + repeat_joined("1", "+", 40) + ";\nCOMMENT ON TABLE \"A\" IS 'x';",
  };
  int positions = 0;
  for (const std::string& base : files)
    for (size_t at = 0; at <= base.size(); ++at) {
      for (const char* bad : {"\xe9", "\xff", "\xc3", "\xed\xa0\x80"}) {
        std::string with_bad = base.substr(0, at) + bad + base.substr(at);
        std::string with_letter = base.substr(0, at) + "\xc3\xa9" + base.substr(at);
        Kinds got = kinds(with_bad), want = kinds(with_letter);
        ASSERT_EQ(got, want) << "byte " << at << " of:\n" << base;
        for (const auto& st : parse_sql(with_bad, "m.sql").statements)
          ASSERT_EQ(st.not_analysed.find("UTF-8"), std::string::npos) << st.not_analysed;
        ++positions;
      }
    }
  EXPECT_GT(positions, 1000);
}

// Through check: one finding for the byte (the input error), none for the statement holding it.
TEST(ParseCoverage, ANonUtf8ByteIsOneFindingThroughCheck) {
  for (const std::string& statement :
       {std::string("SELECT \xe9;"), std::string("UPDATE \"A\" SET \"n\" = '\xe9t\xe9';"),
        std::string("ALTER TABLE \"caf\xe9\" ADD COLUMN \"b\" int;"), std::string("/* \xe9 */ SELECT 1;")}) {
    sm::test::TempDir d;
    d.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    d.write("migrations/20240101000000_a/migration.sql", "CREATE TABLE \"A\" (id int);\n" + statement + "\n");
    auto r = sm::test::run_cli_in(d.path(), "check --format json migrations");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    auto count = [&](const std::string& needle) {
      size_t n = 0;
      for (size_t at = r.out.find(needle); at != std::string::npos; at = r.out.find(needle, at + 1)) ++n;
      return n;
    };
    EXPECT_EQ(count("\"rule\": \"input-error\""), 1u) << r.out;
    EXPECT_EQ(count("statement-too-complex"), 0u) << r.out;
  }
}

// The statement is parsed on the calling thread only when its nesting fits in the stack that
// thread has left; `ulimit -s 512` gives the main thread and every parser thread 512 KiB, and
// 4,000 chained operators, then parsed inline, overflowed it. For each stack limit and length,
// check says what it says with the default stack: the same output, no signal.
TEST(ParseCoverage, PropertyChainedOperatorsNeverOverflowWhateverTheStackLimit) {
  sm::test::TempDir d;
  d.write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  const std::string bin = sm::test::shell_quote(SAFEMIGRATE_BINARY);
  // The chained SELECT alone in its file: the whole file's bound is then the statement's (3,999
  // and 4,000 terms overflowed 512 KiB; a longer file went to a thread of its own anyway).
  for (size_t n : {1000u, 2000u, 3000u, 3999u, 4000u, 6000u, 8000u}) {
    std::filesystem::remove_all(d.path() / "migrations/20240101000000_a");
    std::filesystem::remove_all(d.path() / "migrations/20240102000000_b");
    d.write("migrations/20240101000000_a/migration.sql", "SELECT " + repeat_joined("1", "+", n) + ";\n");
    d.write("migrations/20240102000000_b/migration.sql",
            "UPDATE \"T\" SET id = " + repeat_joined("id", " * ", n) + ";\nSELEC 1;\nDROP TABLE \"T\";\n");
    auto base = sm::test::run_shell(d.path(), bin + " check --format json migrations");
    ASSERT_LT(base.exit_code, 3) << n << base.err;
    for (int kib : {256, 512, 1024, 2048}) {
      for (const char* jobs : {"-j 1", "-j 2"}) {
        auto r = sm::test::run_shell(d.path(), "ulimit -s " + std::to_string(kib) + " && " + bin + " check " +
                                                   jobs + " --format json migrations");
        EXPECT_EQ(r.exit_code, base.exit_code)
            << n << " operators, ulimit -s " << kib << " " << jobs << ": " << r.err;
        EXPECT_EQ(r.out, base.out) << n << " operators, ulimit -s " << kib << " " << jobs;
      }
    }
  }
}

}  // namespace

// Issue 9: never check, apply or record what was not parsed. src/sql must account for every byte
// of a migration (coverage_oracle.h), report what it cannot parse or analyse, and never crash on
// deep trees. The regressions from the issue first, then the property over generated files.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "coverage_oracle.h"
#include "sql/parse.h"

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

}  // namespace

// `check --format markdown`: the pull-request comment. The reports of the fixture projects are
// checked in (tests/expected/markdown/, reviewed for readability; SAFEMIGRATE_UPDATE_EXPECTED=1
// rewrites them), and generated input with markdown and HTML in names and statements cannot
// break the comment's structure.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli_in;
using sm::test::TempDir;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

void expect_structure(const std::string& md) {
  ASSERT_EQ(md.rfind("<!-- safemigrate-report -->\n", 0), 0u) << "the marker comes first";
  EXPECT_EQ(count(md, "<!--"), 1u) << "no other HTML comment may hide the rest";
  EXPECT_EQ(count(md, "<details>"), count(md, "</details>"));
  EXPECT_EQ(count(md, "<pre>"), count(md, "</pre>"));
  EXPECT_EQ(count(md, "<code>"), count(md, "</code>"));
  size_t impact = md.find("### What this change does to production"), errors = md.find("### Errors"),
         warnings = md.find("### Warnings");
  ASSERT_NE(impact, std::string::npos);
  if (errors != std::string::npos) {
    EXPECT_LT(impact, errors);
  }
  if (errors != std::string::npos && warnings != std::string::npos) {
    EXPECT_LT(errors, warnings);
  }
  EXPECT_LT(md.size(), 65536u);
}

void compare_with_expected(const std::string& name, const std::string& args) {
  auto r = run_cli_in(sm::test::source_dir(), "check --format markdown " + args);
  ASSERT_NE(r.exit_code, 2) << r.err;
  expect_structure(r.out);
  fs::path expected = sm::test::source_dir() / "tests/expected/markdown" / name;
  if (std::getenv("SAFEMIGRATE_UPDATE_EXPECTED")) {
    fs::create_directories(expected.parent_path());
    std::ofstream(expected, std::ios::binary) << r.out;
  }
  EXPECT_EQ(r.out, sm::test::read_file(expected))
      << "the report of " << args << " changed; if on purpose, rerun with "
      << "SAFEMIGRATE_UPDATE_EXPECTED=1 and review " << expected;
}

TEST(MarkdownReport, PrismaShopFixtureAsCheckedIn) {
  compare_with_expected("prisma-shop.md", "fixtures/prisma/shop/prisma/migrations");
}

TEST(MarkdownReport, DjangoFixtureAsCheckedIn) {
  compare_with_expected("django-plan.md", "fixtures/django/plan.json");
}

TEST(MarkdownReport, ErrorsComeBeforeWarningsAndEachHasItsSafeAlternative) {
  TempDir d;
  d.write("prisma/migrations/20240101000000_init/migration.sql",
          "CREATE TABLE \"A\" (\"id\" INT, \"b\" INT);\n");
  d.write("prisma/migrations/20240102000000_risky/migration.sql",
          "ALTER TABLE \"A\" ALTER COLUMN \"b\" TYPE BIGINT;\nCREATE INDEX \"i\" ON \"A\"(\"b\");\n");
  auto r = run_cli_in(d.path(), "check --format markdown prisma/migrations");
  EXPECT_EQ(r.exit_code, 1);
  expect_structure(r.out);
  // The rewrite is the first thing said: a table row, before any finding.
  size_t row = r.out.find(
      "| <code>20240102000000\\_risky</code> | <code>\"A\"</code> | ACCESS EXCLUSIVE | reads and writes | "
      "rewrites every row |");
  EXPECT_NE(row, std::string::npos) << r.out;
  EXPECT_LT(row, r.out.find("### Errors"));
  EXPECT_NE(r.out.find("Table sizes are unknown"), std::string::npos);
  EXPECT_GE(count(r.out, "> **Safe alternative:**"), 2u) << r.out;
  EXPECT_NE(r.out.find("#### <code>20240102000000\\_risky</code> · "
                       "<code>prisma/migrations/20240102000000\\_risky/migration.sql</code>"),
            std::string::npos)
      << r.out;
}

// Generated names and statements full of what markdown and HTML read: the structure holds.
TEST(MarkdownReport, NamesAndStatementsCannotBreakTheComment) {
  std::mt19937 rng(24);
  const std::string specials = "`*_[]|<>&#~\\!-";
  for (int round = 0; round < 12; ++round) {
    std::string name;
    for (int i = 0; i < 12; ++i) name += specials[rng() % specials.size()];
    std::string quoted;  // as a quoted identifier: double quotes doubled
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    TempDir d;
    d.write("prisma/migrations/20240101000000_init/migration.sql",
            "CREATE TABLE \"" + quoted + "\" (\"id\" INT);\n");
    d.write("prisma/migrations/20240102000000_x " + name.substr(0, 4) + "</details><!--/migration.sql",
            "-- </details> <!-- ``` \nCREATE INDEX \"i\" ON \"" + quoted +
                "\"(\"id\");\n"
                "ALTER TABLE \"" +
                quoted + "\" ADD COLUMN \"c\" TEXT NOT NULL DEFAULT '</details>``` <!--';\n");
    auto r = run_cli_in(d.path(), "check --format markdown prisma/migrations");
    ASSERT_NE(r.exit_code, 2) << r.err;
    expect_structure(r.out);
    EXPECT_EQ(count(r.out, "<details>"), count(r.out, "</details>")) << r.out;
  }
}

TEST(MarkdownReport, AReportTooLongForACommentSaysWhatItLeavesOut) {
  TempDir d;
  std::string init;
  for (int i = 0; i < 400; ++i) init += "CREATE TABLE t" + std::to_string(i) + " (id INT);\n";
  d.write("prisma/migrations/20240101000000_init/migration.sql", init);
  for (int i = 0; i < 400; ++i)
    d.write("prisma/migrations/20240102" +
                std::string(i < 10    ? "00000"
                            : i < 100 ? "0000"
                                      : "000") +
                std::to_string(i) + "_m/migration.sql",
            "CREATE INDEX i" + std::to_string(i) + " ON t" + std::to_string(i) + " (id);\n");
  auto r = run_cli_in(d.path(), "check --format markdown prisma/migrations");
  expect_structure(r.out);
  EXPECT_NE(r.out.find("more findings are not shown here"), std::string::npos)
      << r.out.substr(r.out.size() - 500);
}

}  // namespace

// Stable fingerprints (src/app/fingerprint.h): the same finding keeps its fingerprint across runs,
// across edits elsewhere in its file and across a renamed parent folder; different statements get
// different ones. Also the normalisation they rest on (sql::normalized_statement), as a property
// over generated layouts of the same statements.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <random>
#include <set>

#include "app/check_command.h"
#include "sql/parse.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::TempDir;

namespace {

// Statements as token lists, so that a generator can lay each out in many ways.
const std::vector<std::vector<std::string>> kStatements = {
    {"CREATE", "INDEX", "\"idx_a\"", "ON", "\"Order\"", "(", "\"userId\"", ")"},
    {"ALTER", "TABLE", "\"Order\"", "ADD", "COLUMN", "\"note\"", "TEXT", "NOT", "NULL", "DEFAULT", "'x y'"},
    {"ALTER", "TABLE", "\"Order\"", "ADD", "COLUMN", "\"note\"", "TEXT", "NOT", "NULL", "DEFAULT", "'x  y'"},
    {"UPDATE", "orders", "SET", "total", "=", "0", "WHERE", "total", "IS", "NULL"},
    {"UPDATE", "orders", "SET", "total", "=", "1", "WHERE", "total", "IS", "NULL"},
    {"DROP", "TABLE", "\"Order\""},
    {"DROP", "TABLE", "\"order\""},
    {"ALTER", "TABLE", "orders", "ALTER", "COLUMN", "id", "TYPE", "bigint"},
};

std::string flip_case(const std::string& token, std::mt19937& rng) {
  if (token.front() == '"' || token.front() == '\'') return token;  // quoted: case is meaning
  std::string out = token;
  for (char& c : out)
    if (rng() % 2)
      c = static_cast<char>(std::isupper(static_cast<unsigned char>(c)) ? std::tolower(c) : std::toupper(c));
  return out;
}

std::string layout(const std::vector<std::string>& tokens, std::mt19937& rng) {
  static const std::vector<std::string> gaps = {" ",         "  ",  "\n", "\t", "\n    ", " -- a comment\n",
                                                " /* c */ ", "\r\n"};
  std::string out = rng() % 2 ? "" : "-- leading comment\n";
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += gaps[rng() % gaps.size()];
    out += flip_case(tokens[i], rng);
  }
  if (rng() % 2) out += ";";
  return out;
}

TEST(NormalizedStatement, EveryLayoutOfAStatementIsOneAndDifferentStatementsDiffer) {
  std::mt19937 rng(24);
  std::vector<std::string> canonical;
  for (const auto& tokens : kStatements) {
    std::string first = sm::sql::normalized_statement(layout(tokens, rng));
    for (int i = 0; i < 200; ++i) {
      std::string text = layout(tokens, rng);
      ASSERT_EQ(sm::sql::normalized_statement(text), first) << text;
    }
    canonical.push_back(first);
  }
  // Constants, quoted names and the words themselves tell statements apart.
  EXPECT_EQ(std::set<std::string>(canonical.begin(), canonical.end()).size(), kStatements.size());
  EXPECT_EQ(canonical[5], "drop table \"Order\"");
}

TEST(NormalizedStatement, TextTheScannerRejectsIsStillCompared) {
  EXPECT_EQ(sm::sql::normalized_statement("SELECT 'unterminated\n  x"), "SELECT 'unterminated x");
  EXPECT_NE(sm::sql::normalized_statement("SELECT 'a"), sm::sql::normalized_statement("SELECT 'b"));
}

// A Prisma project under `root` (its migrations folder at root/dir).
void write_project(const fs::path& root, const std::string& dir, const std::string& second_prefix = "") {
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((root / dir / rel).parent_path());
    std::FILE* f = std::fopen((root / dir / rel).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  };
  write("migration_lock.toml", "provider = \"postgresql\"\n");
  write("20240101000000_init/migration.sql",
        "CREATE TABLE \"Order\" (\"id\" INT, \"userId\" INT);\nCREATE TABLE \"User\" (\"id\" INT);\n");
  write("20240102000000_indexes/migration.sql",
        second_prefix +
            "CREATE INDEX \"a\" ON \"Order\"(\"userId\");\n"
            "ALTER TABLE \"Order\" ADD COLUMN \"total\" INT NOT NULL;\n"
            "UPDATE \"Order\" SET \"total\" = 0;\n"
            "UPDATE \"Order\" SET \"total\" = 0;\n"
            "CREATE INDEX \"b\" ON \"User\"(\"id\");\n");
  write("20240103000000_again/migration.sql", "CREATE INDEX \"a\" ON \"Order\"(\"userId\");\n");
}

std::vector<sm::model::Finding> check(const fs::path& path) {
  sm::app::CheckOptions options;
  options.paths = {path.string()};
  options.jobs = 1;
  sm::app::CheckRun run = sm::app::run_check(options, nullptr);
  EXPECT_FALSE(run.input_error);
  return run.findings;
}

std::vector<std::string> fingerprints(const std::vector<sm::model::Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.fingerprint);
  return out;
}

TEST(Fingerprint, EqualAcrossRunsAndUniqueWithinOne) {
  TempDir d;
  write_project(d.path(), "prisma/migrations");
  auto first = check(d.path() / "prisma/migrations");
  ASSERT_GE(first.size(), 6u);
  auto second = check(d.path() / "prisma/migrations");
  EXPECT_EQ(fingerprints(first), fingerprints(second));
  std::set<std::string> unique;
  for (const auto& f : first) {
    EXPECT_EQ(f.fingerprint.size(), 32u) << f.rule;
    EXPECT_TRUE(unique.insert(f.fingerprint).second) << "two findings share " << f.fingerprint << ": "
                                                     << f.rule << " " << f.migration << ":" << f.loc.line;
  }
  // The two identical UPDATEs of one file are two findings each with a fingerprint of its own
  // (an occurrence index); the same CREATE INDEX in two migrations differs by the migration.
  size_t updates = 0;
  for (const auto& f : first) updates += f.rule == "whole-table-write" || f.rule == "unbounded-backfill";
  EXPECT_GE(updates, 2u);
}

TEST(Fingerprint, SurvivesAnEditAboveTheStatementAndAFolderRename) {
  TempDir a, b, c;
  write_project(a.path(), "prisma/migrations");
  write_project(
      b.path(), "prisma/migrations",
      "-- reviewed with the DBA\nSET lock_timeout = '5s';\n\n\nCREATE TABLE \"Audit\" (\"id\" INT);\n");
  write_project(c.path(), "db/schema/migrations-renamed");
  auto before = check(a.path() / "prisma/migrations");
  auto edited = check(b.path() / "prisma/migrations");
  auto moved = check(c.path() / "db/schema/migrations-renamed");
  EXPECT_EQ(fingerprints(before), fingerprints(moved)) << "a renamed parent folder changed fingerprints";
  std::map<std::string, const sm::model::Finding*> after;
  for (const auto& f : edited) after[f.fingerprint] = &f;
  size_t moved_lines = 0;
  for (const auto& f : before) {
    // missing-lock-timeout is about the file, and the edit set lock_timeout: it goes away.
    if (f.rule == "missing-lock-timeout") continue;
    auto it = after.find(f.fingerprint);
    ASSERT_NE(it, after.end()) << f.rule << " at " << f.migration << ":" << f.loc.line
                               << " got a new fingerprint";
    EXPECT_EQ(it->second->rule, f.rule);
    EXPECT_EQ(it->second->statement, f.statement);
    moved_lines += it->second->loc.line != f.loc.line;
  }
  EXPECT_GE(moved_lines, 4u) << "the edit moved the statements down";
}

// Generated: many migrations, each a different statement; every fingerprint differs, and
// changing one statement changes that finding's fingerprint only.
TEST(Fingerprint, DifferentStatementsGetDifferentFingerprints) {
  TempDir d;
  fs::path dir = d.path() / "migrations";
  std::string init = "CREATE TABLE t (id INT);\n";
  for (int i = 0; i < 40; ++i) init += "CREATE TABLE t" + std::to_string(i) + " (id INT, c INT);\n";
  d.write("migrations/20240101000000_init/migration.sql", init);
  for (int i = 0; i < 40; ++i)
    d.write("migrations/20240102" + std::string(i < 10 ? "00000" : "0000") + std::to_string(i) +
                "_m/migration.sql",
            "CREATE INDEX i" + std::to_string(i) + " ON t" + std::to_string(i) + " (c);\n");
  auto first = check(dir);
  std::map<std::string, std::string> by_file;  // file -> fingerprint of its index finding
  for (const auto& f : first)
    if (f.rule == "require-concurrent-index-creation") by_file[f.loc.file] = f.fingerprint;
  ASSERT_EQ(by_file.size(), 40u);
  std::set<std::string> distinct;
  for (const auto& [file, fp] : by_file) distinct.insert(fp);
  EXPECT_EQ(distinct.size(), 40u);
  // Index 7 now builds on another column: a different statement, a different fingerprint.
  d.write("migrations/20240102000007_m/migration.sql", "CREATE INDEX i7 ON t7 (id);\n");
  auto second = check(dir);
  for (const auto& f : second) {
    if (f.rule != "require-concurrent-index-creation") continue;
    if (f.loc.file.find("20240102000007_m") != std::string::npos)
      EXPECT_NE(f.fingerprint, by_file[f.loc.file]);
    else
      EXPECT_EQ(f.fingerprint, by_file[f.loc.file]) << f.loc.file;
  }
}

TEST(Fingerprint, JsonAndSarifCarryIt) {
  TempDir d;
  write_project(d.path(), "prisma/migrations");
  auto findings = check(d.path() / "prisma/migrations");
  auto json = sm::test::run_cli_in(d.path(), "check --format json prisma/migrations");
  auto sarif = sm::test::run_cli_in(d.path(), "check --format sarif prisma/migrations");
  for (const auto& f : findings) {
    EXPECT_NE(json.out.find("\"fingerprint\": \"" + f.fingerprint + "\""), std::string::npos) << f.rule;
    EXPECT_NE(sarif.out.find("\"partialFingerprints\": {\"safemigrate/v1\": \"" + f.fingerprint + "\"}"),
              std::string::npos)
        << f.rule;
  }
}

TEST(Fingerprint, DjangoPlanFindingsHaveDistinctStableFingerprints) {
  fs::path plan = sm::test::source_dir() / "fixtures/django/plan.json";
  auto first = check(plan), second = check(plan);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(fingerprints(first), fingerprints(second));
  std::set<std::string> unique;
  for (const auto& f : first)
    EXPECT_TRUE(unique.insert(f.fingerprint).second) << f.rule << " " << f.migration;
}

}  // namespace

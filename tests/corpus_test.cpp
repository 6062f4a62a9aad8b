// `check` over ../shared/corpus/prisma: 2,012 real migration.sql files from six open-source
// projects. Real SQL is messier than fixtures (no final `;`, folder names with spaces, one real
// syntax error); this proves nothing crashes, every file is analysed, and records what each
// rule finds so that a change in any rule's reach shows up here for a reviewer.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "app/check_command.h"
#include "test_support.h"

namespace {

class Corpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sm::app::CheckOptions options;
    options.paths = {(sm::test::shared_dir() / "corpus" / "prisma").string()};
    run_ = new sm::app::CheckRun(sm::app::run_check(options, nullptr));
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
  }
  static sm::app::CheckRun* run_;
};

sm::app::CheckRun* Corpus::run_ = nullptr;

TEST_F(Corpus, EveryFileIsReadAndAnalysed) {
  EXPECT_FALSE(run_->input_error);
  EXPECT_EQ(run_->sets.size(), 7u);
  size_t migrations = 0, with_spaces = 0;
  for (const auto& set : run_->sets)
    for (const auto& m : set.migrations) {
      ++migrations;
      with_spaces += m.id.find(' ') != std::string::npos;
      ASSERT_EQ(m.operations.size(), 1u) << m.id << " was not analysed";
      EXPECT_EQ(m.checksum.size(), 64u) << m.id;
    }
  EXPECT_EQ(migrations, 2012u);
  EXPECT_EQ(with_spaces, 2u);  // langfuse's "… copy" folders (the corpus README says three; two exist)
  EXPECT_EQ(run_->statements, 7211u);
  for (const auto& f : run_->findings) EXPECT_NE(f.rule, "input-error") << f.loc.file << ": " << f.message;
}

// civitai's model_metric_overhaul misses a comma at the end of line 26 of its UPDATE's SET
// list. PostgreSQL's parser stops at the next token, "mode", at line 27 column 3 (squawk
// reports the missing comma's line 0-based, as 25). The statements after it are still checked.
TEST_F(Corpus, CivitaiSyntaxErrorIsReportedAndTheRestOfTheFileChecked) {
  const std::string id = "20251123142214_model_metric_overhaul";
  std::vector<const sm::model::Finding*> in_file;
  for (const auto& f : run_->findings)
    if (f.migration == id) in_file.push_back(&f);
  auto syntax =
      std::find_if(in_file.begin(), in_file.end(), [](auto* f) { return f->rule == "syntax-error"; });
  ASSERT_NE(syntax, in_file.end());
  EXPECT_EQ((*syntax)->loc.line, 27u);
  EXPECT_EQ((*syntax)->loc.column, 3u);
  EXPECT_NE((*syntax)->message.find("syntax error at or near \"\"mode\"\""), std::string::npos)
      << (*syntax)->message;
  // The code frame shows the error's own line, with the caret at its column (the statement
  // starts on line 18 with `UPDATE "ModelMetric" mm`).
  EXPECT_EQ((*syntax)->source_line, "  \"mode\" = m.\"mode\"");
  size_t after = std::count_if(in_file.begin(), in_file.end(), [](auto* f) { return f->loc.line > 27; });
  EXPECT_GE(after, 10u) << "the statements after the syntax error must still be checked";
  EXPECT_EQ(std::count_if(run_->findings.begin(), run_->findings.end(),
                          [](auto& f) { return f.rule == "syntax-error"; }),
            1);
}

// What each rule finds on the corpus, per file (Prisma version unknown: both execution modes
// count). Recounted for issue 12 (docs/rules.md has the table per project, before and after):
// - no-down-migration (2,012 before): none of these projects writes down.sql or marks a migration,
//   so it is one project-wide condition per migrations folder; per file only the 225 migrations
//   that drop a table or a column, truncate, or delete every row of a table that existed before;
// - missing-lock-timeout (1,254 before): no project sets lock_timeout in most of its migrations
//   (civitai, langfuse and trigger.dev do in a few hand-written ones), so it is project-wide only;
//   it now counts SHARE and SHARE ROW EXCLUSIVE locks too (CREATE INDEX, a foreign key's parent);
// - non-atomic-migration (975 before): the Prisma >= 7.4 condition is project-wide; per file the
//   409 where a statement after the first committed change can fail on existing rows, and the
//   files that split themselves with COMMIT;
// - require-concurrent-index-deletion (146 before): 29 drops add no blocking (an ACCESS EXCLUSIVE
//   the same transaction already holds under Prisma <= 7.3 in every scenario, or a later DROP
//   COLUMN/TABLE that drops the index anyway);
// - whole-table-write (new): UPDATE/DELETE with no WHERE on an existing table (52), and 15
//   INSERT … SELECT copies of every row of an existing table (issue 11; a WITH clause's names are
//   no tables: 2 such copies read a CTE and are not counted);
// - require-concurrent-index-creation counts only indexes on tables that existed before the
//   migration (squawk also counts an index made right after its CREATE TABLE);
// - prefer-bigint-for-keys: 112 SERIAL primary keys of new tables (Prisma's Int @id
//   @default(autoincrement())); int keys of join tables, which draw from no sequence, are not counted.
// Recounted for issue 19 (precision; docs/rules.md, "Issue 19"):
// - non-atomic-migration 409 -> 295: what cannot fail on the rows already there is no longer
//   reported per file (a FOREIGN KEY or UNIQUE index on a column the file added NULL or serial, a
//   foreign key re-added right after its drop, a cast that always succeeds, an UPDATE of columns
//   the file added, to plain values); those files count in the condition (566 -> 680);
// - no-down-migration 225 -> 2: DROP TABLE / DROP COLUMN carry dropping-table / dropping-column on
//   the same statement; the 2 left are a TRUNCATE and a DELETE of every row;
// - prefer-bigint-for-keys 112 -> 0 per file: a history read once hears it once per folder (2
//   conditions, 72 migrations); a change under review (--since) hears it per table;
// - renaming-column 33 -> 20: 13 renames of a column the same migration added; 10 of them replace
//   a dropped column of another type, now changing-column-type (76 -> 86) names the type change.
// - issue 19: unbounded-backfill 9 (every one `UPDATE t SET c = … WHERE c IS NULL`, read against
//   the SQL: civitai 6, hoppscotch, langfuse, teable 1 each); validate-in-same-transaction 2 (civitai
//   files whose comments expect VALIDATE to run under SHARE UPDATE EXCLUSIVE, but under Prisma <=
//   7.3 the file is one transaction and the ADD's SHARE ROW EXCLUSIVE stays); dropping-schema-cascade,
//   attach-partition-without-check and lock-held-across-statements find nothing here (no such
//   statements), nor does type-change-breaks-view (civitai drops its views before changing types;
//   stars over subqueries and WITH queries read only what those name).
// dropping-database, truncate-table, transaction-nesting, uncommitted-transaction and
// lexing-setting-changed (no file sets standard_conforming_strings or client_encoding) find nothing
// here (civitai's lone COMMIT after ALTER TYPE … ADD VALUE is Prisma's known workaround, not nesting).
TEST_F(Corpus, FindingsPerRule) {
  std::map<std::string, int> counts;
  for (const auto& f : run_->findings)
    if (!f.migrations_concerned) ++counts[f.rule];
  const std::map<std::string, int> expected = {
      {"non-atomic-migration", 295},
      {"require-concurrent-index-creation", 381},
      {"dropping-column", 344},
      {"constraint-missing-not-valid", 284},
      {"no-down-migration", 2},
      {"adding-not-null-column", 190},
      {"dropping-table", 172},
      {"mixed-schema-and-data", 150},
      {"require-concurrent-index-deletion", 117},
      {"changing-column-type", 86},
      {"set-not-null-without-check", 70},
      {"whole-table-write", 67},
      {"unbounded-backfill", 9},
      {"unique-constraint-builds-index", 48},
      {"renaming-column", 20},
      {"table-rewrite", 17},
      {"concurrently-in-transaction", 6},
      {"enum-value-used-in-transaction", 4},
      {"validate-in-same-transaction", 2},
      {"renaming-table", 2},
      {"syntax-error", 1},
  };
  EXPECT_EQ(counts, expected);
}

// The project-wide conditions: one per rule and migrations folder (7 folders), each counting the
// migrations it stands for, instead of a finding in each of them.
TEST_F(Corpus, ProjectWideConditionsAreSaidOncePerFolder) {
  std::map<std::string, int> conditions, concerned;
  for (const auto& f : run_->findings)
    if (f.migrations_concerned) {
      ++conditions[f.rule];
      concerned[f.rule] += static_cast<int>(f.migrations_concerned);
      EXPECT_TRUE(f.migration.empty()) << f.rule;
      EXPECT_EQ(f.loc.line, 0u) << f.rule;
      EXPECT_FALSE(f.help.empty()) << f.rule;
    }
  const std::map<std::string, int> expected_conditions = {{"missing-lock-timeout", 7},
                                                          {"no-down-migration", 7},
                                                          {"non-atomic-migration", 7},
                                                          {"prefer-bigint-for-keys", 2}};
  EXPECT_EQ(conditions, expected_conditions);
  // no-down-migration: 2,012 changing migrations minus the 225 reported per file (and those that
  // change nothing); non-atomic-migration: the multi-statement files where nothing can fail on rows.
  const std::map<std::string, int> expected_concerned = {{"missing-lock-timeout", 1537},
                                                         {"no-down-migration", 2010},
                                                         {"non-atomic-migration", 680},
                                                         {"prefer-bigint-for-keys", 72}};
  EXPECT_EQ(concerned, expected_concerned);
}

// docs/rules.md's tables of each rule's reach on the corpus (per project, under Prisma >= 7.4 and
// <= 7.3) are what `python3 bench/rule_reach.py build/safemigrate` prints today: a change in any
// rule's reach must come with the tables regenerated (issue 19: the counts in the docs current).
TEST(CorpusDocs, RuleReachTablesInDocsAreTheScriptsOutput) {
  const std::filesystem::path corpus = sm::test::shared_dir() / "corpus" / "prisma";
  sm::test::RunResult r = sm::test::run_shell(
      sm::test::source_dir(), "python3 bench/rule_reach.py " + sm::test::shell_quote(SAFEMIGRATE_BINARY) +
                                  " " + sm::test::shell_quote(corpus.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string tables = r.out;
  tables.erase(0, tables.find_first_not_of('\n'));
  tables.erase(tables.find_last_not_of('\n') + 1);
  ASSERT_FALSE(tables.empty());
  std::string docs = sm::test::read_file(sm::test::source_dir() / "docs" / "rules.md");
  EXPECT_NE(docs.find(tables), std::string::npos)
      << "docs/rules.md (\"How often each rule fires on the corpus\") differs from bench/rule_reach.py's "
         "output; paste it there:\n"
      << tables;
}

}  // namespace

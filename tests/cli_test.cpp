// The safemigrate binary as a user runs it: exit codes, messages, output formats, bad input.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>

#include "checks/registry.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli;
using sm::test::shell_quote;
using sm::test::TempDir;

namespace {

const char* kSafe =
    "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\n";
const char* kUnsafe =
    "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nCREATE INDEX \"User_bio_idx\" ON "
    "\"User\"(\"bio\");\n";

std::string migrations(const TempDir& d) {
  return shell_quote((d.path() / "migrations").string());
}

TEST(Cli, CleanMigrationsExitZero) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", kSafe);
  auto r = run_cli("check " + migrations(d));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 errors, 0 warnings"), std::string::npos) << r.out;
}

TEST(Cli, ErrorFindingExitsOneWithFileLineColumnAndMarker) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", kSafe);
  d.write("migrations/20240102000000_b/migration.sql", kUnsafe);
  auto r = run_cli("check --no-color " + migrations(d));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("20240102000000_b/migration.sql:3:1: error[require-concurrent-index-creation]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("    3 | CREATE INDEX \"User_bio_idx\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("      | ^"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\033["), std::string::npos) << "no colour when not on a terminal";
}

TEST(Cli, JsonIsValidAndCarriesSuppressionReasons) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql",
          "-- safemigrate: irreversible\nSET lock_timeout = '5s';\n"
          "-- safemigrate-ignore: require-concurrent-index-creation table has 12 rows\n"
          "CREATE INDEX \"i\" ON \"Setting\"(\"k\");\nDROP INDEX \"j\";\n");
  auto r = run_cli("check --format json " + migrations(d));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(int64_t(doc["format_version"]), 1);
  EXPECT_EQ(int64_t(doc["summary"]["errors"]), 1);
  EXPECT_EQ(int64_t(doc["summary"]["suppressed"]), 1);
  bool saw_reason = false;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    if (bool(f["suppressed"])) {
      saw_reason = true;
      EXPECT_EQ(std::string_view(f["suppression_reason"]), "table has 12 rows");
      EXPECT_EQ(int64_t(f["line"]), 4);
    }
  }
  EXPECT_TRUE(saw_reason);
  std::string_view checksum = doc["sources"].at(0)["migrations"].at(0)["checksum"];
  EXPECT_EQ(checksum.size(), 64u);
}

TEST(Cli, DownSqlSatisfiesTheReversibilityRule) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql",
          "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN c int;\n");
  auto without = run_cli("check --format json " + migrations(d));
  EXPECT_NE(without.out.find("\"no-down-migration\""), std::string::npos);
  d.write("migrations/20240101000000_a/down.sql", "ALTER TABLE t DROP COLUMN c;\n");
  auto with = run_cli("check --format json " + migrations(d));
  EXPECT_EQ(with.out.find("\"no-down-migration\""), std::string::npos) << with.out;
}

TEST(Cli, MissingPathIsAnInputError) {
  auto r = run_cli("check /no/such/folder");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no such file or folder: /no/such/folder"), std::string::npos) << r.out << r.err;
}

TEST(Cli, EmptyFolderIsAnInputError) {
  TempDir d;
  fs::create_directories(d.path() / "empty");
  auto r = run_cli("check " + shell_quote((d.path() / "empty").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no Prisma migrations folder found"), std::string::npos) << r.out;
}

// A bad file is reported by name, and the other migrations are still checked.
void expect_bad_file(const std::string& content, const std::string& extra_args, const std::string& message) {
  TempDir d;
  d.write("migrations/20240101000000_bad/migration.sql", content);
  d.write("migrations/20240102000000_b/migration.sql", kUnsafe);
  auto r = run_cli("check --no-color " + extra_args + " " + migrations(d));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("20240101000000_bad/migration.sql"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("require-concurrent-index-creation"), std::string::npos)
      << "the good migration is still checked";
}

TEST(Cli, BinaryFile) {
  expect_bad_file(std::string("\x7f"
                              "ELF\0\0\x01",
                              7),
                  "", "binary");
}
TEST(Cli, NonUtf8File) {
  expect_bad_file("ALTER TABLE t ADD COLUMN c text DEFAULT '\xff\xfe';\n", "", "UTF-8");
}
TEST(Cli, FileOverTheSizeLimit) {
  expect_bad_file(std::string(200, ' ') + "SELECT 1;", "--max-file-size 100", "--max-file-size");
}

TEST(Cli, FiftyMegabyteFileIsRefusedByDefault) {
  std::string big;
  big.reserve(50u << 20);
  while (big.size() < (50u << 20)) big += "INSERT INTO \"Log\" (\"id\") VALUES (1);\n";
  expect_bad_file(big, "", "--max-file-size");
}

TEST(Cli, SymlinkLoopDoesNotHang) {
  TempDir d;
  d.write("repo/prisma/migrations/20240101000000_a/migration.sql", kUnsafe);
  fs::create_directory_symlink(d.path() / "repo", d.path() / "repo" / "loop");
  auto r = run_cli("check --format json " + shell_quote((d.path() / "repo").string()));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("require-concurrent-index-creation"), std::string::npos);
}

TEST(Cli, DirectoryInPlaceOfMigrationSql) {
  TempDir d;
  fs::create_directories(d.path() / "migrations/20240101000000_bad/migration.sql");
  d.write("migrations/20240102000000_b/migration.sql", kUnsafe);
  auto r = run_cli("check " + migrations(d));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("20240101000000_bad/migration.sql"), std::string::npos) << r.out;
}

// A migration.sql nobody may read: an input error naming it, exit 2, and the other migrations
// still checked. Root reads mode-000 files, so as root the binary runs as the user nobody.
TEST(Cli, UnreadableFileIsReportedAndTheRestChecked) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", kSafe);
  fs::path locked = d.write("migrations/20240102000000_b/migration.sql", kSafe);
  d.write("migrations/20240103000000_c/migration.sql", kUnsafe);
  fs::permissions(locked, fs::perms::none);
  auto r = ::geteuid() == 0 ? sm::test::run_cli_as_nobody("check --no-color " + migrations(d))
                            : run_cli("check --no-color " + migrations(d));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("20240102000000_b/migration.sql"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("ermission denied"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("20240103000000_c/migration.sql:3:1: error[require-concurrent-index-creation]"),
            std::string::npos)
      << r.out;
}

TEST(Cli, BadPrismaVersionIsAUsageError) {
  TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", kSafe);
  auto r = run_cli("check --prisma-version banana " + migrations(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--prisma-version"), std::string::npos) << r.err;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  auto r = run_cli("check --frobnicate x");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, RulesListsEveryRule) {
  auto r = run_cli("rules");
  EXPECT_EQ(r.exit_code, 0);
  for (const auto* rule : sm::checks::all_rules())
    EXPECT_NE(r.out.find(std::string(rule->doc.id)), std::string::npos) << rule->doc.id;
}

TEST(Cli, ExplainPrintsWhyAndTheSafeAlternative) {
  auto r = run_cli("explain require-concurrent-index-creation");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Why it matters"), std::string::npos);
  EXPECT_NE(r.out.find("CREATE INDEX CONCURRENTLY IF NOT EXISTS"), std::string::npos);
  EXPECT_EQ(r.out.find("said once for the whole project"), std::string::npos);
  // The rules that can say a project-wide condition explain when, and the one thing to do.
  for (const char* id : {"no-down-migration", "non-atomic-migration", "missing-lock-timeout"}) {
    auto said_once = run_cli(std::string("explain ") + id);
    EXPECT_NE(said_once.out.find("When it is said once for the whole project: "), std::string::npos) << id;
    EXPECT_NE(said_once.out.find("project-wide condition"), std::string::npos) << id;
  }
  auto missing = run_cli("explain no-such-rule");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no rule named"), std::string::npos);
}

// Which rules `fix` rewrites, and how, is said once, in each rule's `.autofix`: `rules` lists exactly
// those, `explain` prints it, and the rules without one say nothing of fix.
TEST(Cli, RulesAndExplainSayWhatFixRewritesFromEachRulesAutofix) {
  auto rules = run_cli("rules");
  ASSERT_EQ(rules.exit_code, 0);
  const std::string marker = "Rewritten by `safemigrate fix`:";
  size_t at = rules.out.find(marker);
  ASSERT_NE(at, std::string::npos) << rules.out;
  std::string line = rules.out.substr(at + marker.size());
  line = line.substr(0, line.find('\n'));
  size_t with_autofix = 0;
  for (const auto* rule : sm::checks::all_rules()) {
    const std::string id(rule->doc.id);
    auto explain = run_cli("explain " + id);
    ASSERT_EQ(explain.exit_code, 0) << id;
    bool listed = (" " + line + ",").find(" " + id + ",") != std::string::npos;
    if (rule->doc.autofix.empty()) {
      EXPECT_FALSE(listed) << id << " has no autofix but `rules` lists it: " << line;
      EXPECT_EQ(explain.out.find("`safemigrate fix` rewrites it"), std::string::npos) << id;
      continue;
    }
    ++with_autofix;
    EXPECT_TRUE(listed) << id << " is not in `rules`' fix line: " << line;
    EXPECT_NE(explain.out.find("`safemigrate fix` rewrites it: " + std::string(rule->doc.autofix)),
              std::string::npos)
        << explain.out;
  }
  // The seven rules the Prisma fixer rewrites (README, "Fixing migrations").
  EXPECT_EQ(with_autofix, 7u);
}

TEST(Cli, HelpExplainsExitCodes) {
  auto r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;
}

TEST(Cli, BundledExampleHasTheExpectedFindings) {
  auto r = run_cli("check --format json " +
                   shell_quote((sm::test::source_dir() / "fixtures/prisma/shop").string()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  for (const char* rule :
       {"adding-not-null-column", "require-concurrent-index-creation", "concurrently-in-transaction"})
    EXPECT_NE(r.out.find(std::string("\"") + rule + "\""), std::string::npos) << rule;
}

}  // namespace

namespace {

TEST(Cli, ListShowsDataMigrationsOnly) {
  TempDir d;
  d.write("migrations/20240101000000_schema/migration.sql", kSafe);
  d.write("migrations/20240102000000_backfill/migration.sql",
          "-- safemigrate: irreversible\nUPDATE \"User\" SET \"bio\" = '' WHERE \"bio\" IS NULL;\n");
  auto r = run_cli("list " + migrations(d));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("20240102000000_backfill  [data]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("touches:     \"User\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("20240101000000_schema"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 data migrations"), std::string::npos) << r.out;
  auto all = run_cli("list --all --format json " + migrations(d));
  EXPECT_NE(all.out.find("\"id\": \"20240101000000_schema\""), std::string::npos) << all.out;
}

}  // namespace

// `safemigrate baseline` and `check --baseline` on a copy of the shared corpus (2,012 real
// migrations): a baseline makes check report nothing; a new risky migration, or a new statement
// in a baselined one, is then reported alone; entries that match nothing are listed as stale.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli_in;
using sm::test::run_shell;
using sm::test::shell_quote;
using sm::test::TempDir;

namespace {

struct Found {
  std::string rule, migration, file, fingerprint;
  uint64_t line = 0;
  bool suppressed = false;
};

std::vector<Found> findings_of(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  EXPECT_FALSE(parser.parse(padded).get(doc)) << json.substr(0, 500);
  std::vector<Found> out;
  simdjson::dom::array list;
  if (doc["findings"].get(list)) return out;
  for (auto f : list) {
    Found x;
    x.rule = std::string(f["rule"].get_string().value());
    x.migration = std::string(f["migration"].get_string().value());
    x.file = std::string(f["file"].get_string().value());
    x.line = f["line"].get_uint64().value();
    std::string_view fp;
    if (!f["fingerprint"].get(fp)) x.fingerprint = fp;
    x.suppressed = f["suppressed"].get_bool().value();
    out.push_back(x);
  }
  return out;
}

struct Entry {
  std::string fingerprint, rule, migration, file, reason;
  uint64_t line = 0;
};

std::vector<Entry> entries_of(const fs::path& file) {
  std::string text = sm::test::read_file(file);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  EXPECT_FALSE(parser.parse(padded).get(doc));
  EXPECT_EQ(doc["safemigrate_baseline"].get_int64().value(), 1);
  std::vector<Entry> out;
  simdjson::dom::array list = doc["findings"].get_array().value();
  for (auto e : list) {
    Entry x;
    x.fingerprint = std::string(e["fingerprint"].get_string().value());
    x.rule = std::string(e["rule"].get_string().value());
    x.migration = std::string(e["migration"].get_string().value());
    x.file = std::string(e["file"].get_string().value());
    x.reason = std::string(e["reason"].get_string().value());
    x.line = e["line"].get_uint64().value();
    out.push_back(x);
  }
  return out;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::FILE* f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr) << p;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

class CorpusBaseline : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_shell(
        dir_.path(),
        "cp -r " + shell_quote((sm::test::shared_dir() / "corpus" / "prisma").string()) + " corpus");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    umami_ = dir_.path() / "corpus/umami-software__umami/prisma__migrations";
    ASSERT_TRUE(fs::is_directory(umami_));
  }
  TempDir dir_;
  fs::path umami_;
};

TEST_F(CorpusBaseline, ABaselineSilencesTheCorpusAndANewRiskyMigrationIsReportedAlone) {
  auto before = run_cli_in(dir_.path(), "check --format json corpus");
  auto all = findings_of(before.out);
  size_t expected = 0;
  for (const auto& f : all) expected += !f.suppressed && f.rule != "input-error";
  ASSERT_GT(expected, 1000u) << "the corpus has findings to accept";

  auto taken = run_cli_in(dir_.path(), "baseline corpus");
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_NE(taken.err.find("wrote " + std::to_string(expected) + " findings"), std::string::npos)
      << taken.err;
  fs::path file = dir_.path() / "safemigrate-baseline.json";
  auto entries = entries_of(file);
  ASSERT_EQ(entries.size(), expected);
  // Reviewable: sorted by file and line, each with its rule, place and reason.
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.file, a.line, a.rule, a.fingerprint) < std::tie(b.file, b.line, b.rule, b.fingerprint);
  }));
  for (const auto& e : entries) {
    EXPECT_FALSE(e.rule.empty());
    EXPECT_FALSE(e.reason.empty()) << e.rule;
    EXPECT_EQ(e.file.rfind("corpus/", 0), 0u) << "paths relative to the working folder: " << e.file;
  }
  // One line per entry.
  std::string text = sm::test::read_file(file);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), expected + 6);

  auto quiet = run_cli_in(dir_.path(), "check --baseline safemigrate-baseline.json --format json corpus");
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_TRUE(findings_of(quiet.out).empty()) << quiet.out.substr(0, 2000);
  EXPECT_NE(quiet.err.find(std::to_string(expected) + " findings accepted by the baseline"),
            std::string::npos)
      << quiet.err;
  EXPECT_EQ(quiet.err.find("stale"), std::string::npos) << quiet.err;

  // A new migration that builds an index under a write lock and rewrites a table.
  write(umami_ / "99990101000000_risky/migration.sql",
        "CREATE INDEX \"website_name_idx\" ON \"website\"(\"name\");\n"
        "ALTER TABLE \"website\" ALTER COLUMN \"name\" TYPE TEXT;\n");
  auto fresh = run_cli_in(dir_.path(), "check --baseline safemigrate-baseline.json --format json corpus");
  auto reported = findings_of(fresh.out);
  ASSERT_FALSE(reported.empty()) << fresh.err;
  std::set<std::string> rules;
  for (const auto& f : reported) {
    EXPECT_EQ(f.migration, "99990101000000_risky") << f.rule << " " << f.file << ":" << f.line;
    rules.insert(f.rule);
  }
  EXPECT_TRUE(rules.count("require-concurrent-index-creation")) << fresh.out;
  EXPECT_EQ(fresh.err.find("stale"), std::string::npos) << fresh.err;
}

TEST_F(CorpusBaseline, ANewStatementInABaselinedMigrationIsReported) {
  ASSERT_EQ(run_cli_in(dir_.path(), "baseline -o accepted.json corpus").exit_code, 0);
  auto entries = entries_of(dir_.path() / "accepted.json");
  // The last umami migration with an accepted finding gets one more risky statement.
  std::string migration;
  for (const auto& e : entries)
    if (e.file.find("umami") != std::string::npos && e.migration > migration) migration = e.migration;
  ASSERT_FALSE(migration.empty());
  fs::path sql = umami_ / migration / "migration.sql";
  std::string text = sm::test::read_file(sql);
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  if (!text.empty() && text.back() != '\n') text += "\n", ++lines;
  write(sql, text + "\nDROP TABLE \"website\";\n");
  auto r = run_cli_in(dir_.path(), "check --baseline accepted.json --format json corpus");
  auto reported = findings_of(r.out);
  ASSERT_FALSE(reported.empty()) << "the edit hid the new finding: " << r.err;
  for (const auto& f : reported) {
    EXPECT_EQ(f.migration, migration);
    EXPECT_GT(f.line, lines) << f.rule << ": only the new statement's findings are new";
  }
  EXPECT_TRUE(std::any_of(reported.begin(), reported.end(),
                          [](const Found& f) { return f.rule == "dropping-table"; }));
}

TEST_F(CorpusBaseline, EntriesThatMatchNothingAreReportedAsStale) {
  ASSERT_EQ(run_cli_in(dir_.path(), "baseline corpus").exit_code, 0);
  auto entries = entries_of(dir_.path() / "safemigrate-baseline.json");
  // The last umami migration with findings is fixed: its SQL replaced by a harmless statement.
  std::string migration;
  for (const auto& e : entries)
    if (e.file.find("umami") != std::string::npos && e.migration > migration) migration = e.migration;
  size_t of_it = 0;
  for (const auto& e : entries) of_it += e.migration == migration;
  ASSERT_GT(of_it, 0u);
  write(umami_ / migration / "migration.sql", "SELECT 1;\n");
  auto r = run_cli_in(dir_.path(), "check --baseline safemigrate-baseline.json --format json corpus");
  EXPECT_EQ(r.exit_code, 0) << "stale entries do not fail the run: " << r.err;
  EXPECT_TRUE(findings_of(r.out).empty()) << r.out.substr(0, 1000);
  size_t stale_lines = 0, of_migration = 0;
  for (size_t at = r.err.find("  stale: "); at != std::string::npos; at = r.err.find("  stale: ", at + 1)) {
    ++stale_lines;
    std::string line = r.err.substr(at, r.err.find('\n', at) - at);
    // A project-wide condition may lose this migration and stay; it is never the only one gone.
    of_migration += line.find("(" + migration + ")") != std::string::npos;
  }
  EXPECT_EQ(of_migration, of_it) << r.err;
  EXPECT_EQ(stale_lines, of_it) << r.err;
  EXPECT_NE(r.err.find(std::to_string(of_it) + " baseline entr"), std::string::npos) << r.err;
}

// Small projects for what does not need the corpus.
void small_project(const fs::path& root) {
  write(root / "prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  write(root / "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE \"User\" (\"id\" INT);\nCREATE INDEX \"u\" ON \"User\"(\"id\");\n");
  write(root / "prisma/migrations/20240102000000_two/migration.sql",
        "CREATE INDEX \"v\" ON \"User\"(\"id\");\nALTER TABLE \"User\" DROP COLUMN \"id\";\n");
}

TEST(Baseline, TheConfigNamesTheBaselineAndBaselineWritesThere) {
  TempDir d;
  small_project(d.path());
  write(d.path() / "safemigrate.toml", "baseline = \"ci/accepted.json\"\n");
  fs::create_directories(d.path() / "ci");
  auto taken = run_cli_in(d.path(), "baseline prisma/migrations");
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  ASSERT_TRUE(fs::exists(d.path() / "ci/accepted.json")) << taken.err;
  EXPECT_FALSE(fs::exists(d.path() / "safemigrate-baseline.json"));
  auto r = run_cli_in(d.path(), "check --format json prisma/migrations");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(findings_of(r.out).empty()) << r.out;
  EXPECT_NE(r.err.find("accepted by the baseline"), std::string::npos) << r.err;
  // Taking a baseline again ignores the current one (it records every finding, not none).
  size_t first = entries_of(d.path() / "ci/accepted.json").size();
  EXPECT_GE(first, 2u);
  auto again = run_cli_in(d.path(), "baseline prisma/migrations");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(entries_of(d.path() / "ci/accepted.json").size(), first);
}

TEST(Baseline, AnUnreadableOrForeignBaselineIsAnInputError) {
  TempDir d;
  small_project(d.path());
  auto missing = run_cli_in(d.path(), "check --baseline nope.json prisma/migrations");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
  write(d.path() / "other.json", "{\"findings\": []}");
  auto foreign = run_cli_in(d.path(), "check --baseline other.json prisma/migrations");
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_NE(foreign.err.find("other.json: not a safemigrate baseline"), std::string::npos) << foreign.err;
  write(d.path() / "broken.json", "{\"safemigrate_baseline\": 1, \"findings\": [{\"rule\": \"x\"}]}");
  auto broken = run_cli_in(d.path(), "check --baseline broken.json prisma/migrations");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.json: finding 1 has no \"fingerprint\""), std::string::npos)
      << broken.err;
}

TEST(Baseline, AMigrationThatCannotBeReadIsNotBaselined) {
  TempDir d;
  small_project(d.path());
  write(d.path() / "prisma/migrations/20240103000000_bad/migration.sql", std::string("\xff\xfe bad", 6));
  auto r = run_cli_in(d.path(), "baseline prisma/migrations");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no baseline written"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d.path() / "safemigrate-baseline.json"));
}

// Under --since only the migrations under review are checked: the others' entries are not stale.
TEST(Baseline, UnderSinceOnlyReviewedMigrationsCanMakeEntriesStale) {
  TempDir d;
  small_project(d.path());
  ASSERT_EQ(run_cli_in(d.path(), "baseline prisma/migrations").exit_code, 0);
  auto git = [&](const std::string& cmd) {
    auto r = run_shell(d.path(), "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  };
  git("init -q");
  git("add -A");
  git("commit -q -m init");
  write(d.path() / "prisma/migrations/20240103000000_three/migration.sql",
        "CREATE INDEX \"w\" ON \"User\"(\"id\");\n");
  auto r = run_cli_in(
      d.path(), "check --since HEAD --baseline safemigrate-baseline.json --format json prisma/migrations");
  auto reported = findings_of(r.out);
  ASSERT_FALSE(reported.empty()) << r.err;
  for (const auto& f : reported) EXPECT_EQ(f.migration, "20240103000000_three") << f.rule;
  EXPECT_EQ(r.err.find("stale"), std::string::npos) << r.err;
  // Without --since the same baseline checks everything, and nothing in it is stale either.
  auto all =
      run_cli_in(d.path(), "check --baseline safemigrate-baseline.json --format json prisma/migrations");
  EXPECT_EQ(all.err.find("stale"), std::string::npos) << all.err;
}

// Each entry accepts one finding: a second identical statement is a finding of its own.
TEST(Baseline, AnEntryAcceptsOneFindingOnly) {
  TempDir d;
  small_project(d.path());
  ASSERT_EQ(run_cli_in(d.path(), "baseline prisma/migrations").exit_code, 0);
  std::string sql = sm::test::read_file(d.path() / "prisma/migrations/20240102000000_two/migration.sql");
  write(d.path() / "prisma/migrations/20240102000000_two/migration.sql",
        "CREATE INDEX \"v\" ON \"User\"(\"id\");\n" + sql);
  auto r = run_cli_in(d.path(), "check --baseline safemigrate-baseline.json --format json prisma/migrations");
  auto reported = findings_of(r.out);
  ASSERT_FALSE(reported.empty()) << r.err;
  for (const auto& f : reported) EXPECT_EQ(f.migration, "20240102000000_two");
}

}  // namespace

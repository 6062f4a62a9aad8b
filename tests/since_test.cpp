// `check --since REF` on real git repositories made in a temporary folder: only migrations added
// since REF are checked, changes to migrations that existed at REF are errors, and a shallow
// clone without REF says why and what to fetch.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <tuple>
#include <vector>

#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli_in;
using sm::test::run_shell;
using sm::test::TempDir;

namespace {

// git with a fixed identity, so commits work on any machine.
const std::string kGit =
    "git -c user.name=test -c user.email=test@example.com -c init.defaultBranch=main -c commit.gpgsign=false";

void sh(const fs::path& cwd, const std::string& command) {
  auto r = run_shell(cwd, command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
}

const char* kUnsafeIndex =
    "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nCREATE INDEX \"i\" ON \"User\"(\"a\");\n";

std::string migration(const std::string& name) {
  return "prisma/migrations/" + name + "/migration.sql";
}

// main: 20240101_a (unsafe) and 20240102_b, tagged `base`.
void make_repo(const TempDir& d) {
  d.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write(migration("20240101000000_a"), kUnsafeIndex);
  d.write(migration("20240102000000_b"),
          "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nCREATE TABLE \"T\" (\"id\" int);\n");
  sh(d.path(),
     kGit + " init -q . && " + kGit + " add -A && " + kGit + " commit -q -m init && " + kGit + " tag base");
}

// Rule -> migrations it fired in, from --format json.
std::map<std::string, std::vector<std::string>> findings(const std::string& json) {
  std::map<std::string, std::vector<std::string>> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return {{"unparsable", {json}}};
  for (simdjson::dom::element f : doc["findings"].get_array())
    out[std::string(std::string_view(f["rule"]))].push_back(std::string(std::string_view(f["migration"])));
  return out;
}

TEST(Since, OnlyMigrationsAddedSinceTheRefAreChecked) {
  TempDir d;
  make_repo(d);
  d.write(migration("20240103000000_c"), kUnsafeIndex);  // committed on the branch
  sh(d.path(), kGit + " add -A && " + kGit + " commit -q -m c");
  d.write(migration("20240104000000_d"), kUnsafeIndex);  // not committed yet (untracked)
  auto r = run_cli_in(d.path(), "check --format json --since base prisma/migrations");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto got = findings(r.out);
  EXPECT_EQ(got["require-concurrent-index-creation"],
            (std::vector<std::string>{"20240103000000_c", "20240104000000_d"}))
      << r.out;
  EXPECT_EQ(got.count("migration-edited-after-merge"), 0u) << r.out;

  // Without --since the old migration is checked as well.
  r = run_cli_in(d.path(), "check --format json prisma/migrations");
  EXPECT_EQ(findings(r.out)["require-concurrent-index-creation"].size(), 3u) << r.out;
}

// Issue 26: with the sources from safemigrate.toml, JSON paths were absolute, and the --since
// finding's was absolute among relative ones. Every path in the JSON is now relative to the
// working folder, whether the command line, the config or git named the file, from the root
// and from a subfolder alike.
TEST(Since, JsonPathsAreRelativeWhereverTheyComeFrom) {
  TempDir d;
  make_repo(d);
  d.write("safemigrate.toml", "[[sources]]\nframework = \"prisma\"\npath = \"prisma/migrations\"\n");
  d.write(migration("20240103000000_c"), kUnsafeIndex);
  d.write(migration("20240101000000_a"), kUnsafeIndex + std::string("-- edited\n"));  // edited after merge
  fs::create_directories(d.path() / "sub");
  for (const auto& [cwd, args, prefix] : std::vector<std::tuple<fs::path, std::string, std::string>>{
           {d.path(), "check --format json --since base prisma/migrations", ""},
           {d.path(), "check --format json --since base", ""},
           {d.path() / "sub", "check --format json --since base", "../"}}) {
    auto r = run_cli_in(cwd, args);
    EXPECT_EQ(r.exit_code, 1) << args << r.err;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
    std::vector<std::string> paths;
    for (simdjson::dom::element f : doc["findings"].get_array())
      paths.emplace_back(std::string_view(f["file"]));
    for (simdjson::dom::element s : doc["sources"].get_array()) {
      paths.emplace_back(std::string_view(s["path"]));
      for (simdjson::dom::element m : s["migrations"].get_array())
        paths.emplace_back(std::string_view(m["file"]));
    }
    ASSERT_GE(paths.size(), 5u) << r.out;
    bool edited = false;
    for (const auto& p : paths) {
      if (prefix.empty()) {
        EXPECT_EQ(p.rfind("prisma/migrations", 0), 0u) << args << ": " << p;
      } else {
        // Outside the working folder a path would climb with "..": absolute, as SARIF does.
        EXPECT_EQ(p.rfind((d.path() / "prisma/migrations").string(), 0), 0u) << args << ": " << p;
      }
      edited = edited || p.find("20240101000000_a") != std::string::npos;
    }
    EXPECT_TRUE(edited) << "the migration-edited-after-merge finding is there: " << r.out;
  }
}

TEST(Since, SchemaOfOlderMigrationsIsStillKnown) {
  TempDir d;
  make_repo(d);
  // "T" was created by 20240102_b (before the ref): an index on it is on an existing table.
  d.write(migration("20240105000000_e"),
          "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nALTER TABLE \"T\" ALTER COLUMN \"id\" "
          "TYPE bigint;\n");
  auto r = run_cli_in(d.path(), "check --format json --since base prisma/migrations");
  auto got = findings(r.out);
  EXPECT_EQ(got["changing-column-type"], std::vector<std::string>{"20240105000000_e"}) << r.out;
}

TEST(Since, EditedAndDeletedMigrationsAreErrors) {
  TempDir d;
  make_repo(d);
  d.write(migration("20240102000000_b"),
          "-- safemigrate: irreversible\nSET lock_timeout = '5s';\nCREATE TABLE \"T\" (\"id\" bigint);\n");
  sh(d.path(), "rm -r prisma/migrations/20240101000000_a");
  auto r = run_cli_in(d.path(), "check --no-color --since base prisma/migrations");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("20240102000000_b/migration.sql:3:1: error[migration-edited-after-merge] migration "
                       "20240102000000_b existed at base and was edited since (first change at line 3)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("error[migration-edited-after-merge] migration 20240101000000_a existed at base and was "
                 "deleted since"),
      std::string::npos)
      << r.out;
}

TEST(Since, DjangoMigrationSourceFileEdited) {
  TempDir d;
  d.write("shop/migrations/0001_initial.py", "from django.db import migrations\n\nclass Migration: pass\n");
  d.write("shop/migrations/__init__.py", "");
  std::string plan =
      "{\"format\": \"safemigrate-django-plan\", \"format_version\": \"1.0\", \"migrations\": [{\"app\": "
      "\"shop\", "
      "\"name\": \"0001_initial\", \"id\": \"shop.0001_initial\", \"plan_index\": 0, \"file\": \"" +
      (d.path() / "shop/migrations/0001_initial.py").string() +
      "\", \"file_relative\": \"shop/migrations/0001_initial.py\", \"sha256\": \"ab\", \"dependencies\": [], "
      "\"atomic\": true, \"operations\": []}]}";
  d.write("plan.json", plan);
  sh(d.path(), kGit + " init -q . && " + kGit + " add -A && " + kGit + " commit -q -m init");
  d.write("shop/migrations/0001_initial.py",
          "from django.db import migrations\n\nclass Migration:\n    pass\n");
  auto r = run_cli_in(d.path(), "check --format json --since HEAD plan.json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(findings(r.out)["migration-edited-after-merge"], std::vector<std::string>{"shop.0001_initial"})
      << r.out;
}

TEST(Since, UnknownRefIsAUsageError) {
  TempDir d;
  make_repo(d);
  auto r = run_cli_in(d.path(), "check --since no-such-branch prisma/migrations");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no commit named \"no-such-branch\""), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("shallow"), std::string::npos) << r.err;
}

// An empty --since (an unset CI variable: --since "$BASE_REF") is a usage error: on main it was
// read as no --since at all, so an edited merged migration passed with exit 0.
TEST(Since, AnEmptyRefIsAUsageErrorNotASilentPass) {
  TempDir d;
  make_repo(d);
  d.write(migration("20240102000000_b"), "-- edited after merge\nCREATE TABLE \"T\" (\"id\" int);\n");
  for (const char* args :
       {"check --since '' prisma/migrations", "check --format json --since '' prisma/migrations",
        "check --format github prisma/migrations --since ''"}) {
    auto r = run_cli_in(d.path(), args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("--since: takes a git ref"), std::string::npos) << args << ": " << r.err;
    EXPECT_NE(r.err.find("empty"), std::string::npos) << args << ": " << r.err;
  }
  // `--since=` with nothing after it: CLI11 says the value is missing.
  auto bare = run_cli_in(d.path(), "check prisma/migrations --since=");
  EXPECT_EQ(bare.exit_code, 2) << bare.out << bare.err;
  EXPECT_NE(bare.err.find("--since"), std::string::npos) << bare.err;
  auto r = run_cli_in(d.path(), "check --format json --since base prisma/migrations");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(findings(r.out)["migration-edited-after-merge"], std::vector<std::string>{"20240102000000_b"});
}

// A ref holding a control character (no git ref has one) is refused without printing it raw: a
// newline would start a line of the attacker's choosing in a CI log, e.g. an `::error` annotation.
// Every C0 control character and DEL, at the start, in the middle and at the end of the ref.
TEST(Since, ARefWithAControlCharacterCannotInjectALine) {
  TempDir d;
  make_repo(d);
  int runs = 0;
  for (int c = 1; c < 0x20 || c == 0x7f; c = c == 0x1f ? 0x7f : c + 1) {
    std::string ch(1, static_cast<char>(c));
    for (const std::string& ref :
         {ch + "::error title=x::injected", "main" + ch + "::error::injected", "base" + ch})
      for (const char* format : {"text", "github"}) {
        std::string args = std::string("check --format ") + format + " --since " +
                           sm::test::shell_quote(ref) + " prisma/migrations";
        auto r = run_cli_in(d.path(), args);
        std::string what = "control character " + std::to_string(c) + " in the ref (" + format + ")";
        EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.out << r.err;
        // Each line the output has ends with a newline of its own; no other control character.
        if (c != '\n') {
          EXPECT_EQ((r.out + r.err).find(ch), std::string::npos) << what << ": " << r.err;
        }
        EXPECT_EQ(("\n" + r.out + r.err).find("\n::"), std::string::npos) << what << ": " << r.err;
        EXPECT_NE(r.err.find("control character"), std::string::npos) << what << ": " << r.err;
        ++runs;
      }
  }
  EXPECT_EQ(runs, 32 * 3 * 2);
}

TEST(Since, ShallowCloneWithoutTheRefSaysWhy) {
  TempDir d;
  d.write("origin/prisma/migrations/20240101000000_a/migration.sql", kUnsafeIndex);
  fs::path origin = d.path() / "origin";
  sh(origin, kGit + " init -q . && " + kGit + " add -A && " + kGit + " commit -q -m one && " + kGit +
                 " commit -q --allow-empty -m two && " + kGit + " commit -q --allow-empty -m three");
  std::string first = run_shell(origin, "git rev-list --max-parents=0 HEAD").out;
  first.erase(first.find_last_not_of("\n") + 1);
  sh(d.path(), "git clone -q --depth 1 file://" + origin.string() + " clone");
  auto r = run_cli_in(d.path() / "clone", "check --since " + first + " prisma/migrations");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("shallow"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("git fetch --deepen"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fetch-depth: 0"), std::string::npos) << r.err;

  // After deepening, the same command works.
  sh(d.path() / "clone", "git fetch -q --unshallow");
  r = run_cli_in(d.path() / "clone", "check --since " + first + " prisma/migrations");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Since, OutsideARepositoryIsAUsageError) {
  TempDir d;
  d.write(migration("20240101000000_a"), kUnsafeIndex);
  auto r = run_cli_in(d.path(), "check --since main prisma/migrations");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not in a git repository"), std::string::npos) << r.err;
}

}  // namespace

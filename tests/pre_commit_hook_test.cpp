// .pre-commit-hooks.yaml: read as pre-commit reads it (YAML, then each hook's `files` with
// Python's re.search on the staged paths), and its `entry` run in a git repository as pre-commit
// runs a `language: system` hook (no file names): the staged migration is checked, the committed
// ones are not, and an edit to a committed migration is an error.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_shell;
using sm::test::shell_quote;
using sm::test::TempDir;

namespace {

struct Hook {
  std::string id, entry, files, language;
  bool pass_filenames = true;
};

std::vector<Hook> hooks() {
  auto r =
      run_shell(sm::test::source_dir(),
                "python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "
                ".pre-commit-hooks.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::padded_string text(r.out);
  std::vector<Hook> out;
  simdjson::dom::array list;
  EXPECT_FALSE(parser.parse(text).get(list)) << "the file is a list of hooks: " << r.out;
  for (auto h : list) {
    Hook x;
    std::string_view name;
    // pre-commit's manifest requires id, name, entry and language.
    EXPECT_FALSE(h["name"].get(name)) << "a hook without a name";
    x.id = std::string(h["id"].get_string().value());
    x.entry = std::string(h["entry"].get_string().value());
    x.language = std::string(h["language"].get_string().value());
    x.files = std::string(h["files"].get_string().value());
    bool pass = true;
    if (!h["pass_filenames"].get(pass)) x.pass_filenames = pass;
    out.push_back(x);
  }
  return out;
}

bool matches(const std::string& pattern, const std::string& path) {
  auto r = run_shell(fs::current_path(),
                     "python3 -c 'import re, sys; sys.exit(0 if re.search(sys.argv[1], "
                     "sys.argv[2]) else 1)' " +
                         shell_quote(pattern) + " " + shell_quote(path));
  return r.exit_code == 0;
}

TEST(PreCommitHook, TheManifestNamesBothHooksAndTheirFiles) {
  auto list = hooks();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "safemigrate");
  EXPECT_EQ(list[1].id, "safemigrate-django");
  for (const Hook& h : list) {
    EXPECT_EQ(h.language, "system") << h.id;
    EXPECT_FALSE(h.pass_filenames) << h.id << ": a migration file alone is not something check reads";
  }
  EXPECT_TRUE(matches(list[0].files, "prisma/migrations/20240101000000_init/migration.sql"));
  EXPECT_TRUE(matches(list[0].files, "apps/api/prisma/migrations/migration_lock.toml"));
  EXPECT_FALSE(matches(list[0].files, "src/app.ts"));
  EXPECT_TRUE(matches(list[1].files, "shop/migrations/0002_order_total.py"));
  EXPECT_FALSE(matches(list[1].files, "shop/models.py"));
  EXPECT_FALSE(matches(list[1].files, "shop/migrations/sub/x.py"));
}

TEST(PreCommitHook, TheEntryChecksTheStagedMigrationOnly) {
  auto list = hooks();
  ASSERT_FALSE(list.empty());
  const std::string entry = list[0].entry;
  TempDir d;
  d.write("prisma/schema.prisma",
          "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n");
  d.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write("prisma/migrations/20240101000000_init/migration.sql",
          "CREATE TABLE \"User\" (\"id\" BIGINT PRIMARY KEY, \"email\" TEXT);\n"
          "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n");
  auto git = [&](const std::string& cmd) {
    auto r = run_shell(d.path(), "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
  };
  git("init -q");
  git("add -A");
  git("commit -q -m init");
  std::string path =
      "PATH=" + shell_quote(fs::path(SAFEMIGRATE_BINARY).parent_path().string()) + ":\"$PATH\" ";

  // The committed migration's index finding is history: with nothing staged, nothing is checked.
  auto clean = run_shell(d.path(), path + entry);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  d.write("prisma/migrations/20240102000000_name/migration.sql",
          "ALTER TABLE \"User\" ADD COLUMN \"name\" TEXT NOT NULL;\n");
  git("add -A");
  ASSERT_TRUE(matches(list[0].files, "prisma/migrations/20240102000000_name/migration.sql"));
  auto staged = run_shell(d.path(), path + entry);
  EXPECT_EQ(staged.exit_code, 1) << staged.out << staged.err;
  EXPECT_NE(staged.out.find("20240102000000_name"), std::string::npos) << staged.out;
  EXPECT_NE(staged.out.find("adding-not-null-column"), std::string::npos) << staged.out;
  EXPECT_EQ(staged.out.find("20240101000000_init"), std::string::npos)
      << "a committed migration was checked:\n"
      << staged.out;

  // A committed migration edited: that is an error of its own.
  git("reset -q --hard");
  d.write("prisma/migrations/20240101000000_init/migration.sql",
          "CREATE TABLE \"User\" (\"id\" BIGINT PRIMARY KEY, \"email\" TEXT, \"x\" INT);\n");
  git("add -A");
  auto edited = run_shell(d.path(), path + entry);
  EXPECT_EQ(edited.exit_code, 1) << edited.out << edited.err;
  EXPECT_NE(edited.out.find("migration-edited-after-merge"), std::string::npos) << edited.out;
}

}  // namespace

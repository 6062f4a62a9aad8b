// The framework registry (adapters/frameworks.cpp behind app/framework.h): the one decision of
// which framework a path belongs to, and the one computation of which migrations are pending.
#include "app/framework.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>

#include "model/errors.h"
#include "test_support.h"

namespace {

using sm::app::framework_for;
using sm::app::frameworks;
using sm::db::MigrationState;

TEST(Registry, NamesAreUniqueAndEachPathHasExactlyOneFramework) {
  std::set<std::string> names;
  for (const sm::app::Framework* f : frameworks()) EXPECT_TRUE(names.insert(f->name()).second) << f->name();
  EXPECT_EQ(names, (std::set<std::string>{"django", "prisma"}));

  sm::test::TempDir dir;
  const std::filesystem::path plan = dir.write("plan.json", "{}\n");
  dir.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  // Claims do not overlap, so the order of registration never decides: every kind of path a
  // command is given (a file, a folder, a missing path, none) has exactly one framework.
  const std::vector<std::pair<std::filesystem::path, std::string>> cases = {
      {plan, "django"},
      {dir.path() / "prisma" / "migrations", "prisma"},
      {dir.path(), "prisma"},
      {dir.path() / "missing", "prisma"},
      {std::filesystem::path(), "prisma"},
  };
  for (const auto& [path, expected] : cases) {
    int claimed = 0;
    for (const sm::app::Framework* f : frameworks()) claimed += f->claims(path) ? 1 : 0;
    EXPECT_EQ(claimed, 1) << path;
    EXPECT_EQ(
        framework_for(path.empty() ? std::vector<std::string>{} : std::vector<std::string>{path.string()})
            .name(),
        expected)
        << path;
  }
}

// Issue 25: the commands in src/app are written against app/framework.h only. fix's Prisma and
// Django rewrites are behind Framework::fix, so fix_command.* includes no adapter (check_command.cpp
// still does: the check-related methods are another change).
TEST(Registry, FixCommandIncludesNoAdapter) {
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(sm::test::source_dir() / "src" / "app")) {
    if (e.path().stem() != "fix_command") continue;
    ++files;
    std::istringstream in(sm::test::read_file(e.path()));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
      EXPECT_EQ(line.find("#include \"adapters/"), std::string::npos) << e.path() << ":" << n << ": " << line;
  }
  EXPECT_EQ(files, 2u);
}

TEST(Registry, CommandsReachTheFrameworkBeforeTheDatabase) {
  sm::test::TempDir dir;
  const std::filesystem::path plan = dir.write("plan.json", "{}\n");
  sm::app::HistoryOptions o;  // no database: what is refused here is refused before connecting
  std::ostringstream out, err;
  EXPECT_EQ(sm::app::run_status(o, false, out, err), sm::model::kExitUsage);
  EXPECT_EQ(err.str(), "safemigrate: no migrations folder given\n");

  o.paths = {plan.string()};
  err.str("");
  EXPECT_EQ(sm::app::run_resolve(o, "", "0001_x", out, err), sm::model::kExitUsage);
  EXPECT_NE(err.str().find(plan.string() + " is a Django plan: resolve is for Prisma's failed migrations"),
            std::string::npos)
      << err.str();

  // Prisma's options with a plan are refused, not ignored in silence.
  o.prisma_version = "6.1.0";
  err.str("");
  EXPECT_EQ(sm::app::run_status(o, false, out, err), sm::model::kExitUsage);
  EXPECT_NE(err.str().find("is a Django plan: --prisma-version is for Prisma migrations folders"),
            std::string::npos)
      << err.str();
  o.prisma_version.clear();
  o.mode = "prisma-6";
  err.str("");
  EXPECT_EQ(sm::app::run_status(o, false, out, err), sm::model::kExitUsage);
  EXPECT_NE(err.str().find("is a Django plan: --mode is for Prisma migrations folders"), std::string::npos)
      << err.str();
}

// Generated histories: every state in every position, local sets shorter than the status (the
// entries of migrations missing locally come after the local ones).
TEST(PendingMigrations, AreTheLocalOnesNotAppliedInOrder) {
  const std::vector<MigrationState> states = {
      MigrationState::Applied,  MigrationState::Pending,      MigrationState::RolledBack,
      MigrationState::Failed,   MigrationState::Edited,       MigrationState::MissingLocally,
      MigrationState::NoScript, MigrationState::Inconsistent, MigrationState::Duplicate};
  std::mt19937 rng(25);
  for (int round = 0; round < 2000; ++round) {
    std::vector<sm::db::MigrationStatus> status(rng() % 12);
    for (auto& s : status) s.state = states[rng() % states.size()];
    const size_t local = status.empty() ? 0 : rng() % (status.size() + 1);
    std::vector<size_t> pending = sm::app::pending_migrations(status, local);
    std::vector<size_t> expected;
    for (size_t i = 0; i < local; ++i) {
      MigrationState st = status[i].state;
      if (st == MigrationState::Pending || st == MigrationState::RolledBack || st == MigrationState::NoScript)
        expected.push_back(i);
    }
    ASSERT_EQ(pending, expected) << "round " << round;
  }
}

// Issue 25: src/app and src/cli name no framework: no adapter header is included and no
// model::Framework value is compared there; what differs per framework is a Framework method.
// fix_command.cpp and drift_command.cpp are being moved behind the interface on their own branches.
TEST(Layering, AppAndCliNameNoFramework) {
  const std::set<std::string> moving = {"fix_command.cpp", "drift_command.cpp"};
  for (const char* layer : {"src/app", "src/cli"})
    for (const auto& entry : std::filesystem::directory_iterator(sm::test::source_dir() / layer)) {
      const std::string name = entry.path().filename().string();
      if (moving.count(name)) continue;
      std::istringstream text(sm::test::read_file(entry.path()));
      int line_no = 0;
      for (std::string line; std::getline(text, line);) {
        ++line_no;
        EXPECT_EQ(line.find("#include \"adapters/"), std::string::npos)
            << layer << "/" << name << ":" << line_no;
        EXPECT_EQ(line.find("model::Framework::"), std::string::npos)
            << layer << "/" << name << ":" << line_no;
      }
    }
}

// Every migration check reads, in generated Prisma folders and the Django fixture plan, maps back
// from its file to its set's folder and its id as `check --since` reads a deleted file, and only
// through the framework that read it; files that are no migration map to none.
TEST(CheckSide, EachMigrationFileMapsBackToItsFolderAndId) {
  sm::test::TempDir dir;
  std::mt19937 rng(25);
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    std::string id = std::to_string(20200101000000 + static_cast<long long>(rng() % 9000000)) + "_";
    for (int k = 0, n = 1 + static_cast<int>(rng() % 12); k < n; ++k) id += "abcxyz_09."[rng() % 10];
    if (ids.insert(id).second) dir.write("app/prisma/migrations/" + id + "/migration.sql", "SELECT 1;\n");
  }
  dir.write("app/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  const std::vector<std::string> inputs = {(dir.path() / "app").string(),
                                           (sm::test::source_dir() / "fixtures/django/plan.json").string()};
  sm::app::CheckOptions options;
  size_t seen = 0;
  for (const std::string& path : inputs) {
    const sm::app::Framework& fw = framework_for({path});
    std::vector<sm::app::CheckInput> read = fw.read_for_check(path, options, nullptr);
    ASSERT_EQ(read.size(), 1u) << path;
    const sm::model::MigrationSet& set = read.front().set;
    EXPECT_TRUE(set.input_findings.empty()) << path;
    EXPECT_EQ(set.framework, fw.kind());
    EXPECT_EQ(&sm::app::framework_of(set), &fw);
    ASSERT_FALSE(set.migrations.empty()) << path;
    for (const sm::model::Migration& m : set.migrations) {
      const std::filesystem::path file = m.main_file()->path;
      for (const sm::app::Framework* other : frameworks()) {
        std::optional<sm::app::DeletedMigration> d = other->deleted_migration(file);
        if (other != &fw) {
          EXPECT_FALSE(d && d->folder == fw.migrations_folder(file)) << other->name() << " " << file;
          continue;
        }
        ASSERT_TRUE(d) << file;
        // Django names a deleted migration by its file's stem, without the app label its id has
        // ("0007_x" for "audit.0007_x"), as main always has; kept here, reported as its own issue.
        EXPECT_TRUE(d->id == m.id || m.id.ends_with("." + d->id)) << d->id << " " << m.id;
        EXPECT_EQ(d->folder, fw.migrations_folder(file)) << file;
        ++seen;
      }
      for (const char* not_one : {"migration_lock.toml", "__init__.py", "README.md"})
        for (const sm::app::Framework* any : frameworks()) {
          auto d = any->deleted_migration(fw.migrations_folder(file) / not_one);
          EXPECT_FALSE(d && d->folder == fw.migrations_folder(file)) << any->name() << " " << not_one;
        }
    }
  }
  EXPECT_GT(seen, ids.size());
}

// A [[sources]] entry is checked by the framework it names: each says what is wrong with a path
// that exists and is not its input, and nothing about its own input or a missing path.
TEST(CheckSide, SourcesAreJudgedByTheFrameworkTheyName) {
  sm::test::TempDir dir;
  const std::filesystem::path file = dir.write("plan.json", "{}\n");
  dir.write("folder/x", "");
  const std::filesystem::path folder = dir.path() / "folder", missing = dir.path() / "missing";
  const sm::app::Framework* django = sm::app::framework_named("django");
  const sm::app::Framework* prisma = sm::app::framework_named("prisma");
  ASSERT_TRUE(django && prisma);
  EXPECT_EQ(sm::app::framework_named("rails"), nullptr);
  EXPECT_EQ(django->source_problem(file), "");
  EXPECT_EQ(django->source_problem(missing), "");
  EXPECT_EQ(django->source_problem(folder),
            "is not a Django plan file (write one with adapters/django/export_plan.py)");
  EXPECT_EQ(prisma->source_problem(folder), "");
  EXPECT_EQ(prisma->source_problem(missing), "");
  EXPECT_EQ(prisma->source_problem(file),
            "is not a folder (give the prisma/migrations folder or a folder above it)");
}

// apply --mode: the names come from the frameworks, and a name none of them knows is refused
// by the framework rather than read as "auto".
TEST(CheckSide, ApplyModesAreTheFrameworksOwn) {
  EXPECT_EQ(sm::app::apply_mode_names(), (std::vector<std::string>{"auto", "prisma-6", "prisma-7", "safe"}));
  sm::test::TempDir dir;
  dir.write("prisma/migrations/20240101000000_a/migration.sql", "SELECT 1;\n");
  sm::app::HistoryOptions o;
  o.paths = {(dir.path() / "prisma" / "migrations").string()};
  o.mode = "prisma-8";
  try {
    framework_for(o.paths).open(o, sm::app::Purpose::Apply);
    ADD_FAILURE() << "an unknown mode was accepted";
  } catch (const sm::model::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"prisma-8\" is not a Prisma apply mode"), std::string::npos)
        << e.what();
  }
}

}  // namespace

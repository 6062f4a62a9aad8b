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

}  // namespace

// adapters/prisma: the project's Prisma version and how it runs a migration.
#include "adapters/prisma/prisma_version.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_support.h"

namespace fs = std::filesystem;
using sm::model::ExecutionMode;
using sm::model::Migration;
using sm::model::Statement;
using sm::test::TempDir;
using namespace sm::prisma;

namespace {

void expect_version(const std::optional<PrismaVersion>& v, int major, int minor, int patch) {
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, major);
  EXPECT_EQ(v->minor, minor);
  EXPECT_EQ(v->patch, patch);
}

// A project in a temporary folder that is its own repository (so the search stops there).
struct Project {
  TempDir tmp;
  Project() { fs::create_directories(tmp.path() / ".git"); }
  fs::path migrations(const std::string& under = "prisma/migrations") const {
    tmp.write(under + "/20240101000000_init/migration.sql", "SELECT 1;");
    return tmp.path() / under;
  }
};

Statement statement(const std::string& node, bool concurrently, uint32_t line = 1) {
  Statement st;
  st.node = node;
  st.concurrently = concurrently;
  st.loc.line = line;
  return st;
}

Migration migration_with(std::vector<Statement> statements) {
  Migration m;
  m.id = "20240101000000_x";
  sm::model::Operation op;
  op.kind = "migration.sql";
  op.statements = std::move(statements);
  m.operations.push_back(std::move(op));
  return m;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

// ---- parsing -------------------------------------------------------------------------------

TEST(ParsePrismaVersion, ExactAndRanges) {
  expect_version(parse_prisma_version("6.19.3"), 6, 19, 3);
  expect_version(parse_prisma_version("^6.19.3"), 6, 19, 3);
  expect_version(parse_prisma_version("~7.4.0"), 7, 4, 0);
  expect_version(parse_prisma_version(">=7.4"), 7, 4, 0);
  expect_version(parse_prisma_version("7"), 7, 0, 0);
  expect_version(parse_prisma_version(" v7.4.1 "), 7, 4, 1);
  expect_version(parse_prisma_version("7.4.0-dev.3"), 7, 4, 0);
  expect_version(parse_prisma_version("6.x"), 6, 0, 0);
  expect_version(parse_prisma_version(">= 7.4.1 <8"), 7, 4, 1);
  expect_version(parse_prisma_version("<8 >=7.2"), 7, 2, 0);
  expect_version(parse_prisma_version("6.1.0 - 7"), 6, 1, 0);
  expect_version(parse_prisma_version("^7 || ^6.2"), 6, 2, 0);
  expect_version(parse_prisma_version("npm:prisma@6.1.0"), 6, 1, 0);
  EXPECT_EQ(parse_prisma_version("^6.19.3")->text, "^6.19.3");
}

TEST(ParsePrismaVersion, NoLowerBound) {
  for (const char* text :
       {"", "*", "latest", "workspace:*", "catalog:", "<7", "x", "6..1", "99999999999.0.0"})
    EXPECT_FALSE(parse_prisma_version(text).has_value()) << text;
}

// ---- detection -----------------------------------------------------------------------------

TEST(DetectPrismaVersion, PackageLockBesidePackageJson) {
  Project p;
  p.tmp.write("package.json", R"({"name": "shop", "devDependencies": {"prisma": "^6.0.0"},
                                  "dependencies": {"@prisma/client": "^6.0.0"}})");
  p.tmp.write("package-lock.json", R"({"name": "shop", "lockfileVersion": 3, "packages": {
      "": {"name": "shop"},
      "node_modules/@prisma/client": {"version": "6.18.0"},
      "node_modules/prisma": {"version": "6.19.3", "dev": true}}})");
  auto v = detect_prisma_version(p.migrations());
  expect_version(v, 6, 19, 3);
  EXPECT_EQ(v->text, "6.19.3");
  EXPECT_EQ(v->source, (p.tmp.path() / "package-lock.json").string());
}

TEST(DetectPrismaVersion, RangeWhenNoLockFile) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "~7.4.0"}})");
  auto v = detect_prisma_version(p.migrations());
  expect_version(v, 7, 4, 0);
  EXPECT_EQ(v->text, "~7.4.0");
  EXPECT_EQ(v->source, (p.tmp.path() / "package.json").string());
}

TEST(DetectPrismaVersion, ClientOnly) {
  Project p;
  p.tmp.write("package.json", R"({"dependencies": {"@prisma/client": "5.22.0"}})");
  expect_version(detect_prisma_version(p.migrations()), 5, 22, 0);
}

TEST(DetectPrismaVersion, NoPrismaDependency) {
  Project p;
  p.tmp.write("package.json", R"({"dependencies": {"express": "^4.0.0"}})");
  EXPECT_FALSE(detect_prisma_version(p.migrations()).has_value());
}

TEST(DetectPrismaVersion, NoPackageJson) {
  Project p;
  EXPECT_FALSE(detect_prisma_version(p.migrations()).has_value());
}

TEST(DetectPrismaVersion, StopsAtRepositoryRoot) {
  TempDir outer;
  outer.write("package.json", R"({"devDependencies": {"prisma": "6.19.3"}})");
  outer.write("repo/.git/HEAD", "ref: refs/heads/main\n");
  outer.write("repo/prisma/migrations/20240101000000_init/migration.sql", "SELECT 1;");
  EXPECT_FALSE(detect_prisma_version(outer.path() / "repo" / "prisma" / "migrations").has_value());
}

TEST(DetectPrismaVersion, MonorepoLockAtRoot) {
  Project p;
  p.tmp.write("package.json", R"({"private": true, "workspaces": ["packages/*"]})");
  p.tmp.write("packages/db/package.json", R"({"name": "db", "devDependencies": {"prisma": "^7.0.0"}})");
  p.tmp.write("package-lock.json", R"({"lockfileVersion": 3, "packages": {
      "node_modules/prisma": {"version": "6.0.0"},
      "packages/db/node_modules/prisma": {"version": "7.4.1"}}})");
  auto v = detect_prisma_version(p.migrations("packages/db/prisma/migrations"));
  expect_version(v, 7, 4, 1);
  EXPECT_EQ(v->source, (p.tmp.path() / "package-lock.json").string());
}

TEST(DetectPrismaVersion, PackageLockV1) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^4.0.0"}})");
  p.tmp.write("package-lock.json",
              R"({"lockfileVersion": 1, "dependencies": {"prisma": {"version": "4.16.2"}}})");
  expect_version(detect_prisma_version(p.migrations()), 4, 16, 2);
}

TEST(DetectPrismaVersion, PnpmLockV9) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^7.0.0"}})");
  p.tmp.write("pnpm-lock.yaml",
              "lockfileVersion: '9.0'\n"
              "\n"
              "importers:\n"
              "\n"
              "  .:\n"
              "    dependencies:\n"
              "      '@prisma/client':\n"
              "        specifier: ^7.0.0\n"
              "        version: 7.4.2(prisma@7.4.2(typescript@5.6.3))(typescript@5.6.3)\n"
              "    devDependencies:\n"
              "      prisma:\n"
              "        specifier: ^7.0.0\n"
              "        version: 7.4.2(typescript@5.6.3)\n"
              "\n"
              "packages:\n"
              "\n"
              "  prisma@7.4.2:\n"
              "    resolution: {integrity: sha512-x}\n");
  auto v = detect_prisma_version(p.migrations());
  expect_version(v, 7, 4, 2);
  EXPECT_EQ(v->text, "7.4.2");
  EXPECT_EQ(v->source, (p.tmp.path() / "pnpm-lock.yaml").string());
}

TEST(DetectPrismaVersion, PnpmLockV5) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^4.0.0"}})");
  p.tmp.write("pnpm-lock.yaml",
              "lockfileVersion: 5.4\n"
              "\n"
              "devDependencies:\n"
              "  prisma: 4.16.2\n"
              "\n"
              "packages:\n"
              "\n"
              "  /prisma/4.16.2:\n"
              "    resolution: {integrity: sha512-x}\n");
  expect_version(detect_prisma_version(p.migrations()), 4, 16, 2);
}

TEST(DetectPrismaVersion, PnpmLockWithTwoVersionsFallsBackToRange) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^6.2.0"}})");
  p.tmp.write("pnpm-lock.yaml",
              "lockfileVersion: '9.0'\n"
              "packages:\n"
              "  prisma@6.19.3:\n"
              "    resolution: {integrity: sha512-x}\n"
              "  prisma@7.4.0:\n"
              "    resolution: {integrity: sha512-y}\n");
  auto v = detect_prisma_version(p.migrations());
  expect_version(v, 6, 2, 0);
  EXPECT_EQ(v->source, (p.tmp.path() / "package.json").string());
}

TEST(DetectPrismaVersion, YarnLockV1) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^6.0.0"}})");
  p.tmp.write("yarn.lock",
              "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n"
              "# yarn lockfile v1\n"
              "\n"
              "\"@prisma/client@^6.0.0\":\n"
              "  version \"6.10.0\"\n"
              "\n"
              "prisma@^6.0.0, prisma@^6.1.0:\n"
              "  version \"6.19.3\"\n"
              "  resolved \"https://registry.yarnpkg.com/prisma/-/prisma-6.19.3.tgz\"\n"
              "  dependencies:\n"
              "    \"@prisma/engines\" \"6.19.3\"\n");
  auto v = detect_prisma_version(p.migrations());
  expect_version(v, 6, 19, 3);
  EXPECT_EQ(v->source, (p.tmp.path() / "yarn.lock").string());
}

TEST(DetectPrismaVersion, YarnBerry) {
  Project p;
  p.tmp.write("package.json", R"({"devDependencies": {"prisma": "^7.4.0"}})");
  p.tmp.write("yarn.lock",
              "__metadata:\n"
              "  version: 8\n"
              "\n"
              "\"prisma@npm:^7.4.0\":\n"
              "  version: 7.5.1\n"
              "  resolution: \"prisma@npm:7.5.1\"\n");
  expect_version(detect_prisma_version(p.migrations()), 7, 5, 1);
}

// ---- execution scenarios -------------------------------------------------------------------

TEST(AssignScenarios, KnownUpTo7_3) {
  Migration m = migration_with({statement("IndexStmt", true), statement("CreateStmt", false)});
  PrismaVersion v{6, 19, 3, "package-lock.json", "6.19.3"};
  assign_scenarios(m, v);
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
  EXPECT_EQ(m.scenarios[0].label, "Prisma 6.19.3 (≤ 7.3)");
  EXPECT_TRUE(contains(m.scenarios[0].reason, "one implicit transaction")) << m.scenarios[0].reason;
  // 7.3.9 is still the old behaviour.
  assign_scenarios(m, PrismaVersion{7, 3, 9, "", "7.3.9"});
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
}

TEST(AssignScenarios, KnownFrom7_4) {
  Migration m = migration_with({statement("IndexStmt", true), statement("DropStmt", false)});
  assign_scenarios(m, PrismaVersion{7, 4, 0, "package.json", "^7.4.0"});
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::PerStatement);
  EXPECT_EQ(m.scenarios[0].label, "Prisma ^7.4.0 (≥ 7.4)");
  EXPECT_TRUE(contains(m.scenarios[0].reason, "each")) << m.scenarios[0].reason;
  assign_scenarios(m, PrismaVersion{8, 0, 0, "", ""});
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::PerStatement);
  EXPECT_EQ(m.scenarios[0].label, "Prisma 8.0.0 (≥ 7.4)");
}

TEST(AssignScenarios, DropIndexConcurrentlyFallsBackToOneBatch) {
  Migration m = migration_with({statement("CreateStmt", false, 1), statement("DropStmt", true, 4)});
  assign_scenarios(m, PrismaVersion{7, 4, 1, "package-lock.json", "7.4.1"});
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
  EXPECT_TRUE(contains(m.scenarios[0].label, "7.4.1")) << m.scenarios[0].label;
  EXPECT_TRUE(contains(m.scenarios[0].reason, "DROP INDEX CONCURRENTLY at line 4")) << m.scenarios[0].reason;
  // Only the >= 7.4 splitter is concerned.
  assign_scenarios(m, PrismaVersion{6, 19, 3, "", "6.19.3"});
  ASSERT_EQ(m.scenarios.size(), 1u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
  EXPECT_FALSE(contains(m.scenarios[0].reason, "DROP INDEX")) << m.scenarios[0].reason;
}

TEST(AssignScenarios, SplitterFallbackList) {
  EXPECT_NE(prisma_splitter_cannot_parse(statement("DropStmt", true)), nullptr);
  EXPECT_EQ(prisma_splitter_cannot_parse(statement("DropStmt", false)), nullptr);
  EXPECT_EQ(prisma_splitter_cannot_parse(statement("IndexStmt", true)), nullptr);
  EXPECT_EQ(prisma_splitter_cannot_parse(statement("ReindexStmt", true)), nullptr);
}

TEST(AssignScenarios, UnknownVersionGivesBoth) {
  Migration m = migration_with({statement("IndexStmt", true)});
  assign_scenarios(m, std::nullopt);
  ASSERT_EQ(m.scenarios.size(), 2u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
  EXPECT_EQ(m.scenarios[0].label, "Prisma ≤ 7.3");
  EXPECT_EQ(m.scenarios[1].mode, ExecutionMode::PerStatement);
  EXPECT_EQ(m.scenarios[1].label, "Prisma ≥ 7.4");
  EXPECT_FALSE(m.scenarios[0].reason.empty());
  EXPECT_NE(m.scenarios[0].reason, m.scenarios[1].reason);
}

TEST(AssignScenarios, UnknownVersionWithFallback) {
  Migration m = migration_with({statement("DropStmt", true, 2), statement("CreateStmt", false, 3)});
  assign_scenarios(m, std::nullopt);
  ASSERT_EQ(m.scenarios.size(), 2u);
  EXPECT_EQ(m.scenarios[0].mode, ExecutionMode::OneBatch);
  EXPECT_EQ(m.scenarios[1].mode, ExecutionMode::OneBatch);
  EXPECT_EQ(m.scenarios[1].label, "Prisma ≥ 7.4 (one batch)");
  EXPECT_TRUE(contains(m.scenarios[1].reason, "DROP INDEX CONCURRENTLY at line 2")) << m.scenarios[1].reason;
}

TEST(AssignScenarios, EmptyAndSingleStatementMigrationsStillGetScenarios) {
  Migration empty;
  assign_scenarios(empty, std::nullopt);
  EXPECT_EQ(empty.scenarios.size(), 2u);
  Migration single = migration_with({statement("IndexStmt", true)});
  assign_scenarios(single, PrismaVersion{6, 0, 0, "", "6.0.0"});
  ASSERT_EQ(single.scenarios.size(), 1u);
  EXPECT_EQ(single.scenarios[0].mode, ExecutionMode::OneBatch);
  // Assigning again replaces, never appends.
  assign_scenarios(single, std::nullopt);
  EXPECT_EQ(single.scenarios.size(), 2u);
}

TEST(RunsStatementByStatement, Threshold) {
  EXPECT_FALSE(runs_statement_by_statement(PrismaVersion{6, 99, 0, "", ""}));
  EXPECT_FALSE(runs_statement_by_statement(PrismaVersion{7, 3, 5, "", ""}));
  EXPECT_TRUE(runs_statement_by_statement(PrismaVersion{7, 4, 0, "", ""}));
  EXPECT_TRUE(runs_statement_by_statement(PrismaVersion{8, 0, 0, "", ""}));
}

TEST(DetectPrismaVersion, ShopFixture) {
  const fs::path project = sm::test::source_dir() / "fixtures" / "prisma" / "shop";
  auto v = detect_prisma_version(project / "prisma" / "migrations");
  expect_version(v, 6, 19, 3);
  EXPECT_EQ(v->source, (project / "package.json").string());
  EXPECT_FALSE(runs_statement_by_statement(*v));
}

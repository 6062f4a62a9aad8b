// Zero configuration in a Prisma project: the migrations folder and the database found as the
// Prisma CLI finds them (prisma.config.ts, package.json's prisma.schema, default schema places,
// .env only where that Prisma version loads it), and the commands run with no path and no URL.
#include "adapters/prisma/prisma_project.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "pg_cluster.h"
#include "test_support.h"

namespace sm::test {
namespace {

namespace fs = std::filesystem;
using prisma::ConfigValue;
using prisma::find_prisma_project;
using prisma::ProjectError;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSchema6 =
    "// a Prisma 6 schema\ngenerator client {\n  provider = \"prisma-client-js\"\n}\n\n"
    "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n";
const std::string kSchema7 =
    "generator client {\n  provider = \"prisma-client\"\n}\n\ndatasource db {\n  provider = "
    "\"postgresql\"\n}\n";
const std::string kInit = "CREATE TABLE \"users\" (\"id\" INTEGER PRIMARY KEY);\n";
// Prisma never runs a stray folder; were it read, check would fail and apply would run it.
const std::string kDanger = "CREATE INDEX \"users_id\" ON \"users\" (\"id\");\nDROP TABLE \"users\";\n";

// `safemigrate ARGS` in `cwd` with no DATABASE_URL unless `env` sets one.
RunResult sm_in(const fs::path& cwd, const std::string& args, const std::string& env = "") {
  return run_shell(
      cwd, "env -u DATABASE_URL -u PRISMA_URL " + env + " " + shell_quote(SAFEMIGRATE_BINARY) + " " + args);
}

// A monorepo: the app apps/api names, in its package.json, the schema of the shared package
// packages/db, whose migrations folder holds one migration.
void write_monorepo(const TempDir& d) {
  d.write("apps/api/package.json",
          R"({"name": "api", "prisma": {"schema": "../../packages/db/schema.prisma"}})");
  d.write("packages/db/schema.prisma", kSchema6);
  d.write("packages/db/migrations/20240101000000_init/migration.sql", kInit);
}

std::optional<prisma::PrismaVersion> v(const char* text) {
  return prisma::parse_prisma_version(text);
}

// --- prisma.config.ts read statically ---------------------------------------------------------

TEST(ConfigTs, LiteralsEnvCallsAndComputedValues) {
  auto c = prisma::read_config_ts(
      "import 'dotenv/config'\nimport path from 'node:path'\nimport { defineConfig, env } from "
      "'prisma/config'\n"
      "export default defineConfig({\n"
      "  schema: 'db/schema.prisma', // the schema\n"
      "  /* migrations */ migrations: { path: \"db/migrations\", seed: `tsx seed.ts` },\n"
      "  datasource: { url: env('PRISMA_URL') },\n"
      "  views: { path: path.join(__dirname, 'views') },\n"
      "  typedSql: { path: `${base}/sql` },\n"
      "})\n");
  ASSERT_TRUE(c.found_object);
  EXPECT_TRUE(c.loads_dotenv);
  EXPECT_EQ(c.values["schema"].text, "db/schema.prisma");
  EXPECT_EQ(c.values["schema"].line, 5u);
  EXPECT_EQ(c.values["migrations.path"].kind, ConfigValue::Kind::Literal);
  EXPECT_EQ(c.values["migrations.path"].text, "db/migrations");
  EXPECT_EQ(c.values["migrations.path"].line, 6u);
  EXPECT_EQ(c.values["migrations.seed"].text, "tsx seed.ts");
  EXPECT_EQ(c.values["datasource.url"].kind, ConfigValue::Kind::Env);
  EXPECT_EQ(c.values["datasource.url"].text, "PRISMA_URL");
  EXPECT_EQ(c.values["views.path"].kind, ConfigValue::Kind::Computed);
  EXPECT_EQ(c.values["views.path"].line, 8u);
  EXPECT_EQ(c.values["typedSql.path"].kind, ConfigValue::Kind::Computed);
}

// Generated configs: each key's value written in one of several forms, with comments, quotes,
// trailing commas and `as const` placed at random; what is read must be what was written.
TEST(ConfigTs, GeneratedConfigsReadBackWhatWasWritten) {
  std::mt19937 rng(2026);
  const char* keys[] = {"schema", "migrations.path", "datasource.url", "views.path"};
  for (int round = 0; round < 400; ++round) {
    std::map<std::string, ConfigValue> expected;
    std::map<std::string, std::vector<std::string>> groups;  // object -> members
    std::vector<std::string> top;
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto gap = [&]() -> std::string {
      switch (pick(5)) {
        case 0: return " ";
        case 1: return "\n  ";
        case 2: return " /* c, } */ ";
        case 3: return " // x: 'y',\n";
        default: return "";
      }
    };
    for (const char* key : keys) {
      if (pick(4) == 0) continue;
      std::string k = key, leaf = k.substr(k.find('.') + 1);
      std::string value;
      ConfigValue cv;
      std::string name = "V" + std::to_string(pick(1000));
      switch (pick(6)) {
        case 0: value = "'a/" + name + "'", cv = {ConfigValue::Kind::Literal, "a/" + name, 0}; break;
        case 1: value = "\"b," + name + "}\"", cv = {ConfigValue::Kind::Literal, "b," + name + "}", 0}; break;
        case 2: value = "env(\"" + name + "\")", cv = {ConfigValue::Kind::Env, name, 0}; break;
        case 3: value = "process.env." + name, cv = {ConfigValue::Kind::Env, name, 0}; break;
        case 4:
          value = "path.join(__dirname, '" + name + "', { a: 1 })", cv = {ConfigValue::Kind::Computed, "", 0};
          break;
        default: value = "`c/" + name + "` as const", cv = {ConfigValue::Kind::Literal, "c/" + name, 0};
      }
      if (pick(2) == 0) leaf = "'" + leaf + "'";
      std::string member = leaf + gap() + ":" + gap() + value;
      if (k.find('.') == std::string::npos)
        top.push_back(member);
      else
        groups[k.substr(0, k.find('.'))].push_back(member);
      expected[k] = cv;
    }
    std::string text = "import { defineConfig } from 'prisma/config'\nexport default defineConfig({" + gap();
    auto join = [&](const std::vector<std::string>& members) {
      std::string s;
      for (size_t i = 0; i < members.size(); ++i) s += (i ? "," + gap() : "") + members[i];
      return s + (pick(2) ? "," : "");
    };
    for (const auto& [group, members] : groups)
      top.push_back(group + ":" + gap() + "{" + join(members) + "}");
    std::shuffle(top.begin(), top.end(), rng);
    text += join(top) + gap() + "})\n";
    auto c = prisma::read_config_ts(text);
    ASSERT_TRUE(c.found_object) << text;
    for (const auto& [k, want] : expected) {
      ASSERT_TRUE(c.values.count(k)) << k << " in\n" << text;
      EXPECT_EQ(c.values[k].kind, want.kind) << k << " in\n" << text;
      if (want.kind != ConfigValue::Kind::Computed) {
        EXPECT_EQ(c.values[k].text, want.text) << k << "\n" << text;
      }
    }
    for (const char* key : keys)
      if (!expected.count(key)) {
        EXPECT_FALSE(c.values.count(key)) << key << " in\n" << text;
      }
  }
}

TEST(Dotenv, QuotesCommentsExportAndExpansion) {
  auto env = prisma::parse_dotenv(
      "# comment\nexport HOST=db.internal\nPW='p#w$x'\nURL=\"postgresql://u:${PW}@${HOST}/app\"  # c\n"
      "PLAIN=a b # trailing\nEMPTY=\n");
  EXPECT_EQ(env["HOST"], "db.internal");
  EXPECT_EQ(env["PW"], "p#w$x");
  EXPECT_EQ(env["URL"], "postgresql://u:p#w$x@db.internal/app");
  EXPECT_EQ(env["PLAIN"], "a b");
  EXPECT_EQ(env["EMPTY"], "");
}

// --- where the migrations are ----------------------------------------------------------------

TEST(Project, Prisma6DefaultLayoutAndItsDotEnv) {
  TempDir d;
  d.write("package.json", R"({"devDependencies": {"prisma": "6.19.0"}})");
  d.write("prisma/schema.prisma", kSchema6);
  d.write("prisma/migrations/20240101000000_init/migration.sql", kInit);
  d.write(".env", "DATABASE_URL=\"postgresql://app:pw@localhost/app\"\n");
  auto p = find_prisma_project(d.path());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->migrations_dir, d.path() / "prisma/migrations");
  auto url = prisma::prisma_database_url(*p, v("6.19.0"));
  EXPECT_EQ(url.url, "postgresql://app:pw@localhost/app");
  EXPECT_THAT(url.from, HasSubstr(".env"));
  EXPECT_THAT(url.from, HasSubstr("prisma/schema.prisma:8"));
  // Prisma 7 never loads .env: the same project names a variable that is not set.
  try {
    prisma::prisma_database_url(*p, v("7.1.0"));
    ADD_FAILURE() << "Prisma 7 read .env";
  } catch (const ProjectError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Prisma 7 does not load .env"));
  }
}

TEST(Project, SchemaFolderKeepsMigrationsBesideTheDatasourceFile) {
  TempDir d;
  d.write("prisma/schema/models/user.prisma", "model User {\n  id Int @id\n}\n");
  d.write("prisma/schema/base.prisma", kSchema6);
  d.write("prisma/migrations/20240101000000_old/migration.sql", kDanger);  // not where Prisma looks
  auto p = find_prisma_project(d.path());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->migrations_dir, d.path() / "prisma/schema/migrations");
  EXPECT_EQ(p->url_file, (d.path() / "prisma/schema/base.prisma").string());
}

TEST(Project, ConfigFileWinsAndDotEnvOnlyWithDotenvImport) {
  TempDir d;
  d.write("prisma.config.ts",
          "import { defineConfig, env } from 'prisma/config'\nexport default defineConfig({\n"
          "  schema: 'db/schema.prisma',\n  migrations: { path: 'db/migrations' },\n"
          "  datasource: { url: env('PRISMA_URL') },\n})\n");
  d.write("db/schema.prisma", kSchema7);
  d.write(".env", "PRISMA_URL=postgresql://x@h/db\n");
  auto p = find_prisma_project(d.path());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->migrations_dir, d.path() / "db/migrations");
  EXPECT_THAT(p->migrations_from, HasSubstr("prisma.config.ts:4"));
  EXPECT_THROW(prisma::prisma_database_url(*p, v("6.19.0")), ProjectError);  // 6.x skips .env with a config
  d.write("prisma.config.ts", "import 'dotenv/config'\n" + read_file(d.path() / "prisma.config.ts"));
  p = find_prisma_project(d.path());
  EXPECT_EQ(prisma::prisma_database_url(*p, v("6.19.0")).url, "postgresql://x@h/db");
}

TEST(Project, MonorepoPackageJsonSchemaKey) {
  TempDir d;
  write_monorepo(d);
  auto p = find_prisma_project(d.path() / "apps/api");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->migrations_dir, d.path() / "packages/db/migrations");
  EXPECT_EQ(p->migrations_from, "package.json prisma.schema");
}

TEST(Project, ComputedValuesAreRefusedWithFileAndLine) {
  TempDir d;
  d.write("prisma.config.ts",
          "import path from 'node:path'\nexport default defineConfig({\n"
          "  migrations: {\n    path: path.join(__dirname, 'db', 'migrations'),\n  },\n})\n");
  try {
    find_prisma_project(d.path());
    ADD_FAILURE() << "a computed migrations.path was accepted";
  } catch (const ProjectError& e) {
    EXPECT_THAT(e.what(), HasSubstr("prisma.config.ts:4: migrations.path is computed"));
  }
  d.write("prisma.config.ts",
          "const base = { migrations: { path: 'x' } }\nexport default defineConfig({ ...base })\n");
  EXPECT_THROW(find_prisma_project(d.path()), ProjectError);
  TempDir none;
  none.write("migrations/20240101000000_init/migration.sql", kInit);
  EXPECT_FALSE(find_prisma_project(none.path()));
}

// --- the commands with no path and no URL ----------------------------------------------------

// A Prisma 6 project with a stray second migrations folder that Prisma never runs.
void write_prisma6(const TempDir& d, const std::string& url) {
  d.write("package.json", R"({"devDependencies": {"prisma": "6.19.0"}})");
  d.write("prisma/schema.prisma", kSchema6);
  d.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  d.write("prisma/migrations/20240101000000_init/migration.sql", kInit);
  d.write("backup/prisma/migrations/20230101000000_old/migration.sql", kDanger);
  d.write(".env", "DATABASE_URL=\"" + url + "\"\n");
}

TEST(ZeroConfig, CheckWithNoPathReadsOnlyTheFolderPrismaRuns) {
  TempDir d;
  write_prisma6(d, "postgresql://u:pw@localhost/app");
  for (const char* args : {"check --format json", "check --format json ."}) {
    RunResult r = sm_in(d.path(), args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("20240101000000_init")) << args;
    EXPECT_THAT(r.out, Not(HasSubstr("20230101000000_old"))) << args;
  }
  // Without a project there is nothing to default to.
  TempDir empty;
  RunResult none = sm_in(empty.path(), "check");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("no Prisma project here"));
}

// A monorepo: the app's package.json names a schema in a shared package; `check` run in the app
// with no path reads that package's migrations, and no other folder of the repository.
TEST(ZeroConfig, MonorepoCheckFollowsPackageJsonSchemaKey) {
  TempDir d;
  write_monorepo(d);
  d.write("apps/api/prisma/migrations/20230101000000_old/migration.sql", kDanger);
  RunResult r = sm_in(d.path() / "apps/api", "check --format json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("20240101000000_init"));
  EXPECT_THAT(r.out, Not(HasSubstr("20230101000000_old")));
}

TEST(ZeroConfig, Prisma6StatusAndApplyUseTheDotEnvDatabase) {
  SM_START_PG(pg);
  TempDir d;
  write_prisma6(d, pg.url());
  RunResult status = sm_in(d.path(), "status");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("20240101000000_init"));
  EXPECT_THAT(status.err, HasSubstr("$DATABASE_URL from .env, named by prisma/schema.prisma:8"));
  EXPECT_THAT(status.err + status.out, Not(HasSubstr(PgCluster::kPassword)));
  RunResult apply = sm_in(d.path(), "apply .");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(pg.psql("SELECT string_agg(migration_name, ',') FROM _prisma_migrations"), "20240101000000_init");
  EXPECT_EQ(sm_in(d.path(), "verify").exit_code, 0);
}

TEST(ZeroConfig, Prisma7ReadsTheConfigAndNeverDotEnv) {
  SM_START_PG(pg);
  TempDir d;
  d.write("package.json", R"({"devDependencies": {"prisma": "7.4.0"}})");
  d.write("prisma.config.ts",
          "import { defineConfig, env } from 'prisma/config'\n\nexport default defineConfig({\n"
          "  schema: 'db/schema.prisma',\n  migrations: { path: 'db/migrations' },\n"
          "  datasource: { url: env('PRISMA_URL') },\n})\n");
  d.write("db/schema.prisma", kSchema7);
  d.write("db/migrations/20240101000000_init/migration.sql", kInit);
  d.write(".env", "PRISMA_URL=" + pg.url() + "\n");
  RunResult refused = sm_in(d.path(), "status");
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_THAT(refused.err,
              HasSubstr("prisma.config.ts:6 names the database as $PRISMA_URL, which is not set"));
  EXPECT_THAT(refused.err, HasSubstr("Prisma 7 does not load .env"));
  RunResult apply = sm_in(d.path(), "apply", "PRISMA_URL=" + shell_quote(pg.url()));
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_THAT(apply.err, HasSubstr("$PRISMA_URL from the environment, named by prisma.config.ts:6"));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"), "1");
}

TEST(ZeroConfig, ComputedConfigAsksForAPath) {
  TempDir d;
  d.write("prisma.config.ts",
          "export default defineConfig({\n  migrations: { path: process.env.MIGRATIONS ?? 'x' },\n})\n");
  for (const char* cmd : {"check", "status", "apply"}) {
    RunResult r = sm_in(d.path(), cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_THAT(r.err, HasSubstr("prisma.config.ts:2: migrations.path is computed")) << cmd;
    EXPECT_THAT(r.err, HasSubstr("give the migrations folder as a path")) << cmd;
  }
}

TEST(ZeroConfig, ConfigSourcesKeepTheirPrecedence) {
  TempDir d;
  write_prisma6(d, "postgresql://u:pw@localhost/app");
  d.write("safemigrate.toml", "[[sources]]\npath = \"backup/prisma/migrations\"\nframework = \"prisma\"\n");
  RunResult r = sm_in(d.path(), "check --format json");
  EXPECT_THAT(r.out, HasSubstr("20230101000000_old")) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("20240101000000_init")));
}

}  // namespace
}  // namespace sm::test

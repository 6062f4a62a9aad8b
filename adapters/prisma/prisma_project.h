// A Prisma project found the way the Prisma CLI finds it from its working folder: prisma.config.ts
// (migrations.path, schema, datasource.url), package.json's "prisma": {"schema": …}, then the
// default schema locations; and the database URL Prisma would connect to. prisma.config.ts is
// TypeScript: its literal values are read statically, never by running it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "adapters/prisma/prisma_version.h"
#include "model/errors.h"

namespace sm::prisma {

// A project that cannot be read without guessing: the message names the file and line.
struct ProjectError : model::Error {
  using model::Error::Error;
};

// A value read from prisma.config.ts or a .prisma file.
struct ConfigValue {
  enum class Kind { Literal, Env, Computed };
  Kind kind = Kind::Computed;
  std::string text;  // the literal, or the variable's name for Env
  uint32_t line = 0;
};

// The values of `defineConfig({...})` / `export default {...}` in prisma.config.ts (or the
// datasource block of a .prisma file), flattened to dotted keys: "schema", "migrations.path",
// "datasource.url". A value that is not a string literal, env("X") or process.env.X is Computed
// (so is the key "*" of an object holding a spread). `loads_dotenv`: the file imports dotenv.
struct ConfigValues {
  std::map<std::string, ConfigValue> values;
  bool loads_dotenv = false;
  bool found_object = false;  // a configuration object was found at all
};
ConfigValues read_config_ts(std::string_view text);
// `url = env("X")` or `url = "…"` of the datasource block in a .prisma file; key "datasource.url"
// (and "datasource" with line when there is a block at all).
ConfigValues read_schema_datasource(std::string_view text);

struct PrismaProject {
  std::filesystem::path root;            // the folder it was found from (Prisma's working folder)
  std::filesystem::path migrations_dir;  // absolute
  std::string migrations_from;           // how it was found, e.g. "prisma.config.ts:5 migrations.path"
  std::optional<std::filesystem::path> config_file;
  bool config_loads_dotenv = false;
  std::optional<std::filesystem::path> schema;  // the schema file or folder, when one was found
  std::filesystem::path schema_dir;             // folder of the file with the datasource block
  std::optional<ConfigValue> url;               // what names the database
  std::string url_file;                         // the file `url` was read from
};

// The project in `dir`, or nullopt when `dir` holds none (no prisma config file, no package.json
// schema key, no schema at a default location). Throws ProjectError when the migrations folder
// depends on a value that is computed, or on a schema that does not exist.
std::optional<PrismaProject> find_prisma_project(const std::filesystem::path& dir);

struct ResolvedUrl {
  std::string url;
  std::string from;  // e.g. "DATABASE_URL from /app/.env, named by prisma/schema.prisma:8"
};

// The database URL Prisma would use: the variable that datasource.url names, from the environment,
// else from the .env files the project's Prisma version loads (6: the project root's and the
// schema folder's, only without a config file; with a config file only when it imports dotenv;
// 7: never). Throws ProjectError saying why there is none.
ResolvedUrl prisma_database_url(const PrismaProject& p, const std::optional<PrismaVersion>& version);

// KEY=value lines of a .env file as dotenv reads them (quotes, `export`, # comments, ${VAR}
// expanded from earlier keys and `env`).
std::map<std::string, std::string> parse_dotenv(std::string_view text,
                                                const std::map<std::string, std::string>& env = {});

}  // namespace sm::prisma

// Which database a command connects to, when several places name one: --database-url, the
// safemigrate.toml source's database_url_env, the Prisma project's datasource, $DATABASE_URL.
// The rule lives here, not in the CLI, so that every front end decides alike.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace sm::app {

// Who asks. check reads only table sizes; rehearse must be pointed at a copy, never at what the
// environment names (usually production).
enum class DatabaseUse { TableSizes, History, Rehearse };

// What names a database for one migrations folder or plan. Empty strings and unset members name
// none.
struct DatabaseCandidates {
  std::optional<std::string> flag;  // --database-url, when given (even empty)
  std::string source;               // the value of its config source's database_url_env variable
  // The database the Prisma project of the path names (prisma::prisma_database_url): called only
  // when it wins; may throw. Returns the URL and where it came from.
  std::function<std::pair<std::string, std::string>()> prisma_project;
  std::optional<std::string> environment;  // $DATABASE_URL
};

enum class DatabaseFrom { None, Flag, Source, PrismaProject, Environment };

struct DatabaseChoice {
  std::string url;  // empty when from is None
  DatabaseFrom from = DatabaseFrom::None;
  std::string prisma_from;  // for PrismaProject: where Prisma's URL came from, e.g. "$DATABASE_URL from .env"
};

// The first that names one of:
//   TableSizes (check): --database-url, the source's variable. Never $DATABASE_URL implicitly.
//   History (status, verify, apply, resolve): --database-url, the source's variable, the Prisma
//     project's datasource, $DATABASE_URL (Prisma's own default).
//   Rehearse: --database-url only; without it, throws model::InputError.
DatabaseChoice choose_database(DatabaseUse use, const DatabaseCandidates& c);

}  // namespace sm::app

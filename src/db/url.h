// Database URLs as Prisma users write them (postgresql://user:password@host:port/db?schema=x),
// turned into what libpq accepts, and shown without the password.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sm::db {

struct DatabaseUrl {
  std::string libpq;                 // the URL libpq is given: Prisma-only parameters removed
  std::string schema;                // Prisma's ?schema= (default "public"): becomes the search_path
  std::string display;               // the URL as given, password masked: safe to print
  std::string password;              // decoded password (never print; used to scrub messages)
  std::vector<std::string> dropped;  // Prisma-only parameters that were removed
};

// Parses a postgres:// or postgresql:// URL. Prisma's own parameters (schema, connection_limit,
// pool_timeout, pgbouncer, …) that libpq rejects are removed; `connect_timeout` (seconds) is
// added when the URL has none. Throws std::invalid_argument with a masked message when the
// URL is not a PostgreSQL URL.
DatabaseUrl parse_database_url(std::string_view url, int default_connect_timeout_s = 10);

// The URL with the password (in the user part or a password= parameter) replaced by "****".
// Text that is not a URL is returned unchanged.
std::string mask_url(std::string_view url);

// `text` with every occurrence of `secret` (and of its percent-encoded form) replaced by "****";
// for messages from libpq or the server that might echo a connection string.
std::string scrub(std::string text, std::string_view secret);

// Decodes %XX escapes (invalid escapes are kept as written).
std::string percent_decode(std::string_view s);

}  // namespace sm::db

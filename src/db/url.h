// Database URLs as Prisma users write them (postgresql://user:password@host:port/db?schema=x), or
// libpq keyword strings (host=… password=…), turned into what libpq accepts, and shown without
// the password. libpq itself (PQconninfoParse) reads them: what is shown is rebuilt from its
// reading with the password left out, never found by searching the text for it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sm::db {

struct DatabaseUrl {
  std::string libpq;                 // the URL libpq is given: Prisma-only parameters removed
  std::string schema;                // Prisma's ?schema= (default "public"): becomes the search_path
  std::string display;               // rebuilt from libpq's reading, password masked: safe to print
  std::string password;              // decoded password (never print; used to scrub messages)
  std::vector<std::string> secrets;  // every value to scrub from messages: password, sslpassword…
  std::vector<std::string> dropped;  // Prisma-only parameters that were removed
};

// Parses a postgres:// or postgresql:// URL, or a libpq keyword string. Prisma's own parameters
// (schema, connection_limit, pool_timeout, pgbouncer, …) that libpq rejects are removed;
// `connect_timeout` (seconds) is added when there is none. Throws std::invalid_argument when
// libpq cannot read it, or would read part of it as the host, port or database where a password
// was probably meant (an unescaped '@' or '/'); the message never quotes the text given.
DatabaseUrl parse_database_url(std::string_view url, int default_connect_timeout_s = 10);

// What may be shown of `url`: its display when it parses, else a note that it is not shown.
std::string mask_url(std::string_view url);

// True when `text` reads as a database URL or keyword string holding a password (or as a URL
// that cannot be read at all): for arguments that should have been paths.
bool looks_like_database_url(std::string_view text);

// `text` with every occurrence of `secret` (as is, and percent-encoded) replaced by "****";
// for messages from libpq or the server that might echo a connection string.
std::string scrub(std::string text, std::string_view secret);
std::string scrub(std::string text, const std::vector<std::string>& secrets);

// Every byte but RFC 3986's unreserved ones as %XX (upper-case hex unless `lower_hex`).
std::string percent_encode(std::string_view s, bool lower_hex = false);

// Decodes %XX escapes (invalid escapes are kept as written).
std::string percent_decode(std::string_view s);

}  // namespace sm::db

// What every layer reports a problem with: one exception type (its subtypes say which layer
// raised it), one set of exit codes, and the rule id of a finding that says an input could not be
// read. Header-only, so that any layer may include it.
#pragma once

#include <stdexcept>

namespace sm::model {

// Exit codes of every command (README "Commands", `safemigrate --help`).
inline constexpr int kExitOk = 0;
// check: error findings; verify: drift; apply: a migration failed or was refused; rehearse: a
// statement failed.
inline constexpr int kExitFindings = 1;
// A usage or input error: bad options, a file that cannot be read, an unreachable database, an
// unexpected history table.
inline constexpr int kExitUsage = 2;

// The rule id of a finding that says a path or file could not be read (exit kExitUsage).
inline constexpr const char* kInputErrorRule = "input-error";

// A problem for the user, who sees `safemigrate: ` and what(), and exit kExitUsage. The message
// names the file and line when there is one. Subtypes: config::ConfigError, prisma::ProjectError,
// db::DbError (its message masks passwords), model::InputError.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A usage or input problem found outside a file's own reader (a path that is not a plan, a
// history table that does not match the local migrations).
struct InputError : Error {
  using Error::Error;
};

}  // namespace sm::model

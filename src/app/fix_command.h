// `safemigrate fix`: rewrites migrations that cannot have run anywhere into their safe form
// (each framework's Framework::fix, app/framework.h), as a unified diff (--dry-run), as JSON, or in place
// with atomic writes. A migration that may have run somewhere is never touched, and the output says so.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "app/check_command.h"

namespace sm::app {

struct FixOptions {
  CheckOptions check;  // paths, prisma_version, postgres_version, config, max_file_size, since
  bool dry_run = false;
  std::string format = "text";  // text | json
  // Migrations not recorded in this database's history table (each framework's) cannot have run.
  std::string database_url;
  std::string lock_timeout = "5s";
  // Name each migration that has fixable findings but may have run (else they are counted).
  bool list_untouched = false;
};

// Exit code: 0 everything fixable in the migrations that cannot have run was fixed (or nothing was
// to fix), 1 something there was left (unsafe to rewrite), 2 usage or input error. Migrations that
// may have run are never touched and do not change the exit code; the output counts them.
int run_fix(const FixOptions& options, std::ostream& out, std::ostream& err);

// " rule-a, rule-b, …": the rules fix rewrites, for `safemigrate rules`.
std::string fixable_rules_line();
// How fix rewrites a finding of `rule`, for `safemigrate explain`; empty when it does not.
std::string fix_how(std::string_view rule);

// Unified diff (3 lines of context) of `before` and `after`, with headers naming `path`; empty
// when they are equal. `before_exists` false: a new file (--- /dev/null).
std::string unified_diff(const std::string& path, const std::string& before, const std::string& after,
                         bool before_exists = true);

}  // namespace sm::app

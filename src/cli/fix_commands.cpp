// fix: rewrite migrations that cannot have run anywhere into their safe form (app/fix_command.h).
#include <iostream>

#include "cli/command.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "model/errors.h"

namespace sm::cli {

void fix_setup(CLI::App& cmd, FixArgs& a) {
  add_inputs(cmd, a, {"text", "json"});
  app::FixOptions& f = a.fix;
  cmd.add_flag("--dry-run", f.dry_run, "Print a unified diff; write nothing");
  cmd.add_option("--since", a.options.since,
                 "Fix only migrations added since this git ref (default: those new in the working tree)")
      ->check(git_ref());
  cmd.add_option("--database-url", f.database_url,
                 "Fix only migrations not recorded in this database's history table (_prisma_migrations, "
                 "django_migrations)");
  cmd.add_option("--lock-timeout", f.lock_timeout, "The lock_timeout a fixed migration sets (default 5s)");
  cmd.add_flag("--list-untouched", f.list_untouched,
               "Name each migration with fixable findings that was not touched because it may have run");
}

int fix_run(FixArgs& a, const CLI::App&) {
  if (url_given_as_path(a.options.paths)) return model::kExitUsage;
  if (auto code = resolve_inputs(a)) return *code;
  a.fix.check = a.options;
  a.fix.check.source_database_urls.clear();  // fix reads no table sizes
  a.fix.format = a.format;
  return app::run_fix(a.fix, std::cout, std::cerr);
}

}  // namespace sm::cli

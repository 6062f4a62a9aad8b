// drift: the database against what its recorded migrations build (app/drift_command.h).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/framework.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "config/config.h"
#include "model/errors.h"
#include "report/sanitize.h"

namespace sm::cli {

void drift_setup(CLI::App& cmd, DriftArgs& a) {
  app::HistoryOptions& h = a.drift.history;
  cmd.add_option("paths", h.paths,
                 "The Prisma migrations folder (or the project root holding it), or a Django plan file")
      ->required();
  cmd.add_option("--database-url", h.database_url,
                 "The database to compare (default: $DATABASE_URL); the password is never printed");
  cmd.add_option("--shadow-database-url", a.drift.shadow_database_url,
                 "An empty database to replay the migrations on (default: a temporary database created "
                 "on the same server and always dropped, which needs CREATEDB)");
  cmd.add_option("--prisma-version", h.prisma_version,
                 "Prisma version of the project: how each migration.sql is run (default: read from "
                 "package.json or lock files)");
  cmd.add_option("--mode", a.mode,
                 "How each migration.sql is replayed, as apply's --mode (default auto: the project's Prisma "
                 "version's)")
      ->check(CLI::IsMember(app::apply_mode_names()));  // the frameworks' names
  cmd.add_option("--exclude", a.drift.exclude,
                 "Leave out objects whose schema.name (a table's, for its columns, indexes, constraints "
                 "and triggers) fully matches this RE2 pattern; repeatable");
  cmd.add_option("--config", a.config_path,
                 "The safemigrate.toml to use (default: found from the working folder up); its [drift] "
                 "exclude adds to --exclude");
  cmd.add_option("--format", a.drift.format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif", "github"}));
}

int drift_run(DriftArgs& a, const CLI::App& cmd) {
  app::HistoryOptions& h = a.drift.history;
  if (url_given_as_path(h.paths)) return model::kExitUsage;
  if (!given(cmd, "--database-url"))
    if (const char* env = std::getenv("DATABASE_URL")) h.database_url = env;
  h.mode = a.mode;
  // The config (ConfigError, with its file and line, is an input error): [drift] exclude, and
  // what check reads from it for a plan (exclude_apps…).
  if (!a.config_path.empty())
    a.config = config::load_config(a.config_path);
  else if (auto found = config::find_config(std::filesystem::current_path()))
    a.config = config::load_config(*found);
  if (a.config) {
    h.config = &*a.config;
    a.drift.exclude.insert(a.drift.exclude.begin(), a.config->drift_exclude.begin(),
                           a.config->drift_exclude.end());
  }
  report::PrintableStream out(std::cout), err(std::cerr);
  return app::run_drift(a.drift, out, err);
}

}  // namespace sm::cli

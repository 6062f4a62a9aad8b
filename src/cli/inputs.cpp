#include "cli/inputs.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/framework.h"
#include "cli/command.h"
#include "db/url.h"
#include "model/errors.h"
#include "report/sanitize.h"

namespace sm::cli {

namespace fs = std::filesystem;
using model::kExitUsage;

namespace {

// The config: --config FILE, or safemigrate.toml found from the working folder up to the
// repository root.
std::optional<config::Config> given_or_found_config(const std::string& config_path) {
  if (!config_path.empty()) return config::load_config(config_path);
  if (auto found = config::find_config(fs::current_path())) return config::load_config(*found);
  return std::nullopt;
}

// The [[sources]] when no paths are given on the command line; prints why not and returns an
// exit code when there are none or one points at the wrong kind of thing.
std::optional<int> config_sources(const std::optional<config::Config>& config,
                                  std::vector<const config::Source*>& out) {
  if (!config) {
    std::cerr
        << "safemigrate: no paths given and no " << config::kFileName
        << " found in this folder or above it (up to the repository root), and no Prisma project here "
           "(prisma.config.ts, package.json \"prisma\": {\"schema\"}, prisma/schema.prisma); give migration "
           "folders or plan files, or --config FILE\n";
    return kExitUsage;
  }
  if (config->sources.empty()) {
    std::cerr << "safemigrate: " << config->file.string()
              << " lists no [[sources]] and no paths were given on the command line\n";
    return kExitUsage;
  }
  for (const auto& src : config->sources) {
    // The framework is stated so that a path pointing at the wrong thing is caught here.
    const app::Framework* framework = app::framework_named(src.framework);
    if (std::string problem = framework ? framework->source_problem(src.resolved) : std::string{};
        !problem.empty()) {
      std::cerr << "safemigrate: " << config->file.string() << ":" << src.line << ": sources: " << src.path
                << " " << problem << "\n";
      return kExitUsage;
    }
    out.push_back(&src);
  }
  return std::nullopt;
}

// The URL in a source's database_url_env variable, or empty.
std::string source_database_url(const config::Source& src) {
  const char* url = src.database_url_env.empty() ? nullptr : std::getenv(src.database_url_env.c_str());
  return url ? url : "";
}

// The database of a path given on the command line: that of the config source naming the
// same file or folder, if any.
std::string path_database_url(const std::optional<config::Config>& config, const std::string& path) {
  if (!config) return "";
  for (const auto& src : config->sources) {
    std::error_code ec;
    if (fs::equivalent(src.resolved, path, ec)) return source_database_url(src);
  }
  return "";
}

// No path and no [[sources]] (the config's precedence is kept).
bool no_sources(const std::optional<config::Config>& config, const std::vector<std::string>& paths) {
  return paths.empty() && (!config || config->sources.empty());
}

}  // namespace

CLI::Validator byte_count() {
  // CLI11 alone reads "-1" into an unsigned size as its largest value, and wraps numbers past 2^64.
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
          return "takes a number of bytes, e.g. 10485760 (got \"" + text + "\")";
        return {};
      },
      "BYTES");
}

CLI::Validator git_ref() {
  // An empty ref (an unset CI variable) is a usage error, not "no --since" in silence; a control
  // character is in no git ref, and a newline would start a line of its own in a CI log.
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        if (text.empty()) return "takes a git ref such as origin/main; it is empty (an unset CI variable?)";
        for (unsigned char c : text)
          if (c < 0x20 || c == 0x7f)
            return "\"" + report::printable(text) + "\" holds a control character, which no git ref has";
        return {};
      },
      "REF");
}

std::optional<std::chrono::milliseconds> parse_duration(std::string text) {
  double scale = 1;
  if (text.ends_with("ms")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with("s")) {
    text.resize(text.size() - 1);
    scale = 1000;
  }
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || v < 0) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(v * scale));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A database URL typed where a path belongs would be echoed with its password ("no such folder:
// …"): refuse it without showing it.
bool url_given_as_path(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec) && db::looks_like_database_url(p)) {
      std::cerr << "safemigrate: a database URL was given where a path was expected (a path that does not "
                   "exist and reads as a URL or connection string; not shown: it may hold a password); give "
                   "it with --database-url\n";
      return true;
    }
  }
  return false;
}

void add_inputs(CLI::App& cmd, InputArgs& a, std::vector<std::string> formats) {
  cmd.add_option("paths", a.options.paths,
                 "Prisma: a prisma/migrations folder, a project root, or any folder holding migrations "
                 "folders (searched recursively). Django: a plan file written by "
                 "adapters/django/export_plan.py. Default: the [[sources]] of safemigrate.toml");
  cmd.add_option("--config", a.config_path,
                 "safemigrate.toml to use (default: the first one found from the working folder up to the "
                 "repository root)");
  cmd.add_option("--format", a.format, "Output format")->check(CLI::IsMember(formats));
  cmd.add_option("--prisma-version", a.options.prisma_version,
                 "Prisma version that will run the migrations (default: read from package.json or lock "
                 "files; when unknown, findings say what happens under <= 7.3 and >= 7.4)");
  cmd.add_option("--postgres-version", a.options.postgres_version,
                 "PostgreSQL major version the migrations will run on, e.g. 13 (default: postgres_version "
                 "of safemigrate.toml; unknown: rules assume a current version)")
      ->check(CLI::Range(10, 99));
  cmd.add_option("--max-file-size", a.options.max_file_size,
                 "Largest migration.sql or plan file to read, in bytes (default 10 MiB)")
      ->check(byte_count());
  cmd.add_option("-j,--jobs", a.options.jobs, "Parser threads (default: one per core)");
  cmd.add_flag("-q,--quiet", a.quiet, "No progress output");
}

std::optional<int> resolve_inputs(InputArgs& a) {
  app::CheckOptions& options = a.options;
  a.config = given_or_found_config(a.config_path);
  if (a.config) options.config = &*a.config;
  // A folder holding a framework's project stands for its migrations folder (app::project_paths);
  // with no paths and no [[sources]], the working folder is tried.
  app::project_paths(options.paths, no_sources(a.config, options.paths));
  if (!options.paths.empty()) {
    for (const std::string& path : options.paths)
      options.source_database_urls.push_back(path_database_url(a.config, path));
    return std::nullopt;
  }
  std::vector<const config::Source*> sources;
  if (auto code = config_sources(a.config, sources)) return code;
  for (const config::Source* src : sources) {
    options.paths.push_back(src->resolved.string());
    options.source_database_urls.push_back(source_database_url(*src));
  }
  return std::nullopt;
}

void add_history(CLI::App& cmd, HistoryArgs& a) {
  cmd.add_option("paths", a.options.paths,
                 "The Prisma migrations folder (or the project root holding it), or a Django plan file from "
                 "export_plan.py (history in django_migrations). Default: each [[sources]] entry of "
                 "safemigrate.toml, with its database_url_env");
  cmd.add_option("--config", a.config_path,
                 "safemigrate.toml to use (default: the first one found from the working folder up to the "
                 "repository root); its [rules] and ignore patterns apply to apply's gate");
  cmd.add_option("--database-url", a.options.database_url,
                 "postgresql://user:password@host:port/db?schema=NAME (default: the database_url_env of the "
                 "safemigrate.toml source, else $DATABASE_URL as Prisma); the password is never printed");
  cmd.add_option("--prisma-version", a.options.prisma_version,
                 "Prisma version of the project (default: read from package.json or lock files)");
  cmd.add_option("--max-file-size", a.options.max_file_size, "Largest migration.sql to read, in bytes")
      ->check(byte_count());
}

std::optional<int> history_runs(HistoryArgs& a, const CLI::App& cmd, app::DatabaseUse use,
                                std::vector<app::HistoryOptions>& runs) {
  a.config = given_or_found_config(a.config_path);
  app::HistoryOptions one = a.options;
  if (a.config) one.config = &*a.config;
  app::DatabaseCandidates candidates;
  if (given(cmd, "--database-url")) candidates.flag = a.options.database_url;
  if (const char* env = std::getenv("DATABASE_URL")) candidates.environment = env;
  app::ProjectDatabaseUrl project_url = app::project_paths(one.paths, no_sources(a.config, one.paths));
  if (!one.paths.empty()) {
    candidates.source = path_database_url(a.config, one.paths.front());
    if (project_url) candidates.prisma_project = [&] { return project_url(one.prisma_version); };
    app::DatabaseChoice chosen = app::choose_database(use, candidates);
    // The database Prisma would use, with where it came from (masked).
    if (chosen.from == app::DatabaseFrom::PrismaProject)
      std::cerr << "safemigrate: database " << db::mask_url(chosen.url) << " ("
                << report::printable(chosen.prisma_from) << ")\n";
    one.database_url = chosen.url;
    runs.push_back(one);
    return std::nullopt;
  }
  std::vector<const config::Source*> sources;
  if (auto code = config_sources(a.config, sources)) return code;
  for (const config::Source* src : sources) {
    app::HistoryOptions r = one;
    r.paths = {src->resolved.string()};
    candidates.source = source_database_url(*src);
    r.database_url = app::choose_database(use, candidates).url;
    runs.push_back(std::move(r));
  }
  return std::nullopt;
}

}  // namespace sm::cli

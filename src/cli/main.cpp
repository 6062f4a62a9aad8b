// safemigrate's command line: parse options, call the core, print, choose the exit code.
// Exit codes: 0 no error findings, 1 error findings, 2 usage or input errors.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

#include "adapters/django/django_plan_reader.h"
#include "adapters/prisma/prisma_fix.h"
#include "adapters/prisma/prisma_project.h"
#include "adapters/prisma/prisma_version.h"
#include "app/check_command.h"
#include "app/fix_command.h"
#include "app/history_command.h"
#include "app/rehearse_command.h"
#include "checks/registry.h"
#include "cli/build_info.h"
#include "db/url.h"
#include "report/report.h"
#include "report/sanitize.h"

#if defined(__SANITIZE_ADDRESS__)
// For the sanitizer build: libpqxx 6.4 (or the libpq under it) never frees the result of a query
// during which the server closed the connection (a restart or a killed backend in the middle of
// apply, tests/messages_test.cpp). Not ours to free. The stack LeakSanitizer records ends inside
// libpqxx (built without frame pointers), so the exemption names the library: memory that
// libpqxx itself allocates; what our code allocates still counts.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpqxx\n";
}
#endif

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;

int run_check(const sm::app::CheckOptions& options, const std::string& format, bool no_color,
              bool show_suppressed, bool quiet) {
  if (!options.prisma_version.empty() && !sm::prisma::parse_prisma_version(options.prisma_version)) {
    std::cerr << "safemigrate: --prisma-version: cannot read \"" << options.prisma_version
              << "\" as a version (expected e.g. 6.19.3 or 7.4)\n";
    return kExitUsage;
  }
  bool progress = !quiet && isatty(STDERR_FILENO);
  sm::report::PrintableStream progress_lines(std::cerr);  // they name folders
  sm::app::CheckRun run = sm::app::run_check(options, progress ? &progress_lines : nullptr);
  sm::report::Input input{run.sets, run.findings, run.statements};
  if (format == "json") {
    sm::report::write_json(std::cout, input);
  } else if (format == "sarif") {
    sm::report::write_sarif(std::cout, input);
  } else if (format == "github") {
    sm::report::write_github(std::cout, input);
  } else {
    sm::report::TextOptions text;
    text.color = !no_color && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
    text.show_suppressed = show_suppressed;
    sm::report::write_text(std::cout, input, text);
  }
  std::cout.flush();
  if (run.input_error) return kExitUsage;
  return sm::report::count(input).errors > 0 ? kExitFindings : kExitOk;
}

int run_list(const sm::app::CheckOptions& options, const std::string& format, bool all, bool quiet) {
  bool progress = !quiet && isatty(STDERR_FILENO);
  sm::report::PrintableStream progress_lines(std::cerr);  // they name folders
  sm::app::CheckRun run = sm::app::run_check(options, progress ? &progress_lines : nullptr);
  sm::report::Input input{run.sets, run.findings, run.statements};
  if (format == "json")
    sm::report::write_audit_json(std::cout, input, all);
  else
    sm::report::write_audit_text(std::cout, input, all);
  for (const auto& f : run.findings)
    if (f.rule == "input-error")
      std::cerr << sm::report::printable(f.loc.file) << ": " << sm::report::printable(f.message) << "\n";
  return run.input_error ? kExitUsage : kExitOk;
}

// A database URL typed where a path belongs would be echoed with its password ("no such folder:
// …"): refuse it without showing it.
bool url_given_as_path(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec) && sm::db::looks_like_database_url(p)) {
      std::cerr << "safemigrate: a database URL was given where a path was expected (a path that does not "
                   "exist and reads as a URL or connection string; not shown: it may hold a password); give "
                   "it with --database-url\n";
      return true;
    }
  }
  return false;
}

// A size in bytes: digits only, within 64 bits. CLI11 alone reads "-1" into an unsigned size as its
// largest value, and wraps numbers past 2^64.
const CLI::Validator byte_count(
    [](const std::string& text) -> std::string {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return "takes a number of bytes, e.g. 10485760 (got \"" + text + "\")";
      return {};
    },
    "BYTES");

// --since: an empty ref (an unset CI variable) is a usage error, not "no --since" in silence; a
// control character is in no git ref, and a newline would start a line of its own in a CI log.
const CLI::Validator git_ref(
    [](const std::string& text) -> std::string {
      if (text.empty()) return "takes a git ref such as origin/main; it is empty (an unset CI variable?)";
      for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
          return "\"" + sm::report::printable(text) + "\" holds a control character, which no git ref has";
      return {};
    },
    "REF");

// "5s", "500ms", "2000" (milliseconds), "0" (off).
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

// The config: --config FILE, or safemigrate.toml found from the working folder up to the
// repository root.
std::optional<sm::config::Config> load_config(const std::string& config_path) {
  if (!config_path.empty()) return sm::config::load_config(config_path);
  if (auto found = sm::config::find_config(std::filesystem::current_path()))
    return sm::config::load_config(*found);
  return std::nullopt;
}

// The [[sources]] when no paths are given on the command line; prints why not and returns an
// exit code when there are none or one points at the wrong kind of thing.
std::optional<int> config_sources(const std::optional<sm::config::Config>& config,
                                  std::vector<const sm::config::Source*>& out) {
  namespace fs = std::filesystem;
  if (!config) {
    std::cerr
        << "safemigrate: no paths given and no " << sm::config::kFileName
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
    std::error_code ec;
    // The framework is stated so that a path pointing at the wrong thing is caught here.
    bool plan = fs::is_regular_file(src.resolved, ec) && sm::django::is_plan_file(src.resolved);
    bool folder = fs::is_directory(src.resolved, ec);
    const char* problem = nullptr;
    if (src.framework == "django" && !plan && fs::exists(src.resolved, ec))
      problem = "is not a Django plan file (write one with adapters/django/export_plan.py)";
    if (src.framework == "prisma" && !folder && fs::exists(src.resolved, ec))
      problem = "is not a folder (give the prisma/migrations folder or a folder above it)";
    if (problem) {
      std::cerr << "safemigrate: " << config->file.string() << ":" << src.line << ": sources: " << src.path
                << " " << problem << "\n";
      return kExitUsage;
    }
    out.push_back(&src);
  }
  return std::nullopt;
}

// The URL in a source's database_url_env variable, or empty.
std::string source_database_url(const sm::config::Source& src) {
  const char* url = src.database_url_env.empty() ? nullptr : std::getenv(src.database_url_env.c_str());
  return url ? url : "";
}

// The database of a path given on the command line: that of the config source naming the
// same file or folder, if any.
std::string path_database_url(const std::optional<sm::config::Config>& config, const std::string& path) {
  if (!config) return "";
  for (const auto& src : config->sources) {
    std::error_code ec;
    if (std::filesystem::equivalent(src.resolved, path, ec)) return source_database_url(src);
  }
  return "";
}

// A folder that holds a Prisma project (prisma.config.ts, package.json's prisma.schema, a schema at
// a default place) stands for that project's migrations folder, as `npx prisma migrate` finds it:
// a stray second migrations folder elsewhere in the tree is not read. With no paths and no
// [[sources]], the working folder is that folder. Returns the project of the last path mapped.
std::optional<sm::prisma::PrismaProject> prisma_project_paths(std::vector<std::string>& paths,
                                                              bool none_given) {
  namespace fs = std::filesystem;
  std::optional<sm::prisma::PrismaProject> found;
  if (none_given) paths = {"."};
  for (std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    std::optional<sm::prisma::PrismaProject> p = sm::prisma::find_prisma_project(path);
    if (!p) continue;
    // A given folder whose project has no migrations yet is searched as before.
    if (!fs::is_directory(p->migrations_dir, ec) && !none_given) continue;
    if (!fs::is_directory(p->migrations_dir, ec))
      throw sm::prisma::ProjectError("the Prisma project in " +
                                     fs::absolute(path, ec).lexically_normal().string() +
                                     " keeps its migrations in " + p->migrations_dir.string() + " (" +
                                     p->migrations_from + "), which does not exist");
    path = (fs::path(path) / fs::relative(p->migrations_dir, p->root, ec)).lexically_normal().string();
    found = std::move(p);
  }
  if (none_given && !found) paths.clear();
  return found;
}

// No path and no [[sources]] (the config's precedence is kept).
bool no_sources(const std::optional<sm::config::Config>& config, const std::vector<std::string>& paths) {
  return paths.empty() && (!config || config->sources.empty());
}

// check and list: the config's rules and ignore patterns apply; without paths on the command
// line its sources are the paths; each path has its source's database (for table sizes).
std::optional<int> resolve_config(const std::string& config_path, sm::app::CheckOptions& options,
                                  std::optional<sm::config::Config>& config) {
  config = load_config(config_path);
  if (config) options.config = &*config;
  prisma_project_paths(options.paths, no_sources(config, options.paths));
  if (!options.paths.empty()) {
    for (const std::string& path : options.paths)
      options.source_database_urls.push_back(path_database_url(config, path));
    return std::nullopt;
  }
  std::vector<const sm::config::Source*> sources;
  if (auto code = config_sources(config, sources)) return code;
  for (const sm::config::Source* src : sources) {
    options.paths.push_back(src->resolved.string());
    options.source_database_urls.push_back(source_database_url(*src));
  }
  return std::nullopt;
}

// status, verify, apply, resolve, rehearse: one run for the paths given, or one per [[sources]]
// entry of the config; the database is --database-url when given, else the source's
// database_url_env (also for a path that a source names), else $DATABASE_URL. The config's rules
// and ignore patterns apply to apply's gate.
std::optional<int> history_runs(const sm::app::HistoryOptions& base, bool url_given, bool rehearse,
                                const std::string& config_path, std::optional<sm::config::Config>& config,
                                std::vector<sm::app::HistoryOptions>& runs) {
  config = load_config(config_path);
  sm::app::HistoryOptions one = base;
  if (config) one.config = &*config;
  std::optional<sm::prisma::PrismaProject> project =
      prisma_project_paths(one.paths, no_sources(config, one.paths));
  if (!one.paths.empty()) {
    if (std::string url = path_database_url(config, one.paths.front()); !url_given && !url.empty()) {
      one.database_url = url;
    } else if (!url_given && project && project->url && !rehearse) {
      // The database Prisma would use, with where it came from (masked).
      auto found = sm::prisma::prisma_database_url(
          *project, one.prisma_version.empty() ? sm::prisma::detect_prisma_version(project->migrations_dir)
                                               : sm::prisma::parse_prisma_version(one.prisma_version));
      one.database_url = found.url;
      std::cerr << "safemigrate: database " << sm::db::mask_url(found.url) << " ("
                << sm::report::printable(found.from) << ")\n";
    }
    runs.push_back(one);
    return std::nullopt;
  }
  std::vector<const sm::config::Source*> sources;
  if (auto code = config_sources(config, sources)) return code;
  for (const sm::config::Source* src : sources) {
    sm::app::HistoryOptions r = one;
    r.paths = {src->resolved.string()};
    if (std::string url = source_database_url(*src); !url_given && !url.empty()) r.database_url = url;
    runs.push_back(std::move(r));
  }
  return std::nullopt;
}

void print_rules() {
  for (const sm::checks::Rule* r : sm::checks::all_rules())
    std::cout << fmt::format("{:<36} {:<8} {}\n", r->doc.id, sm::model::severity_name(r->doc.severity),
                             r->doc.summary);
  std::cout << "\nRewritten by `safemigrate fix` (Prisma):" << sm::app::fixable_rules_line() << "\n";
}

int explain(const std::string& id) {
  const sm::checks::Rule* r = sm::checks::find_rule(id);
  if (!r) {
    std::cerr << "safemigrate: no rule named \"" << id << "\"; `safemigrate rules` lists them\n";
    return kExitUsage;
  }
  std::cout << r->doc.id << " (" << sm::model::severity_name(r->doc.severity) << ")\n\n"
            << r->doc.summary << "\n\nWhy it matters:\n"
            << r->doc.why << "\n\nWhat to do instead: " << r->doc.fix << "\n\n"
            << r->doc.alternative << "\n\n";
  if (!r->doc.condition_fix.empty())
    std::cout << "When it is said once for the whole project: " << r->doc.condition_fix << "\n\n";
  if (const auto* f = sm::prisma::fixer_for(r->doc.id))
    std::cout << "`safemigrate fix` rewrites it: " << f->how << "\n\n";
  std::cout << "Silence one statement with a comment right before it:\n"
            << "  -- safemigrate-ignore: " << r->doc.id << " <reason>\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // PostgreSQL's parser allocates and frees a memory context per statement; keep freed memory
  // in the process instead of returning it to the kernel each time (page faults dominated).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{
      "safemigrate: checks Prisma migration folders and Django migration plans against the migration safety "
      "checklist, with PostgreSQL's own parser.\n\nExit codes: 0 no error findings, 1 error findings, 2 "
      "usage or input errors."};
  app.set_version_flag("--version", std::string("safemigrate ") + SAFEMIGRATE_VERSION + " (commit " +
                                        sm::cli::build_commit() + ")");
  // The name help shows, whatever path started it (npx and `python -m` start an internal path).
  app.name("safemigrate");
  app.require_subcommand(1);

  sm::app::CheckOptions options;
  std::string format = "text";
  std::string config_path;
  std::optional<sm::config::Config> config;
  bool no_color = false, show_suppressed = false, quiet = false;
  // The inputs `check` and `list` share.
  auto add_inputs = [&](CLI::App* cmd, std::vector<std::string> formats) {
    cmd->add_option("paths", options.paths,
                    "Prisma: a prisma/migrations folder, a project root, or any folder holding migrations "
                    "folders (searched recursively). Django: a plan file written by "
                    "adapters/django/export_plan.py. Default: the [[sources]] of safemigrate.toml");
    cmd->add_option("--config", config_path,
                    "safemigrate.toml to use (default: the first one found from the working folder up to the "
                    "repository root)");
    cmd->add_option("--format", format, "Output format")->check(CLI::IsMember(formats));
    cmd->add_option("--prisma-version", options.prisma_version,
                    "Prisma version that will run the migrations (default: read from package.json or lock "
                    "files; when unknown, findings say what happens under <= 7.3 and >= 7.4)");
    cmd->add_option("--postgres-version", options.postgres_version,
                    "PostgreSQL major version the migrations will run on, e.g. 13 (default: postgres_version "
                    "of safemigrate.toml; unknown: rules assume a current version)")
        ->check(CLI::Range(10, 99));
    cmd->add_option("--max-file-size", options.max_file_size,
                    "Largest migration.sql or plan file to read, in bytes (default 10 MiB)")
        ->check(byte_count);
    cmd->add_option("-j,--jobs", options.jobs, "Parser threads (default: one per core)");
    cmd->add_flag("-q,--quiet", quiet, "No progress output");
  };
  CLI::App* check = app.add_subcommand("check", "Check migrations against the safety checklist");
  add_inputs(check, {"text", "json", "sarif", "github"});
  check->add_flag("--no-color", no_color, "No colours in text output (also NO_COLOR)");
  check
      ->add_option(
          "--since", options.since,
          "Git ref (e.g. origin/main): check only migrations added since its merge base with HEAD "
          "(committed, uncommitted or untracked), and report changes to migrations that existed there")
      ->check(git_ref);
  check->add_flag("--show-suppressed", show_suppressed, "Also print findings silenced by safemigrate-ignore");
  check->add_option("--database-url", options.database_url,
                    "Read the size of every table the findings are about from this database (one catalog "
                    "query; DATABASE_URL is not read implicitly, but a config source's database_url_env "
                    "is): messages state the size and a rough duration, and warnings on large tables "
                    "become errors");
  check
      ->add_option("--large-table-rows", options.thresholds.large_table_rows,
                   "With a database: a table with at least this many rows is large (default: [thresholds] "
                   "of safemigrate.toml, else 1000000)")
      ->check(CLI::NonNegativeNumber);
  check
      ->add_option("--large-table-bytes", options.thresholds.large_table_bytes,
                   "With a database: a table of at least this many bytes, indexes and TOAST included, "
                   "is large (default: [thresholds] of safemigrate.toml, else 1073741824)")
      ->check(CLI::NonNegativeNumber);
  bool list_all = false;
  CLI::App* list_cmd = app.add_subcommand("list",
                                          "Audit view: every data migration (RunPython, RunSQL, DML) with "
                                          "its reversibility, atomicity, the tables "
                                          "it touches and its findings");
  add_inputs(list_cmd, {"text", "json"});
  list_cmd->add_flag("--all", list_all, "List every migration, not only data migrations");

  app.add_subcommand("rules", "List every rule with its severity and summary");
  std::string rule_id;
  CLI::App* explain_cmd =
      app.add_subcommand("explain", "Explain a rule: why it matters and the safe alternative");
  explain_cmd->add_option("rule", rule_id, "Rule id, e.g. require-concurrent-index-creation")->required();

  // fix (issue 20): its options, and a callback that runs it once parsing is done.
  sm::app::FixOptions fix_options;
  std::string fix_config_path;
  std::optional<sm::config::Config> fix_config;
  std::optional<int> fix_exit;
  CLI::App* fix_cmd = app.add_subcommand(
      "fix", "Rewrite migrations that cannot have run anywhere into their safe form (Prisma; see `rules`)");
  fix_cmd->add_option("paths", fix_options.check.paths,
                      "Prisma migrations folders or project roots (default: as for check)");
  fix_cmd->add_option("--config", fix_config_path, "safemigrate.toml to use");
  fix_cmd->add_flag("--dry-run", fix_options.dry_run, "Print a unified diff; write nothing");
  fix_cmd->add_option("--format", fix_options.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  fix_cmd->add_option("--prisma-version", fix_options.check.prisma_version,
                      "Prisma version that runs the migrations");
  fix_cmd
      ->add_option("--postgres-version", fix_options.check.postgres_version,
                   "Target PostgreSQL major version")
      ->check(CLI::Range(10, 99));
  fix_cmd
      ->add_option("--since", fix_options.check.since,
                   "Fix only migrations added since this git ref (default: those new in the working tree)")
      ->check(git_ref);
  fix_cmd->add_option("--database-url", fix_options.database_url,
                      "Fix only migrations not recorded in this database's _prisma_migrations");
  fix_cmd->add_option("--lock-timeout", fix_options.lock_timeout,
                      "The lock_timeout a fixed migration sets (default 5s)");
  fix_cmd->add_flag("--list-untouched", fix_options.list_untouched,
                    "Name each migration with fixable findings that was not touched because it may have run");
  fix_cmd->callback([&] {
    if (auto code = resolve_config(fix_config_path, fix_options.check, fix_config)) {
      fix_exit = *code;
      return;
    }
    fix_options.check.source_database_urls.clear();
    fix_exit = sm::app::run_fix(fix_options, std::cout, std::cerr);
  });

  // status, verify, apply and resolve: the local migrations against the history table.
  sm::app::HistoryOptions history;
  if (const char* env = std::getenv("DATABASE_URL")) history.database_url = env;
  std::string mode = "auto", lock_timeout = "5s", statement_timeout = "0", applied_name, rolled_back_name;
  auto add_history = [&](CLI::App* cmd) {
    cmd->add_option(
        "paths", history.paths,
        "The Prisma migrations folder (or the project root holding it), or a Django plan file from "
        "export_plan.py (history in django_migrations). Default: each [[sources]] entry of "
        "safemigrate.toml, with its database_url_env");
    cmd->add_option("--config", config_path,
                    "safemigrate.toml to use (default: the first one found from the working folder up to the "
                    "repository root); its [rules] and ignore patterns apply to apply's gate");
    cmd->add_option(
        "--database-url", history.database_url,
        "postgresql://user:password@host:port/db?schema=NAME (default: the database_url_env of the "
        "safemigrate.toml source, else $DATABASE_URL as Prisma); the password is never printed");
    cmd->add_option("--prisma-version", history.prisma_version,
                    "Prisma version of the project (default: read from package.json or lock files)");
    cmd->add_option("--max-file-size", history.max_file_size, "Largest migration.sql to read, in bytes")
        ->check(byte_count);
  };
  CLI::App* status_cmd = app.add_subcommand(
      "status",
      "Show each migration against _prisma_migrations (or django_migrations for a Django plan): applied, "
      "pending, failed, rolled back, edited after apply, missing locally, inconsistent; and invalid indexes");
  add_history(status_cmd);
  CLI::App* verify_cmd = app.add_subcommand(
      "verify",
      "CI gate: like status, exit 1 on any drift (pending, failed, rolled back, edited, missing locally, "
      "invalid index)");
  add_history(verify_cmd);
  CLI::App* apply_cmd = app.add_subcommand(
      "apply",
      "Apply pending migrations with the checklist as a gate, recording them as prisma migrate deploy (or "
      "Django's migrate) does");
  add_history(apply_cmd);
  apply_cmd->add_flag("--dry-run", history.dry_run,
                      "Print what would run, in order, with each migration's mode");
  apply_cmd
      ->add_option(
          "--mode", mode,
          "auto (the project's Prisma version's mode; safe when unknown), prisma-6 (whole file as one "
          "query), prisma-7 (statement by statement), safe (transactions, CONCURRENTLY on its own)")
      ->check(CLI::IsMember({"auto", "prisma-6", "prisma-7", "safe"}));
  apply_cmd->add_option("--lock-timeout", lock_timeout,
                        "lock_timeout per attempt, e.g. 5s or 500ms (default 5s; 0 turns it off)");
  apply_cmd->add_option("--lock-retries", history.lock_retries,
                        "Attempts after a lock timeout, with doubling backoff (default 3)");
  apply_cmd->add_option("--statement-timeout", statement_timeout,
                        "statement_timeout, e.g. 10min=600s (default off)");
  apply_cmd->add_option("--python", history.python,
                        "Django: the Python that runs the project's migrate (default: the one that exported "
                        "the plan, with its PYTHONPATH)");
  CLI::App* resolve_cmd = app.add_subcommand(
      "resolve",
      "Resolve a failed migration as prisma migrate resolve does: --applied NAME or --rolled-back NAME");
  add_history(resolve_cmd);
  auto* applied_opt =
      resolve_cmd->add_option("--applied", applied_name, "Record NAME as applied (finished by hand)");
  auto* rolled_opt =
      resolve_cmd->add_option("--rolled-back", rolled_back_name, "Mark NAME's failed record as rolled back");
  applied_opt->excludes(rolled_opt);

  sm::app::RehearseOptions rehearse;
  std::string probe_timeout = "200ms", rehearse_format = "text";
  CLI::App* rehearse_cmd = app.add_subcommand(
      "rehearse",
      "Run the pending migrations against a COPY of production inside a transaction, statement by "
      "statement: locks held, tables rewritten, rows, time, whether a second session is blocked; the "
      "static prediction beside each observation; then roll back. A Prisma folder or a Django plan "
      "(RunPython is shown as skipped)");
  add_history(rehearse_cmd);
  rehearse_cmd->add_flag("--i-know-this-is-a-copy", rehearse.is_copy,
                         "Required: the database is a copy of production that may be locked (and, with "
                         "--run-concurrently, changed)");
  rehearse_cmd->add_flag("--run-concurrently", rehearse.run_concurrently,
                         "Run statements that cannot run in a transaction (CONCURRENTLY, VACUUM) for real: "
                         "they change the copy (default: reported as skipped)");
  rehearse_cmd->add_option("--probe-timeout", probe_timeout,
                           "The second session's lock_timeout when it tries each table (default 200ms)");
  rehearse_cmd->add_option("--lock-timeout", lock_timeout,
                           "lock_timeout of the rehearsal's own statements (default 5s; 0 turns it off)");
  rehearse_cmd->add_option("--format", rehearse_format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));

  // `safemigrate` alone and `safemigrate help [COMMAND]` show the commands (or one's options), as
  // git and ninja do; alone it is still a usage error, since nothing was asked.
  if (argc == 1 || std::string_view(argv[1]) == "help") {
    const CLI::App* about = &app;
    if (argc > 2) {
      try {
        about = app.get_subcommand(argv[2]);
      } catch (const CLI::OptionNotFound&) {
        std::cerr << "safemigrate: no command '" << argv[2] << "'; the commands:\n" << app.help();
        return kExitUsage;
      }
    }
    // A command's usage line names its parent, as CLI11 does for `safemigrate check --help`.
    (argc == 1 ? std::cerr : std::cout) << about->help(about == &app ? "" : app.get_name());
    return argc == 1 ? kExitUsage : kExitOk;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (url_given_as_path(options.paths) || url_given_as_path(history.paths)) return kExitUsage;
  if (fix_exit) return *fix_exit;  // fix ran in its callback

  try {
    if (check->parsed() || list_cmd->parsed()) {
      if (auto code = resolve_config(config_path, options, config)) return *code;
    }
    if (check->parsed()) {
      options.table_sizes = true;
      // [thresholds] in the config, unless the command line says otherwise.
      if (config && config->large_table_rows && check->get_option("--large-table-rows")->count() == 0)
        options.thresholds.large_table_rows = static_cast<double>(*config->large_table_rows);
      if (config && config->large_table_bytes && check->get_option("--large-table-bytes")->count() == 0)
        options.thresholds.large_table_bytes = static_cast<int64_t>(*config->large_table_bytes);
      return run_check(options, format, no_color, show_suppressed, quiet);
    }
    if (list_cmd->parsed()) return run_list(options, format, list_all, quiet);
    if (app.got_subcommand("rules")) {
      print_rules();
      return kExitOk;
    }
    if (explain_cmd->parsed()) return explain(rule_id);
    CLI::App* history_cmd = nullptr;
    for (CLI::App* c : {status_cmd, verify_cmd, apply_cmd, resolve_cmd, rehearse_cmd})
      if (c->parsed()) history_cmd = c;
    if (!history_cmd) return kExitUsage;
    bool url_given = history_cmd->get_option("--database-url")->count() > 0;
    auto lt = parse_duration(lock_timeout), stt = parse_duration(statement_timeout),
         pt = parse_duration(probe_timeout);
    if (!lt || !stt || !pt || pt->count() == 0) {
      std::cerr << "safemigrate: --lock-timeout, --statement-timeout and --probe-timeout take e.g. 5s, 500ms "
                   "or 0 (--probe-timeout not 0)\n";
      return kExitUsage;
    }
    // Never $DATABASE_URL nor a source's variable for rehearse: those usually name production,
    // and rehearse must be pointed at a copy.
    if (rehearse_cmd->parsed() && !url_given) {
      std::cerr
          << "safemigrate: rehearse needs --database-url naming the copy (it does not read DATABASE_URL)\n";
      return kExitUsage;
    }
    history.lock_timeout = *lt;
    history.statement_timeout = *stt;
    history.mode = mode == "prisma-6"   ? sm::app::ApplyMode::Prisma6
                   : mode == "prisma-7" ? sm::app::ApplyMode::Prisma7
                   : mode == "safe"     ? sm::app::ApplyMode::Safe
                                        : sm::app::ApplyMode::Auto;
    std::vector<sm::app::HistoryOptions> runs;
    if (auto code = history_runs(history, url_given, rehearse_cmd->parsed(), config_path, config, runs))
      return *code;
    if (runs.size() > 1 && (resolve_cmd->parsed() || rehearse_cmd->parsed())) {
      std::cerr << "safemigrate: " << history_cmd->get_name()
                << " works on one migrations folder or plan at a time; give its path ("
                << config->file.string() << " lists " << runs.size() << " sources)\n";
      return kExitUsage;
    }
    // Migration names, SQL and server messages reach the terminal only through printable().
    sm::report::PrintableStream out(std::cout), err(std::cerr);
    int worst = kExitOk;
    for (size_t i = 0; i < runs.size(); ++i) {
      const sm::app::HistoryOptions& run = runs[i];
      if (runs.size() > 1) out << (i ? "\n" : "") << "== " << run.paths.front() << "\n";
      int code;
      if (status_cmd->parsed()) {
        code = sm::app::run_status(run, false, out, err);
      } else if (verify_cmd->parsed()) {
        code = sm::app::run_status(run, true, out, err);
      } else if (apply_cmd->parsed()) {
        code = sm::app::run_apply(run, out, err);
      } else if (resolve_cmd->parsed()) {
        code = sm::app::run_resolve(run, applied_name, rolled_back_name, out, err);
      } else {
        rehearse.history = run;
        rehearse.probe_timeout = *pt;
        rehearse.json = rehearse_format == "json";
        code = sm::app::run_rehearse(rehearse, out, err);
      }
      worst = std::max(worst, code);
      // A later source may depend on an earlier one (one database, several apps): stop there.
      if (apply_cmd->parsed() && code != kExitOk && i + 1 < runs.size()) {
        err << "safemigrate: stopped: the sources after " << run.paths.front() << " were not applied\n";
        break;
      }
    }
    return worst;
  } catch (const std::exception& e) {
    std::cerr << "safemigrate: " << sm::report::printable(e.what(), true) << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

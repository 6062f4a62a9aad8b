// safemigrate's command line: parse options, call the core, print, choose the exit code.
// Exit codes: 0 no error findings, 1 error findings, 2 usage or input errors.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "adapters/django/django_plan_reader.h"
#include "adapters/prisma/prisma_version.h"
#include "app/check_command.h"
#include "checks/registry.h"
#include "report/report.h"

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
  sm::app::CheckRun run = sm::app::run_check(options, progress ? &std::cerr : nullptr);
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
  sm::app::CheckRun run = sm::app::run_check(options, progress ? &std::cerr : nullptr);
  sm::report::Input input{run.sets, run.findings, run.statements};
  if (format == "json")
    sm::report::write_audit_json(std::cout, input, all);
  else
    sm::report::write_audit_text(std::cout, input, all);
  for (const auto& f : run.findings)
    if (f.rule == "input-error") std::cerr << f.loc.file << ": " << f.message << "\n";
  return run.input_error ? kExitUsage : kExitOk;
}

// The config: --config FILE, or safemigrate.toml found from the working folder up to the
// repository root. Without paths on the command line its sources are the paths. Returns an
// exit code when the command cannot run.
std::optional<int> resolve_config(const std::string& config_path, sm::app::CheckOptions& options,
                                  std::optional<sm::config::Config>& config) {
  namespace fs = std::filesystem;
  if (!config_path.empty()) {
    config = sm::config::load_config(config_path);
  } else if (auto found = sm::config::find_config(fs::current_path())) {
    config = sm::config::load_config(*found);
  }
  if (config) options.config = &*config;
  if (!options.paths.empty()) return std::nullopt;
  if (!config) {
    std::cerr
        << "safemigrate: no paths given and no " << sm::config::kFileName
        << " found in this folder or above it (up to the repository root); give migration folders or plan "
           "files, or --config FILE\n";
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
    options.paths.push_back(src.resolved.string());
  }
  return std::nullopt;
}

void print_rules() {
  for (const sm::checks::Rule* r : sm::checks::all_rules())
    std::cout << fmt::format("{:<36} {:<8} {}\n", r->doc.id, sm::model::severity_name(r->doc.severity),
                             r->doc.summary);
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
            << r->doc.alternative << "\n\nSilence one statement with a comment right before it:\n"
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
  app.set_version_flag("--version", std::string("safemigrate ") + SAFEMIGRATE_VERSION);
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
    cmd->add_option("--max-file-size", options.max_file_size,
                    "Largest migration.sql or plan file to read, in bytes (default 10 MiB)");
    cmd->add_option("-j,--jobs", options.jobs, "Parser threads (default: one per core)");
    cmd->add_flag("-q,--quiet", quiet, "No progress output");
  };
  CLI::App* check = app.add_subcommand("check", "Check migrations against the safety checklist");
  add_inputs(check, {"text", "json", "sarif", "github"});
  check->add_flag("--no-color", no_color, "No colours in text output (also NO_COLOR)");
  check->add_option(
      "--since", options.since,
      "Git ref (e.g. origin/main): check only migrations added since its merge base with HEAD "
      "(committed, uncommitted or untracked), and report changes to migrations that existed there");
  check->add_flag("--show-suppressed", show_suppressed, "Also print findings silenced by safemigrate-ignore");
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (check->parsed() || list_cmd->parsed()) {
      if (auto code = resolve_config(config_path, options, config)) return *code;
    }
    if (check->parsed()) return run_check(options, format, no_color, show_suppressed, quiet);
    if (list_cmd->parsed()) return run_list(options, format, list_all, quiet);
    if (app.got_subcommand("rules")) {
      print_rules();
      return kExitOk;
    }
    if (explain_cmd->parsed()) return explain(rule_id);
  } catch (const std::exception& e) {
    std::cerr << "safemigrate: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

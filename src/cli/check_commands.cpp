// check, list, rules, explain: what needs no database (check's table sizes aside).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "app/baseline_command.h"
#include "app/fix_command.h"
#include "app/framework.h"
#include "checks/registry.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "model/errors.h"
#include "report/report.h"
#include "report/sanitize.h"

namespace sm::cli {

using model::kExitFindings;
using model::kExitOk;
using model::kExitUsage;

void check_setup(CLI::App& cmd, CheckArgs& a) {
  add_inputs(cmd, a, {"text", "json", "sarif", "github", "gitlab", "markdown"});
  app::CheckOptions& o = a.options;
  cmd.add_flag("--no-color", a.no_color, "No colours in text output (also NO_COLOR)");
  cmd.add_option("--since", o.since,
                 "Git ref (e.g. origin/main): check only migrations added since its merge base with HEAD "
                 "(committed, uncommitted or untracked), and report changes to migrations that existed there")
      ->check(git_ref());
  cmd.add_flag("--show-suppressed", a.show_suppressed, "Also print findings silenced by safemigrate-ignore");
  cmd.add_option("--baseline", o.baseline,
                 "Leave out the findings this baseline file accepts (safemigrate baseline writes it; "
                 "default: the config's baseline) and list its entries that match nothing");
  cmd.add_option("--database-url", o.database_url,
                 "Read the size of every table the findings are about from this database (one catalog "
                 "query; DATABASE_URL is not read implicitly, but a config source's database_url_env "
                 "is): messages state the size and a rough duration, and warnings on large tables "
                 "become errors");
  cmd.add_option("--large-table-rows", o.thresholds.large_table_rows,
                 "With a database: a table with at least this many rows is large (default: [thresholds] "
                 "of safemigrate.toml, else 1000000)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--large-table-bytes", o.thresholds.large_table_bytes,
                 "With a database: a table of at least this many bytes, indexes and TOAST included, "
                 "is large (default: [thresholds] of safemigrate.toml, else 1073741824)")
      ->check(CLI::NonNegativeNumber);
}

int check_run(CheckArgs& a, const CLI::App& cmd) {
  app::CheckOptions& o = a.options;
  if (url_given_as_path(o.paths)) return kExitUsage;
  if (auto code = resolve_inputs(a)) return *code;
  o.table_sizes = true;
  // [thresholds] in the config, unless the command line says otherwise.
  if (a.config && a.config->large_table_rows && !given(cmd, "--large-table-rows"))
    o.thresholds.large_table_rows = static_cast<double>(*a.config->large_table_rows);
  if (a.config && a.config->large_table_bytes && !given(cmd, "--large-table-bytes"))
    o.thresholds.large_table_bytes = static_cast<int64_t>(*a.config->large_table_bytes);
  for (const app::Framework* f : app::frameworks())
    if (std::string error = f->option_error(o); !error.empty()) {
      std::cerr << "safemigrate: " << error << "\n";
      return kExitUsage;
    }
  bool progress = !a.quiet && isatty(STDERR_FILENO);
  report::PrintableStream progress_lines(std::cerr);  // they name folders
  // Not freed: the process ends after the report, and freeing the model of a large run took 2.5 %
  // of check -j 1's CPU on the corpus (perf). Kept reachable from here, so it is not a leak.
  static app::CheckRun* kept = nullptr;
  kept = new app::CheckRun(app::run_check(o, progress ? &progress_lines : nullptr));
  app::CheckRun& run = *kept;
  report::Input input{run.sets, run.findings, run.statements, run.baselined};
  if (a.format == "json") {
    report::write_json(std::cout, input);
  } else if (a.format == "sarif") {
    report::write_sarif(std::cout, input);
  } else if (a.format == "github") {
    report::write_github(std::cout, input);
  } else if (a.format == "gitlab") {
    report::write_gitlab(std::cout, input);
  } else if (a.format == "markdown") {
    report::write_markdown(std::cout, input);
  } else {
    report::TextOptions text;
    text.color = !a.no_color && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
    text.show_suppressed = a.show_suppressed;
    report::write_text(std::cout, input, text);
  }
  std::cout.flush();
  if (std::string path = app::baseline_path(o); !path.empty())
    app::print_baseline_summary(run, path, std::cerr);
  if (run.input_error) return kExitUsage;
  return report::count(input).errors > 0 ? kExitFindings : kExitOk;
}

// `safemigrate baseline [PATH…]`: the current findings, accepted (app/baseline_command.h).
void baseline_setup(CLI::App& cmd, BaselineArgs& a) {
  add_inputs(cmd, a, {"json"});
  cmd.add_option("-o,--output", a.output,
                 "The baseline file to write (default: the config's baseline, else "
                 "safemigrate-baseline.json in the working folder)");
}

int baseline_run(BaselineArgs& a, const CLI::App&) {
  if (url_given_as_path(a.options.paths)) return kExitUsage;
  if (auto code = resolve_inputs(a)) return *code;
  return app::run_baseline(a.options, a.output, std::cerr);
}

void list_setup(CLI::App& cmd, ListArgs& a) {
  add_inputs(cmd, a, {"text", "json"});
  cmd.add_flag("--all", a.all, "List every migration, not only data migrations");
}

int list_run(ListArgs& a, const CLI::App&) {
  if (url_given_as_path(a.options.paths)) return kExitUsage;
  if (auto code = resolve_inputs(a)) return *code;
  bool progress = !a.quiet && isatty(STDERR_FILENO);
  report::PrintableStream progress_lines(std::cerr);  // they name folders
  app::CheckRun run = app::run_check(a.options, progress ? &progress_lines : nullptr);
  report::Input input{run.sets, run.findings, run.statements};
  if (a.format == "json")
    report::write_audit_json(std::cout, input, a.all);
  else
    report::write_audit_text(std::cout, input, a.all);
  for (const auto& f : run.findings)
    if (f.rule == model::kInputErrorRule)
      std::cerr << report::printable(f.loc.file) << ": " << report::printable(f.message) << "\n";
  return run.input_error ? kExitUsage : kExitOk;
}

void rules_setup(CLI::App&, NoArgs&) {}

int rules_run(NoArgs&, const CLI::App&) {
  for (const checks::Rule* r : checks::all_rules())
    std::cout << fmt::format("{:<36} {:<8} {}\n", r->doc.id, model::severity_name(r->doc.severity),
                             r->doc.summary);
  std::cout << "\nRewritten by `safemigrate fix`:" << app::fixable_rules_line() << "\n";
  return kExitOk;
}

void explain_setup(CLI::App& cmd, ExplainArgs& a) {
  cmd.add_option("rule", a.rule_id, "Rule id, e.g. require-concurrent-index-creation")->required();
}

int explain_run(ExplainArgs& a, const CLI::App&) {
  const checks::Rule* r = checks::find_rule(a.rule_id);
  if (!r) {
    std::cerr << "safemigrate: no rule named \"" << a.rule_id << "\"; `safemigrate rules` lists them\n";
    return kExitUsage;
  }
  std::cout << r->doc.id << " (" << model::severity_name(r->doc.severity) << ")\n\n"
            << r->doc.summary << "\n\nWhy it matters:\n"
            << r->doc.why << "\n\nWhat to do instead: " << r->doc.fix << "\n\n"
            << r->doc.alternative << "\n\n";
  if (!r->doc.condition_fix.empty())
    std::cout << "When it is said once for the whole project: " << r->doc.condition_fix << "\n\n";
  if (std::string how = app::fix_how(r->doc.id); !how.empty())
    std::cout << "`safemigrate fix` rewrites it: " << how << "\n\n";
  std::cout << "Silence one statement with a comment right before it:\n"
            << "  -- safemigrate-ignore: " << r->doc.id << " <reason>\n";
  return kExitOk;
}

}  // namespace sm::cli

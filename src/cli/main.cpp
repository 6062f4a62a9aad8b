// safemigrate's command line: the table of subcommands, CLI11 parsing, `help`, and the one place
// that turns an exception into `safemigrate: MESSAGE` and exit 2. Each command's options and run
// function are in src/cli/*_commands.cpp (declared in cli/commands.h).
// Exit codes (model/errors.h): 0 no error findings, 1 error findings, 2 usage or input errors.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cli/build_info.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "model/errors.h"
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

using namespace sm::cli;
using sm::model::kExitOk;
using sm::model::kExitUsage;

// The commands, in the order `safemigrate --help` lists them. Adding one: an Args struct and
// NAME_setup/NAME_run in cli/commands.h, their bodies in a src/cli/*_commands.cpp, and a line
// here (docs/adding-a-command.md). A command written as a block of the old main() (options bound
// to locals, an `if (x->parsed())` branch) ports as: its locals become its Args struct, its
// add_option calls NAME_setup, its branch NAME_run.
const Command kCommands[] = {
    command("check", "Check migrations against the safety checklist", check_setup, check_run),
    command("list",
            "Audit view: every data migration (RunPython, RunSQL, DML) with its reversibility, atomicity, "
            "the tables it touches and its findings",
            list_setup, list_run),
    command("baseline",
            "Write the current findings to safemigrate-baseline.json (or -o FILE, or the config's "
            "baseline): check --baseline then reports only findings not in it",
            baseline_setup, baseline_run),
    command("fix", "Rewrite migrations that cannot have run anywhere into their safe form (see `rules`)",
            fix_setup, fix_run),
    command("rules", "List every rule with its severity and summary", rules_setup, rules_run),
    command("explain", "Explain a rule: why it matters and the safe alternative", explain_setup, explain_run),
    command(
        "status",
        "Show each migration against _prisma_migrations (or django_migrations for a Django plan): applied, "
        "pending, failed, rolled back, edited after apply, missing locally, inconsistent; and invalid "
        "indexes",
        status_setup, status_run),
    command(
        "verify",
        "CI gate: like status, exit 1 on any drift (pending, failed, rolled back, edited, missing locally, "
        "invalid index)",
        verify_setup, verify_run),
    command(
        "apply",
        "Apply pending migrations with the checklist as a gate, recording them as prisma migrate deploy (or "
        "Django's migrate) does",
        apply_setup, apply_run),
    command("resolve",
            "Resolve a failed migration as prisma migrate resolve does: --applied NAME or --rolled-back NAME",
            resolve_setup, resolve_run),
    command("rehearse",
            "Run the pending migrations against a COPY of production inside a transaction, statement by "
            "statement: locks held, tables rewritten, rows, time, whether a second session is blocked; the "
            "static prediction beside each observation; then roll back. A Prisma folder or a Django plan "
            "(RunPython is shown as skipped)",
            rehearse_setup, rehearse_run),
    command(
        "drift",
        "Replay the migrations the database's _prisma_migrations records as applied on a scratch database "
        "and report every difference (schemas, tables, columns, indexes, constraints, enums, sequences, "
        "views, triggers, functions, extensions) with the SQL that brings the database back to the "
        "migrations; exit 1 on drift",
        drift_setup, drift_run),
};

// `safemigrate` alone and `safemigrate help [COMMAND]` show the commands (or one's options), as
// git and ninja do; alone it is still a usage error, since nothing was asked.
int help(const CLI::App& app, int argc, char** argv) {
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
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  for (const Command& c : kCommands) {
    CLI::App* cmd = app.add_subcommand(c.name, c.help);
    commands.emplace_back(cmd, c.declare(*cmd));
  }
  if (argc == 1 || std::string_view(argv[1]) == "help") return help(app, argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (auto& [cmd, run] : commands)
      if (cmd->parsed()) return run();
  } catch (const std::exception& e) {
    std::cerr << "safemigrate: " << sm::report::printable(e.what(), true) << "\n";
  }
  return kExitUsage;
}

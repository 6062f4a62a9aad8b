// Each command's options (an Args struct its setup function binds to CLI11) and its two
// functions: NAME_setup declares the options, NAME_run runs the command (src/cli/command.h).
// check_commands.cpp: check, list, baseline, rules, explain. history_commands.cpp: status, verify, apply,
// resolve, rehearse. drift_commands.cpp: drift.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "app/check_command.h"
#include "app/drift_command.h"
#include "app/fix_command.h"
#include "app/history_command.h"
#include "app/rehearse_command.h"
#include "config/config.h"

namespace sm::cli {

// ---- check, list: the inputs they share (cli/inputs.cpp) ----
struct InputArgs {
  app::CheckOptions options;
  std::string config_path, format = "text";
  bool quiet = false;
  std::optional<config::Config> config;  // options.config points into it
};
struct CheckArgs : InputArgs {
  bool no_color = false, show_suppressed = false;
};
void check_setup(CLI::App& cmd, CheckArgs& a);
int check_run(CheckArgs& a, const CLI::App& cmd);

struct ListArgs : InputArgs {
  bool all = false;
};
void list_setup(CLI::App& cmd, ListArgs& a);
int list_run(ListArgs& a, const CLI::App& cmd);

struct BaselineArgs : InputArgs {
  std::string output;  // -o: the file to write
};
void baseline_setup(CLI::App& cmd, BaselineArgs& a);
int baseline_run(BaselineArgs& a, const CLI::App& cmd);

struct NoArgs {};
void rules_setup(CLI::App& cmd, NoArgs& a);
int rules_run(NoArgs& a, const CLI::App& cmd);

struct ExplainArgs {
  std::string rule_id;
};
void explain_setup(CLI::App& cmd, ExplainArgs& a);
int explain_run(ExplainArgs& a, const CLI::App& cmd);

// ---- status, verify, apply, resolve, rehearse: a database's history table (cli/inputs.cpp) ----
struct HistoryArgs {
  app::HistoryOptions options;  // database_url: --database-url only (app/database_choice.h decides)
  std::string config_path, lock_timeout = "5s", statement_timeout = "0";
  std::optional<config::Config> config;  // options.config points into it
};
void status_setup(CLI::App& cmd, HistoryArgs& a);
int status_run(HistoryArgs& a, const CLI::App& cmd);
void verify_setup(CLI::App& cmd, HistoryArgs& a);
int verify_run(HistoryArgs& a, const CLI::App& cmd);

struct ApplyArgs : HistoryArgs {
  std::string mode = "auto";
};
void apply_setup(CLI::App& cmd, ApplyArgs& a);
int apply_run(ApplyArgs& a, const CLI::App& cmd);

struct ResolveArgs : HistoryArgs {
  std::string applied_name, rolled_back_name;
};
void resolve_setup(CLI::App& cmd, ResolveArgs& a);
int resolve_run(ResolveArgs& a, const CLI::App& cmd);

struct RehearseArgs : HistoryArgs {
  app::RehearseOptions rehearse;
  std::string probe_timeout = "200ms", format = "text";
};
void rehearse_setup(CLI::App& cmd, RehearseArgs& a);
int rehearse_run(RehearseArgs& a, const CLI::App& cmd);

// ---- fix (cli/fix_commands.cpp): check's inputs, and what fix may touch and how it writes ----
struct FixArgs : InputArgs {
  app::FixOptions fix;  // fix.check is filled from InputArgs::options once the inputs are resolved
};
void fix_setup(CLI::App& cmd, FixArgs& a);
int fix_run(FixArgs& a, const CLI::App& cmd);

// ---- drift (cli/drift_commands.cpp) ----
struct DriftArgs {
  app::DriftOptions drift;
  std::string mode = "auto";
  std::string config_path;
  std::optional<config::Config> config;  // drift.history.config points into it
};
void drift_setup(CLI::App& cmd, DriftArgs& a);
int drift_run(DriftArgs& a, const CLI::App& cmd);

}  // namespace sm::cli

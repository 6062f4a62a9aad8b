// What the commands share: option validators, the options that check and list (and the history
// commands) declare alike, and turning the paths given, safemigrate.toml and a Prisma project into
// what each run reads.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/database_choice.h"
#include "cli/commands.h"

namespace sm::cli {

// A size in bytes: digits only, within 64 bits.
CLI::Validator byte_count();
// --since: a git ref, not empty, without control characters.
CLI::Validator git_ref();
// "5s", "500ms", "2000" (milliseconds), "0" (off); nullopt when it is none of these.
std::optional<std::chrono::milliseconds> parse_duration(std::string text);
// Prints why and returns true when a path that does not exist reads as a database URL.
bool url_given_as_path(const std::vector<std::string>& paths);

// The paths and options check and list share; `formats`: the values --format takes.
void add_inputs(CLI::App& cmd, InputArgs& a, std::vector<std::string> formats);
// check and list: loads the config, maps Prisma projects to their migrations folders, takes the
// config's [[sources]] when no path is given, each path with its source's database. Returns an
// exit code when that fails (the reason printed).
std::optional<int> resolve_inputs(InputArgs& a);

// The paths and options status, verify, apply, resolve and rehearse share.
void add_history(CLI::App& cmd, HistoryArgs& a);
// One run for the paths given, or one per [[sources]] entry of the config, each with its
// database as app::choose_database picks it for `use`. Returns an exit code when that fails.
std::optional<int> history_runs(HistoryArgs& a, const CLI::App& cmd, app::DatabaseUse use,
                                std::vector<app::HistoryOptions>& runs);

}  // namespace sm::cli

// Baselines: the findings a team accepted when it adopted safemigrate on an existing history.
// `safemigrate baseline [PATH…]` writes them; `check --baseline FILE` (or the config's `baseline`)
// then reports only findings that are not in it, and the entries that no longer match anything.
// Entries are matched by fingerprint (src/app/fingerprint.h), never by line: a new finding in
// a baselined migration has a fingerprint of its own and is reported.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/baseline_entry.h"
#include "app/check_command.h"

namespace sm::app {

inline constexpr const char* kBaselineFile = "safemigrate-baseline.json";
inline constexpr int kBaselineFormatVersion = 1;

// The baseline check uses: --baseline, else (unless use_baseline is off) the config's `baseline`
// relative to the config's folder; empty when none.
std::string baseline_path(const CheckOptions& options);

// The findings a baseline records: every finding that is not suppressed and not an input error,
// sorted by file, line, rule and fingerprint, so that the file reads and diffs well.
std::vector<BaselineEntry> baseline_entries(const std::vector<model::Finding>& findings);
void write_baseline(std::ostream& out, const std::vector<BaselineEntry>& entries);
// Reads a baseline file; throws std::runtime_error naming the file (and the entry) when it cannot
// be read or is not a baseline: a check must never run against half a baseline.
std::vector<BaselineEntry> read_baseline(const std::string& path);

// Drops the findings the baseline holds (one per entry: an entry accepts one finding) and fills
// run.baselined and run.stale_baseline. Under --since only the migrations under review were
// checked, so only their entries can be found stale.
void apply_baseline(const std::vector<BaselineEntry>& baseline, CheckRun& run, bool since);

// `safemigrate baseline`: check, then write the entries to `output` (empty: the config's
// `baseline`, else ./safemigrate-baseline.json). Exit 0, or 2 when a migration could not be read
// (a baseline of a partly read history would accept nothing there) or the file not written.
int run_baseline(CheckOptions options, const std::string& output, std::ostream& err);

// For check: how many findings the baseline accepted and each stale entry, on `err`.
void print_baseline_summary(const CheckRun& run, const std::string& path, std::ostream& err);

}  // namespace sm::app

#include "app/baseline_command.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "model/errors.h"
#include "report/report.h"
#include "report/sanitize.h"
#include "util/file_read.h"

namespace sm::app {

namespace fs = std::filesystem;

std::string baseline_path(const CheckOptions& options) {
  if (!options.baseline.empty()) return options.baseline;
  if (options.use_baseline && options.config && !options.config->baseline.empty())
    return (options.config->root / options.config->baseline).string();
  return {};
}

std::vector<BaselineEntry> baseline_entries(const std::vector<model::Finding>& findings) {
  std::vector<BaselineEntry> out;
  for (const auto& f : findings) {
    if (f.suppressed || f.rule == model::kInputErrorRule || f.fingerprint.empty()) continue;
    BaselineEntry e;
    e.fingerprint = f.fingerprint;
    e.rule = f.rule;
    e.migration = f.migration;
    e.file = report::path_from_cwd(f.loc.file);
    e.line = f.loc.line;
    e.reason = f.message;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const BaselineEntry& a, const BaselineEntry& b) {
    return std::tie(a.file, a.line, a.rule, a.fingerprint) < std::tie(b.file, b.line, b.rule, b.fingerprint);
  });
  return out;
}

void write_baseline(std::ostream& out, const std::vector<BaselineEntry>& entries) {
  out << "{\n  \"safemigrate_baseline\": " << kBaselineFormatVersion << ",\n"
      << "  \"about\": \"Findings accepted when this baseline was taken: safemigrate check reports only "
         "findings "
         "not listed here, matched by fingerprint (rule, migration, statement), not by line. Delete an "
         "entry once its migration is fixed; check lists the entries that match nothing.\",\n"
      << "  \"findings\": [";
  for (size_t i = 0; i < entries.size(); ++i) {
    const BaselineEntry& e = entries[i];
    // One entry per line: a review or a diff shows exactly what was accepted or dropped.
    out << (i ? ",\n" : "\n") << "    {\"fingerprint\": " << report::json_quote(e.fingerprint)
        << ", \"rule\": " << report::json_quote(e.rule)
        << ", \"migration\": " << report::json_quote(e.migration)
        << ", \"file\": " << report::json_quote(e.file) << ", \"line\": " << e.line
        << ", \"reason\": " << report::json_quote(e.reason) << "}";
  }
  out << (entries.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

std::vector<BaselineEntry> read_baseline(const std::string& path) {
  util::FileReadResult read = util::read_whole_file(path, 256u << 20);
  if (!read.ok) throw std::runtime_error("baseline: " + read.error);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(read.bytes);
  simdjson::dom::element doc;
  if (auto error = parser.parse(padded).get(doc))
    throw std::runtime_error(fmt::format("{}: not valid JSON: {}", path, simdjson::error_message(error)));
  int64_t version = 0;
  if (doc["safemigrate_baseline"].get(version) || version != kBaselineFormatVersion)
    throw std::runtime_error(fmt::format(
        "{}: not a safemigrate baseline of format {} (no \"safemigrate_baseline\": {}); write one with "
        "safemigrate baseline",
        path, kBaselineFormatVersion, kBaselineFormatVersion));
  simdjson::dom::array findings;
  if (doc["findings"].get(findings))
    throw std::runtime_error(path + ": \"findings\" is missing or not an array");
  std::vector<BaselineEntry> out;
  size_t index = 0;
  for (simdjson::dom::element item : findings) {
    ++index;
    BaselineEntry e;
    std::string_view fp, rule, migration, file, reason;
    if (item["fingerprint"].get(fp) || fp.empty())
      throw std::runtime_error(fmt::format("{}: finding {} has no \"fingerprint\" string", path, index));
    e.fingerprint = fp;
    if (!item["rule"].get(rule)) e.rule = rule;
    if (!item["migration"].get(migration)) e.migration = migration;
    if (!item["file"].get(file)) e.file = file;
    if (!item["reason"].get(reason)) e.reason = reason;
    uint64_t line = 0;
    if (!item["line"].get(line)) e.line = static_cast<uint32_t>(line);
    out.push_back(std::move(e));
  }
  return out;
}

void apply_baseline(const std::vector<BaselineEntry>& baseline, CheckRun& run, bool since) {
  std::map<std::string, std::vector<size_t>> open;  // fingerprint -> entries not yet matched
  for (size_t i = 0; i < baseline.size(); ++i) open[baseline[i].fingerprint].push_back(i);
  std::vector<bool> matched(baseline.size(), false);
  std::erase_if(run.findings, [&](const model::Finding& f) {
    if (f.suppressed || f.rule == model::kInputErrorRule) return false;  // input errors are never accepted
    auto it = open.find(f.fingerprint);
    if (it == open.end() || it->second.empty()) return false;
    matched[it->second.back()] = true;
    it->second.pop_back();
    ++run.baselined;
    return true;
  });
  std::set<std::string> reviewed;
  for (const auto& s : run.sets)
    for (const auto& m : s.migrations)
      if (m.under_review) reviewed.insert(m.id);
  for (size_t i = 0; i < baseline.size(); ++i) {
    if (matched[i]) continue;
    // Under --since a migration that was not under review was not checked: its entries may well
    // still match, so they are not called stale.
    if (since && !reviewed.count(baseline[i].migration)) continue;
    run.stale_baseline.push_back(i);
  }
  run.baseline = baseline;
}

int run_baseline(CheckOptions options, const std::string& output, std::ostream& err) {
  options.use_baseline = false;  // the findings as they are, not those a current baseline leaves
  std::string path = output;
  if (path.empty() && options.config && !options.config->baseline.empty())
    path = (options.config->root / options.config->baseline).string();
  if (path.empty()) path = kBaselineFile;
  if (!options.since.empty()) {
    err << "safemigrate: baseline takes every migration; --since does not apply\n";
    return 2;
  }
  CheckRun run = run_check(options, nullptr);
  report::PrintableStream printable(err);
  if (run.input_error) {
    for (const auto& f : run.findings)
      if (f.rule == model::kInputErrorRule) printable << f.loc.file << ": " << f.message << "\n";
    err << "safemigrate: no baseline written: a migration that cannot be read cannot be accepted\n";
    return 2;
  }
  std::vector<BaselineEntry> entries = baseline_entries(run.findings);
  std::ostringstream text;
  write_baseline(text, entries);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text.str();
    out.close();
    if (!out) {
      printable << "safemigrate: cannot write " << tmp << "\n";
      return 2;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    printable << "safemigrate: cannot write " << path << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return 2;
  }
  std::set<std::string> migrations;
  for (const auto& e : entries) migrations.insert(e.migration);
  printable << "safemigrate: wrote " << entries.size() << " finding" << (entries.size() == 1 ? "" : "s")
            << " of " << migrations.size() << " migration" << (migrations.size() == 1 ? "" : "s") << " to "
            << path << "; check reports only findings not in it\n";
  return 0;
}

void print_baseline_summary(const CheckRun& run, const std::string& path, std::ostream& err) {
  report::PrintableStream out(err);
  out << "safemigrate: " << run.baselined << " finding" << (run.baselined == 1 ? "" : "s")
      << " accepted by the baseline " << path << " not shown\n";
  if (run.stale_baseline.empty()) return;
  out << "safemigrate: " << run.stale_baseline.size() << " baseline entr"
      << (run.stale_baseline.size() == 1 ? "y matches" : "ies match")
      << " no finding any more (fixed or gone): delete " << (run.stale_baseline.size() == 1 ? "it" : "them")
      << " from " << path << "\n";
  for (size_t i : run.stale_baseline) {
    const BaselineEntry& e = run.baseline[i];
    out << "  stale: " << e.rule << " " << e.file << ":" << e.line << " (" << e.migration << ") "
        << e.fingerprint << "\n";
  }
}

}  // namespace sm::app

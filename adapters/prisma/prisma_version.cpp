#include "adapters/prisma/prisma_version.h"

#include <simdjson.h>

#include <set>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "util/file_read.h"

namespace sm::prisma {

namespace fs = std::filesystem;

namespace {

// Lock files can be large in monorepos; they are read whole, so allow more than SQL files.
constexpr uint64_t kMaxManifestSize = 256ull * 1024 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view strip_quotes(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads "N", "N.N", "N.N.N" (a part may be x or *: it and the rest read as 0) at the start of
// `s`; what follows (a pre-release or build suffix) is ignored.
std::optional<PrismaVersion> parse_numbers(std::string_view s) {
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (i >= s.size() || s[i] != '.') break;
      ++i;
    }
    if (k > 0 && i < s.size() && (s[i] == 'x' || s[i] == 'X' || s[i] == '*')) break;
    size_t start = i;
    long value = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 9) value = value * 10 + (s[i++] - '0');
    if (i == start || (i < s.size() && is_digit(s[i]))) return std::nullopt;  // no number, or too long
    parts[k] = static_cast<int>(value);
  }
  PrismaVersion v;
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  return v;
}

bool version_less(const PrismaVersion& a, const PrismaVersion& b) {
  if (a.major != b.major) return a.major < b.major;
  if (a.minor != b.minor) return a.minor < b.minor;
  return a.patch < b.patch;
}

// Lowest version one comparator set allows ("^6.1", ">=7.4 <8", "6.1.0 - 7").
std::optional<PrismaVersion> lowest_of_comparators(std::string_view range) {
  while (!range.empty()) {
    range = trim(range);
    size_t end = 0;
    while (end < range.size() && !is_space(range[end])) ++end;
    std::string_view token = range.substr(0, end);
    range.remove_prefix(end);
    if (token == "-") continue;
    if (token.starts_with("<")) continue;  // an upper bound says nothing about the lowest version
    while (!token.empty() && (token.front() == '^' || token.front() == '~' || token.front() == '>' ||
                              token.front() == '=' || token.front() == 'v' || token.front() == 'V'))
      token.remove_prefix(1);
    if (token.empty()) continue;  // ">= 7.4": the operator stood alone
    return parse_numbers(token);
  }
  return std::nullopt;
}

std::string read_text(const fs::path& p) {
  util::FileReadResult r = util::read_whole_file(p, kMaxManifestSize);
  if (!r.ok) return {};
  if (r.bytes.starts_with("\xEF\xBB\xBF")) r.bytes.erase(0, 3);
  return std::move(r.bytes);
}

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// The one version a set of strings read from a lock file names, or nullopt when there is none
// or several disagree (a monorepo with two Prisma versions: the range decides then).
std::optional<PrismaVersion> single_version(const std::vector<std::string>& found, const fs::path& source) {
  std::optional<PrismaVersion> result;
  std::set<std::tuple<int, int, int>> distinct;
  for (const std::string& text : found) {
    std::optional<PrismaVersion> v = parse_numbers(trim(text));
    if (!v) continue;
    if (distinct.insert({v->major, v->minor, v->patch}).second && !result) {
      result = v;
      // Keep the version without a pnpm peer suffix such as "(typescript@5.4.0)".
      std::string_view t = trim(text);
      result->text = std::string(t.substr(0, t.find('(')));
      result->source = source.string();
    }
  }
  if (distinct.size() != 1) return std::nullopt;
  return result;
}

// package-lock.json / npm-shrinkwrap.json, lockfileVersion 1 to 3.
std::optional<PrismaVersion> from_package_lock(const fs::path& lock, const fs::path& package_dir,
                                               const std::string& package) {
  std::string text = read_text(lock);
  if (text.empty()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return std::nullopt;

  std::vector<std::string> keys;
  std::error_code ec;
  fs::path rel = fs::relative(package_dir, lock.parent_path(), ec);
  if (!ec && !rel.empty() && rel != ".") keys.push_back(rel.generic_string() + "/node_modules/" + package);
  keys.push_back("node_modules/" + package);
  for (const std::string& key : keys) {
    std::string_view version;
    if (root["packages"][key]["version"].get_string().get(version) == simdjson::SUCCESS)
      return single_version({std::string(version)}, lock);
  }
  std::string_view version;  // lockfileVersion 1
  if (root["dependencies"][package]["version"].get_string().get(version) == simdjson::SUCCESS)
    return single_version({std::string(version)}, lock);
  return std::nullopt;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// pnpm-lock.yaml, read line by line (no YAML parser needed for these few shapes):
//   importers / dependencies:   `  prisma:` then `    version: 6.19.3` (v6, v9)
//                               `  prisma: 4.16.2` (v5)
//   packages:                   `  /prisma@5.0.0:` (v6), `  prisma@6.19.3:` (v9), `  /prisma/4.16.2:` (v5)
std::optional<PrismaVersion> from_pnpm_lock(const fs::path& lock, const std::string& package) {
  std::string text = read_text(lock);
  if (text.empty()) return std::nullopt;
  const std::vector<std::string_view> lines = split_lines(text);
  const std::string key_plain = package + ":";
  const std::string key_quoted = "'" + package + "':";
  std::vector<std::string> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view t = trim(lines[i]);
    std::string_view rest;
    if (t.starts_with(key_plain)) {
      rest = t.substr(key_plain.size());
    } else if (t.starts_with(key_quoted)) {
      rest = t.substr(key_quoted.size());
    } else {
      // Package keys: strip a leading '/', quotes, and the trailing ':'.
      std::string_view k = t;
      if (!k.empty() && (k.front() == '\'' || k.front() == '"')) k.remove_prefix(1);
      if (!k.empty() && k.front() == '/') k.remove_prefix(1);
      if (!k.ends_with(":")) continue;
      k.remove_suffix(1);
      if (!k.empty() && (k.back() == '\'' || k.back() == '"')) k.remove_suffix(1);
      for (const char sep : {'@', '/'}) {
        const std::string prefix = package + sep;
        if (k.starts_with(prefix) && k.size() > prefix.size() && is_digit(k[prefix.size()]))
          found.emplace_back(k.substr(prefix.size()));
      }
      continue;
    }
    rest = strip_quotes(rest);
    if (!rest.empty()) {
      if (is_digit(rest.front())) found.emplace_back(rest);  // v5: `prisma: 4.16.2`
      continue;
    }
    // `prisma:` opens a map: look for its `version:` among the more indented lines below.
    const size_t indent = indent_of(lines[i]);
    for (size_t j = i + 1; j < lines.size() && indent_of(lines[j]) > indent; ++j) {
      std::string_view u = trim(lines[j]);
      if (u.starts_with("version:")) {
        std::string_view v = strip_quotes(u.substr(8));
        if (!v.empty() && is_digit(v.front())) found.emplace_back(v);
        break;
      }
    }
  }
  return single_version(found, lock);
}

// yarn.lock (v1 and berry): an unindented header naming `prisma@<range>` (possibly several,
// comma-separated, quoted, `prisma@npm:<range>`), then an indented `version "x"` / `version: x`.
std::optional<PrismaVersion> from_yarn_lock(const fs::path& lock, const std::string& package) {
  std::string text = read_text(lock);
  if (text.empty()) return std::nullopt;
  const std::string prefix = package + "@";
  std::vector<std::string> found;
  bool in_block = false;
  for (std::string_view line : split_lines(text)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.front() != ' ') {
      in_block = false;
      std::string_view header = trim(line);
      if (header.ends_with(":")) header.remove_suffix(1);
      while (!header.empty()) {
        size_t comma = header.find(',');
        std::string_view entry = strip_quotes(header.substr(0, comma));
        if (entry.starts_with(prefix)) in_block = true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
      }
      continue;
    }
    std::string_view t = trim(line);
    if (in_block && indent_of(line) == 2 && t.starts_with("version")) {
      std::string_view v = t.substr(7);
      if (!v.empty() && v.front() == ':') v.remove_prefix(1);
      v = strip_quotes(v);
      if (!v.empty() && is_digit(v.front())) found.emplace_back(v);
      in_block = false;
    }
  }
  return single_version(found, lock);
}

bool is_boundary(const fs::path& dir) {
  return file_exists(dir / ".git") || dir == dir.parent_path();
}

// The exact version from the first lock file found in `package_dir` or above it.
std::optional<PrismaVersion> from_lock_files(const fs::path& package_dir, const std::string& package) {
  for (fs::path dir = package_dir;; dir = dir.parent_path()) {
    for (const char* name : {"package-lock.json", "npm-shrinkwrap.json"})
      if (file_exists(dir / name))
        if (auto v = from_package_lock(dir / name, package_dir, package)) return v;
    if (file_exists(dir / "pnpm-lock.yaml"))
      if (auto v = from_pnpm_lock(dir / "pnpm-lock.yaml", package)) return v;
    if (file_exists(dir / "yarn.lock"))
      if (auto v = from_yarn_lock(dir / "yarn.lock", package)) return v;
    if (is_boundary(dir)) break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<PrismaVersion> parse_prisma_version(std::string_view text) {
  text = trim(text);
  if (text.starts_with("npm:")) {  // an alias: "npm:prisma@6.1.0"
    size_t at = text.rfind('@');
    if (at == std::string_view::npos || at == 0) return std::nullopt;
    text = text.substr(at + 1);
  }
  std::optional<PrismaVersion> lowest;
  std::string_view rest = text;
  while (true) {
    size_t bar = rest.find("||");
    std::optional<PrismaVersion> v = lowest_of_comparators(rest.substr(0, bar));
    if (v && (!lowest || version_less(*v, *lowest))) lowest = v;
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  if (lowest) lowest->text = std::string(text);
  return lowest;
}

std::optional<PrismaVersion> detect_prisma_version(const fs::path& migrations_dir) {
  std::error_code ec;
  fs::path dir = fs::absolute(migrations_dir, ec).lexically_normal();
  if (ec) return std::nullopt;
  if (dir.has_relative_path() && dir.filename().empty()) dir = dir.parent_path();  // trailing '/'

  for (;; dir = dir.parent_path()) {
    const fs::path manifest = dir / "package.json";
    if (file_exists(manifest)) {
      std::string text = read_text(manifest);
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      if (!text.empty() && parser.parse(text).get(root) == simdjson::SUCCESS) {
        for (const std::string package : {"prisma", "@prisma/client"}) {
          std::optional<std::string> range;
          for (const char* section : {"dependencies", "devDependencies"}) {
            std::string_view spec;
            if (root[section][package].get_string().get(spec) == simdjson::SUCCESS) {
              range = std::string(spec);
              break;
            }
          }
          if (!range) continue;
          if (auto exact = from_lock_files(dir, package)) return exact;
          if (auto v = parse_prisma_version(*range)) {
            v->source = manifest.string();
            return v;
          }
        }
      }
    }
    if (is_boundary(dir)) break;
  }
  return std::nullopt;
}

bool runs_statement_by_statement(const PrismaVersion& v) {
  return v.major > 7 || (v.major == 7 && v.minor >= 4);
}

// Constructs that the Rust `sqlparser` crate, which Prisma >= 7.4 uses to split migration.sql
// into statements (prisma-engines PR 5767), cannot parse. When it meets one, Prisma sends the
// whole file as one batch instead, as before 7.4 (the fallback of prisma-engines PR 5847, made
// for DROP INDEX CONCURRENTLY). Add newly found constructs here, and only here.
const char* prisma_splitter_cannot_parse(const model::Statement& st) {
  if (st.node == "DropStmt" && st.concurrently) return "DROP INDEX CONCURRENTLY";
  return nullptr;
}

void assign_scenarios(model::Migration& m, const std::optional<PrismaVersion>& version) {
  using model::ExecutionMode;
  using model::ExecutionScenario;

  std::string fallback;  // what makes Prisma >= 7.4 send the file whole, with its line
  for (const model::Statement* st : m.statements()) {
    if (const char* construct = prisma_splitter_cannot_parse(*st)) {
      fallback = std::string(construct) + (st->loc.line ? " at line " + std::to_string(st->loc.line) : "");
      break;
    }
  }

  auto up_to_7_3 = [](std::string label) {
    return ExecutionScenario{
        ExecutionMode::OneBatch, std::move(label),
        "Prisma up to 7.3 sends the whole migration.sql as one query, which PostgreSQL runs as "
        "one implicit transaction: all or nothing, and CONCURRENTLY fails unless it is the only "
        "statement."};
  };
  // `label` when the file is split, `fallback_label` when it falls back to one batch.
  auto from_7_4 = [&fallback](std::string label, std::string fallback_label) {
    if (!fallback.empty())
      return ExecutionScenario{
          ExecutionMode::OneBatch, std::move(fallback_label),
          "Prisma 7.4 and later split migration.sql into statements, but their parser cannot "
          "read " +
              fallback +
              ", so they send the whole file as one query, which PostgreSQL "
              "runs as one implicit transaction."};
    return ExecutionScenario{
        ExecutionMode::PerStatement, std::move(label),
        "Prisma 7.4 and later split migration.sql into statements and send each on its own, so "
        "each one commits by itself and a failure leaves the earlier ones applied."};
  };

  m.scenarios.clear();
  if (version) {
    std::string name = version->text.empty()
                           ? std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                                 std::to_string(version->patch)
                           : version->text;
    if (runs_statement_by_statement(*version)) {
      m.scenarios.push_back(
          from_7_4("Prisma " + name + " (≥ 7.4)", "Prisma " + name + " (≥ 7.4, one batch)"));
    } else {
      m.scenarios.push_back(up_to_7_3("Prisma " + name + " (≤ 7.3)"));
    }
  } else {
    m.scenarios.push_back(up_to_7_3("Prisma ≤ 7.3"));
    m.scenarios.push_back(from_7_4("Prisma ≥ 7.4", "Prisma ≥ 7.4 (one batch)"));
  }
}

}  // namespace sm::prisma

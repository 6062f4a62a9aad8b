#include "config/config.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <toml++/toml.h>

#include <algorithm>

#include "checks/registry.h"
#include "util/file_read.h"

namespace sm::config {

namespace fs = std::filesystem;

namespace {

// The keys the reader accepts, per table; config_keys() exports them (docs_test checks the docs'
// keys against it), and only_keys() refuses any other.
const std::vector<const char*> kTopKeys = {"sources",
                                           "rules",
                                           "ignore",
                                           "postgres_version",
                                           "thresholds",
                                           "deploy_lock_timeout",
                                           "exclude_apps",
                                           "exclude_apps_findings",
                                           "exclude_apps_apply",
                                           "baseline",
                                           "drift"};
const std::vector<const char*> kSourceKeys = {"framework", "path", "database_url_env"};
const std::vector<const char*> kThresholdKeys = {"large_table_rows", "large_table_bytes"};
const std::vector<const char*> kDriftKeys = {"exclude"};

class Reader {
 public:
  explicit Reader(std::string name) : name_(std::move(name)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& key,
                         const std::string& what) const {
    throw ConfigError(
        fmt::format("{}:{}:{}: {}: {}", name_, where.begin.line, where.begin.column, key, what));
  }

  // Every key of `table` must be one of `allowed`.
  void only_keys(const toml::table& table, const std::string& prefix,
                 const std::vector<const char*>& allowed) {
    for (auto&& [key, node] : table) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || key.str() == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(key.source(), prefix + std::string(key.str()), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  std::string string(const toml::node& node, const std::string& key) {
    auto v = node.value<std::string>();
    if (!node.is_string() || !v) fail(node.source(), key, "expected a string");
    // "\u0000" is valid TOML, but every use of the value stops at it: a path would name its part
    // before the NUL (prisma/migrations\u0000x checks prisma/migrations) in silence.
    if (v->find('\0') != std::string::npos)
      fail(node.source(), key, "holds a NUL character (\\u0000), which no path, name or duration has");
    return *v;
  }

  int64_t integer(const toml::node& node, const std::string& key, int64_t min, int64_t max) {
    if (!node.is_integer()) fail(node.source(), key, "expected an integer");
    int64_t v = *node.value<int64_t>();
    if (v < min || v > max) fail(node.source(), key, fmt::format("{} is out of range ({}..{})", v, min, max));
    return v;
  }

 private:
  std::string name_;
};

bool valid_env_name(const std::string& s) {
  if (s.empty() || isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (unsigned char c : s)
    if (!isalnum(c) && c != '_') return false;
  return true;
}

// PostgreSQL's largest lock_timeout: an int of milliseconds ("2147483648ms is outside the valid
// range for parameter \"lock_timeout\" (0 .. 2147483647)", measured on PG 15).
constexpr uint64_t kMaxLockTimeoutMs = 2147483647;

// Why `v` is not a lock_timeout every deploy sets, or empty: digits, then at once one of
// PostgreSQL's units ms, s, min or h. No unit is refused although PostgreSQL reads it as
// milliseconds: "5" is too easily meant as 5 seconds. Zero (off) and values above PostgreSQL's
// maximum are refused too.
std::string lock_timeout_problem(const std::string& v) {
  const std::string forms = "digits then ms, s, min or h, e.g. \"5s\", \"500ms\" or \"1min\"";
  size_t digits = 0;
  while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
  if (digits == 0) return "expected " + forms;
  std::string unit = v.substr(digits);
  uint64_t scale = unit == "ms"    ? 1
                   : unit == "s"   ? 1000
                   : unit == "min" ? 60'000
                   : unit == "h"   ? 3'600'000
                                   : 0;
  if (unit.empty()) return "a number without a unit (PostgreSQL would read milliseconds); write " + forms;
  if (scale == 0) return "\"" + unit + "\" is not a unit; expected " + forms;
  uint64_t n = 0;
  for (size_t i = 0; i < digits; ++i) {
    n = n * 10 + static_cast<uint64_t>(v[i] - '0');
    if (n * scale > kMaxLockTimeoutMs) break;
  }
  if (n == 0) return "0 turns lock_timeout off; give a positive duration, " + forms;
  if (n * scale > kMaxLockTimeoutMs)
    return fmt::format("above PostgreSQL's largest lock_timeout, {} ms (about 24 days)", kMaxLockTimeoutMs);
  return {};
}

// TOML allows no NUL byte anywhere; the parser would stop reading there, and everything after it
// (a value's end, later keys) would be dropped in silence.
void refuse_nul(const std::string& text, const std::string& name) {
  size_t at = text.find('\0');
  if (at == std::string::npos) return;
  size_t line_start = text.rfind('\n', at);
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  size_t column = at - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
  throw ConfigError(
      fmt::format("{}:{}:{}: not valid TOML: a NUL byte (TOML allows none)", name, line, column));
}

// A Django app label or a dotted Python package: identifiers joined by dots.
bool valid_app_name(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos) return false;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != '.') {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (!isalnum(c) && c != '_') return false;
      continue;
    }
    if (isdigit(static_cast<unsigned char>(s[start]))) return false;
    start = i + 1;
  }
  return true;
}

}  // namespace

std::string Config::excluded_app(const std::string& app, const std::string& migration_file) const {
  // A package's migrations live in <package path>/migrations/ (site-packages/taggit/migrations/…).
  std::string path = "/" + migration_file;
  std::replace(path.begin(), path.end(), '\\', '/');
  for (const std::string& e : exclude_apps) {
    if (!app.empty() && e == app) return e;
    std::string folder = "/" + e + "/migrations/";
    std::replace(folder.begin(), folder.end(), '.', '/');
    if (path.find(folder) != std::string::npos) return e;
  }
  return {};
}

std::string glob_to_regex(const std::string& glob) {
  std::string re;
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*' && i + 1 < glob.size() && glob[i + 1] == '*') {
      ++i;
      // `**/` also matches no folder at all: `**/legacy/**` matches `legacy/x`.
      if (i + 1 < glob.size() && glob[i + 1] == '/') {
        ++i;
        re += "(?:.*/)?";
      } else {
        re += ".*";
      }
    } else if (c == '*') {
      re += "[^/]*";
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t end = glob.find(']', i + 2);
      if (end == std::string::npos) throw std::invalid_argument("unclosed [ in the pattern");
      std::string cls = glob.substr(i + 1, end - i - 1);
      if (!cls.empty() && cls[0] == '!') cls[0] = '^';
      re += "[";
      for (char k : cls)
        re += (k == '\\' || k == '[' || k == ']') ? std::string("\\") + k : std::string(1, k);
      re += "]";
      i = end;
    } else if (c == '/') {
      re += '/';
    } else {
      re += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return re;
}

Config parse_config(const std::string& text, const std::string& name, const fs::path& root) {
  Config cfg;
  cfg.file = name;
  cfg.root = root;
  Reader r(name);
  refuse_nul(text, name);
  toml::table table;
#if TOML_EXCEPTIONS
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: not valid TOML: {}", name, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
#else
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed) {
    const auto& e = parsed.error();
    throw ConfigError(fmt::format("{}:{}:{}: not valid TOML: {}", name, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
  table = std::move(parsed).table();
#endif
  r.only_keys(table, "", kTopKeys);

  if (const toml::node* n = table.get("sources")) {
    const toml::array* list = n->as_array();
    if (!list) r.fail(n->source(), "sources", "expected an array of tables ([[sources]])");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::node& item = *list->get(i);
      std::string key = fmt::format("sources[{}]", i);
      const toml::table* t = item.as_table();
      if (!t) r.fail(item.source(), key, "expected a table ([[sources]])");
      r.only_keys(*t, key + ".", kSourceKeys);
      Source s;
      s.line = item.source().begin.line;
      const toml::node* fw = t->get("framework");
      if (!fw) r.fail(item.source(), key + ".framework", "missing (\"prisma\" or \"django\")");
      s.framework = r.string(*fw, key + ".framework");
      if (s.framework != "prisma" && s.framework != "django")
        r.fail(fw->source(), key + ".framework",
               "\"" + s.framework + "\" is not a framework safemigrate reads (\"prisma\" or \"django\")");
      const toml::node* path = t->get("path");
      if (!path) r.fail(item.source(), key + ".path", "missing (a migrations folder, or a Django plan file)");
      s.path = r.string(*path, key + ".path");
      if (s.path.empty()) r.fail(path->source(), key + ".path", "must not be empty");
      s.resolved = fs::path(s.path).is_absolute() ? fs::path(s.path) : root / s.path;
      if (const toml::node* env = t->get("database_url_env")) {
        s.database_url_env = r.string(*env, key + ".database_url_env");
        if (!valid_env_name(s.database_url_env))
          r.fail(env->source(), key + ".database_url_env",
                 "\"" + s.database_url_env + "\" is not an environment variable name");
      }
      cfg.sources.push_back(std::move(s));
    }
  }

  if (const toml::node* n = table.get("rules")) {
    const toml::table* rules = n->as_table();
    if (!rules) r.fail(n->source(), "rules", "expected a table ([rules])");
    for (auto&& [key, value] : *rules) {
      std::string id(key.str());
      if (!checks::find_rule(id))
        r.fail(key.source(), "rules." + id, "no rule of that name (`safemigrate rules` lists them)");
      std::string v = r.string(value, "rules." + id);
      if (v == "off")
        cfg.rules[id] = std::nullopt;
      else if (v == "warning")
        cfg.rules[id] = model::Severity::Warning;
      else if (v == "error")
        cfg.rules[id] = model::Severity::Error;
      else
        r.fail(value.source(), "rules." + id, "\"" + v + "\" is not a severity (off, warning or error)");
    }
  }

  if (const toml::node* n = table.get("ignore")) {
    const toml::array* list = n->as_array();
    if (!list) r.fail(n->source(), "ignore", "expected an array of path patterns");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::node& item = *list->get(i);
      std::string key = fmt::format("ignore[{}]", i);
      std::string glob = r.string(item, key);
      std::string re;
      try {
        re = glob_to_regex(glob);
      } catch (const std::invalid_argument& e) {
        r.fail(item.source(), key, "\"" + glob + "\": " + e.what());
      }
      auto compiled = std::make_shared<const RE2>(re, RE2::Quiet);
      if (!compiled->ok()) r.fail(item.source(), key, "\"" + glob + "\": " + compiled->error());
      cfg.ignore.push_back(glob);
      cfg.ignore_regex.push_back(std::move(compiled));
    }
  }

  if (const toml::node* n = table.get("exclude_apps")) {
    const toml::array* list = n->as_array();
    if (!list)
      r.fail(n->source(), "exclude_apps", "expected an array of Django app labels or Python packages");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::node& item = *list->get(i);
      std::string key = fmt::format("exclude_apps[{}]", i);
      std::string app = r.string(item, key);
      if (!valid_app_name(app))
        r.fail(
            item.source(), key,
            "\"" + app +
                "\" is not a Django app label or a Python package (e.g. \"auth\", \"django.contrib.auth\")");
      cfg.exclude_apps.push_back(std::move(app));
    }
  }
  if (const toml::node* n = table.get("exclude_apps_findings")) {
    std::string v = r.string(*n, "exclude_apps_findings");
    if (v == "apart")
      cfg.exclude_apps_findings = Config::ExcludedFindings::Apart;
    else if (v == "off")
      cfg.exclude_apps_findings = Config::ExcludedFindings::Off;
    else
      r.fail(n->source(), "exclude_apps_findings", "\"" + v + "\" is not \"apart\" or \"off\"");
  }
  if (const toml::node* n = table.get("exclude_apps_apply")) {
    std::string v = r.string(*n, "exclude_apps_apply");
    if (v != "stop" && v != "pass")
      r.fail(n->source(), "exclude_apps_apply", "\"" + v + "\" is not \"stop\" or \"pass\"");
    cfg.exclude_apps_pass_apply = v == "pass";
  }
  if (const toml::node* n = table.get("baseline")) {
    cfg.baseline = r.string(*n, "baseline");
    if (cfg.baseline.empty()) r.fail(n->source(), "baseline", "expected the path of a baseline file");
  }
  if (const toml::node* n = table.get("postgres_version"))
    cfg.postgres_version = static_cast<int>(r.integer(*n, "postgres_version", 10, 99));

  if (const toml::node* n = table.get("deploy_lock_timeout")) {
    cfg.deploy_lock_timeout = r.string(*n, "deploy_lock_timeout");
    if (std::string why = lock_timeout_problem(cfg.deploy_lock_timeout); !why.empty())
      r.fail(n->source(), "deploy_lock_timeout",
             "\"" + cfg.deploy_lock_timeout + "\" is not a lock_timeout every deploy sets: " + why);
  }

  if (const toml::node* n = table.get("thresholds")) {
    const toml::table* t = n->as_table();
    if (!t) r.fail(n->source(), "thresholds", "expected a table ([thresholds])");
    r.only_keys(*t, "thresholds.", kThresholdKeys);
    if (const toml::node* v = t->get("large_table_rows"))
      cfg.large_table_rows =
          static_cast<uint64_t>(r.integer(*v, "thresholds.large_table_rows", 0, INT64_MAX));
    if (const toml::node* v = t->get("large_table_bytes"))
      cfg.large_table_bytes =
          static_cast<uint64_t>(r.integer(*v, "thresholds.large_table_bytes", 0, INT64_MAX));
  }

  if (const toml::node* n = table.get("drift")) {
    const toml::table* t = n->as_table();
    if (!t) r.fail(n->source(), "drift", "expected a table ([drift])");
    r.only_keys(*t, "drift.", kDriftKeys);
    if (const toml::node* v = t->get("exclude")) {
      const toml::array* arr = v->as_array();
      if (!arr)
        r.fail(v->source(), "drift.exclude", "expected an array of RE2 patterns over \"schema.name\"");
      for (size_t i = 0; i < arr->size(); ++i) {
        const std::string key = fmt::format("drift.exclude[{}]", i);
        std::string pattern = r.string(*arr->get(i), key);
        re2::RE2 re(pattern, re2::RE2::Quiet);
        if (!re.ok())
          r.fail(arr->get(i)->source(), key, "\"" + pattern + "\" is not an RE2 pattern: " + re.error());
        cfg.drift_exclude.push_back(std::move(pattern));
      }
    }
  }
  return cfg;
}

Config load_config(const fs::path& file) {
  util::FileReadResult read = util::read_whole_file(file, 1 << 20);
  if (!read.ok) throw ConfigError(read.error);
  fs::path root = fs::absolute(file).lexically_normal().parent_path();
  return parse_config(read.bytes, file.string(), root);
}

std::optional<fs::path> find_config(const fs::path& start) {
  std::error_code ec;
  for (fs::path dir = fs::absolute(start, ec).lexically_normal();; dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / kFileName, ec)) return dir / kFileName;
    // The repository root is as far up as a repository's config can be.
    if (fs::exists(dir / ".git", ec) || dir == dir.root_path() || dir.parent_path() == dir)
      return std::nullopt;
  }
}

bool Config::ignored(const std::string& finding_file) const {
  if (ignore_regex.empty() || finding_file.empty()) return false;
  std::error_code ec;
  fs::path rel = fs::absolute(finding_file, ec).lexically_normal().lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return false;
  // A pattern that names a folder ignores everything under it.
  std::string path = rel.generic_string();
  for (size_t end = path.size(); end != std::string::npos && end > 0; end = path.rfind('/', end - 1)) {
    std::string prefix = path.substr(0, end);
    for (const auto& re : ignore_regex)
      if (RE2::FullMatch(prefix, *re)) return true;
    if (end == 0) break;
  }
  return false;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const char* k : kTopKeys) keys.emplace_back(k);
  for (const char* k : kSourceKeys) keys.push_back(std::string("sources.") + k);
  for (const char* k : kThresholdKeys) keys.push_back(std::string("thresholds.") + k);
  for (const char* k : kDriftKeys) keys.push_back(std::string("drift.") + k);
  return keys;
}

}  // namespace sm::config

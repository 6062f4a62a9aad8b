// safemigrate.toml: the sources a repository's migrations live in, rule severities, paths to
// ignore, the target PostgreSQL version and size thresholds. Documented in docs/config.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/errors.h"
#include "model/migration.h"

namespace re2 {
class RE2;
}

namespace sm::config {

inline constexpr const char* kFileName = "safemigrate.toml";

// A bad file: the message names the file, the line and column, and the key.
class ConfigError : public model::Error {
 public:
  using model::Error::Error;
};

struct Source {
  std::string framework;           // "prisma" or "django"
  std::string path;                // as written (relative to the config's folder)
  std::filesystem::path resolved;  // relative paths joined to the config's folder
  std::string database_url_env;    // variable holding the database URL (status/apply; check's sizes)
  uint32_t line = 0;
};

struct Config {
  std::filesystem::path file;
  std::filesystem::path root;  // the folder holding the file: paths are relative to it
  std::vector<Source> sources;
  // Rule id -> severity; std::nullopt means "off" (the rule's findings are dropped).
  std::map<std::string, std::optional<model::Severity>> rules;
  std::vector<std::string> ignore;  // glob patterns as written
  std::optional<int> postgres_version;
  // The baseline file check reads (relative to the config's folder), as --baseline; empty: none.
  std::string baseline;
  // The lock_timeout every deploy sets (the connection's options, the role, `safemigrate apply`),
  // e.g. "5s"; empty when not said. missing-lock-timeout then counts every statement as covered.
  std::string deploy_lock_timeout;
  // check's large-table thresholds (--large-table-rows/--large-table-bytes override them).
  std::optional<uint64_t> large_table_rows;
  std::optional<uint64_t> large_table_bytes;

  // Django apps whose migrations the team does not own (third-party packages, django.contrib):
  // app labels ("auth") or Python packages ("django.contrib.auth", "taggit"), as
  // django-migration-linter's exclude_apps. Their findings are reported apart (suppressed, with
  // the reason) or not at all; apply's gate still stops on their errors unless told to pass them.
  std::vector<std::string> exclude_apps;
  enum class ExcludedFindings : uint8_t { Apart, Off };
  ExcludedFindings exclude_apps_findings = ExcludedFindings::Apart;
  bool exclude_apps_pass_apply = false;  // exclude_apps_apply = "pass"
  // The exclude_apps entry that names a Django migration of app `app` whose file is `migration_file`
  // (a package matches the migrations folder of its path); empty when none does.
  std::string excluded_app(const std::string& app, const std::string& migration_file) const;

  // Whether a finding in `file` is dropped by an ignore pattern.
  bool ignored(const std::string& finding_file) const;

  std::vector<std::shared_ptr<const re2::RE2>> ignore_regex;  // compiled from `ignore`

  // [drift] exclude: RE2 patterns over "schema.name" (a column's, index's, constraint's or
  // trigger's: its table's) that drift leaves out, as its --exclude (checked when read).
  std::vector<std::string> drift_exclude;
};

// Reads and validates a config file; throws ConfigError.
Config load_config(const std::filesystem::path& file);
// Parses config text (for tests); `name` is used in messages, `root` resolves paths.
Config parse_config(const std::string& text, const std::string& name, const std::filesystem::path& root);

// Every key the reader accepts: top-level keys ("postgres_version"), and a table's keys after its
// name and a dot ("sources.path", "thresholds.large_table_rows"). [rules] takes rule ids.
std::vector<std::string> config_keys();

// Looks for safemigrate.toml in `start` and its parents, up to and including the repository
// root (the first folder holding .git); std::nullopt when there is none.
std::optional<std::filesystem::path> find_config(const std::filesystem::path& start);

// A glob as an RE2 pattern: `**` any characters, `*` and `?` within one path segment, `[…]` a
// character class; everything else literal.
std::string glob_to_regex(const std::string& glob);

}  // namespace sm::config

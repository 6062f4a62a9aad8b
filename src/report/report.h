// Output formats for `safemigrate check`. JSON's schema is documented in docs/json-format.md
// and versioned: fields are only ever added within a major version.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "model/migration.h"

namespace sm::report {

struct Input {
  const std::vector<model::MigrationSet>& sets;
  const std::vector<model::Finding>& findings;
  size_t statements = 0;
  size_t baselined = 0;  // findings a baseline accepted (left out of `findings`)
};

struct Counts {
  size_t errors = 0, warnings = 0, infos = 0, suppressed = 0, migrations = 0;
};
Counts count(const Input& in);

struct TextOptions {
  bool color = false;
  bool show_suppressed = false;
};
void write_text(std::ostream& out, const Input& in, const TextOptions& options);

constexpr int kJsonFormatVersion = 1;
void write_json(std::ostream& out, const Input& in);

// `safemigrate list`: the audit view of data migrations (RunPython, RunSQL or DML), or of
// every migration with `all`: reversibility, atomicity, tables touched, code run, findings.
void write_audit_text(std::ostream& out, const Input& in, bool all);
void write_audit_json(std::ostream& out, const Input& in, bool all);

// SARIF 2.1.0 for code-scanning uploads (GitHub, GitLab, Azure DevOps): every rule in
// tool.driver.rules, one result per finding, paths relative to the working folder.
void write_sarif(std::ostream& out, const Input& in);

// GitHub Actions workflow commands (`::error file=…,line=…::message`), which the runner turns
// into annotations on the pull request's diff. Suppressed findings are left out.
void write_github(std::ostream& out, const Input& in);

// GitLab Code Quality (a Code Climate issue array) for `artifacts: reports: codequality`: one issue
// per finding with its fingerprint; suppressed findings are left out.
void write_gitlab(std::ostream& out, const Input& in);

// A pull-request / merge-request comment in GitHub-flavoured markdown, starting with the hidden
// marker `<!-- safemigrate-report -->` by which CI finds the comment to update.
void write_markdown(std::ostream& out, const Input& in);

// `file` as a path relative to the working folder (forward slashes), or absolute when it lies
// outside it: what CI systems match against the repository's files.
std::string path_from_cwd(const std::string& file);
// The finding's column counted in code points (SARIF's columnKind unicodeCodePoints; GitHub
// counts characters) rather than bytes.
uint32_t column_in_code_points(const model::Finding& f);

}  // namespace sm::report

// GitLab Code Quality: a JSON array of Code Climate issues, which GitLab shows in the merge
// request's widget and diff when a job uploads it as `artifacts: reports: codequality`. GitLab
// reads description, check_name, fingerprint, severity, location.path and location.lines.begin
// (docs.gitlab.com, "Code Quality report format"); it compares the merge request's report with
// the target branch's by fingerprint, so a finding whose line moved is not "new".
#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "report/report.h"
#include "report/sanitize.h"

namespace sm::report {

namespace {

// GitLab's five levels: an error blocks the merge, a warning is a risk to weigh.
const char* gitlab_severity(model::Severity s) {
  switch (s) {
    case model::Severity::Error: return "critical";
    case model::Severity::Warning: return "major";
    case model::Severity::Info: return "info";
  }
  return "info";
}

}  // namespace

void write_gitlab(std::ostream& out, const Input& in) {
  out << "[";
  bool first = true;
  std::set<std::string> written;  // GitLab drops all but one of the issues that share a fingerprint
  for (const auto& f : in.findings) {
    if (f.suppressed) continue;  // GitLab has no notion of a suppressed issue
    std::string fingerprint =
        f.fingerprint.empty() ? fmt::format("{}:{}:{}", f.rule, f.loc.file, f.loc.line) : f.fingerprint;
    if (!written.insert(fingerprint).second) continue;
    std::string text = f.message;
    if (!f.operation.empty()) text += " (" + f.operation + ")";
    std::string path = path_from_cwd(f.loc.file);
    if (path.empty()) path.push_back('.');  // not `= "."`: GCC 12 -Wrestrict false positive
    out << (first ? "\n" : ",\n");
    first = false;
    out << "  {\"type\": \"issue\", \"description\": " << json_quote(text)
        << ", \"check_name\": " << json_quote(f.rule) << ", \"fingerprint\": " << json_quote(fingerprint)
        << ", \"severity\": \"" << gitlab_severity(f.severity) << "\", \"categories\": [\"Bug Risk\"]"
        << ", \"content\": {\"body\": " << json_quote(f.help) << "}"
        << ", \"location\": {\"path\": " << json_quote(path)
        << ", \"lines\": {\"begin\": " << std::max<uint32_t>(f.loc.line, 1) << "}}}";
  }
  out << (first ? "]\n" : "\n]\n");
}

}  // namespace sm::report

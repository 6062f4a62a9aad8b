#include "report/report.h"

namespace sm::report {

Counts count(const Input& in) {
  Counts c;
  for (const auto& s : in.sets) c.migrations += s.migrations.size();
  for (const auto& f : in.findings) {
    if (f.suppressed) {
      ++c.suppressed;
      continue;
    }
    if (f.severity == model::Severity::Error) ++c.errors;
    if (f.severity == model::Severity::Warning) ++c.warnings;
    if (f.severity == model::Severity::Info) ++c.infos;
  }
  return c;
}

}  // namespace sm::report

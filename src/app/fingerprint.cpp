#include "app/fingerprint.h"

#include <map>
#include <string>

#include "sql/parse.h"
#include "util/sha256.h"

namespace sm::app {

void assign_fingerprints(const std::vector<model::MigrationSet>& sets,
                         std::vector<model::Finding>& findings) {
  std::map<std::string, model::Framework> framework_of;  // migration id -> its framework
  for (const auto& s : sets)
    for (const auto& m : s.migrations) framework_of.emplace(m.id, s.framework);
  std::map<std::string, size_t> seen;  // identity without the occurrence -> findings so far
  for (model::Finding& f : findings) {
    std::string identity = f.rule;
    identity += '\0';
    if (f.migrations_concerned) {
      // A project-wide condition: its set, by the set's first migration (not its folder's path).
      identity += "project";
      for (const auto& s : sets)
        if (s.source == f.loc.file) {
          identity += '\0';
          identity += model::framework_name(s.framework);
          identity += '\0';
          identity += s.migrations.empty() ? std::string() : s.migrations.front().id;
        }
    } else if (auto it = framework_of.find(f.migration); !f.migration.empty() && it != framework_of.end()) {
      identity += model::framework_name(it->second);
      identity += '\0';
      identity += f.migration;
      identity += '\0';
      identity += f.operation;
      identity += '\0';
      identity += sql::normalized_statement(f.statement);
    } else {
      // Not about a migration read (an unreadable file or folder): its path is all there is.
      identity += "file";
      identity += '\0';
      identity += f.migration;
      identity += '\0';
      identity += f.loc.file;
    }
    size_t occurrence = seen[identity]++;
    std::string input = std::string(kFingerprintScheme) + '\0' + identity + '\0' + std::to_string(occurrence);
    f.fingerprint = util::sha256_hex(input).substr(0, 32);
  }
}

}  // namespace sm::app

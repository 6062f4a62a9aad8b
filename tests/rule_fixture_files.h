// The annotated rule fixtures in fixtures/rules/ (RULE.sql or RULE.variant.sql), read alike by
// rule_fixtures_test (the rules fire where the comments say) and fix_test (fix makes them clean).
#pragma once

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "test_support.h"

namespace sm::test {

struct RuleFixtureFile {
  std::string name;  // file name without its extension: RULE or RULE.variant
  std::string text;
  std::string extension = ".sql";
  std::string rule() const { return name.substr(0, name.find('.')); }
};
// CTest shows the parameter: its name, not its bytes.
inline void PrintTo(const RuleFixtureFile& f, std::ostream* os) {
  *os << f.name << f.extension;
}

// Every fixtures/rules/*.sql, sorted by name.
inline std::vector<RuleFixtureFile> load_sql_rule_fixtures() {
  std::vector<RuleFixtureFile> out;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() / "fixtures" / "rules"))
    if (e.path().extension() == ".sql") out.push_back({e.path().stem().string(), read_file(e.path())});
  std::sort(out.begin(), out.end(),
            [](const RuleFixtureFile& a, const RuleFixtureFile& b) { return a.name < b.name; });
  return out;
}

}  // namespace sm::test

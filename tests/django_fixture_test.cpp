// The Django fixture project, exported by the real Django and checked, against the
// expectations written in its migration files, on the line each finding belongs to:
//     migrations.RunPython(forwards),  # expect: run-python-without-reverse
// Every finding must be expected and every expectation found (as in fixtures/rules/*.sql).
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "app/check_command.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const fs::path kProject = sm::test::source_dir() / "fixtures" / "django";

bool django_available() {
  return std::system("/usr/bin/python3 -c 'import django' >/dev/null 2>&1") == 0;
}

// "relative/path.py:line:rule" for every `# expect:` comment of the fixture's Python files.
std::multiset<std::string> expectations() {
  static const re2::RE2 expect(R"(#\s*expect:\s*(.*)$)");
  std::multiset<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kProject)) {
    if (e.path().extension() != ".py") continue;
    std::istringstream in(sm::test::read_file(e.path()));
    std::string line, rules;
    for (int n = 1; std::getline(in, line); ++n) {
      if (!RE2::PartialMatch(line, expect, &rules)) continue;
      std::stringstream list(rules);
      std::string rule;
      while (std::getline(list, rule, ',')) {
        rule.erase(0, rule.find_first_not_of(' '));
        rule.erase(rule.find_last_not_of(' ') + 1);
        if (!rule.empty())
          out.insert(fs::relative(e.path(), kProject).string() + ":" + std::to_string(n) + ":" + rule);
      }
    }
  }
  return out;
}

TEST(DjangoFixture, FindingsMatchTheAnnotationsInTheMigrationFiles) {
  if (!django_available()) GTEST_SKIP() << "Debian's python3-django is not installed (scripts/setup.sh installs it)";
  sm::test::TempDir tmp;
  fs::path plan = tmp.path() / "plan.json";
  std::string cmd = "cd " + sm::test::shell_quote(kProject.string()) + " && /usr/bin/python3 " +
                    sm::test::shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
                    " --settings mysite.settings --offline -o " + sm::test::shell_quote(plan.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  sm::app::CheckOptions options;
  options.paths = {plan.string()};
  sm::app::CheckRun run = sm::app::run_check(options, nullptr);
  ASSERT_FALSE(run.input_error);
  ASSERT_FALSE(run.sets.at(0).migrations.empty());

  std::multiset<std::string> actual;
  std::ostringstream details;
  for (const auto& f : run.findings) {
    if (f.suppressed) continue;
    std::string file = fs::relative(fs::weakly_canonical(f.loc.file), fs::weakly_canonical(kProject)).string();
    actual.insert(file + ":" + std::to_string(f.loc.line) + ":" + f.rule);
    details << "  " << file << ":" << f.loc.line << " " << f.rule << " (" << f.operation << "): " << f.message << "\n";
  }
  std::multiset<std::string> expected = expectations();
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(actual, expected) << "findings:\n" << details.str();
}

}  // namespace

// Helpers shared by the tests: temporary folders, running the CLI, reading files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sm::test {

// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent folders.
  std::filesystem::path write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built safemigrate binary with `args` (already shell-quoted).
RunResult run_cli(const std::string& args);
// The same as the user nobody (setpriv), for tests of permissions when the tests run as root.
RunResult run_cli_as_nobody(const std::string& args);

// An expectation written in a fixture's Python file, on the line the finding belongs to:
//     migrations.RunPython(forwards),  # expect: run-python-without-reverse
//     # expect-online: inconsistent-history   (only when the plan is exported with a database)
// `# expect: RULE` on a line, `# expect-online: RULE` (only with a database), or
// `# expect-project: RULE` anywhere: RULE's project-wide condition (file "project", line 0).
struct Expectation {
  std::string file;  // relative to the root searched; "project" for a project-wide condition
  uint32_t line = 0;
  std::string rule;
  bool online_only = false;
  std::string source;  // the file it is written in, relative to the root (for a condition too)
  std::string key() const { return file + ":" + std::to_string(line) + ":" + rule; }
};
std::vector<Expectation> python_expectations(const std::filesystem::path& root);
// The same, with `cwd` as the working folder (config discovery, relative paths in reports).
RunResult run_cli_in(const std::filesystem::path& cwd, const std::string& args);
// Runs a shell command line in `cwd`; returns its exit code and output.
RunResult run_shell(const std::filesystem::path& cwd, const std::string& command);

std::string read_file(const std::filesystem::path& p);
std::filesystem::path source_dir();
std::filesystem::path shared_dir();
std::filesystem::path build_dir();
std::string shell_quote(const std::string& s);

}  // namespace sm::test

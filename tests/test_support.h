// Helpers shared by the tests: temporary folders, running the CLI, reading files.
#pragma once

#include <filesystem>
#include <string>

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

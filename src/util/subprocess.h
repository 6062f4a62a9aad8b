// Running a program and reading its output line by line as it comes (Django's `migrate` for
// `safemigrate apply`), without a shell: arguments are passed as they are.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sm::util {

struct ProcessSpec {
  std::vector<std::string> argv;                         // argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;  // set (or replaced) in the inherited environment
  std::string cwd;                                       // empty: the current folder
};

// Runs `spec` with standard output and standard error on one pipe (stdin from /dev/null) and
// calls `on_line` with each line (without its newline) as it is written. Returns the exit code,
// 128 + the signal when it was killed; throws std::runtime_error when it cannot be started
// (the message names argv[0] and the reason).
int run_process(const ProcessSpec& spec, const std::function<void(const std::string&)>& on_line);

}  // namespace sm::util

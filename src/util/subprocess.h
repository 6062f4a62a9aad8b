// Running a program and reading its output line by line as it comes (Django's `migrate` for
// `safemigrate apply`), without a shell: arguments are passed as they are.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sm::util {

struct ProcessSpec {
  std::vector<std::string> argv;                         // argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;  // set (or replaced) in the inherited environment
  std::string cwd;                                       // empty: the current folder
};

// A started program whose standard input is a pipe from us and whose standard output and standard
// error are one pipe to us. Started early and told to go later (send), it does its start-up while we
// do other work. Not waited for: the destructor closes its input and waits, discarding its output;
// one never sent anything is stopped (SIGTERM) first, as it was not told to go.
class Process {
 public:
  // Throws std::runtime_error when it cannot be started (the message names argv[0] and the reason).
  explicit Process(const ProcessSpec& spec);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Writes `text` to its standard input; false when it no longer reads it (it has ended).
  bool send(std::string_view text);
  void close_input();
  // Closes its input, calls `on_line` with each line of output (without its newline) as it is
  // written, and returns the exit code, 128 + the signal when it was killed.
  int wait(const std::function<void(const std::string&)>& on_line);
  // Its process id (-1 once waited for).
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  bool sent_ = false;
};

}  // namespace sm::util

#include "util/subprocess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace sm::util {

int run_process(const ProcessSpec& spec, const std::function<void(const std::string&)>& on_line) {
  if (spec.argv.empty()) throw std::runtime_error("no program to run");
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : spec.env) replaced = replaced || k == name;
    if (!replaced) env_strings.push_back(std::move(entry));
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  int status_pipe[2];  // closed on exec; carries errno when exec fails
  if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    int err = 0;
    if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) err = errno;
    if (!err) {
      execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = write(status_pipe[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  close(fds[1]);
  close(status_pipe[1]);
  int child_errno = 0;
  ssize_t got = read(status_pipe[0], &child_errno, sizeof child_errno);
  close(status_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    close(fds[0]);
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot run " + spec.argv.front() + (spec.cwd.empty() ? "" : " in " + spec.cwd) +
                             ": " + std::strerror(child_errno));
  }
  std::string pending;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line(pending);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace sm::util

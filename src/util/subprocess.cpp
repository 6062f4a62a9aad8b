#include "util/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace sm::util {

Process::Process(const ProcessSpec& spec) {
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

  int out[2], in[2];
  int status_pipe[2];  // closed on exec; carries errno when exec fails
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
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
  close(out[1]);
  close(in[0]);
  close(status_pipe[1]);
  int child_errno = 0;
  ssize_t got = read(status_pipe[0], &child_errno, sizeof child_errno);
  close(status_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    close(out[0]);
    close(in[1]);
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot run " + spec.argv.front() + (spec.cwd.empty() ? "" : " in " + spec.cwd) +
                             ": " + std::strerror(child_errno));
  }
  pid_ = pid;
  in_ = in[1];
  out_ = out[0];
}

bool Process::send(std::string_view text) {
  if (in_ < 0) return false;
  sent_ = true;
  // A child that has ended closed its end: EPIPE, not a SIGPIPE that would end us.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  bool ok = true;
  while (!text.empty()) {
    ssize_t n = write(in_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  sigaction(SIGPIPE, &old, nullptr);
  return ok;
}

void Process::close_input() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

int Process::wait(const std::function<void(const std::string&)>& on_line) {
  close_input();
  if (pid_ < 0) return -1;
  std::string pending;
  char buf[8192];
  for (;;) {
    ssize_t n = read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line(pending);
  close(out_);
  out_ = -1;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

Process::~Process() {
  if (pid_ < 0) return;
  if (sent_) {
    wait([](const std::string&) {});
    return;
  }
  // Not told to go: stopped, and its output not read to the end (a child of its own may hold the
  // pipe open long after it has ended).
  close_input();
  ::kill(pid_, SIGTERM);
  close(out_);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace sm::util

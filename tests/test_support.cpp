#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace sm::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = fs::temp_directory_path() / ("safemigrate-test-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything writable again so that tests of unreadable files clean up.
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_symlink()) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& relative, const std::string& content) const {
  fs::path p = path_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

RunResult run_cli(const std::string& args) {
  return run_shell(fs::current_path(), shell_quote(SAFEMIGRATE_BINARY) + " " + args);
}

RunResult run_cli_in(const fs::path& cwd, const std::string& args) {
  return run_shell(cwd, shell_quote(SAFEMIGRATE_BINARY) + " " + args);
}

RunResult run_shell(const fs::path& cwd, const std::string& command) {
  TempDir tmp;
  fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  std::string cmd = "cd " + shell_quote(cwd.string()) + " && { " + command + " ; } >" +
                    shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

RunResult run_cli_as_nobody(const std::string& args) {
  // The shell opens the output files as the caller; only the binary runs as nobody.
  return run_shell(fs::current_path(), "setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                           shell_quote(SAFEMIGRATE_BINARY) + " " + args);
}

std::vector<Expectation> python_expectations(const fs::path& root) {
  std::vector<Expectation> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".py") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::istringstream in(read_file(path));
    std::string line;
    for (uint32_t n = 1; std::getline(in, line); ++n) {
      for (const std::string tag : {"# expect:", "# expect-online:", "# expect-project:"}) {
        size_t at = line.find(tag);
        if (at == std::string::npos) continue;
        bool online = tag == "# expect-online:", project = tag == "# expect-project:";
        std::stringstream rules(line.substr(at + tag.size()));
        for (std::string rule; std::getline(rules, rule, ',');) {
          rule.erase(0, rule.find_first_not_of(' '));
          rule.erase(rule.find_last_not_of(' ') + 1);
          if (rule.empty()) continue;
          std::string source = fs::relative(path, root).string();
          if (project)
            out.push_back({"project", 0, rule, false, source});
          else
            out.push_back({source, n, rule, online, source});
        }
      }
    }
  }
  return out;
}

fs::path source_dir() {
  return SAFEMIGRATE_SOURCE_DIR;
}
fs::path build_dir() {
  return SAFEMIGRATE_BUILD_DIR;
}
fs::path shared_dir() {
  return fs::weakly_canonical(fs::path(SAFEMIGRATE_SHARED_DIR));
}

}  // namespace sm::test

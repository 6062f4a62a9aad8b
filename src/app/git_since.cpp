#include "app/git_since.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "app/framework.h"
#include "checks/registry.h"
#include "model/errors.h"
#include "report/sanitize.h"

namespace sm::app {

namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct GitResult {
  int status = -1;
  std::string out, err;
};

// git -C cwd ARGS…, stdout captured, stderr kept for messages.
GitResult git(const fs::path& cwd, const std::vector<std::string>& args) {
  char err_name[] = "/tmp/safemigrate-git-XXXXXX";
  int err_fd = mkstemp(err_name);
  if (err_fd < 0) throw model::InputError("--since: cannot create a temporary file for git's messages");
  close(err_fd);
  std::string cmd = "git -C " + quote(cwd.string());
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>" + quote(err_name) + " </dev/null";
  GitResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) {
    unlink(err_name);
    throw model::InputError("--since: cannot run git (is it installed?)");
  }
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_name);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  unlink(err_name);
  while (!r.err.empty() && (r.err.back() == '\n' || r.err.back() == '\r')) r.err.pop_back();
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end; (end = s.find('\0', begin)) != std::string::npos; begin = end + 1)
    out.push_back(s.substr(begin, end - begin));
  return out;
}

// The first line the change touches in the new file, from `git diff -U0`'s first hunk header.
uint32_t first_changed_line(const fs::path& top, const std::string& base, const std::string& rel) {
  GitResult r = git(top, {"diff", "-U0", "--no-color", "--no-ext-diff", base, "--", rel});
  size_t at = r.out.find("\n@@ -");
  if (r.status != 0 || at == std::string::npos) return 1;
  size_t plus = r.out.find(" +", at + 5);
  if (plus == std::string::npos) return 1;
  unsigned long line = std::strtoul(r.out.c_str() + plus + 2, nullptr, 10);
  return line == 0 ? 1 : static_cast<uint32_t>(line);
}

const char* kShallowHelp =
    "fetch more history (git fetch --deepen=200, or git fetch --unshallow), or check out with the full "
    "history "
    "(GitHub Actions: actions/checkout with fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)";

}  // namespace

fs::path canonical_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

GitSince git_changes_since(const fs::path& cwd, const std::string& ref) {
  // An empty ref (an unset CI variable) would check nothing as "since" in silence; a control
  // character is in no git ref name (git check-ref-format), and a newline quoted in a message
  // would start a line of its own in a CI log ("::error …").
  if (ref.empty())
    throw model::InputError("--since: the git ref is empty (an unset CI variable?); give e.g. origin/main");
  for (unsigned char c : ref)
    if (c < 0x20 || c == 0x7f)
      throw model::InputError("--since \"" + report::printable(ref) +
                              "\": a git ref holds no control characters (newline, tab, escape…)");
  GitSince s;
  s.ref = ref;
  GitResult top = git(cwd, {"rev-parse", "--show-toplevel"});
  if (top.status != 0)
    throw model::InputError("--since " + ref + ": " + cwd.string() + " is not in a git repository (" +
                            top.err + ")");
  s.top = canonical_path(trim(top.out));
  bool shallow = trim(git(s.top, {"rev-parse", "--is-shallow-repository"}).out) == "true";

  GitResult commit = git(s.top, {"rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"});
  if (commit.status != 0) {
    if (shallow)
      throw model::InputError("--since " + ref + ": no commit named \"" + ref +
                              "\" in this clone, which is shallow (only the latest commits were fetched), so "
                              "the migrations that existed at " +
                              ref + " cannot be known; " + kShallowHelp +
                              " (a branch may also simply not have been fetched: git fetch origin BRANCH)");
    throw model::InputError("--since " + ref + ": no commit named \"" + ref +
                            "\" in this repository (a branch, tag or commit id; for a remote branch fetch it "
                            "first, e.g. git fetch origin main, and use origin/main)");
  }
  // What this branch added: compared with the merge base, so that migrations merged into REF
  // meanwhile are neither "added" here nor "deleted" by this branch.
  GitResult base = git(s.top, {"merge-base", trim(commit.out), "HEAD"});
  if (base.status != 0) {
    if (shallow)
      throw model::InputError("--since " + ref + ": " + ref +
                              " and HEAD have no common commit in this clone, which is shallow; " +
                              kShallowHelp);
    throw model::InputError("--since " + ref + ": " + ref + " and HEAD have no common history");
  }
  s.base = trim(base.out);

  // Committed and uncommitted changes against the base (the working tree as it is now).
  GitResult diff = git(s.top, {"diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", s.base, "--"});
  if (diff.status != 0) throw model::InputError("--since " + ref + ": git diff failed: " + diff.err);
  std::vector<std::string> fields = split_nul(diff.out);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    char status = fields[i].empty() ? '?' : fields[i][0];
    fs::path path = canonical_path((s.top / fields[i + 1]).string());
    if (status == 'A') {
      s.added.insert(path);
    } else if (status == 'M' || status == 'D' || status == 'T') {
      GitChange c;
      c.status = status;
      c.path = path;
      if (status != 'D') c.first_line = first_changed_line(s.top, s.base, fields[i + 1]);
      s.changed.push_back(std::move(c));
    }
  }
  GitResult untracked = git(s.top, {"ls-files", "-z", "--others", "--exclude-standard"});
  for (const auto& rel : split_nul(untracked.out)) s.added.insert(canonical_path((s.top / rel).string()));
  return s;
}

std::vector<model::Finding> edited_migration_findings(const GitSince& since,
                                                      const std::vector<model::MigrationSet>& sets) {
  const checks::Rule* rule = checks::find_rule("migration-edited-after-merge");
  // Migration files by path, and the folders migrations live in (for deleted files).
  std::map<fs::path, const model::Migration*> by_file;
  std::map<fs::path, const Framework*> folders;
  for (const auto& set : sets)
    for (const auto& m : set.migrations) {
      const model::SourceFile* f = m.main_file();
      if (!f) continue;
      fs::path p = canonical_path(f->path);
      by_file[p] = &m;
      const Framework& fw = framework_of(set);
      folders[fw.migrations_folder(p)] = &fw;
    }
  std::vector<model::Finding> out;
  for (const GitChange& c : since.changed) {
    model::Finding f;
    f.rule = std::string(rule->doc.id);
    f.severity = rule->doc.severity;
    f.help = std::string(rule->doc.fix);
    f.loc.file = c.path.string();
    auto it = by_file.find(c.path);
    if (it != by_file.end()) {
      f.migration = it->second->id;
      f.loc.line = c.first_line;
      f.loc.column = 1;
      f.message = fmt::format("migration {} existed at {} and was {} since (first change at line {})",
                              f.migration, since.ref, c.status == 'T' ? "replaced" : "edited", c.first_line);
      out.push_back(std::move(f));
      continue;
    }
    if (c.status != 'D') continue;
    // A deleted file was a migration when the framework of the folder it was in says its name is one.
    std::optional<DeletedMigration> deleted;
    for (const Framework* fw : frameworks())
      if (auto d = fw->deleted_migration(c.path); d && !deleted) {
        auto in = folders.find(d->folder);
        if (in != folders.end() && in->second == fw) deleted = std::move(d);
      }
    if (!deleted) continue;
    f.migration = deleted->id;
    f.message = fmt::format("migration {} existed at {} and was deleted since", f.migration, since.ref);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sm::app

#include "app/fix_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "app/framework.h"
#include "app/git_since.h"
#include "checks/registry.h"
#include "db/database.h"
#include "report/sanitize.h"
#include "util/file_read.h"
#include "util/subprocess.h"
#include "util/utf8.h"

namespace fs = std::filesystem;

namespace sm::app {

namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < s.size()) {
    size_t end = s.find('\n', begin);
    if (end == std::string::npos) end = s.size() - 1;
    out.push_back(s.substr(begin, end - begin + 1));
    begin = end + 1;
  }
  return out;
}

std::string diff_line(char mark, const std::string& line) {
  std::string out(1, mark);
  out += line;
  if (out.back() != '\n') out += "\n\\ No newline at end of file\n";
  return out;
}

// Runs git in `dir`; the exit code, and its output lines.
int git(const fs::path& dir, std::vector<std::string> args, std::vector<std::string>& lines) {
  util::ProcessSpec spec;
  spec.argv = {"git", "-c", "core.quotePath=false", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  lines.clear();
  util::Process p(spec);
  return p.wait([&](const std::string& l) { lines.push_back(l); });
}

// Where a migration may have run, or "" when it cannot have.
struct Eligibility {
  std::optional<GitSince> since;
  // Per framework (by name): the ids in its history table of --database-url.
  std::map<std::string, std::set<std::string>> recorded;
  std::optional<db::Database> database;
  // Without --since and --database-url: the files committed at HEAD, per repository top.
  std::map<fs::path, std::set<fs::path>> committed;

  std::string may_have_run(const Framework& fw, const model::Migration& m, const fs::path& file) {
    if (database) {
      auto it = recorded.find(fw.name());
      if (it == recorded.end()) it = recorded.emplace(fw.name(), fw.recorded_migrations(*database)).first;
      if (it->second.count(m.id)) return "it is recorded in the history table of --database-url";
    }
    if (since) {
      if (!since->added.count(file)) return "it existed at " + since->ref + " (--since), so it may have run";
      return {};
    }
    if (database) return {};
    std::vector<std::string> lines;
    fs::path dir = file.parent_path();
    if (git(dir, {"rev-parse", "--show-toplevel"}, lines) != 0 || lines.empty())
      throw std::runtime_error(fmt::format(
          "{}: not in a git repository, so which migrations are new cannot be known; give --since REF or "
          "--database-url URL",
          report::printable(dir.string())));
    fs::path top = canonical_path(lines.front());
    auto it = committed.find(top);
    if (it == committed.end()) {
      std::set<fs::path> files;
      std::vector<std::string> head;
      if (git(top, {"rev-parse", "--verify", "--quiet", "HEAD"}, head) == 0) {  // else: no commit yet
        if (git(top, {"ls-tree", "-r", "--full-name", "--name-only", "HEAD"}, lines) != 0)
          throw std::runtime_error("git ls-tree HEAD failed in " + report::printable(top.string()));
        for (const std::string& l : lines) files.insert(canonical_path((top / l).string()));
      }
      it = committed.emplace(top, std::move(files)).first;
    }
    if (it->second.count(file)) return "it is committed in git (HEAD), so it may have run somewhere";
    return {};
  }
};

std::string json_string(std::string_view s) {
  std::string v = util::valid_utf8(s);
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += c;
    }
  }
  return out + "\"";
}

// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
void write_atomically(const fs::path& path, const std::string& bytes) {
  fs::path tmp = path.parent_path() / (".safemigrate-fix-" + std::to_string(getpid()) + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + report::printable(tmp.string()));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot replace " + report::printable(path.string()) + ": " + ec.message());
  }
}

// Whether a rule's findings are `fix`'s to rewrite: the rule says how in its `.autofix`.
bool fixable(std::string_view rule) {
  const checks::Rule* r = checks::find_rule(rule);
  return r && !r->doc.autofix.empty();
}

}  // namespace

std::string fixable_rules_line() {
  std::string out;
  for (const checks::Rule* r : checks::all_rules())
    if (!r->doc.autofix.empty()) out += std::string(out.empty() ? " " : ", ") + std::string(r->doc.id);
  return out;
}

std::string unified_diff(const std::string& path, const std::string& before, const std::string& after,
                         bool before_exists) {
  if (before == after && before_exists) return {};
  std::vector<std::string> a = split_lines(before), b = split_lines(after);
  // Longest common subsequence of lines (migration files are small).
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Op {
    char kind;  // ' ', '-', '+'
    size_t ai, bi;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j])
      ops.push_back({' ', i++, j++});
    else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]))
      ops.push_back({'-', i++, j});
    else
      ops.push_back({'+', i, j++});
  }
  std::string out = before_exists ? "--- a/" + path + "\n" : "--- /dev/null\n";
  out += "+++ b/" + path + "\n";
  const size_t ctx = 3;
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    size_t start = k >= ctx ? k - ctx : 0;
    size_t end = k;  // extend while changes are within 2*ctx of each other
    size_t last_change = k;
    while (end < ops.size()) {
      if (ops[end].kind != ' ') last_change = end;
      if (end - last_change > 2 * ctx) break;
      ++end;
    }
    end = std::min(ops.size(), last_change + ctx + 1);
    size_t a_start = ops[start].ai, b_start = ops[start].bi, a_len = 0, b_len = 0;
    std::string body;
    for (size_t x = start; x < end; ++x) {
      const Op& o = ops[x];
      if (o.kind != '+') ++a_len;
      if (o.kind != '-') ++b_len;
      body += diff_line(o.kind, o.kind == '+' ? b[o.bi] : a[o.ai]);
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", a_len ? a_start + 1 : a_start, a_len,
                       b_len ? b_start + 1 : b_start, b_len);
    out += body;
    k = end;
  }
  return out;
}

int run_fix(const FixOptions& options, std::ostream& out, std::ostream& err) {
  try {
    CheckOptions co = options.check;
    co.table_sizes = false;
    co.database_url.clear();
    co.jobs = co.jobs ? co.jobs : 1;
    Eligibility elig;
    if (!options.check.since.empty()) elig.since = git_changes_since(fs::current_path(), options.check.since);
    if (!options.database_url.empty()) elig.database.emplace(options.database_url);
    FixSettings settings;
    settings.lock_timeout = options.lock_timeout;
    settings.max_file_size = co.max_file_size;

    std::vector<MigrationFix> plans, all;
    std::vector<MigrationFix> settled;  // fixed in the first round only (Framework::fix_rereads)
    struct Refused {
      std::string migration, file, why;
      std::set<std::string> rules;
    };
    std::vector<Refused> refused;
    // A fix can change what the project as a whole does (a file now sets lock_timeout, so the
    // project's habit does too), which makes the rules ask more of the other files: fix again until
    // nothing changes (at most three rounds), so that a second `fix` changes nothing.
    for (int round = 0;; ++round) {
      CheckRun run = run_check(co, nullptr);
      if (run.input_error) {
        for (const model::Finding& f : run.findings)
          if (f.rule == "input-error")
            err << "safemigrate fix: " << report::printable(f.loc.file) << ": "
                << report::printable(f.message) << "\n";
        err << "safemigrate fix: nothing was changed: the input could not be read\n";
        return 2;
      }
      plans.clear();
      refused.clear();
      for (const model::MigrationSet& set : run.sets) {
        const Framework& fw = framework_for({set.source});
        std::vector<FixTarget> targets;
        for (size_t mi = 0; mi < set.migrations.size(); ++mi) {
          const model::Migration& m = set.migrations[mi];
          const model::SourceFile* main = m.main_file();
          if (!main) continue;
          FixTarget t{mi, {}};
          std::set<std::string> rules;
          for (const model::Finding& f : run.findings)
            if (f.migration == m.id && f.loc.file == main->path && !f.suppressed && fixable(f.rule)) {
              t.findings.push_back(&f);
              rules.insert(f.rule);
            }
          if (t.findings.empty()) continue;
          std::string why = elig.may_have_run(fw, m, canonical_path(main->path));
          if (!why.empty()) {
            refused.push_back({m.id, main->path, why, rules});
            continue;
          }
          targets.push_back(std::move(t));
        }
        // A framework whose input does not show what fix wrote is fixed in the first round only.
        if (targets.empty() || (round > 0 && !fw.fix_rereads())) continue;
        for (MigrationFix& mf : fw.fix(set, targets, settings)) {
          if (!fw.fix_rereads()) settled.push_back(mf);
          for (const FixFile& f : mf.files)
            if (f.created && fs::exists(f.path))
              throw std::runtime_error(fmt::format("{}: the file {} that fix would create exists already",
                                                   report::printable(mf.file), report::printable(f.path)));
          plans.push_back(std::move(mf));
        }
      }

      bool changed = false;
      for (const MigrationFix& p : plans) changed = changed || !p.changes.empty();
      if (!options.dry_run) {
        // Every new file first (each written atomically), then the originals.
        for (int pass = 0; pass < 2; ++pass)
          for (const MigrationFix& p : plans)
            for (const FixFile& f : p.files)
              if (f.created == (pass == 0)) {
                if (f.created) fs::create_directories(fs::path(f.path).parent_path());
                write_atomically(f.path, f.after);
              }
      }
      for (const MigrationFix& p : plans) all.push_back(p);
      if (options.dry_run || !changed || round == 2) {
        if (round > 0) plans.insert(plans.end(), settled.begin(), settled.end());
        break;
      }
    }
    // Output.
    // Changes and files: every round's; what is left: the last round's.
    size_t left = 0;
    for (const MigrationFix& p : plans) left += p.left.size();
    if (options.format == "json") {
      out << "{\"dry_run\": " << (options.dry_run ? "true" : "false") << ", \"changes\": [";
      bool first = true;
      for (const MigrationFix& p : all)
        for (const FixChange& c : p.changes) {
          out << (first ? "" : ", ") << "{\"migration\": " << json_string(p.migration)
              << ", \"file\": " << json_string(p.file) << ", \"line\": " << c.line
              << ", \"rule\": " << json_string(c.rule) << ", \"change\": " << json_string(c.what)
              << ", \"into\": " << json_string(c.into) << "}";
          first = false;
        }
      out << "], \"files\": [";
      first = true;
      for (const MigrationFix& p : all)
        for (const FixFile& f : p.files) {
          out << (first ? "" : ", ") << "{\"path\": " << json_string(f.path) << ", \"action\": \""
              << (f.created ? "created" : "modified") << "\"}";
          first = false;
        }
      out << "], \"left\": [";
      first = true;
      for (const MigrationFix& p : plans)
        for (const FixLeft& l : p.left) {
          out << (first ? "" : ", ") << "{\"migration\": " << json_string(p.migration)
              << ", \"file\": " << json_string(p.file) << ", \"line\": " << l.line
              << ", \"rule\": " << json_string(l.rule) << ", \"reason\": " << json_string(l.why) << "}";
          first = false;
        }
      out << "], \"untouched\": [";
      first = true;
      for (const Refused& r : refused) {
        std::string rules;
        for (const std::string& rule : r.rules) rules += (rules.empty() ? "" : ", ") + json_string(rule);
        out << (first ? "" : ", ") << "{\"migration\": " << json_string(r.migration)
            << ", \"file\": " << json_string(r.file) << ", \"rules\": [" << rules
            << "], \"reason\": " << json_string(r.why) << "}";
        first = false;
      }
      out << "]}\n";
    } else {
      for (const MigrationFix& p : all)
        for (const FixChange& c : p.changes)
          out << report::printable(p.file) << ":" << c.line << ": " << c.rule << ": "
              << (options.dry_run ? "would fix: " : "fixed: ") << report::printable(c.what) << " ("
              << report::printable(c.into) << ")\n";
      for (const MigrationFix& p : plans)
        for (const FixLeft& l : p.left)
          out << report::printable(p.file) << ":" << l.line << ": " << l.rule
              << ": left as written: " << report::printable(l.why) << "\n";
      for (const Refused& r : refused) {
        if (!options.list_untouched) break;
        std::string list;
        for (const std::string& rule : r.rules) list += (list.empty() ? "" : ", ") + rule;
        out << report::printable(r.file) << ": not touched (" << list << "): " << report::printable(r.why)
            << "\n";
      }
    }
    if (options.dry_run) {
      if (options.format != "json")
        for (const MigrationFix& p : plans)
          for (int pass = 0; pass < 2; ++pass)  // the original first, then the new files
            for (const FixFile& f : p.files)
              if (f.created == (pass == 1)) out << unified_diff(f.path, f.before, f.after, !f.created);
    }
    if (options.format != "json") {
      // New migrations: a Prisma folder's migration.sql, a Django migration file.
      size_t changes = 0, created = 0, migrations = 0;
      for (const MigrationFix& p : all) {
        migrations += p.changes.empty() ? 0 : 1;
        changes += p.changes.size();
        for (const FixFile& f : p.files) created += f.created ? 1 : 0;
      }
      out << fmt::format("fix: {} {} in {} {}, {} new {}{}; {} left as written\n", changes,
                         changes == 1 ? "change" : "changes", migrations,
                         migrations == 1 ? "migration" : "migrations", created,
                         created == 1 ? "migration" : "migrations",
                         options.dry_run ? " (dry run: nothing written)" : "", left);
      if (!refused.empty())
        out << fmt::format("fix: {} {} with fixable findings not touched: {} may have run somewhere{}\n",
                           refused.size(), refused.size() == 1 ? "migration" : "migrations",
                           refused.size() == 1 ? "it" : "they",
                           options.list_untouched ? "" : " (--list-untouched names them)");
    }
    return left > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    err << "safemigrate fix: " << report::printable(e.what()) << "\n";
    return 2;
  }
}

std::string fix_how(std::string_view rule) {
  const checks::Rule* r = checks::find_rule(rule);
  return r ? std::string(r->doc.autofix) : std::string();
}

}  // namespace sm::app

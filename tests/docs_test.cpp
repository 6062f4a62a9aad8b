// The docs are tested (issue 26): every shell example in README.md, docs/*.md and
// adapters/django/README.md runs as written, on a copy of fixtures/, with the exit code the doc
// says (and, in a `console` example, the output it shows); every command, option, config key and
// rule id the docs name exists.
//
// A shell example (```sh, ```bash, ```shell or ```console) carries an HTML comment on the line
// before its fence, which a rendered page does not show:
//   <!-- docs-test: exit 0 1 -->               run; each command's exit code (one number: all)
//   <!-- docs-test: db, exit 0 -->             the same with $DATABASE_URL (and $COPY_URL for
//                                              rehearse) naming a fresh database
//   <!-- docs-test: in fixtures/prisma/shop, exit 0 -->   the working folder (inside the copy)
//   <!-- docs-test: not run: REASON -->        not runnable here, and why
// An example without one fails the test, so new docs cannot drift in silence. In a `console`
// example, `$ ` starts a command and the lines up to the next command are its output (stdout
// and stderr), compared line by line; `…` in an expected line matches any text, and a line that
// is only `…` any number of lines.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.h"
#include "pg_cluster.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace sm::test {
namespace {

struct Block {
  std::string file;  // relative to the source folder
  int line = 0;      // the opening fence's line
  std::string lang;
  bool marked = false;
  std::string marker;  // the text inside <!-- docs-test: … -->
  std::vector<std::string> body;
};

std::vector<std::string> markdown_files() {
  std::vector<std::string> files = {"README.md", "adapters/django/README.md"};
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(source_dir() / "docs"))
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  std::sort(docs.begin(), docs.end());
  files.insert(files.end(), docs.begin(), docs.end());
  return files;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<Block> blocks_of(const std::string& file) {
  std::vector<std::string> lines = lines_of(read_file(source_dir() / file));
  std::vector<Block> out;
  const std::string open = "<!-- docs-test:";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("```", 0) != 0) continue;
    Block b;
    b.file = file;
    b.line = static_cast<int>(i + 1);
    b.lang = trim(lines[i].substr(3));
    if (i > 0) {
      std::string prev = trim(lines[i - 1]);
      if (prev.rfind(open, 0) == 0 && prev.size() >= open.size() + 3 &&
          prev.compare(prev.size() - 3, 3, "-->") == 0) {
        b.marked = true;
        b.marker = trim(prev.substr(open.size(), prev.size() - open.size() - 3));
      }
    }
    size_t j = i + 1;
    for (; j < lines.size() && lines[j].rfind("```", 0) != 0; ++j) b.body.push_back(lines[j]);
    out.push_back(b);
    i = j;
  }
  return out;
}

bool is_shell(const Block& b) {
  return b.lang == "sh" || b.lang == "bash" || b.lang == "shell" || b.lang == "console";
}

std::vector<Block> all_blocks() {
  std::vector<Block> out;
  for (const auto& f : markdown_files())
    for (auto& b : blocks_of(f)) out.push_back(std::move(b));
  return out;
}

// A marker, read: how to run the example, or why it is not run.
struct Plan {
  bool run = false;
  std::string not_run_reason;
  bool database = false;
  std::string cwd;  // relative to the work folder
  std::vector<int> exits;
  std::string error;  // what is wrong with the marker
};

Plan plan_of(const Block& b) {
  Plan p;
  if (!b.marked) {
    p.error = "no <!-- docs-test: … --> marker before the fence (exit codes, or `not run: REASON`)";
    return p;
  }
  if (b.marker.rfind("not run:", 0) == 0) {
    p.not_run_reason = trim(b.marker.substr(8));
    if (p.not_run_reason.empty()) p.error = "`not run:` without a reason";
    return p;
  }
  p.run = true;
  std::istringstream parts(b.marker);
  std::string part;
  while (std::getline(parts, part, ',')) {
    part = trim(part);
    if (part == "db") {
      p.database = true;
    } else if (part.rfind("in ", 0) == 0) {
      p.cwd = trim(part.substr(3));
    } else if (part.rfind("exit ", 0) == 0) {
      std::istringstream codes(part.substr(5));
      int c;
      while (codes >> c) p.exits.push_back(c);
      if (!codes.eof() || p.exits.empty()) p.error = "bad exit codes: " + part;
    } else {
      p.error = "unknown marker part: " + part;
    }
  }
  if (p.exits.empty() && p.error.empty()) p.error = "no `exit N` in the marker";
  return p;
}

struct Command {
  std::string text;
  std::vector<std::string> expected;  // console examples only
  bool compare_output = false;
};

// The commands of an example: in `console`, lines starting with `$ ` (and their output); else
// every line that is not blank or a comment. A trailing backslash continues a command.
std::vector<Command> commands_of(const Block& b) {
  std::vector<Command> out;
  bool console = b.lang == "console";
  bool continued = false;
  for (const auto& raw : b.body) {
    std::string l = raw;
    if (continued) {
      out.back().text += "\n" + l;
    } else if (console) {
      if (l.rfind("$ ", 0) == 0) {
        out.push_back({l.substr(2), {}, true});
      } else if (!out.empty()) {
        out.back().expected.push_back(l);
        continue;
      }
    } else {
      std::string t = trim(l);
      if (t.empty() || t[0] == '#') continue;
      out.push_back({l, {}, false});
    }
    continued = !l.empty() && l.back() == '\\';
  }
  return out;
}

// `…` matches any text within a line; a line that is only `…`, any number of lines.
bool line_matches(const std::string& want, const std::string& got) {
  const std::string ell = "…";
  size_t cut = want.find(ell);
  if (cut == std::string::npos) return want == got;
  std::string head = want.substr(0, cut), tail = want.substr(cut + ell.size());
  if (got.compare(0, head.size(), head) != 0) return false;
  for (size_t k = head.size(); k <= got.size(); ++k)
    if (line_matches(tail, got.substr(k))) return true;
  return false;
}

bool output_matches(const std::vector<std::string>& want, size_t wi, const std::vector<std::string>& got,
                    size_t gi) {
  if (wi == want.size()) return gi == got.size();
  if (trim(want[wi]) == "…") {
    for (size_t k = gi; k <= got.size(); ++k)
      if (output_matches(want, wi + 1, got, k)) return true;
    return false;
  }
  return gi < got.size() && line_matches(want[wi], got[gi]) && output_matches(want, wi + 1, got, gi + 1);
}

// A working folder like a user's: a copy of fixtures/ (examples may write there), adapters/ for
// the Django exporter, and `safemigrate` on PATH (and as ./build/safemigrate).
struct Workspace {
  TempDir dir;
  Workspace() {
    fs::copy(source_dir() / "fixtures", dir.path() / "fixtures", fs::copy_options::recursive);
    fs::create_directory_symlink(source_dir() / "adapters", dir.path() / "adapters");
    fs::create_directories(dir.path() / ".bin");
    fs::create_symlink(SAFEMIGRATE_BINARY, dir.path() / ".bin" / "safemigrate");
    fs::create_directories(dir.path() / "build");  // the quick start's ./build/safemigrate
    fs::create_symlink(SAFEMIGRATE_BINARY, dir.path() / "build" / "safemigrate");
  }
};

std::string normalise(std::string s, const fs::path& work) {
  for (const std::string& p : {fs::canonical(work).string(), work.string()}) {
    size_t at;
    while ((at = s.find(p)) != std::string::npos) s.replace(at, p.size(), "<work>");
  }
  return s;
}

TEST(Docs, EveryShellExampleIsMarked) {
  int shell = 0;
  for (const auto& b : all_blocks()) {
    if (!is_shell(b)) continue;
    ++shell;
    Plan p = plan_of(b);
    EXPECT_TRUE(p.error.empty()) << b.file << ":" << b.line << ": " << p.error;
    if (p.run) {
      EXPECT_FALSE(commands_of(b).empty()) << b.file << ":" << b.line << ": no command in the example";
      size_t n = commands_of(b).size();
      EXPECT_TRUE(p.exits.size() == 1 || p.exits.size() == n)
          << b.file << ":" << b.line << ": " << p.exits.size() << " exit codes for " << n << " commands";
    }
  }
  EXPECT_GE(shell, 10) << "the docs' shell examples were not found";
}

// Every example marked to run runs, each command with its exit code and shown output.
TEST(Docs, ShellExamplesRunAsDocumented) {
  std::vector<Block> runnable;
  for (const auto& b : all_blocks())
    if (is_shell(b) && plan_of(b).run && plan_of(b).error.empty()) runnable.push_back(b);
  ASSERT_GE(runnable.size(), 4u);
  std::unique_ptr<PgCluster> pg;
  int databases = 0;
  for (const auto& b : runnable) {
    SCOPED_TRACE(b.file + ":" + std::to_string(b.line));
    Plan p = plan_of(b);
    if (p.database) {
      if (!pg) {
        SM_REQUIRE_PG();
        pg = std::make_unique<PgCluster>();
      }
    }
    Workspace w;
    fs::path cwd = w.dir.path() / p.cwd;
    ASSERT_TRUE(fs::is_directory(cwd)) << p.cwd;
    std::vector<Command> cmds = commands_of(b);
    // One shell for the example (an `export` or `cd` carries to the next command), each command's
    // output and exit code to its own file in .out.
    fs::path outdir = w.dir.path() / ".out";
    fs::create_directories(outdir);
    auto at = [&](size_t i, const char* ext) {
      return shell_quote((outdir / (std::to_string(i) + ext)).string());
    };
    std::string script =
        "export PATH=" + shell_quote((w.dir.path() / ".bin").string()) + ":\"$PATH\" NO_COLOR=1\n";
    // $DATABASE_URL for the history commands, $COPY_URL for rehearse's copy: one fresh database.
    if (p.database) {
      std::string url = shell_quote(pg->create_database("docs" + std::to_string(++databases)));
      script += "export DATABASE_URL=" + url + " COPY_URL=" + url + "\n";
    } else {
      script += "unset DATABASE_URL COPY_URL\n";
    }
    script += "cd " + shell_quote(cwd.string()) + "\n";
    for (size_t i = 0; i < cmds.size(); ++i)
      script += "{\n" + cmds[i].text + "\n} >" + at(i, ".out") + " 2>&1 </dev/null; echo $? >" +
                at(i, ".rc") + "\n";
    std::ofstream(outdir / "script.sh") << script;
    RunResult r = run_shell(w.dir.path(), "bash .out/script.sh");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (size_t i = 0; i < cmds.size(); ++i) {
      std::string out = read_file(outdir / (std::to_string(i) + ".out"));
      std::string rc = trim(read_file(outdir / (std::to_string(i) + ".rc")));
      int want = p.exits.size() == 1 ? p.exits[0] : p.exits[i];
      EXPECT_EQ(rc, std::to_string(want)) << "$ " << cmds[i].text << "\n" << out;
      if (cmds[i].compare_output) {
        std::vector<std::string> got = lines_of(normalise(out, w.dir.path()));
        std::vector<std::string> want_lines = cmds[i].expected;
        while (!want_lines.empty() && trim(want_lines.back()).empty()) want_lines.pop_back();
        while (!got.empty() && trim(got.back()).empty()) got.pop_back();
        std::string shown;
        for (const auto& l : want_lines) shown += l + "\n";
        EXPECT_TRUE(output_matches(want_lines, 0, got, 0)) << "$ " << cmds[i].text << "\n--- the doc shows:\n"
                                                           << shown << "--- it printed:\n"
                                                           << normalise(out, w.dir.path());
      }
    }
  }
}

// ---- names the docs use -------------------------------------------------------------------

std::string help(const std::string& args) {
  RunResult r = run_cli(args);
  return r.out + r.err;
}

std::set<std::string> commands_from_help() {
  std::set<std::string> out;
  std::regex line(R"(^  ([a-z][a-z-]*)\s)");
  for (const auto& l : lines_of(help("help"))) {
    std::smatch m;
    if (std::regex_search(l, m, line)) out.insert(m[1]);
  }
  return out;
}

std::set<std::string> options_in(const std::string& text) {
  std::set<std::string> out;
  std::regex opt(R"((^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*))");
  for (std::sregex_iterator it(text.begin(), text.end(), opt), end; it != end; ++it) out.insert((*it)[2]);
  return out;
}

// What the docs set in code: `code spans` and the lines of every fenced block but toml/json.
std::vector<std::pair<std::string, std::string>> code_of(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;  // (where, code)
  std::vector<std::string> lines = lines_of(read_file(source_dir() / file));
  bool fenced = false;
  std::string lang;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string where = file + ":" + std::to_string(i + 1);
    if (lines[i].rfind("```", 0) == 0) {
      fenced = !fenced;
      lang = fenced ? trim(lines[i].substr(3)) : "";
      continue;
    }
    if (fenced) {
      // A console example's output is what a program printed, not what the docs ask to run.
      if (lang == "console") {
        if (lines[i].rfind("$ ", 0) == 0) out.emplace_back(where, lines[i].substr(2));
      } else if (lang != "toml" && lang != "json" && lang != "") {
        out.emplace_back(where, lines[i]);
      }
      continue;
    }
    const std::string& l = lines[i];
    for (size_t a = l.find('`'); a != std::string::npos;) {
      size_t b = l.find('`', a + 1);
      if (b == std::string::npos) break;
      out.emplace_back(where, l.substr(a + 1, b - a - 1));
      a = l.find('`', b + 1);
    }
  }
  return out;
}

// Options of the Python side (export_plan.py, the wheel's manage.py commands, the bench script),
// read from their argparse calls: `"--name"` literals.
std::set<std::string> python_options() {
  std::set<std::string> out;
  for (const char* f : {"adapters/django/export_plan.py", "bench/rule_reach.py",
                        "packaging/python/safemigrate/management/commands/safemigrate.py",
                        "packaging/python/safemigrate/management/commands/safemigrate_export.py"}) {
    std::string text = read_file(source_dir() / f);
    std::regex lit(R"re("(--[a-z][a-z0-9-]*)")re");
    for (std::sregex_iterator it(text.begin(), text.end(), lit), end; it != end; ++it) out.insert((*it)[1]);
  }
  return out;
}

TEST(Docs, CommandsAndOptionsTheDocsNameExist) {
  std::set<std::string> commands = commands_from_help();
  ASSERT_TRUE(commands.count("check") && commands.count("rehearse")) << help("help");
  std::map<std::string, std::set<std::string>> options;
  std::set<std::string> every;
  for (const auto& c : commands) {
    options[c] = options_in(help("help " + c));
    every.insert(options[c].begin(), options[c].end());
  }
  for (const auto& o : options_in(help("--help"))) every.insert(o);
  std::set<std::string> python = python_options();
  // Other programs' options the docs show: cmake and ctest; npm; pip and venv; git; Django's
  // migrate and makemigrations; unshare and rm; squawk; apt; pg_dump; GitHub's gh; curl.
  const std::set<std::string> foreign = {"--build",
                                         "--target",
                                         "--schema-only",
                                         "--paginate",
                                         "--jq",
                                         "--data",
                                         "--test-dir",
                                         "--output-on-failure",
                                         "--save-dev",
                                         "--no-save",
                                         "--no-index",
                                         "--system-site-packages",
                                         "--deepen",
                                         "--depth",
                                         "--fake",
                                         "--check",
                                         "--mount",
                                         "--net",
                                         "--one-file-system",
                                         "--exclude",
                                         "--help",
                                         "--no-install-recommends"};
  std::regex invocation(R"((manage\.py )?\bsafemigrate ([a-z][a-z-]*)\b([^`|;&]*))");
  for (const auto& f : markdown_files()) {
    for (const auto& [where, code] : code_of(f)) {
      for (std::sregex_iterator it(code.begin(), code.end(), invocation), end; it != end; ++it) {
        const auto& m = *it;
        std::string cmd = m[2];
        if (cmd == "help" && !commands.count("help")) continue;
        // "safemigrate reads", prose inside a code span, is not a command: only words the
        // program lists, or one word alone, are taken as commands.
        std::string after = m[3];
        if (!commands.count(cmd)) {
          ADD_FAILURE() << where << ": `safemigrate " << cmd << "` is not a command (" << code << ")";
          continue;
        }
        for (const auto& o : options_in(after)) {
          bool ok = options[cmd].count(o) || (m[1].matched && python.count(o));
          EXPECT_TRUE(ok) << where << ": `safemigrate " << cmd << "` has no option " << o << " (" << code
                          << ")";
        }
      }
      for (const auto& o : options_in(code))
        EXPECT_TRUE(every.count(o) || python.count(o) || foreign.count(o))
            << where << ": no command has the option " << o << " (" << code << ")";
    }
  }
}

std::set<std::string> rules_from_cli() {
  std::set<std::string> out;
  std::regex id(R"(^([a-z][a-z0-9]*(-[a-z0-9]+)+)\s)");
  for (const auto& l : lines_of(help("rules"))) {
    std::smatch m;
    if (std::regex_search(l, m, id)) out.insert(m[1]);
  }
  return out;
}

// Rule ids in `code` cells of a table's first column (tables headed "rule"), in the second
// column of docs/rules.md's squawk mapping, after `explain`, and after `safemigrate-ignore:`.
TEST(Docs, RuleIdsTheDocsNameExistAndTheReadmeListsEveryRule) {
  std::set<std::string> rules = rules_from_cli();
  ASSERT_GE(rules.size(), 30u) << help("rules");
  std::regex id_span(R"(`([a-z][a-z0-9]*(-[a-z0-9]+)+)`)");
  std::regex named(R"((explain|safemigrate-ignore:) ([a-z][a-z0-9]*(-[a-z0-9]+)+))");
  std::set<std::string> readme_table;
  for (const auto& f : markdown_files()) {
    std::vector<std::string> lines = lines_of(read_file(source_dir() / f));
    std::string header;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      std::string where = f + ":" + std::to_string(i + 1);
      if (l.rfind("|", 0) != 0) {
        header.clear();
      } else if (header.empty()) {
        header = l;
      } else if (l.rfind("|---", 0) != 0) {
        std::vector<std::string> cells;
        std::istringstream in(l.substr(1));
        std::string c;
        while (std::getline(in, c, '|')) cells.push_back(c);
        int column = -1;
        if (header.rfind("| rule |", 0) == 0) column = 0;
        if (header.rfind("| squawk rule | safemigrate |", 0) == 0) column = 1;
        if (column >= 0 && static_cast<size_t>(column) < cells.size()) {
          const std::string& cell = cells[column];
          for (std::sregex_iterator it(cell.begin(), cell.end(), id_span), end; it != end; ++it) {
            EXPECT_TRUE(rules.count((*it)[1])) << where << ": no rule " << (*it)[1];
            if (f == "README.md") readme_table.insert((*it)[1]);
          }
        }
      }
      for (std::sregex_iterator it(l.begin(), l.end(), named), end; it != end; ++it)
        if ((*it)[2] != "RULE") {
          EXPECT_TRUE(rules.count((*it)[2])) << where << ": no rule " << (*it)[2];
        }
    }
  }
  for (const auto& r : rules) EXPECT_TRUE(readme_table.count(r)) << "README.md's rule table lacks " << r;
}

// Every toml example is a config the reader accepts, and every key docs/config.md's tables name
// is one it reads.
TEST(Docs, ConfigExamplesAndKeysAreTheReaders) {
  std::vector<std::string> keys = config::config_keys();
  std::set<std::string> known(keys.begin(), keys.end());
  int tomls = 0;
  for (const auto& b : all_blocks()) {
    if (b.lang != "toml") continue;
    ++tomls;
    std::string text;
    for (const auto& l : b.body) text += l + "\n";
    TempDir root;
    try {
      config::parse_config(text, b.file + ":" + std::to_string(b.line), root.path());
    } catch (const std::exception& e) {
      ADD_FAILURE() << b.file << ":" << b.line
                    << ": the example is not a valid safemigrate.toml: " << e.what();
    }
  }
  EXPECT_GE(tomls, 2);
  std::regex key_span(R"(^\| `([a-z_.]+)`(, `([a-z_.]+)`)? \|)");
  int named = 0;
  for (const auto& l : lines_of(read_file(source_dir() / "docs/config.md"))) {
    std::smatch m;
    if (!std::regex_search(l, m, key_span)) continue;
    for (int g : {1, 3}) {
      if (!m[g].matched) continue;
      ++named;
      EXPECT_TRUE(known.count(m[g])) << "docs/config.md names the key " << m[g]
                                     << ", which the reader does not read";
    }
  }
  EXPECT_GE(named, 10);
  // And the other way: every key the reader reads is described in the Keys table or beside it.
  std::string text = read_file(source_dir() / "docs/config.md");
  for (const auto& k : keys) {
    std::string last = k.substr(k.find('.') == std::string::npos ? 0 : k.find('.') + 1);
    EXPECT_NE(text.find("`" + last + "`"), std::string::npos) << "docs/config.md does not describe " << k;
  }
}

// The JSON examples of docs/json-format.md are JSON.
TEST(Docs, JsonExamplesParse) {
  int n = 0;
  for (const auto& b : all_blocks()) {
    if (b.lang != "json") continue;
    ++n;
    std::string text;
    for (const auto& l : b.body) text += l + "\n";
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << b.file << ":" << b.line;
  }
  EXPECT_GE(n, 2);
}

}  // namespace
}  // namespace sm::test

// Every output format is valid for every input: JSON and SARIF are well-formed UTF-8 JSON, and
// text, github and list output pass no control byte (ESC, BEL, C1…) from the input to a terminal.
// Properties over seeded random byte strings (ill-formed UTF-8, overlong forms, surrogates,
// controls), through the reporters, through `check` on real folders, and through the binary.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <sstream>

#include "app/check_command.h"
#include "history_helpers.h"
#include "report/report.h"
#include "report/sanitize.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::run_cli;
using sm::test::shell_quote;
using sm::test::TempDir;

namespace {

// Pieces that break naive output: controls, ESC sequences, ill-formed and tricky UTF-8.
const std::vector<std::string> kNasty = {"\x1b[31m",
                                         "\x07",
                                         "\x1b]0;title\x07",
                                         "\x9b",
                                         "\xc2\x9b",
                                         "\xc2\x85",
                                         "\xe9",
                                         "\xff",
                                         "\xc0\x80",
                                         "\xc1\xbf",
                                         "\xe0\x80\x80",
                                         "\xed\xa0\x80",
                                         "\xed\xbf\xbf",
                                         "\xf4\x90\x80\x80",
                                         "\xf0\x9f\x98",
                                         "\xf8\x88\x80\x80\x80",
                                         "\x7f",
                                         "\r",
                                         "\n",
                                         "\t",
                                         "\"",
                                         "\\",
                                         "%",
                                         "::",
                                         ",",
                                         "\xe2\x80\xae",
                                         "\xf0\x9f\x98\x80",
                                         "\x00"};

std::string random_bytes(std::mt19937& rng, size_t max_len, bool allow_nul_and_slash) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> kind(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> pick(0, kNasty.size() - 1);
  std::string s;
  for (size_t n = len(rng); s.size() < n;) {
    switch (kind(rng)) {
      case 0: s += kNasty[pick(rng)]; break;
      case 1: s += static_cast<char>(byte(rng)); break;
      default: s += static_cast<char>('a' + byte(rng) % 26);
    }
  }
  if (!allow_nul_and_slash)
    for (char& c : s)
      if (c == '\0' || c == '/') c = '_';
  return s;
}

bool valid_utf8(const std::string& s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

void expect_json(const std::string& out, const std::string& what) {
  ASSERT_TRUE(valid_utf8(out)) << what;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << what << "\n" << out;
}

// No raw control byte a terminal would act on: C0 but \n and \t, DEL, and C1 (U+0080–U+009F as
// UTF-8, or as the raw bytes 0x80–0x9F, which valid UTF-8 only holds as continuation bytes).
void expect_terminal_safe(const std::string& out, const std::string& what) {
  ASSERT_TRUE(valid_utf8(out)) << what << "\n" << out;
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    bool control = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
    bool c1 = c == 0xc2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) <= 0x9f;
    ASSERT_FALSE(control || c1) << what << ": byte " << int(c) << " at " << i << "\n" << out;
  }
}

// Every format of `check` and `list` for one input.
void expect_every_format_valid(const sm::report::Input& in, const std::string& what) {
  std::ostringstream json, sarif, github, text, audit_text, audit_json;
  sm::report::write_json(json, in);
  sm::report::write_sarif(sarif, in);
  sm::report::write_github(github, in);
  sm::report::write_text(text, in, {.color = false, .show_suppressed = true});
  sm::report::write_audit_text(audit_text, in, true);
  sm::report::write_audit_json(audit_json, in, true);
  expect_json(json.str(), what + " json");
  expect_json(sarif.str(), what + " sarif");
  expect_json(audit_json.str(), what + " list json");
  // JSON escapes controls, C1 included: it is safe on a terminal as well.
  expect_terminal_safe(json.str() + sarif.str() + audit_json.str(), what + " json on a terminal");
  expect_terminal_safe(text.str(), what + " text");
  expect_terminal_safe(github.str(), what + " github");
  expect_terminal_safe(audit_text.str(), what + " list text");
}

TEST(Sanitize, DecodesWellFormedAndRejectsIllFormedUtf8) {
  using sm::report::valid_utf8;
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("SELEC \xe9;"), "SELEC " + fffd + ";");
  EXPECT_EQ(valid_utf8("\xc0\x80"), fffd + fffd) << "overlong NUL: two ill-formed bytes";
  EXPECT_EQ(valid_utf8("\xe0\x80\x80"), fffd + fffd + fffd) << "overlong three-byte form";
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), fffd + fffd + fffd) << "a surrogate";
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "above U+10FFFF";
  EXPECT_EQ(valid_utf8("\xf0\x9f\x98"), fffd) << "a truncated sequence is one maximal subpart";
  EXPECT_EQ(valid_utf8("\xe2\x82x"), fffd + "x");
}

TEST(Sanitize, PrintableShowsControlsAndBadBytesVisibly) {
  using sm::report::printable;
  EXPECT_EQ(printable("a\x1b[31mb\x07"), "a\\x1b[31mb\\x07");
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\u009b2J");
  EXPECT_EQ(printable("\xff\xe9"), "\\xff\\xe9");
  EXPECT_EQ(printable("a\nb\tc\r"), "a\\x0ab\\x09c\\x0d");
  EXPECT_EQ(printable("a\nb\tc\r", true), "a\nb\tc\\x0d");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sm::report::json_quote("\x1b\xe9\"\x7f"), "\"\\u001b\xef\xbf\xbd\\\"\\u007f\"");
}

// The reporters themselves: every field of every finding and set holds random bytes.
TEST(Sanitize, EveryFormatIsValidForRandomBytesInEveryField) {
  std::mt19937 rng(20261201);
  for (int iter = 0; iter < 400; ++iter) {
    auto r = [&](size_t n = 40) { return random_bytes(rng, n, true); };
    std::vector<sm::model::MigrationSet> sets(1);
    sets[0].source = r();
    sm::model::Migration m;
    m.id = r();
    m.files.push_back({r(), r()});
    m.checksum = r();
    m.scenarios.push_back({});
    m.scenarios.back().label = r();
    m.scenarios.back().reason = r();
    sm::model::Operation op;
    op.kind = r();
    sm::model::Statement st;
    st.text = r();
    op.statements.push_back(st);
    m.operations.push_back(op);
    sets[0].migrations.push_back(m);
    std::vector<sm::model::Finding> findings;
    for (int k = 0; k < 3; ++k) {
      sm::model::Finding f;
      f.rule = k == 0 ? "syntax-error" : r(20);
      f.severity = static_cast<sm::model::Severity>(k % 3);
      f.migration = m.id;
      f.operation = r();
      f.loc.file = r();
      f.loc.line = static_cast<uint32_t>(rng() % 4);
      f.loc.column = static_cast<uint32_t>(rng() % 60);
      f.statement = r(120);
      f.source_line = r(80);
      f.message = r(80);
      f.help = r();
      f.suppressed = k == 2;
      f.suppression_reason = r();
      f.table_size = k == 1 ? r(10) : "";
      findings.push_back(std::move(f));
    }
    sm::report::Input in{sets, findings, 1};
    expect_every_format_valid(in, "iteration " + std::to_string(iter));
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

// The whole of `check`: random folder names and random statement text in real files.
TEST(Sanitize, CheckOfRandomFolderNamesAndStatementsGivesValidOutput) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 60; ++iter) {
    TempDir d;
    std::string name;
    while (name.empty() || name == "." || name == ".." || name.size() > 200)
      name = "2024010100000" + std::to_string(iter % 10) + "_" + random_bytes(rng, 30, false);
    std::string sql = random_bytes(rng, 60, true) + ";\nCREATE INDEX i ON t" + random_bytes(rng, 8, false) +
                      " (a);\nSELECT '" + random_bytes(rng, 20, true) + "';\n";
    d.write("migrations/" + name + "/migration.sql", sql);
    sm::app::CheckOptions options;
    options.paths = {(d.path() / "migrations").string()};
    options.jobs = 1;
    sm::app::CheckRun run = sm::app::run_check(options, nullptr);
    ASSERT_FALSE(run.findings.empty()) << "the file has findings: a syntax error or an index";
    sm::report::Input in{run.sets, run.findings, run.statements};
    expect_every_format_valid(in, "folder " + sm::report::printable(name));
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

// The case, through the binary: `printf 'SELEC \xe9;\n'` in a folder named with ESC.
TEST(Sanitize, NonUtf8StatementAndEscapeInFolderNameThroughTheBinary) {
  TempDir d;
  d.write("migrations/20240101000000_a\x1b[2J\xff/migration.sql", "SELEC \xe9;\n");
  std::string dir = shell_quote((d.path() / "migrations").string());
  for (const char* format : {"json", "sarif"}) {
    auto r = run_cli(std::string("check --format ") + format + " " + dir);
    EXPECT_EQ(r.exit_code, 2) << format << r.err;
    expect_json(r.out, format);
  }
  for (const char* format : {"text", "github"}) {
    auto r = run_cli(std::string("check --format ") + format + " " + dir);
    EXPECT_EQ(r.exit_code, 2) << format << r.err;
    expect_terminal_safe(r.out + r.err, format);
    EXPECT_NE(r.out.find("20240101000000_a\\x1b[2J\\xff"), std::string::npos) << r.out;
    if (std::string(format) == "text") {
      EXPECT_NE(r.out.find("SELEC \\xe9"), std::string::npos) << r.out;
    }
  }
  auto r = run_cli("list --all " + dir);
  expect_terminal_safe(r.out + r.err, "list");
}

// The stream status, apply, resolve and rehearse write through: whole lines, whatever the writes.
TEST(Sanitize, PrintableStreamCleansWhatItIsGivenInPieces) {
  std::ostringstream to;
  {
    sm::report::PrintableStream out(to);
    out << "applying 2024_a\x1b[2J"
        << "\xc3";  // an \xc3\xa9 cut in two by the writes
    out << "\xa9\x07 done\n" << 42 << '\n' << "tail\x9b";
  }
  EXPECT_EQ(to.str(), "applying 2024_a\\x1b[2J\xc3\xa9\\x07 done\n42\ntail\\x9b");
}

// status and apply print migration names (folder names) through it.
TEST(Sanitize, HistoryCommandsShowFolderNamesVisibly) {
  SM_START_PG(pg);
  sm::test::PrismaProject p;
  p.add("20240101000000_a\x1b]0;owned\x07\xff", "CREATE TABLE \"a\" (\"id\" INTEGER);\n");
  for (const char* cmd : {"status", "apply --dry-run", "apply", "status", "verify"}) {
    sm::test::RunResult r = sm::test::sm_cli(cmd, pg.url(), p);
    expect_terminal_safe(r.out + r.err, cmd);
    EXPECT_NE(r.out.find("20240101000000_a\\x1b]0;owned\\x07\\xff"), std::string::npos)
        << cmd << r.out << r.err;
  }
}

}  // namespace

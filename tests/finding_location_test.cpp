// Findings whose place is unknown or odd — line 0, column 0, a line past the end of its file, a
// column past the end of its line — are cheap to report and reported sensibly in every format.
// (A Django operation with "line": null once made each finding pad with 4 GiB of spaces.)
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <sstream>

#include "json_tree.h"
#include "report/report.h"
#include "test_support.h"

namespace fs = std::filesystem;
using sm::test::Json;
using sm::test::run_cli_in;
using sm::test::TempDir;

namespace {

const char* const kFormats[] = {"text", "json", "sarif", "github"};

void expect_valid_json(const std::string& out, const std::string& what) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(out);
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(padded).get(doc), simdjson::SUCCESS) << what << ":\n" << out.substr(0, 2000);
}

std::string write_with(const sm::report::Input& in, const std::string& format) {
  std::ostringstream out;
  if (format == "text") sm::report::write_text(out, in, {});
  if (format == "json") sm::report::write_json(out, in);
  if (format == "sarif") sm::report::write_sarif(out, in);
  if (format == "github") sm::report::write_github(out, in);
  return out.str();
}

// Every combination of line, column and shown source line, in every writer.
TEST(FindingLocation, EveryWriterHandlesUnknownAndOutOfRangePlaces) {
  const uint32_t lines[] = {0, 1, 7, 4000000000u};
  const uint32_t columns[] = {0, 1, 13, 14, 200, 4294967295u};
  const std::string sources[] = {"", "ALTER TABLE t", "ALTER TABLE \"Ü\""};
  std::vector<sm::model::MigrationSet> sets;
  for (uint32_t line : lines)
    for (uint32_t column : columns)
      for (const std::string& source : sources) {
        sm::model::Finding f;
        f.rule = "dropping-table";
        f.migration = "m1";
        f.loc.file = "prisma/migrations/m1/migration.sql";
        f.loc.line = line;
        f.loc.column = column;
        f.source_line = source;
        f.statement = "ALTER TABLE t;";
        f.message = "a message";
        std::vector<sm::model::Finding> findings{f};
        sm::report::Input in{sets, findings, 1};
        std::string what = fmt::format("line {} column {} source \"{}\"", line, column, source);
        for (const char* format : kFormats) {
          std::string out = write_with(in, format);
          EXPECT_LT(out.size(), 200000u) << format << ", " << what;
          if (std::string(format) == "json" || std::string(format) == "sarif")
            expect_valid_json(out, std::string(format) + ", " + what);
        }
        std::string text = write_with(in, "text");
        if (line > 0 && !source.empty()) {
          // The marker sits under the column's character as shown (code points, not bytes), or at
          // the end of the line when the column is past it.
          size_t caret = text.find('^');
          ASSERT_NE(caret, std::string::npos) << what << "\n" << text;
          size_t bol = text.rfind('\n', caret) + 1;
          size_t bar = text.find("| ", bol);
          ASSERT_LT(bar, caret) << what << "\n" << text;
          size_t at = caret - (bar + 2);
          size_t bytes = column == 0 ? 0 : std::min<size_t>(column - 1, source.size());
          size_t want = 0;
          for (size_t i = 0; i < bytes; ++i) want += (static_cast<unsigned char>(source[i]) & 0xC0) != 0x80;
          EXPECT_EQ(at, want) << what << "\n" << text;
        }
      }
}

// A Django plan whose operations have no line ("line": null, as the exporter writes when the
// operations list is built in code), or a line far past the end of the migration file, through
// the whole `check` in every format: fast, small, valid.
TEST(FindingLocation, DjangoPlanWithoutOrPastLinesChecksQuicklyInEveryFormat) {
  std::string fixture = sm::test::read_file(sm::test::source_dir() / "fixtures/django/plan.json");
  for (const char* mode : {"null", "past-end"}) {
    Json plan = Json::parse(fixture);
    int changed = 0;
    plan.walk([&](const std::string& path, Json& v) {
      // Operations' lines and the lines of the Python code they run.
      bool op_line = path.size() > 5 && path.compare(path.size() - 5, 5, ".line") == 0 &&
                     path.find("module_imports") == std::string::npos;
      if (!op_line) return;
      ++changed;
      if (std::string(mode) == "null") {
        v = Json{};
      } else {
        v.kind = Json::Kind::Int;
        v.i = 1000000;
      }
    });
    ASSERT_GT(changed, 10);
    TempDir d;
    d.write("plan.json", plan.dump());
    for (const char* format : kFormats) {
      auto start = std::chrono::steady_clock::now();
      auto r = run_cli_in(d.path(), std::string("check --format ") + format + " plan.json");
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string what = std::string(mode) + ", " + format;
      EXPECT_LT(seconds, 20.0) << what;
      if (std::string(mode) == "past-end") {
        // A line past the end of the file it names is the plan's input error (issue 18), named by
        // its key and the file's length, not a location to print.
        EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.out << r.err;
        EXPECT_NE((r.out + r.err).find("is 1000000, but "), std::string::npos) << what << "\n"
                                                                               << r.out << r.err;
        if (std::string(format) == "json" || std::string(format) == "sarif") expect_valid_json(r.out, what);
        continue;
      }
      EXPECT_EQ(r.exit_code, 1) << what << ": the fixture's error findings\n" << r.err;
      EXPECT_LT(r.out.size(), 1u << 20) << what;
      EXPECT_NE(r.out.find("run-python-without-reverse"), std::string::npos) << what;
      EXPECT_NE(r.out.find("missing-lock-timeout"), std::string::npos) << what;
      if (std::string(format) == "json" || std::string(format) == "sarif") expect_valid_json(r.out, what);
      // No line of the output is a run of padding.
      EXPECT_EQ(r.out.find(std::string(200, ' ')), std::string::npos) << what;
    }
  }
}

}  // namespace

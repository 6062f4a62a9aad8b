// A seeded mutation fuzzer for issue 9, run by CI in both builds (the sanitizer build is the one
// that matters). Seeds: the 2,012 real files of ../shared/corpus/prisma, the rule fixtures and
// tests/fuzz_regressions. For SAFEMIGRATE_FUZZ_SECONDS (default 20) it mutates them and checks
// every mutant: no crash or sanitizer report, every byte accounted for (coverage_oracle.h); and,
// per batch through the whole `check`, valid JSON and SARIF and the same findings on 1 or 2 threads.
// A failing input is written to <build>/fuzz-failures/ (the one being parsed is always in
// current.sql there, so a crash leaves it behind): keep it in tests/fuzz_regressions.
// A differential oracle (issue 18): every statement safemigrate splits from a mutant is one
// command to a real PostgreSQL, as apply sends it (extended protocol).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "app/check_command.h"
#include "coverage_oracle.h"
#include "pg_cluster.h"
#include "report/report.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_seeds() {
  std::vector<std::string> seeds;
  auto add_tree = [&](const fs::path& root, const std::string& ext) {
    if (!fs::exists(root)) return;
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file() && e.path().extension() == ext) seeds.push_back(sm::test::read_file(e.path()));
  };
  add_tree(sm::test::source_dir() / "tests" / "fuzz_regressions", ".sql");
  add_tree(sm::test::source_dir() / "fixtures" / "rules", ".sql");
  add_tree(sm::test::shared_dir() / "corpus" / "prisma", ".sql");
  return seeds;
}

const std::vector<std::string> kPieces = {
    ";",
    "(",
    ")",
    "'",
    "\"",
    "$$",
    "$a$",
    "--",
    "/*",
    "*/",
    "\n",
    "\\.\n",
    "COPY \"T\" FROM stdin;\n",
    "1\tO'Brien\n",
    "SELEC ",
    "BEGIN;",
    "COMMIT;",
    "CONCURRENTLY ",
    "DROP TABLE \"T\";",
    "U&\"x\"",
    "E'\\''",
    "\xe9",
    "\xc3\xa9",
    "\xf0\x9f\x92\xa9",
    "\x1b[31m",
    "\x07",
    "\r\n",
    "::int",
    "||",
    "+",
    "ARRAY[",
    "]",
    "-- safemigrate-ignore: syntax-error why\n",
    "CASE WHEN true THEN 1 END",
    "\t",
};

std::string deep_expression(std::mt19937_64& rng) {
  std::string out = "SELECT 1";
  for (size_t i = 0, n = 400 + rng() % 12000; i < n; ++i) out += "+1";
  return out + ";\n";
}

std::string mutate(const std::string& in, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  std::string s = in;
  auto pos = [&] { return s.empty() ? size_t{0} : static_cast<size_t>(rng() % (s.size() + 1)); };
  for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) {
    switch (rng() % 8) {
      case 0:
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() % 256);
        break;
      case 1:
      case 2: s.insert(pos(), kPieces[rng() % kPieces.size()]); break;
      case 3: {
        size_t b = pos(), len = rng() % 64;
        s.erase(b, len);
        break;
      }
      case 4: {
        size_t b = pos(), len = std::min<size_t>(rng() % 256, s.size() - std::min(b, s.size()));
        std::string piece = s.substr(b, len);
        s.insert(pos(), piece);
        break;
      }
      case 5: s.resize(pos()); break;
      case 6: {
        const std::string& other = seeds[rng() % seeds.size()];
        s = s.substr(0, pos()) + other.substr(other.empty() ? 0 : rng() % other.size());
        break;
      }
      case 7:
        if (rng() % 8 == 0) s.insert(pos(), deep_expression(rng));
        break;
    }
  }
  return s;
}

double budget_seconds() {
  const char* v = std::getenv("SAFEMIGRATE_FUZZ_SECONDS");
  return v ? std::atof(v) : 20.0;
}

fs::path failures_dir() {
  fs::path d = sm::test::build_dir() / "fuzz-failures";
  fs::create_directories(d);
  return d;
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The property for one input; on failure the input is kept and the test fails with its path.
bool holds_for(const std::string& sql, const std::string& label) {
  write_bytes(failures_dir() / "current.sql", sql);
  sm::sql::ParsedFile f = sm::sql::parse_sql(sql, "migration.sql");
  std::string problem = sm::test::uncovered(sql, f);
  for (const auto& st : f.statements)
    if (problem.empty() && st.cls == sm::model::StatementClass::Invalid && st.syntax_error.empty() &&
        st.not_analysed.empty())
      problem = "a statement is invalid without a reason";
  if (problem.empty()) return true;
  fs::path kept = failures_dir() / ("failure-" + std::to_string(std::hash<std::string>{}(sql)) + ".sql");
  write_bytes(kept, sql);
  ADD_FAILURE() << label << ": " << problem << " (input kept in " << kept << ")";
  return false;
}

TEST(ParseFuzz, RegressionInputsKeepEveryByteAccountedFor) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(sm::test::source_dir() / "tests" / "fuzz_regressions"))
    if (e.path().extension() == ".sql") {
      ++n;
      EXPECT_TRUE(holds_for(sm::test::read_file(e.path()), e.path().filename().string()));
    }
  EXPECT_GE(n, 5u);
}

TEST(ParseFuzz, MutantsOfTheCorpusKeepEveryByteAccountedFor) {
  std::vector<std::string> seeds = read_seeds();
  ASSERT_GT(seeds.size(), 2000u) << "the shared corpus (../shared/corpus/prisma) is missing";
  std::mt19937_64 rng(std::random_device{}());
  uint64_t seed = rng();
  rng.seed(seed);
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget_seconds());
  size_t mutants = 0, failures = 0;
  for (size_t i = 0; failures < 5 && (i < seeds.size() || std::chrono::steady_clock::now() < until); ++i) {
    // Each seed once as it is, then mutants until the time is up.
    const std::string& base = seeds[i % seeds.size()];
    std::string input = i < seeds.size() ? base : mutate(base, seeds, rng);
    mutants += i >= seeds.size();
    if (!holds_for(input, "mutant " + std::to_string(i) + " (rng seed " + std::to_string(seed) + ")"))
      ++failures;
  }
  std::cout << "parse_fuzz: " << seeds.size() << " seeds and " << mutants << " mutants checked (rng seed "
            << seed << ")\n";
  EXPECT_GT(mutants, 100u);
}

// Whole `check` runs over folders of mutants with folder names of random bytes: the output
// must be valid JSON (so valid UTF-8) and SARIF, and one thread or two must give the same.
TEST(ParseFuzz, ChecksOfMutantFoldersGiveValidJsonAndSarifWhateverTheThreads) {
  std::vector<std::string> seeds = read_seeds();
  ASSERT_GT(seeds.size(), 2000u);
  std::mt19937_64 rng(std::random_device{}());
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget_seconds() / 2);
  size_t batches = 0;
  simdjson::dom::parser json;
  while (batches < 2 || std::chrono::steady_clock::now() < until) {
    ++batches;
    sm::test::TempDir dir;
    fs::path root = dir.path() / "migrations";
    for (int m = 0; m < 30; ++m) {
      std::string name = "2024010100000" + std::to_string(m % 10) + "_m" + std::to_string(m);
      if (rng() % 3 == 0) name += mutate("x", seeds, rng).substr(0, 12);
      std::replace(name.begin(), name.end(), '/', '_');
      name.erase(std::remove(name.begin(), name.end(), '\0'), name.end());
      std::string sql = mutate(seeds[rng() % seeds.size()], seeds, rng);
      std::error_code ec;
      fs::create_directories(root / name, ec);
      if (!ec) write_bytes(root / name / "migration.sql", sql);
    }
    sm::app::CheckOptions options;
    options.paths = {root.string()};
    options.prisma_version = "6.19.3";
    options.jobs = 1;
    sm::app::CheckRun one = sm::app::run_check(options, nullptr);
    options.jobs = 2;
    sm::app::CheckRun two = sm::app::run_check(options, nullptr);
    ASSERT_EQ(one.statements, two.statements) << "batch " << batches << " in " << root;
    ASSERT_EQ(one.findings.size(), two.findings.size()) << "batch " << batches << " in " << root;
    for (size_t i = 0; i < one.findings.size(); ++i) {
      EXPECT_EQ(one.findings[i].rule, two.findings[i].rule);
      EXPECT_EQ(one.findings[i].loc.line, two.findings[i].loc.line);
      EXPECT_EQ(one.findings[i].message, two.findings[i].message);
    }
    sm::report::Input in{one.sets, one.findings, one.statements};
    std::ostringstream js, sarif;
    sm::report::write_json(js, in);
    sm::report::write_sarif(sarif, in);
    for (const std::string& out : {js.str(), sarif.str()}) {
      EXPECT_TRUE(simdjson::validate_utf8(out.data(), out.size())) << "not UTF-8, batch in " << root;
      simdjson::dom::element doc;
      EXPECT_EQ(json.parse(out).get(doc), simdjson::SUCCESS) << "not JSON, batch in " << root;
    }
    if (HasFailure()) {
      fs::path kept = failures_dir() / ("batch-" + std::to_string(batches));
      fs::copy(root, kept, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
      FAIL() << "batch kept in " << kept;
    }
  }
  std::cout << "parse_fuzz: " << batches
            << " batches of 30 mutant migrations checked through check and reports\n";
}

// A field of the error `r` reports, or "" when it succeeded.
std::string error_field(PGresult* r, int code) {
  const char* v = PQresultStatus(r) == PGRES_COMMAND_OK ? nullptr : PQresultErrorField(r, code);
  return v ? v : "";
}

// The statement-boundary oracle: each statement safemigrate parsed from a mutant is sent to a real
// PostgreSQL 15 as apply sends it in its split modes, alone with the extended protocol; PQprepare
// only parses it (nothing runs). PostgreSQL's raw parser refuses a piece holding more than one
// command ("cannot insert multiple commands into a prepared statement", SQLSTATE 42601) before any
// name lookup, so that refusal means the server would have split the piece otherwise than
// safemigrate checked it. Other errors (unknown tables, invalid UTF-8, deep trees) say nothing
// about boundaries. Statements safemigrate did not parse are never sent by apply (the gate), nor
// COPY rows, nor pieces with a NUL byte (libpq would cut them). Bounded: at most 600 mutants or a
// quarter of SAFEMIGRATE_FUZZ_SECONDS (at least 200 mutants), against one cluster.
TEST(ParseFuzz, StatementsSafemigrateSplitsAreTheStatementsPostgresExecutes) {
  SM_START_PG(pg);
  std::vector<std::string> seeds = read_seeds();
  ASSERT_GT(seeds.size(), 2000u);
  PGconn* conn = PQconnectdb(pg.url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // mutants warn a lot
  PQclear(PQexec(conn, "SET statement_timeout = '5s'"));
  std::mt19937_64 rng(std::random_device{}());
  uint64_t seed = rng();
  rng.seed(seed);
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget_seconds() / 4);
  size_t mutants = 0, sent = 0, single = 0, failures = 0;
  std::map<std::string, size_t> other_errors;
  while (failures < 3 && mutants < 600 && (mutants < 200 || std::chrono::steady_clock::now() < until)) {
    std::string sql = mutate(seeds[rng() % seeds.size()], seeds, rng);
    ++mutants;
    write_bytes(failures_dir() / "current.sql", sql);
    sm::sql::ParsedFile f = sm::sql::parse_sql(sql, "migration.sql");
    for (const auto& st : f.statements) {
      if (st.cls == sm::model::StatementClass::Invalid || st.copy_from_stdin) continue;
      std::string piece = sql.substr(st.loc.offset, st.length);
      if (piece.find('\0') != std::string::npos) continue;
      ++sent;
      PGresult* r = PQprepare(conn, "", piece.c_str(), 0, nullptr);
      std::string state = error_field(r, PG_DIAG_SQLSTATE), message = error_field(r, PG_DIAG_MESSAGE_PRIMARY);
      PQclear(r);
      ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << "the server closed the connection on: " << piece;
      if (message.find("cannot insert multiple commands") == std::string::npos) {
        ++single;
        if (!state.empty()) ++other_errors[state];
        continue;
      }
      ++failures;
      fs::path kept = failures_dir() / ("boundary-" + std::to_string(std::hash<std::string>{}(sql)) + ".sql");
      write_bytes(kept, sql);
      ADD_FAILURE() << "safemigrate parsed one statement at line " << st.loc.line
                    << " that PostgreSQL splits into several (input kept in " << kept << ", rng seed " << seed
                    << "):\n"
                    << piece.substr(0, 400);
    }
  }
  PQfinish(conn);
  std::cout << "parse_fuzz: boundary oracle: " << mutants << " mutants, " << sent
            << " statements sent, each one command: " << single << "; other refusals by SQLSTATE:";
  for (const auto& [state, n] : other_errors) std::cout << " " << state << "=" << n;
  std::cout << " (rng seed " << seed << ")\n";
  EXPECT_GE(mutants, 200u);
  EXPECT_GT(sent, 200u) << "too few statements reached the server to say anything";
}

// The oracle itself: with standard_conforming_strings off, the statement is one to
// safemigrate and several to PostgreSQL, and the oracle's check sees it; with it on, one.
TEST(ParseFuzz, TheBoundaryOracleSeesASplitThatDiffers) {
  SM_START_PG(pg);
  const std::string sql = "SELECT 'x\\'' ; DROP TABLE \"T\"; --';\n";
  sm::sql::ParsedFile f = sm::sql::parse_sql(sql, "migration.sql");
  ASSERT_EQ(f.statements.size(), 1u);
  std::string piece = sql.substr(f.statements[0].loc.offset, f.statements[0].length);
  PGconn* conn = PQconnectdb(pg.url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto refusal = [&] {
    PGresult* r = PQprepare(conn, "", piece.c_str(), 0, nullptr);
    std::string message = error_field(r, PG_DIAG_MESSAGE_PRIMARY);
    PQclear(r);
    return message;
  };
  EXPECT_EQ(refusal(), "");
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PQclear(PQexec(conn, "SET standard_conforming_strings = off"));
  EXPECT_EQ(refusal(), "cannot insert multiple commands into a prepared statement");
  PQfinish(conn);
}

}  // namespace

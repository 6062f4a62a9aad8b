// The parse floor of `safemigrate check`: what PostgreSQL's parser alone costs for the same files,
// linked as the project links libpg_query. Per file: read it, pg_query_split_with_scanner, then
// pg_query_parse of each statement (the JSON tree check reads), single thread, results freed.
// bench/floor.sh compares its CPU time with `check -j 1`'s on the same files.
//
//   sm_parse_floor [--repeat N] [--phases] PATH...   (PATH: a migration.sql, or a folder searched)
//
// Prints files, statements, bytes, parse errors and its own CPU time on stdout; with --phases also
// per phase (reading, splitting, parsing), at the cost of three clock reads (system calls) a file.
#include <pg_query.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 1;
  bool phases = false;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
      continue;
    }
    if (a == "--phases") {
      phases = true;
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      for (auto it = fs::recursive_directory_iterator(a, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->path().filename() == "migration.sql" && it->is_regular_file(ec)) files.push_back(it->path());
    } else if (fs::is_regular_file(a, ec)) {
      files.emplace_back(a);
    } else {
      std::fprintf(stderr, "sm_parse_floor: %s: no such file or folder\n", a.c_str());
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: sm_parse_floor [--repeat N] [--phases] PATH...\n");
    return 2;
  }
  std::sort(files.begin(), files.end());

  double t0 = cpu_seconds(), read_s = 0, split_s = 0, parse_s = 0;
  size_t statements = 0, bytes = 0, errors = 0, json_bytes = 0;
  std::string text, piece;
  for (int r = 0; r < repeat; ++r)
    for (const fs::path& f : files) {
      double a = phases ? cpu_seconds() : 0;
      if (!read_file(f, text)) {
        std::fprintf(stderr, "sm_parse_floor: cannot read %s: %s\n", f.c_str(), std::strerror(errno));
        return 2;
      }
      bytes += text.size();
      double b = phases ? cpu_seconds() : 0;
      PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
      double c = phases ? cpu_seconds() : 0;
      if (split.error) {
        ++errors;
      } else {
        for (int i = 0; i < split.n_stmts; ++i) {
          const PgQuerySplitStmt* s = split.stmts[i];
          piece.assign(text, static_cast<size_t>(s->stmt_location), static_cast<size_t>(s->stmt_len));
          PgQueryParseResult p = pg_query_parse(piece.c_str());
          if (p.error)
            ++errors;
          else
            json_bytes += std::strlen(p.parse_tree);
          ++statements;
          pg_query_free_parse_result(p);
        }
      }
      pg_query_free_split_result(split);
      double d = phases ? cpu_seconds() : 0;
      read_s += b - a;
      split_s += c - b;
      parse_s += d - c;
    }
  double total = cpu_seconds() - t0;
  std::printf("files %zu\nstatements %zu\nbytes %zu\nparse_errors %zu\njson_bytes %zu\n",
              files.size() * repeat, statements, bytes, errors, json_bytes);
  if (phases) std::printf("cpu_read_s %.4f\ncpu_split_s %.4f\ncpu_parse_s %.4f\n", read_s, split_s, parse_s);
  std::printf("cpu_loop_s %.4f\n", total);
  return 0;
}

// pg_dump --schema-only of a test cluster's database: what "ends in the same schema" compares
// (fix_test, django_fix_test, django_apply_test).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "pg_cluster.h"
#include "test_support.h"

namespace sm::test {

// The dump's text, without the \restrict / \unrestrict lines whose key is random per run
// (pg_dump 15.14 and later).
inline std::string schema_dump(const PgCluster& pg, const std::string& db) {
  RunResult r = run_shell(
      std::filesystem::temp_directory_path(),
      std::string(PgCluster::kBinDir) + "/pg_dump --schema-only --no-owner " + shell_quote(pg.url(db)));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string out, line;
  while (std::getline(in, line))
    if (line.rfind("\\restrict", 0) != 0 && line.rfind("\\unrestrict", 0) != 0) out += line + "\n";
  return out;
}

}  // namespace sm::test

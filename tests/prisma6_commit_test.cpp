// Issue 18, item 3: a migration run as one query, as Prisma <= 7.3 sends it (--mode prisma-6), whose
// own COMMIT committed part of it before a later statement failed. What apply says and records in
// _prisma_migrations.logs must be what is in the database: generated files (CREATE TABLEs, COMMITs
// and one failing statement, at random places) against a real PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "history_helpers.h"

namespace sm::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Layout {
  std::string sql;
  std::vector<int> table_line;  // line of CREATE TABLE t<i>
  int last_commit_before = 0;   // line of the last COMMIT before the failing statement, 0: none
  bool any_commit = false;      // the file has a COMMIT anywhere
  bool position_known = false;  // the error points at the failing statement
};

// Statements one per line: tables, COMMITs, and one failing statement, either one PostgreSQL's
// error points at (a missing table) or one it does not (division by zero).
Layout generate(std::mt19937& rng) {
  Layout l;
  std::uniform_int_distribution<int> count(2, 6), coin(0, 2);
  int before = count(rng), after = count(rng) - 1;
  l.position_known = coin(rng) != 0;
  int line = 0;
  auto emit = [&](const std::string& s) {
    l.sql += s + "\n";
    return ++line;
  };
  auto some = [&](int n) {
    for (int i = 0; i < n; ++i) {
      if (coin(rng) == 0) {
        l.last_commit_before = emit("COMMIT;");
        l.any_commit = true;
      } else {
        l.table_line.push_back(emit("CREATE TABLE \"t" + std::to_string(l.table_line.size()) +
                                    "\" (\"id\" INTEGER PRIMARY KEY);"));
      }
    }
  };
  some(before);
  emit(l.position_known ? "INSERT INTO \"missing\" VALUES (1);" : "SELECT 1/0;");
  const int last_before = l.last_commit_before;
  some(after);  // never run
  l.last_commit_before = last_before;
  return l;
}

TEST(Prisma6Commit, WhatIsReportedAsCommittedIsWhatIsInTheDatabase) {
  SM_START_PG(pg);
  std::mt19937 rng(18);
  int with_commit_known = 0, with_commit_unknown = 0;
  for (int i = 0; i < 24 && (with_commit_known < 3 || with_commit_unknown < 2 || i < 8); ++i) {
    Layout l = generate(rng);
    SCOPED_TRACE(l.sql);
    const std::string db = "c" + std::to_string(i);
    pg.create_database(db);
    PrismaProject p;
    p.add("20240101000000_commit", l.sql);
    RunResult r = sm_cli("apply", pg.url(db), p, "--mode prisma-6");
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
    std::string logs = pg.psql("SELECT logs FROM _prisma_migrations", db);
    EXPECT_THAT(r.err, HasSubstr(logs.substr(logs.find("safemigrate ("))));
    // The truth: the tables before the last COMMIT the query reached exist, no other does.
    for (size_t t = 0; t < l.table_line.size(); ++t) {
      bool committed = l.table_line[t] < l.last_commit_before;
      EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_class WHERE relname = 't" + std::to_string(t) + "'", db),
                committed ? "1" : "0")
          << "t" << t;
    }
    if (!l.any_commit) {
      EXPECT_THAT(logs, HasSubstr("one implicit transaction, so nothing of it is in the database"));
    } else if (l.position_known && l.last_commit_before == 0) {
      EXPECT_THAT(logs, HasSubstr("it failed before the file's own COMMIT"));
      EXPECT_THAT(logs, HasSubstr("nothing of it is in the database"));
    } else if (l.position_known) {
      ++with_commit_known;
      std::string n = std::to_string(l.last_commit_before);
      EXPECT_THAT(logs, HasSubstr("COMMIT at line " + n + " had committed lines 1-" + n +
                                  ": those statements "
                                  "stay in the database"));
      EXPECT_THAT(logs, Not(HasSubstr("nothing of it is in the database")));
    } else {
      ++with_commit_unknown;
      EXPECT_THAT(logs, HasSubstr("the file has its own COMMIT (line "));
      EXPECT_THAT(logs, HasSubstr("the error does not say which statement failed"));
      EXPECT_THAT(logs, Not(HasSubstr("nothing of it is in the database")));
    }
  }
  EXPECT_GE(with_commit_known, 3);
  EXPECT_GE(with_commit_unknown, 2);
}

}  // namespace
}  // namespace sm::test

// app::choose_database, the one rule for which database a command uses: checked over every
// combination of candidates (each absent, empty or set) for each use, against the precedence
// each use documents, with the invariants that matter stated apart: rehearse never takes a
// database it was not given on the command line, check never reads $DATABASE_URL, and the
// Prisma project's URL (which reads .env files and may throw) is resolved only when it wins.
#include "app/database_choice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/errors.h"

namespace sm::app {
namespace {

// A candidate's three states.
enum class State { Absent, Empty, Set };
constexpr State kStates[] = {State::Absent, State::Empty, State::Set};

struct Case {
  State flag, source, prisma, environment;
};

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (State f : kStates)
    for (State s : kStates)
      for (State p : kStates)
        for (State e : kStates) out.push_back({f, s, p, e});
  return out;
}

std::string describe(const Case& c, DatabaseUse use) {
  auto name = [](State s) { return s == State::Absent ? "absent" : s == State::Empty ? "empty" : "set"; };
  return std::string("use ") + std::to_string(static_cast<int>(use)) + ": flag " + name(c.flag) +
         ", source " + name(c.source) + ", prisma " + name(c.prisma) + ", environment " + name(c.environment);
}

struct Built {
  DatabaseCandidates candidates;
  int prisma_calls = 0;
};

void build(const Case& c, Built& b) {
  if (c.flag != State::Absent) b.candidates.flag = c.flag == State::Set ? "postgresql://flag" : "";
  if (c.source == State::Set) b.candidates.source = "postgresql://source";
  // A project whose datasource names a URL; "empty" is one whose variable is empty (Prisma's
  // own resolution throws then, but the rule must not care what it returns).
  if (c.prisma != State::Absent)
    b.candidates.prisma_project = [&b,
                                   set = c.prisma == State::Set]() -> std::pair<std::string, std::string> {
      ++b.prisma_calls;
      return {set ? "postgresql://prisma" : "", "$DATABASE_URL from .env"};
    };
  if (c.environment != State::Absent)
    b.candidates.environment = c.environment == State::Set ? "postgresql://environment" : "";
}

// The documented order for each use: the first candidate present wins (the flag and the
// environment count when given even empty, as an empty --database-url or DATABASE_URL= is then
// reported as missing; the source's variable counts only when it holds something).
DatabaseFrom expected(const Case& c, DatabaseUse use) {
  if (c.flag != State::Absent) return DatabaseFrom::Flag;
  if (c.source == State::Set) return DatabaseFrom::Source;
  if (use == DatabaseUse::TableSizes) return DatabaseFrom::None;
  if (c.prisma != State::Absent) return DatabaseFrom::PrismaProject;
  if (c.environment != State::Absent) return DatabaseFrom::Environment;
  return DatabaseFrom::None;
}

std::string expected_url(DatabaseFrom from, const Case& c) {
  switch (from) {
    case DatabaseFrom::Flag: return c.flag == State::Set ? "postgresql://flag" : "";
    case DatabaseFrom::Source: return "postgresql://source";
    case DatabaseFrom::PrismaProject: return c.prisma == State::Set ? "postgresql://prisma" : "";
    case DatabaseFrom::Environment: return c.environment == State::Set ? "postgresql://environment" : "";
    case DatabaseFrom::None: return "";
  }
  return "";
}

TEST(DatabaseChoice, EveryCombinationFollowsItsUsesOrder) {
  for (DatabaseUse use : {DatabaseUse::TableSizes, DatabaseUse::History}) {
    for (const Case& c : all_cases()) {
      SCOPED_TRACE(describe(c, use));
      Built b;
      build(c, b);
      DatabaseChoice got = choose_database(use, b.candidates);
      DatabaseFrom want = expected(c, use);
      EXPECT_EQ(got.from, want);
      EXPECT_EQ(got.url, expected_url(want, c));
      EXPECT_EQ(b.prisma_calls, want == DatabaseFrom::PrismaProject ? 1 : 0);
      EXPECT_EQ(got.prisma_from.empty(), want != DatabaseFrom::PrismaProject);
      // check never reads the environment nor the Prisma project.
      if (use == DatabaseUse::TableSizes) {
        EXPECT_NE(got.from, DatabaseFrom::Environment);
        EXPECT_NE(got.from, DatabaseFrom::PrismaProject);
      }
    }
  }
}

TEST(DatabaseChoice, RehearseTakesOnlyTheFlagAndRefusesWithoutIt) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c, DatabaseUse::Rehearse));
    Built b;
    build(c, b);
    if (c.flag == State::Absent) {
      try {
        choose_database(DatabaseUse::Rehearse, b.candidates);
        ADD_FAILURE() << "rehearse chose a database without --database-url";
      } catch (const model::InputError& e) {
        EXPECT_STREQ(e.what(),
                     "rehearse needs --database-url naming the copy (it does not read DATABASE_URL)");
      }
    } else {
      DatabaseChoice got = choose_database(DatabaseUse::Rehearse, b.candidates);
      EXPECT_EQ(got.from, DatabaseFrom::Flag);
      EXPECT_EQ(got.url, c.flag == State::Set ? "postgresql://flag" : "");
    }
    EXPECT_EQ(b.prisma_calls, 0);
  }
}

// What the Prisma project's resolution throws (no URL, a computed one) reaches the caller.
TEST(DatabaseChoice, PrismaProjectErrorsReachTheCaller) {
  DatabaseCandidates c;
  c.prisma_project = []() -> std::pair<std::string, std::string> {
    throw model::InputError("no database URL: the schema has no datasource url; give --database-url");
  };
  c.environment = "postgresql://environment";
  EXPECT_THROW(choose_database(DatabaseUse::History, c), model::InputError);
  c.source = "postgresql://source";
  EXPECT_EQ(choose_database(DatabaseUse::History, c).from, DatabaseFrom::Source);
}

}  // namespace
}  // namespace sm::app

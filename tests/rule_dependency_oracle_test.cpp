// type-change-breaks-view over generated rules (CREATE RULE), against a real PostgreSQL 15 as the
// oracle (issue 19): for each generated rule, the columns whose ALTER COLUMN TYPE PostgreSQL
// refuses ("cannot alter type of a column used by a view or rule", SQLSTATE 0A000) are exactly
// those SchemaTracker marks with a dependent rule. The rules vary the event, the WHERE (NEW.col,
// OLD.col), the action (NOTHING, INSERT with or without a column list, UPDATE … SET … WHERE, a
// SELECT) and INSTEAD/ALSO; the tables' column names are distinct, so that matching by name (as
// views are matched) is exact here.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "sql/parse.h"
#include "sql/schema_tracker.h"

namespace {

const std::vector<std::string> kT = {"a", "b", "c", "d"};  // columns of t, the rule's table
const std::vector<std::string> kLog = {"x", "y", "z"};     // columns of log, which actions write

struct Case {
  std::string rule;
  std::set<std::string> refused;  // "table.column"
};

std::string pick(std::mt19937& rng, const std::vector<std::string>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

// One rule on t: a random event, WHERE and action.
std::string generate_rule(std::mt19937& rng, int n) {
  auto coin = [&] { return std::uniform_int_distribution<int>(0, 1)(rng) == 1; };
  const std::vector<std::string> events = {"INSERT", "UPDATE", "DELETE"};
  std::string event = pick(rng, events);
  // NEW exists for INSERT and UPDATE, OLD for UPDATE and DELETE.
  auto row = [&] {
    if (event == "INSERT") return std::string("NEW");
    if (event == "DELETE") return std::string("OLD");
    return std::string(coin() ? "NEW" : "OLD");
  };
  std::string sql = "CREATE RULE r" + std::to_string(n) + " AS ON " + event + " TO t";
  if (coin()) sql += " WHERE " + row() + "." + pick(rng, kT) + " > 0";
  sql += coin() ? " DO INSTEAD " : " DO ALSO ";
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0: sql += "NOTHING"; break;
    case 1:
      sql += "INSERT INTO log (" + pick(rng, kLog) + ") VALUES (" + row() + "." + pick(rng, kT) + ")";
      break;
    case 2: sql += "INSERT INTO log VALUES (" + row() + "." + pick(rng, kT) + ")"; break;
    case 3:
      sql += "UPDATE log SET " + pick(rng, kLog) + " = " + row() + "." + pick(rng, kT) + " WHERE " +
             pick(rng, kLog) + " = 1";
      break;
    default: sql += "SELECT " + row() + "." + pick(rng, kT); break;
  }
  return sql;
}

}  // namespace

TEST(RuleDependencyOracle, RefusedTypeChangesAreExactlyThoseMarked) {
  SM_START_PG(pg);
  // Tries ALTER COLUMN TYPE on every column and undoes it: which ones PostgreSQL refuses.
  pg.psql(
      "CREATE FUNCTION refuses(tbl text, col text) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN "
      "EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE bigint', tbl, col); "
      "RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001'; "
      "EXCEPTION WHEN feature_not_supported THEN RETURN true; WHEN raise_exception THEN RETURN false; END "
      "$$");
  std::mt19937 rng(19);
  int refusals = 0, cases = 0;
  for (int n = 0; n < 60; ++n) {
    std::vector<std::string> rules = {generate_rule(rng, n)};
    if (n % 3 == 0) rules.push_back(generate_rule(rng, n + 1000));  // two rules on one table
    std::string setup =
        "CREATE TABLE t (a int, b int, c int, d int); CREATE TABLE log (x int, y int, z int);";
    for (const auto& r : rules) setup += r + ";";
    // A third of the cases drop the first rule again: what it read is free to change.
    bool dropped = n % 5 == 1;
    if (dropped) setup += "DROP RULE r" + std::to_string(n) + " ON t;";
    // One psql per case: the setup in a schema of its own, then the columns PostgreSQL refuses.
    std::string schema = "s" + std::to_string(n);
    std::string pairs;
    for (const auto& [table, columns] : {std::pair{"t", kT}, std::pair{"log", kLog}})
      for (const auto& col : columns)
        pairs += std::string(pairs.empty() ? "" : ", ") + "('" + table + "', '" + col + "')";
    std::string out =
        pg.psql("CREATE SCHEMA " + schema + "; SET search_path = " + schema + ", public; " + setup +
                "SELECT coalesce(string_agg(tbl || '.' || col, ','), '') FROM (VALUES " + pairs +
                ") v(tbl, col) WHERE public.refuses(tbl, col)");
    std::set<std::string> refused;
    std::stringstream names(out);
    for (std::string name; std::getline(names, name, ',');)
      if (!name.empty()) refused.insert(name);

    sm::sql::SchemaTracker tracker;
    tracker.begin_migration("1");
    auto before = sm::sql::parse_sql(setup, "setup.sql");
    for (auto& st : before.statements) {
      ASSERT_NE(st.cls, sm::model::StatementClass::Invalid) << st.text;
      tracker.apply(st);
    }
    std::string alters;
    for (const auto& [table, columns] : {std::pair{"t", kT}, std::pair{"log", kLog}})
      for (const auto& col : columns)
        alters += std::string("ALTER TABLE ") + table + " ALTER COLUMN " + col + " TYPE bigint;";
    // Each ALTER alone: a first one that passed would change what the next one meets.
    std::set<std::string> marked;
    auto parsed = sm::sql::parse_sql(alters, "alter.sql");
    for (auto& st : parsed.statements) {
      sm::sql::SchemaTracker copy = tracker;
      copy.begin_migration("2");
      copy.apply(st);
      const auto& a = st.actions.at(0);
      if (!a.dependent_views.empty()) marked.insert(a.relation.name + "." + a.column);
    }
    EXPECT_EQ(marked, refused) << setup;
    refusals += static_cast<int>(refused.size());
    ++cases;
  }
  // The generator reaches both outcomes often.
  EXPECT_GT(refusals, cases);
  EXPECT_LT(refusals, cases * 7);
}

// What a rule is: its documentation and one function that reads a migration (the model
// only, never a framework's files) and reports findings. Each rule is defined in its own file in
// rules/ with designated initializers (`.id = …`), and listed once in rules/rules.def
// (docs/adding-a-rule.md).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/transaction_model.h"
#include "model/migration.h"

namespace sm::checks {

class Reporter;

struct RuleDoc {
  std::string_view id;  // kebab-case, searchable
  model::Severity severity;
  std::string_view summary;          // one line: what the rule finds
  std::string_view fix;              // one line: what to do instead (the finding's help)
  std::string_view why;              // why it matters
  std::string_view alternative;      // the safe way, with SQL
  std::string_view django_fix = {};  // the help for Django migrations, when it differs
  // Rules whose findings can restate a project-wide condition: the one thing to do about it,
  // the help of the one finding that stands for all of them (docs/rules.md, "Said once").
  std::string_view condition_fix = {};
  // What `safemigrate fix` writes for a finding of this rule (one line, per framework); empty:
  // nothing, the change is the author's. The one source of `rules`, `explain` and which findings
  // fix hands to the framework (app/fix_command.cpp).
  std::string_view autofix = {};
};

using CheckFn = void (*)(const model::Migration&, Reporter&);
struct Rule;
// Rules about a whole set (a Django plan's graph: conflicts, inconsistent history).
using SetCheckFn = void (*)(const model::MigrationSet&, const Rule&, std::vector<model::Finding>&);

struct Rule {
  RuleDoc doc;
  CheckFn check = nullptr;  // null for set-level rules
  SetCheckFn check_set = nullptr;
};

// Collects one rule's findings for one migration; applies in-file suppressions.
class Reporter {
 public:
  Reporter(const Rule& rule, const model::Migration& m, std::vector<model::Finding>& out)
      : rule_(rule), migration_(m), out_(out) {}

  // A finding at a statement (at `action`'s spot when given), with the rule's severity; returned
  // so that a rule can adjust it (a help that depends on the case).
  model::Finding& at(const model::Statement& st, const model::Action* action, std::string message);
  model::Finding& at(const model::Statement& st, const model::Action* action, std::string message,
                     model::Severity severity);
  // A finding about the whole migration, at the start of its main file.
  void on_migration(std::string message);
  // A finding that only restates a condition of the whole project (`condition`, the same words
  // for every migration it concerns): collapsed into one project-wide finding per source.
  void routine(std::string condition);
  // A finding about one framework operation (Django), at its line in the migration file.
  void on_operation(const model::Operation& op, std::string message);
  // A finding at a line of Python code (a RunPython function's source).
  void in_python(const model::Operation& op, const std::string& file, uint32_t line, std::string source_line,
                 std::string message);

 private:
  const Rule& rule_;
  const model::Migration& migration_;
  std::vector<model::Finding>& out_;
};

// Calls fn(statement, action) for every action of every statement, in file order: the loop
// most rules are made of.
template <class Fn>
void for_each_action(const model::Migration& m, Fn fn) {
  for (const model::Statement* st : m.statements())
    for (const model::Action& a : st->actions) fn(*st, a);
}

// The rename-copy-drop pattern of a table rebuild (Django apps' RunSQL, hand-written Prisma):
//   ALTER TABLE t RENAME TO t_old; CREATE TABLE t (…); INSERT INTO t SELECT … FROM t_old; DROP TABLE t_old;
// Keys ("schema.name", RelationName::key) of the tables renamed away whose old name the same
// migration creates again (code that uses the name finds the new table), and of the renamed
// tables whose every row was copied before a DROP (no data is lost with them).
struct TableRebuilds {
  std::set<std::string> recreated;  // old names of renamed tables, created again after the rename
  std::set<std::string> copied;     // new names of such tables, read in whole (INSERT … SELECT)
};
TableRebuilds table_rebuilds(const model::Migration& m);

// Shared wording: `"public"."User"`.
std::string table_name(const model::Action& a);

// Facts that depend on the PostgreSQL version the migration runs on (Migration::target_postgres).
// Whether that version is known and older than `major`.
inline bool target_older_than(const model::Migration& m, uint32_t major) {
  return m.target_postgres != 0 && m.target_postgres < major;
}
// Whether `a` rewrites its table there: before PostgreSQL 11 every ADD COLUMN with a default
// rewrote the table (no "fast default"); src/sql's facts are those of current versions.
inline bool rewrites_on_target(const model::Migration& m, const model::Action& a) {
  return a.rewrites || (a.kind == model::ActionKind::AddColumn && a.has_default && target_older_than(m, 11));
}

}  // namespace sm::checks

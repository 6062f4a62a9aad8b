#include "checks/registry.h"

#include <algorithm>
#include <map>
#include <set>

namespace sm::checks {

// Each SM_RULE(Name) line of rules.def: the rule's declaration, then its place in the list.
namespace rules {
#define SM_RULE(Name) extern const Rule k##Name;
#include "checks/rules/rules.def"
#undef SM_RULE
}  // namespace rules

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> list = {
#define SM_RULE(Name) &rules::k##Name,
#include "checks/rules/rules.def"
#undef SM_RULE
  };
  return list;
}

const Rule* find_rule(std::string_view id) {
  for (const Rule* r : all_rules())
    if (r->doc.id == id) return r;
  return nullptr;
}

void run_checks(const model::Migration& m, std::vector<model::Finding>& out) {
  for (const Rule* rule : all_rules()) {
    if (!rule->check) continue;
    Reporter reporter(*rule, m, out);
    rule->check(m, reporter);
  }
}

void run_set_checks(const model::MigrationSet& set, std::vector<model::Finding>& out) {
  for (const Rule* rule : all_rules())
    if (rule->check_set) rule->check_set(set, *rule, out);
}

void collapse_conditions(const model::MigrationSet& set, size_t checked,
                         std::vector<model::Finding>& findings, size_t begin) {
  struct Group {
    model::Finding finding;
    std::set<std::string> migrations;
  };
  std::vector<Group> groups;  // in the order first seen
  std::map<std::pair<std::string, std::string>, size_t> index;
  auto first = findings.begin() + static_cast<std::ptrdiff_t>(begin);
  for (auto it = first; it != findings.end(); ++it) {
    if (!it->routine) continue;
    auto [at, fresh] = index.try_emplace({it->rule, it->message}, groups.size());
    if (fresh) groups.push_back({*it, {}});
    groups[at->second].migrations.insert(it->migration);
  }
  if (groups.empty()) return;
  findings.erase(std::remove_if(first, findings.end(), [](const model::Finding& f) { return f.routine; }),
                 findings.end());
  std::vector<model::Finding> conditions;
  for (Group& g : groups) {
    model::Finding& f = g.finding;
    f.routine = false;
    f.migrations_concerned = g.migrations.size();
    f.migration.clear();
    f.loc = {};
    f.loc.file = set.source;
    f.message += " (" + std::to_string(g.migrations.size()) + " of " + std::to_string(checked) +
                 " migration" + (checked == 1 ? "" : "s") + ")";
    if (const Rule* rule = find_rule(f.rule); rule && !rule->doc.condition_fix.empty())
      f.help = std::string(rule->doc.condition_fix);
    conditions.push_back(std::move(f));
  }
  findings.insert(findings.begin() + static_cast<std::ptrdiff_t>(begin), conditions.begin(),
                  conditions.end());
}

}  // namespace sm::checks

// The list of every rule (rules/rules.def, in the order `safemigrate rules` prints them), and
// running them.
#pragma once

#include <string_view>
#include <vector>

#include "checks/rule.h"

namespace sm::checks {

const std::vector<const Rule*>& all_rules();
const Rule* find_rule(std::string_view id);

// Runs every rule on one migration; appends findings (suppressed ones included, marked).
void run_checks(const model::Migration& m, std::vector<model::Finding>& out);
// Runs the rules about a whole set (graph rules) once per set.
void run_set_checks(const model::MigrationSet& set, std::vector<model::Finding>& out);

// Replaces the routine findings among findings[begin, end()) (one set's) by one project-wide
// finding per rule and condition, placed at `begin` so that it is read first: at the set's folder,
// with the count of migrations concerned out of `checked` (the migrations the rules ran on), and
// the rule's condition_fix as help.
void collapse_conditions(const model::MigrationSet& set, size_t checked,
                         std::vector<model::Finding>& findings, size_t begin);

}  // namespace sm::checks

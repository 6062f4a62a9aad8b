// The list of every rule, in the order `safemigrate rules` prints them, and running them.
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

}  // namespace sm::checks

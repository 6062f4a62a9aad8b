#include "checks/registry.h"

#include <algorithm>
#include <map>
#include <set>

namespace sm::checks {

namespace rules {
extern const Rule kSyntaxError;
extern const Rule kStatementTooComplex;
extern const Rule kCopyFromStdin;
extern const Rule kAddingNotNullColumn;
extern const Rule kRequireConcurrentIndexCreation;
extern const Rule kRequireConcurrentIndexDeletion;
extern const Rule kConcurrentlyInTransaction;
extern const Rule kNonAtomicMigration;
extern const Rule kMixedSchemaAndData;
extern const Rule kTableRewrite;
extern const Rule kConstraintMissingNotValid;
extern const Rule kSetNotNullWithoutCheck;
extern const Rule kUniqueConstraintBuildsIndex;
extern const Rule kRenamingColumn;
extern const Rule kRenamingTable;
extern const Rule kDroppingColumn;
extern const Rule kDroppingTable;
extern const Rule kChangingColumnType;
extern const Rule kNoDownMigration;
extern const Rule kMissingLockTimeout;
extern const Rule kEnumValueUsedInTransaction;
extern const Rule kRunPythonWithoutReverse;
extern const Rule kRunSqlWithoutReverse;
extern const Rule kRunPythonImportsModels;
extern const Rule kRunPythonWholeTable;
extern const Rule kRunPythonDynamicSql;
extern const Rule kMigrationConflict;
extern const Rule kInconsistentHistory;
extern const Rule kMigrationEditedAfterMerge;
extern const Rule kDroppingDatabase;
extern const Rule kTruncateTable;
extern const Rule kTransactionNesting;
extern const Rule kUncommittedTransaction;
extern const Rule kPreferBigintForKeys;
extern const Rule kRequireConcurrentReindex;
extern const Rule kRequireConcurrentPartitionDetach;
extern const Rule kRequiresNewerPostgres;
extern const Rule kWholeTableWrite;
extern const Rule kLexingSettingChanged;
extern const Rule kDroppingSchemaCascade;
extern const Rule kAttachPartitionWithoutCheck;
extern const Rule kUnboundedBackfill;
extern const Rule kTypeChangeBreaksView;
extern const Rule kLockHeldAcrossStatements;
extern const Rule kValidateInSameTransaction;
}  // namespace rules

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> list = {
      &rules::kSyntaxError,
      &rules::kStatementTooComplex,
      &rules::kCopyFromStdin,
      &rules::kLexingSettingChanged,
      &rules::kAddingNotNullColumn,
      &rules::kRequireConcurrentIndexCreation,
      &rules::kRequireConcurrentIndexDeletion,
      &rules::kRequireConcurrentReindex,
      &rules::kRequireConcurrentPartitionDetach,
      &rules::kConcurrentlyInTransaction,
      &rules::kNonAtomicMigration,
      &rules::kMixedSchemaAndData,
      &rules::kWholeTableWrite,
      &rules::kUnboundedBackfill,
      &rules::kLockHeldAcrossStatements,
      &rules::kValidateInSameTransaction,
      &rules::kAttachPartitionWithoutCheck,
      &rules::kTableRewrite,
      &rules::kConstraintMissingNotValid,
      &rules::kSetNotNullWithoutCheck,
      &rules::kUniqueConstraintBuildsIndex,
      &rules::kRenamingColumn,
      &rules::kRenamingTable,
      &rules::kDroppingColumn,
      &rules::kDroppingTable,
      &rules::kDroppingDatabase,
      &rules::kDroppingSchemaCascade,
      &rules::kTruncateTable,
      &rules::kChangingColumnType,
      &rules::kTypeChangeBreaksView,
      &rules::kNoDownMigration,
      &rules::kMissingLockTimeout,
      &rules::kEnumValueUsedInTransaction,
      &rules::kTransactionNesting,
      &rules::kUncommittedTransaction,
      &rules::kPreferBigintForKeys,
      &rules::kRequiresNewerPostgres,
      &rules::kRunPythonWithoutReverse,
      &rules::kRunSqlWithoutReverse,
      &rules::kRunPythonImportsModels,
      &rules::kRunPythonWholeTable,
      &rules::kRunPythonDynamicSql,
      &rules::kMigrationConflict,
      &rules::kInconsistentHistory,
      &rules::kMigrationEditedAfterMerge,
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

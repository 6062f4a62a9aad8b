#include "checks/registry.h"

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
}  // namespace rules

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> list = {
      &rules::kSyntaxError,
      &rules::kStatementTooComplex,
      &rules::kCopyFromStdin,
      &rules::kAddingNotNullColumn,
      &rules::kRequireConcurrentIndexCreation,
      &rules::kRequireConcurrentIndexDeletion,
      &rules::kRequireConcurrentReindex,
      &rules::kRequireConcurrentPartitionDetach,
      &rules::kConcurrentlyInTransaction,
      &rules::kNonAtomicMigration,
      &rules::kMixedSchemaAndData,
      &rules::kTableRewrite,
      &rules::kConstraintMissingNotValid,
      &rules::kSetNotNullWithoutCheck,
      &rules::kUniqueConstraintBuildsIndex,
      &rules::kRenamingColumn,
      &rules::kRenamingTable,
      &rules::kDroppingColumn,
      &rules::kDroppingTable,
      &rules::kDroppingDatabase,
      &rules::kTruncateTable,
      &rules::kChangingColumnType,
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

}  // namespace sm::checks

#include "sql/lock_table.h"

namespace sm::sql {

using model::ActionKind;
using model::LockMode;

namespace {
constexpr LockMode AEL = LockMode::AccessExclusive;
constexpr LockMode SRE = LockMode::ShareRowExclusive;
constexpr LockMode SUE = LockMode::ShareUpdateExclusive;
}  // namespace

const std::vector<SubcommandLock>& alter_table_lock_table() {
  static const std::vector<SubcommandLock> table = {
      // subtype                   kind                                   lock rewrites scans
      {"AT_AddColumn", ActionKind::AddColumn, AEL, false, false},  // rewrite if volatile default
      {"AT_AddColumnToView", ActionKind::AddColumn, AEL, false, false},
      {"AT_DropColumn", ActionKind::DropColumn, AEL, false, false},
      {"AT_AlterColumnType", ActionKind::AlterColumnType, AEL, true, false},  // unless binary-coercible
      {"AT_SetNotNull", ActionKind::SetNotNull, AEL, false, true},            // no scan with a valid CHECK
      {"AT_DropNotNull", ActionKind::DropNotNull, AEL, false, false},
      {"AT_ColumnDefault", ActionKind::SetDefault, AEL, false, false},
      {"AT_CookedColumnDefault", ActionKind::SetDefault, AEL, false, false},
      {"AT_AddConstraint", ActionKind::AddCheck, AEL, false, true},  // refined by constraint type
      {"AT_ValidateConstraint", ActionKind::ValidateConstraint, SUE, false, false},
      {"AT_DropConstraint", ActionKind::DropConstraint, AEL, false, false},
      {"AT_AlterConstraint", ActionKind::OtherAlter, AEL, false, false},
      {"AT_SetStatistics", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_SetOptions", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_ResetOptions", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_SetRelOptions", ActionKind::SetStorageOptions, SUE, false, false},  // fillfactor, autovacuum_*
      {"AT_ResetRelOptions", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_ClusterOn", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_DropCluster", ActionKind::SetStorageOptions, SUE, false, false},
      {"AT_SetStorage", ActionKind::SetStorageOptions, AEL, false, false},
      {"AT_SetCompression", ActionKind::SetStorageOptions, AEL, false, false},
      {"AT_EnableTrig", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_DisableTrig", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_EnableAlwaysTrig", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_EnableReplicaTrig", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_EnableTrigAll", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_DisableTrigAll", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_EnableTrigUser", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_DisableTrigUser", ActionKind::EnableDisableTrigger, SRE, false, false},
      {"AT_AttachPartition", ActionKind::AttachPartition, SUE, false, true},  // + AEL on the partition
      {"AT_DetachPartition", ActionKind::DetachPartition, AEL, false, false},
      {"AT_DetachPartitionFinalize", ActionKind::DetachPartition, SUE, false, false},
      {"AT_SetLogged", ActionKind::SetLoggedUnlogged, AEL, true, false},
      {"AT_SetUnLogged", ActionKind::SetLoggedUnlogged, AEL, true, false},
      {"AT_SetTableSpace", ActionKind::SetTablespaceOrAccessMethod, AEL, true, false},
      {"AT_SetAccessMethod", ActionKind::SetTablespaceOrAccessMethod, AEL, true, false},
      {"AT_EnableRowSecurity", ActionKind::RowLevelSecurity, AEL, false, false},
      {"AT_DisableRowSecurity", ActionKind::RowLevelSecurity, AEL, false, false},
      {"AT_ForceRowSecurity", ActionKind::RowLevelSecurity, AEL, false, false},
      {"AT_NoForceRowSecurity", ActionKind::RowLevelSecurity, AEL, false, false},
      {"AT_AddIdentity", ActionKind::OtherAlter, AEL, false, false},
      {"AT_SetIdentity", ActionKind::OtherAlter, AEL, false, false},
      {"AT_DropIdentity", ActionKind::OtherAlter, AEL, false, false},
      {"AT_ChangeOwner", ActionKind::OtherAlter, AEL, false, false},
      {"AT_ReplicaIdentity", ActionKind::OtherAlter, AEL, false, false},
      {"AT_AddInherit", ActionKind::OtherAlter, AEL, false, false},
      {"AT_DropInherit", ActionKind::OtherAlter, AEL, false, false},
      {"AT_DropOids", ActionKind::OtherAlter, AEL, false, false},
  };
  return table;
}

const SubcommandLock& alter_table_lock(std::string_view subtype) {
  static const SubcommandLock unknown{"", ActionKind::OtherAlter, AEL, false, false};
  for (const auto& row : alter_table_lock_table())
    if (row.subtype == subtype) return row;
  return unknown;
}

}  // namespace sm::sql

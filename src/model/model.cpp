#include "model/migration.h"

namespace sm::model {

const char* lock_mode_name(LockMode mode) {
  switch (mode) {
    case LockMode::None: return "no lock";
    case LockMode::AccessShare: return "ACCESS SHARE";
    case LockMode::RowShare: return "ROW SHARE";
    case LockMode::RowExclusive: return "ROW EXCLUSIVE";
    case LockMode::ShareUpdateExclusive: return "SHARE UPDATE EXCLUSIVE";
    case LockMode::Share: return "SHARE";
    case LockMode::ShareRowExclusive: return "SHARE ROW EXCLUSIVE";
    case LockMode::Exclusive: return "EXCLUSIVE";
    case LockMode::AccessExclusive: return "ACCESS EXCLUSIVE";
  }
  return "?";
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "?";
}

const char* framework_name(Framework f) {
  return f == Framework::Prisma ? "prisma" : "django";
}

static std::string quote_if(const std::string& s, bool quoted) {
  return quoted ? "\"" + s + "\"" : s;
}

std::string RelationName::display() const {
  if (schema.empty()) return quote_if(name, quoted);
  return quote_if(schema, quoted) + "." + quote_if(name, quoted);
}

std::string RelationName::key() const {
  return (schema.empty() ? "public" : schema) + "." + name;
}

const char* action_kind_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::CreateTable: return "create table";
    case ActionKind::DropTable: return "drop table";
    case ActionKind::TruncateTable: return "truncate";
    case ActionKind::RenameTable: return "rename table";
    case ActionKind::SetSchema: return "set schema";
    case ActionKind::AddColumn: return "add column";
    case ActionKind::DropColumn: return "drop column";
    case ActionKind::RenameColumn: return "rename column";
    case ActionKind::AlterColumnType: return "alter column type";
    case ActionKind::SetNotNull: return "set not null";
    case ActionKind::DropNotNull: return "drop not null";
    case ActionKind::SetDefault: return "set default";
    case ActionKind::DropDefault: return "drop default";
    case ActionKind::AddCheck: return "add check constraint";
    case ActionKind::AddForeignKey: return "add foreign key";
    case ActionKind::ReferencedByForeignKey: return "referenced by new foreign key";
    case ActionKind::AddUnique: return "add unique constraint";
    case ActionKind::AddPrimaryKey: return "add primary key";
    case ActionKind::AddExclusion: return "add exclusion constraint";
    case ActionKind::ValidateConstraint: return "validate constraint";
    case ActionKind::DropConstraint: return "drop constraint";
    case ActionKind::RenameConstraint: return "rename constraint";
    case ActionKind::CreateIndex: return "create index";
    case ActionKind::DropIndex: return "drop index";
    case ActionKind::Reindex: return "reindex";
    case ActionKind::CreateTrigger: return "create trigger";
    case ActionKind::DropTrigger: return "drop trigger";
    case ActionKind::EnableDisableTrigger: return "enable/disable trigger";
    case ActionKind::AttachPartition: return "attach partition";
    case ActionKind::DetachPartition: return "detach partition";
    case ActionKind::SetLoggedUnlogged: return "set logged/unlogged";
    case ActionKind::SetTablespaceOrAccessMethod: return "set tablespace/access method";
    case ActionKind::SetStorageOptions: return "set storage options";
    case ActionKind::RowLevelSecurity: return "row level security";
    case ActionKind::VacuumFull: return "vacuum full";
    case ActionKind::Cluster: return "cluster";
    case ActionKind::CreateView: return "create view";
    case ActionKind::DropView: return "drop view";
    case ActionKind::AlterEnumAddValue: return "alter type add value";
    case ActionKind::WriteRows: return "write rows";
    case ActionKind::ReadAllRows: return "read all rows";
    case ActionKind::LockTable: return "lock table";
    case ActionKind::IndexTable: return "index's table";
    case ActionKind::OtherAlter: return "other";
    case ActionKind::DropSchema: return "drop schema";
    case ActionKind::CreateRule: return "create rule";
    case ActionKind::DropRule: return "drop rule";
  }
  return "?";
}

std::vector<const Statement*> Migration::statements() const {
  std::vector<const Statement*> out;
  for (const auto& op : operations)
    for (const auto& st : op.statements) out.push_back(&st);
  return out;
}

}  // namespace sm::model

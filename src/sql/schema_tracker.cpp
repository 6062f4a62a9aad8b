#include "sql/schema_tracker.h"

#include <cstdlib>
#include <vector>

namespace sm::sql {

using model::ActionKind;
using model::LockMode;

namespace {

struct TypeParts {
  std::string base;
  std::vector<long> mods;
  bool array = false;
};

TypeParts split_type(const std::string& t) {
  TypeParts p;
  std::string s = t;
  while (s.size() >= 2 && s.compare(s.size() - 2, 2, "[]") == 0) {
    p.array = true;
    s.resize(s.size() - 2);
  }
  size_t paren = s.find('(');
  p.base = s.substr(0, paren);
  if (paren != std::string::npos) {
    const char* c = s.c_str() + paren + 1;
    while (*c && *c != ')') {
      char* end = nullptr;
      p.mods.push_back(std::strtol(c, &end, 10));
      c = (*end == ',') ? end + 1 : end;
      if (end == c && *c != ',') break;
    }
  }
  return p;
}

std::string column_key(const std::string& table, const std::string& column) {
  return table + "/" + column;
}

}  // namespace

bool type_change_skips_rewrite(const std::string& from, const std::string& to) {
  if (from == to) return true;
  TypeParts a = split_type(from), b = split_type(to);
  if (a.array != b.array) return false;
  auto widened = [&](size_t i) {
    return b.mods.size() <= i || (a.mods.size() > i && b.mods[i] >= a.mods[i]);
  };
  if (a.base == "varchar" && b.base == "text") return true;
  if (a.base == "varchar" && b.base == "varchar") return b.mods.empty() || (!a.mods.empty() && widened(0));
  if (a.base == "text" && b.base == "varchar") return b.mods.empty();
  if (a.base == "numeric" && b.base == "numeric") {
    if (b.mods.empty()) return true;
    if (a.mods.empty()) return false;
    long a_scale = a.mods.size() > 1 ? a.mods[1] : 0, b_scale = b.mods.size() > 1 ? b.mods[1] : 0;
    return a_scale == b_scale && b.mods[0] >= a.mods[0];
  }
  if ((a.base == "varbit" && b.base == "varbit") || (a.base == "bit" && b.base == "varbit"))
    return b.mods.empty() || (!a.mods.empty() && widened(0));
  if ((a.base == "timestamp" || a.base == "timestamptz" || a.base == "time" || a.base == "interval") &&
      a.base == b.base)
    return b.mods.empty() || (!a.mods.empty() && widened(0));
  if (a.base == "cidr" && b.base == "inet") return true;
  return false;
}

void SchemaTracker::begin_migration(std::string id, InDatabase in_database) {
  created_here_.clear();
  migration_ = std::move(id);
  in_database_ = std::move(in_database);
  session_path_.reset();
  local_path_.reset();
  path_at_begin_.reset();
  path_unknown_ = false;
}

void SchemaTracker::follow_search_path(const model::Statement& st) {
  if (st.tx == model::TxControl::Begin) {
    path_at_begin_ = session_path_;
  } else if (st.tx == model::TxControl::Commit) {
    local_path_.reset();
  } else if (st.tx == model::TxControl::Rollback) {
    session_path_ = path_at_begin_;  // a SET inside a rolled back transaction is undone too
    local_path_.reset();
  }
  if (!st.sets_search_path) return;
  path_unknown_ = st.search_path_unknown;
  if (path_unknown_) return;
  std::optional<std::vector<std::string>> value;
  if (!st.search_path.empty()) value = st.search_path;  // empty: RESET, DEFAULT: the session's own
  if (st.set_local) {
    local_path_ = value;
    if (!value) local_path_ = session_path_;
  } else {
    session_path_ = value;
    local_path_.reset();  // a plain SET replaces a SET LOCAL of the same transaction
  }
}

void SchemaTracker::resolve(model::RelationName& name, std::vector<std::string>& path) const {
  if (!name.schema.empty() || name.name.empty() || path_unknown_) return;
  const std::optional<std::vector<std::string>>& set = local_path_ ? local_path_ : session_path_;
  if (!set) return;  // the session's own search_path: the database resolves the name
  std::vector<std::string> schemas;
  for (const std::string& s : *set)
    if (s != "pg_catalog" && s != "pg_temp") schemas.push_back(s);
  if (schemas.size() == 1 && schemas.front() != "$user") {
    name.schema = schemas.front();
    return;
  }
  // Several schemas: the first where the migrations made or met the name, else the database's.
  for (const std::string& s : schemas) {
    if (s == "$user") break;  // the schema named after the role: only the database knows it
    std::string key = s + "." + name.name;
    if (origins_.count(key) || tables_.count(key) || index_table_.count(key)) {
      name.schema = s;
      return;
    }
  }
  path = std::move(schemas);
}

void SchemaTracker::move_relation(const model::Action& a, const model::RelationName& to) {
  std::string key = a.relation.key(), to_key = to.key();
  if (key == to_key) return;
  auto node = tables_.extract(key);
  if (!node.empty()) {
    node.key() = to_key;
    tables_.insert(std::move(node));
  }
  if (created_here_.erase(key)) created_here_.insert(to_key);
  Origin origin;
  if (auto it = origins_.find(key); it != origins_.end()) {
    origin = std::move(it->second);
    origins_.erase(it);
  }
  origin.renamed_from.insert(origin.renamed_from.begin(),
                             model::Action::PastName{migration_, a.relation, a.search_path});
  origins_[to_key] = std::move(origin);
  for (auto& [index, table] : index_table_)
    if (table == key) table = to_key;
  if (auto n = table_names_.extract(key); !n.empty()) {
    n.key() = to_key;
    n.mapped() = to;
    table_names_.insert(std::move(n));
  }
}

void SchemaTracker::apply(model::Statement& st) {
  if (!st.created_extension.empty()) extensions_.insert(st.created_extension);
  if (!st.min_postgres_unless_extension.empty() && extensions_.count(st.min_postgres_unless_extension)) {
    st.min_postgres = 0;  // the extension gives it on older versions too
    st.min_postgres_feature.clear();
  }
  // ALTER TYPE … RENAME TO: columns of the old name now have the new one (Prisma changes an enum
  // by creating Type_new, converting the columns, and renaming it back to Type).
  if (!st.renamed_type_from.empty()) {
    for (auto& [table, columns] : tables_)
      for (auto& [column, type] : columns) {
        size_t end = type.find_first_of("([");
        if (type.compare(0, end, st.renamed_type_from) == 0)
          type = st.renamed_type_to + (end == std::string::npos ? "" : type.substr(end));
      }
  }
  follow_search_path(st);
  std::vector<model::Action> index_tables;
  for (auto& a : st.actions) {
    resolve(a.relation, a.search_path);
    std::string key = a.relation.key();
    if (auto o = origins_.find(key); o != origins_.end()) {
      a.created_by = o->second.created_by;
      a.renamed_from = o->second.renamed_from;
    }
    if (a.kind == ActionKind::DropIndex) {
      auto it = index_table_.find(key);
      // A DROP INDEX of an index made in this migration, or on a table made in it.
      a.on_new_relation =
          created_here_.count(key) || (it != index_table_.end() && created_here_.count(it->second));
    } else if (a.kind != ActionKind::CreateTable) {
      a.on_new_relation = created_here_.count(key) > 0;
    }
    // DROP INDEX takes ACCESS EXCLUSIVE on the index's table; REINDEX INDEX takes SHARE on it and
    // ACCESS EXCLUSIVE on the index, which stops every read of the table at planning; their
    // CONCURRENTLY forms take SHARE UPDATE EXCLUSIVE on the table (measured on PG 15).
    bool reindex_index = a.kind == ActionKind::Reindex && a.detail == "index";
    if (a.kind == ActionKind::DropIndex || reindex_index) {
      auto it = index_table_.find(key);
      if (it != index_table_.end() && table_names_.count(it->second)) {
        model::Action t;
        t.kind = ActionKind::IndexTable;
        t.relation = table_names_.at(it->second);
        t.lock = a.concurrently  ? LockMode::ShareUpdateExclusive
                 : reindex_index ? LockMode::Share
                                 : LockMode::AccessExclusive;
        t.indirect_access_exclusive = reindex_index && !a.concurrently;
        t.concurrently = a.concurrently;
        t.object = a.relation.name;
        if (auto cols = index_columns_.find(key); cols != index_columns_.end()) t.column = cols->second;
        t.on_new_relation = created_here_.count(it->second) > 0;
        if (auto o = origins_.find(it->second); o != origins_.end()) {
          t.created_by = o->second.created_by;
          t.renamed_from = o->second.renamed_from;
        }
        t.loc = a.loc;
        index_tables.push_back(std::move(t));
      }
    }

    switch (a.kind) {
      case ActionKind::CreateTable: {
        // CREATE TABLE IF NOT EXISTS of a table an earlier migration made (or renamed to this
        // name), or that the database holds: nothing is created, and the table keeps its rows.
        bool known = tables_.count(key) || origins_.count(key);
        if (a.if_exists && (known || (in_database_ && in_database_(a.relation, a.search_path)))) {
          a.exists_already = true;
          if (!known) origins_[key] = Origin{};
          break;
        }
        created_here_.insert(key);
        origins_[key] = Origin{migration_, {}};
        a.created_by = migration_;
        a.renamed_from.clear();
        Columns& cols = tables_[key];
        cols.clear();
        for (const auto& [name, type] : a.columns) cols[name] = type;
        break;
      }
      case ActionKind::CreateView:
        created_here_.insert(key);
        origins_[key] = Origin{migration_, {}};
        a.created_by = migration_;
        a.renamed_from.clear();
        break;
      case ActionKind::CreateIndex: {
        model::RelationName idx{a.relation.schema, a.object, false};
        index_table_[idx.key()] = key;
        index_columns_[idx.key()] = a.column;
        table_names_[key] = a.relation;
        created_here_.insert(idx.key());
        if (!a.if_exists || !origins_.count(idx.key())) origins_[idx.key()] = Origin{migration_, {}};
        break;
      }
      case ActionKind::DropTable:
      case ActionKind::DropView:
        tables_.erase(key);
        created_here_.erase(key);
        origins_.erase(key);
        break;
      case ActionKind::RenameTable:
        move_relation(a, model::RelationName{a.relation.schema, a.object, false});
        break;
      case ActionKind::SetSchema:
        move_relation(a, model::RelationName{a.object, a.relation.name, false});
        break;
      case ActionKind::AddColumn: tables_[key][a.column] = a.new_type; break;
      case ActionKind::DropColumn: {
        auto t = tables_.find(key);
        if (t != tables_.end()) t->second.erase(a.column);
        break;
      }
      case ActionKind::RenameColumn: {
        auto t = tables_.find(key);
        if (t != tables_.end()) {
          auto c = t->second.find(a.column);
          if (c != t->second.end()) {
            std::string type = c->second;
            t->second.erase(c);
            t->second[a.object] = type;
          }
        }
        break;
      }
      case ActionKind::AlterColumnType: {
        auto t = tables_.find(key);
        std::string old;
        if (t != tables_.end()) {
          auto c = t->second.find(a.column);
          if (c != t->second.end()) old = c->second;
        }
        a.old_type = old;
        if (!a.detail.empty()) {
          a.rewrites = true;  // a USING expression recomputes every row
        } else if (old.empty()) {
          a.rewrite_depends_on_old_type = true;
          a.rewrites = true;
        } else {
          a.rewrites = !type_change_skips_rewrite(old, a.new_type);
        }
        tables_[key][a.column] = a.new_type;
        break;
      }
      case ActionKind::AddCheck:
        if (a.check_is_not_null) {
          if (a.not_valid)
            pending_not_null_checks_[a.object] = column_key(key, a.column);
          else
            valid_not_null_checks_.insert(column_key(key, a.column));
        }
        break;
      case ActionKind::ValidateConstraint: {
        auto it = pending_not_null_checks_.find(a.object);
        if (it != pending_not_null_checks_.end()) {
          valid_not_null_checks_.insert(it->second);
          pending_not_null_checks_.erase(it);
        }
        break;
      }
      case ActionKind::SetNotNull:
        // PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) exists.
        if (valid_not_null_checks_.count(column_key(key, a.column))) {
          a.scans = false;
          a.detail = "a validated CHECK (" + a.column + " IS NOT NULL) lets PostgreSQL skip the scan";
        }
        break;
      default: break;
    }
  }
  for (auto& t : index_tables) st.actions.push_back(std::move(t));
}

}  // namespace sm::sql

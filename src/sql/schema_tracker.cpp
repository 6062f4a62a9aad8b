#include "sql/schema_tracker.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
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

bool type_cast_cannot_fail(const std::string& from, const std::string& to) {
  if (from.empty() || to.empty()) return false;
  if (type_change_skips_rewrite(from, to)) return true;
  TypeParts a = split_type(from), b = split_type(to);
  if (a.array != b.array) return false;
  // Every type has a text form, so a cast to unbounded text cannot fail.
  if ((b.base == "text" || b.base == "varchar") && b.mods.empty()) return true;
  if (b.base == "varchar" && (a.base == "varchar" || a.base == "bpchar") && !a.mods.empty() &&
      !b.mods.empty() && b.mods[0] >= a.mods[0])
    return true;
  // Widening numbers (a float may round, it never fails); numeric only without a precision.
  static const std::unordered_map<std::string, std::unordered_set<std::string>> widen = {
      {"int2", {"int4", "int8", "numeric", "float4", "float8"}},
      {"int4", {"int8", "numeric", "float4", "float8"}},
      {"int8", {"numeric", "float4", "float8"}},
      {"float4", {"float8"}},
      {"date", {"timestamp", "timestamptz"}},
      {"timestamp", {"timestamptz", "timestamp"}},
      {"timestamptz", {"timestamp", "timestamptz"}},
      {"time", {"time"}},
  };
  auto it = widen.find(a.base);
  if (it == widen.end() || !it->second.count(b.base)) return false;
  return b.base != "numeric" || b.mods.empty();
}

namespace {
std::vector<std::string> split_columns(const std::string& list) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(',', begin);
    std::string c = list.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
    if (!c.empty()) out.push_back(c);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return out;
}
bool is_serial(const std::string& type) {
  return type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial2" ||
         type == "serial4" || type == "serial8";
}
}  // namespace

// Before `a` changes anything: what this migration's earlier statements let us say about it.
void SchemaTracker::annotate(model::Action& a, const std::string& key) {
  auto new_column = [&](const std::string& column) -> const NewColumn* {
    auto it = new_columns_.find(column_key(key, column));
    return it == new_columns_.end() ? nullptr : &it->second;
  };
  auto type_of = [&](const std::string& column) -> std::string {
    auto t = tables_.find(key);
    if (t == tables_.end()) return {};
    auto c = t->second.find(column);
    return c == t->second.end() ? std::string() : c->second;
  };
  if (a.kind == ActionKind::RenameColumn) {
    a.on_renamed_relation = renamed_tables_.count(key) > 0;
    a.on_new_column = new_column(a.column) != nullptr;
    if (a.on_new_column) {
      a.new_type = type_of(a.column);
      auto d = dropped_columns_.find(column_key(key, a.object));
      a.old_type = d == dropped_columns_.end() ? "" : d->second;
    }
    return;
  }
  if (a.on_new_relation) return;
  switch (a.kind) {
    case ActionKind::AddForeignKey: {
      std::vector<std::string> cols = split_columns(a.column);
      size_t nulls = 0;
      std::string null_column;
      for (const auto& c : cols)
        if (const NewColumn* n = new_column(c); n && n->only_nulls) {
          ++nulls;
          null_column = c;
        }
      // MATCH SIMPLE (the default) passes a row with any NULL key column; MATCH FULL one with all.
      if (!cols.empty() && (a.match_full ? nulls == cols.size() : nulls > 0)) {
        a.cannot_fail = "column \"" + null_column +
                        "\" was added above without a default and holds only NULLs, " +
                        "which a foreign key accepts";
        break;
      }
      auto d = dropped_constraints_.find(column_key(key, a.object));
      if (d != dropped_constraints_.end() &&
          (d->second.empty() || d->second == a.column + "->" + a.references))
        a.cannot_fail = "it re-adds foreign key \"" + a.object +
                        "\", dropped above with no row written since: the rows already satisfied it";
      break;
    }
    case ActionKind::CreateIndex:
    case ActionKind::AddUnique:
    case ActionKind::AddPrimaryKey: {
      if (a.kind == ActionKind::CreateIndex && a.detail != "unique") break;
      std::vector<std::string> cols = split_columns(a.column);
      for (const auto& c : cols) {
        const NewColumn* n = new_column(c);
        if (!n) continue;
        if (n->distinct && (a.kind != ActionKind::AddPrimaryKey || cols.size() == 1)) {
          a.cannot_fail =
              "column \"" + c + "\" was added above as serial or identity: its values are distinct";
          break;
        }
        if (n->only_nulls && !a.nulls_not_distinct && a.kind != ActionKind::AddPrimaryKey) {
          a.cannot_fail = "column \"" + c +
                          "\" was added above without a default and holds only NULLs, which never collide";
          break;
        }
      }
      break;
    }
    case ActionKind::AlterColumnType: {
      if (!a.detail.empty()) break;  // a USING expression may fail on a row
      const NewColumn* n = new_column(a.column);
      std::string old = type_of(a.column);
      if (n && n->only_nulls)
        a.cannot_fail = "column \"" + a.column + "\" was added above and holds only NULLs";
      else if (type_cast_cannot_fail(old, a.new_type))
        a.cannot_fail = "every " + old + " value converts to " + a.new_type;
      break;
    }
    case ActionKind::WriteRows: {
      if (a.detail != "UPDATE" || a.assignments.empty() || tables_with_triggers_.count(key)) break;
      for (const auto& [table, name] : unvalidated_checks_)
        if (table == key) return;
      for (const auto& [column, value] : a.assignments) {
        const NewColumn* n = new_column(column);
        if (!n || n->constrained || (n->not_null && value != "const")) return;
        if (value.rfind("col:", 0) == 0) {
          std::string from = type_of(value.substr(4)), to = type_of(column);
          if (from.empty() || (from != to && !type_cast_cannot_fail(from, to))) return;
        }
      }
      a.cannot_fail =
          "it sets only columns added above, to plain values, and no constraint or trigger can reject them";
      break;
    }
    default: break;
  }
}

// After `a`: what it changed that a later statement of this migration depends on.
void SchemaTracker::record(const model::Action& a, const std::string& key) {
  auto columns_of_table = [&](auto fn) {
    std::string prefix = key + "/";
    for (auto& [k, n] : new_columns_)
      if (k.compare(0, prefix.size(), prefix) == 0) fn(n);
  };
  auto constrain = [&](const std::string& list) {
    for (const auto& c : split_columns(list))
      if (auto it = new_columns_.find(column_key(key, c)); it != new_columns_.end())
        it->second.constrained = true;
  };
  switch (a.kind) {
    case ActionKind::AddColumn: {
      NewColumn n;
      n.distinct = is_serial(a.new_type) || a.detail == "identity column fills every row";
      n.not_null = a.not_null || n.distinct;
      n.only_nulls = !a.has_default && !a.not_null && !a.rewrites;
      n.constrained = a.scans || !a.references.empty();
      new_columns_[column_key(key, a.column)] = n;
      dropped_columns_.erase(column_key(key, a.column));
      break;
    }
    case ActionKind::DropColumn: {
      auto t = tables_.find(key);
      if (t != tables_.end())
        if (auto c = t->second.find(a.column); c != t->second.end())
          dropped_columns_[column_key(key, a.column)] = c->second;
      new_columns_.erase(column_key(key, a.column));
      break;
    }
    case ActionKind::RenameColumn: {
      auto node = new_columns_.extract(column_key(key, a.column));
      if (!node.empty()) {
        node.key() = column_key(key, a.object);
        new_columns_.insert(std::move(node));
      }
      break;
    }
    case ActionKind::RenameTable:
      renamed_tables_.insert(model::RelationName{a.relation.schema, a.object, false}.key());
      break;
    case ActionKind::WriteRows:
      columns_of_table([](NewColumn& n) { n.only_nulls = n.distinct = false; });
      for (auto it = dropped_constraints_.begin(); it != dropped_constraints_.end();)
        it = it->first.compare(0, key.size() + 1, key + "/") == 0 ? dropped_constraints_.erase(it)
                                                                  : std::next(it);
      break;
    case ActionKind::AlterColumnType:
      if (!a.detail.empty())
        if (auto it = new_columns_.find(column_key(key, a.column)); it != new_columns_.end())
          it->second.only_nulls = it->second.distinct = false;
      break;
    case ActionKind::SetNotNull:
      if (auto it = new_columns_.find(column_key(key, a.column)); it != new_columns_.end())
        it->second.not_null = true;
      break;
    case ActionKind::AddCheck:
      // The expression may name any column: every new column of the table is constrained.
      columns_of_table([](NewColumn& n) { n.constrained = true; });
      if (a.not_valid) unvalidated_checks_[a.object] = key;
      break;
    case ActionKind::ValidateConstraint: unvalidated_checks_.erase(a.object); break;
    case ActionKind::AddForeignKey:
      constrain(a.column);
      foreign_keys_[column_key(key, a.object)] = a.column + "->" + a.references;
      break;
    case ActionKind::AddUnique:
    case ActionKind::AddPrimaryKey:
    case ActionKind::AddExclusion: constrain(a.column); break;
    case ActionKind::CreateIndex:
      if (a.detail == "unique") constrain(a.column);
      break;
    case ActionKind::DropConstraint: {
      auto fk = foreign_keys_.find(column_key(key, a.object));
      dropped_constraints_[column_key(key, a.object)] = fk == foreign_keys_.end() ? "" : fk->second;
      if (fk != foreign_keys_.end()) foreign_keys_.erase(fk);
      unvalidated_checks_.erase(a.object);
      break;
    }
    case ActionKind::CreateTrigger: tables_with_triggers_.insert(key); break;
    case ActionKind::DropTable: tables_with_triggers_.erase(key); break;
    default: break;
  }
}

void SchemaTracker::begin_migration(std::string id, InDatabase in_database) {
  created_here_.clear();
  new_columns_.clear();
  dropped_columns_.clear();
  renamed_tables_.clear();
  dropped_constraints_.clear();
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

// The rules on table `table_key` named `name` (every rule on it when `name` is empty).
void SchemaTracker::drop_rules(const std::string& table_key, const std::string& name) {
  for (auto it = views_.begin(); it != views_.end();)
    if (it->second.rule_on == table_key && (name.empty() || it->first.rfind("rule " + name + " on ", 0) == 0))
      it = views_.erase(it);
    else
      ++it;
}

void SchemaTracker::move_relation(const model::Action& a, const model::RelationName& to) {
  std::string key = a.relation.key(), to_key = to.key();
  if (key == to_key) return;
  auto node = tables_.extract(key);
  if (!node.empty()) {
    node.key() = to_key;
    tables_.insert(std::move(node));
  }
  if (auto order = column_order_.extract(key); !order.empty()) {
    order.key() = to_key;
    column_order_.insert(std::move(order));
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
  // Views follow a renamed table (PostgreSQL records dependencies by OID), and a renamed view.
  for (auto& [name, view] : views_) {
    if (view.rule_on == key) view.rule_on = to_key;
    if (view.tables.erase(key)) view.tables.insert(to_key);
    if (view.columns.erase(key + ".*")) view.columns.insert(to_key + ".*");
  }
  if (auto v = views_.extract(key); !v.empty()) {
    v.key() = to_key;
    v.mapped().display = to.name;
    views_.insert(std::move(v));
  }
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

    annotate(a, key);
    record(a, key);
    if ((a.kind == ActionKind::CreateView || a.kind == ActionKind::CreateTable) && !a.reads.empty()) {
      View& v = views_[key];  // CREATE OR REPLACE VIEW: what the new query reads
      v = View{a.relation.display(), {}, {a.read_columns.begin(), a.read_columns.end()}, {}};
      for (const auto& t : a.reads) v.tables.insert(t.key());
    }
    if (a.kind == ActionKind::CreateRule) {
      drop_rules(key, a.object);  // CREATE OR REPLACE RULE
      View& v = views_["rule " + a.object + " on " + key];
      v = View{"rule \"" + a.object + "\" on " + a.relation.display(),
               {},
               {a.read_columns.begin(), a.read_columns.end()},
               key};
      for (const auto& t : a.reads) v.tables.insert(t.key());
      // An INSERT without a column list writes the table's first columns (measured on PG 15: the
      // rule then depends on them). A table whose columns are not all known adds none.
      for (const auto& [table, count] : a.positional_inserts) {
        auto order = column_order_.find(table.key());  // as the rule's other tables: by its key
        if (order == column_order_.end()) continue;
        for (size_t i = 0; i < count && i < order->second.size(); ++i) v.columns.insert(order->second[i]);
      }
    }
    if (a.kind == ActionKind::DropRule) drop_rules(key, a.object);
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
        for (const auto& col : a.not_null_columns) not_null_.insert(column_key(key, col));
        // Its CHECKs are validated CHECKs from the start, as if added right after.
        for (const model::Action& check : a.checks) {
          checks_[key + "/" +
                  (check.object.empty() ? "#" + std::to_string(++unnamed_checks_) : check.object)] = {true,
                                                                                                      check};
          if (check.check_is_not_null) valid_not_null_checks_.insert(column_key(key, check.column));
        }
        Columns& cols = tables_[key];
        cols.clear();
        for (const auto& [name, type] : a.columns) cols[name] = type;
        auto& order = column_order_[key];
        order.clear();
        for (const auto& [name, type] : a.columns) order.push_back(name);
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
        views_.erase(key);
        drop_rules(key, {});
        tables_.erase(key);
        column_order_.erase(key);
        created_here_.erase(key);
        origins_.erase(key);
        break;
      case ActionKind::RenameTable:
        move_relation(a, model::RelationName{a.relation.schema, a.object, false});
        break;
      case ActionKind::SetSchema:
        move_relation(a, model::RelationName{a.object, a.relation.name, false});
        break;
      case ActionKind::AddColumn:
        tables_[key][a.column] = a.new_type;
        if (auto order = column_order_.find(key); order != column_order_.end())
          order->second.push_back(a.column);
        if (a.not_null) not_null_.insert(column_key(key, a.column));
        break;
      case ActionKind::DropNotNull: not_null_.erase(column_key(key, a.column)); break;
      case ActionKind::DropColumn: {
        auto t = tables_.find(key);
        if (t != tables_.end()) t->second.erase(a.column);
        if (auto order = column_order_.find(key); order != column_order_.end())
          std::erase(order->second, a.column);
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
        for (auto& [name, view] : views_)
          if (view.tables.count(key) && view.columns.erase(a.column)) view.columns.insert(a.object);
        if (auto order = column_order_.find(key); order != column_order_.end())
          std::replace(order->second.begin(), order->second.end(), a.column, a.object);
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
        // PostgreSQL refuses ALTER COLUMN TYPE on a column a view or rule uses ("cannot alter type
        // of a column used by a view or rule"). Columns are matched by name in every table the
        // view reads: a view over two tables that both have the column counts for both.
        for (const auto& [name, view] : views_)
          if (view.tables.count(key) && (view.columns.count(a.column) || view.columns.count(key + ".*")))
            a.dependent_views.push_back(view.display);
        std::sort(a.dependent_views.begin(), a.dependent_views.end());
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
        checks_[key + "/" + (a.object.empty() ? "#" + std::to_string(++unnamed_checks_) : a.object)] = {
            !a.not_valid, a};
        if (a.check_is_not_null) {
          if (a.not_valid)
            pending_not_null_checks_[a.object] = column_key(key, a.column);
          else
            valid_not_null_checks_.insert(column_key(key, a.column));
        }
        break;
      case ActionKind::DropConstraint: checks_.erase(key + "/" + a.object); break;
      case ActionKind::AttachPartition: {
        // PostgreSQL skips the partition's scan when its constraints imply the bound; a validated
        // CHECK that names every value of the bound is taken as one that does.
        if (!a.scans || a.default_partition || a.constants.empty()) break;
        std::string prefix = key + "/";
        for (const auto& [name, check] : checks_) {
          if (name.compare(0, prefix.size(), prefix) != 0 || !check.first) continue;
          const model::Action& c = check.second;
          auto has = [](const std::vector<std::string>& list, const std::string& v) {
            return std::find(list.begin(), list.end(), v) != list.end();
          };
          bool names_bound = std::all_of(a.constants.begin(), a.constants.end(),
                                         [&](const std::string& v) { return has(c.constants, v); });
          // The bound's constraint also says `key IS NOT NULL`: a CHECK implies it only where its
          // columns cannot be NULL (declared NOT NULL, or tested IS NOT NULL by the CHECK).
          bool not_null =
              std::all_of(c.read_columns.begin(), c.read_columns.end(), [&](const std::string& col) {
                return has(c.not_null_columns, col) || not_null_.count(column_key(key, col));
              });
          if (names_bound && not_null) {
            a.scans = false;
            a.detail = "the validated CHECK " + name.substr(prefix.size()) + " names the bound";
            break;
          }
        }
        break;
      }
      case ActionKind::ValidateConstraint: {
        if (auto c = checks_.find(key + "/" + a.object); c != checks_.end()) c->second.first = true;
        auto it = pending_not_null_checks_.find(a.object);
        if (it != pending_not_null_checks_.end()) {
          valid_not_null_checks_.insert(it->second);
          pending_not_null_checks_.erase(it);
        }
        break;
      }
      case ActionKind::SetNotNull:
        not_null_.insert(column_key(key, a.column));
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

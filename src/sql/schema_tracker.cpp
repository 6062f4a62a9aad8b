#include "sql/schema_tracker.h"

#include <algorithm>
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

void SchemaTracker::begin_migration() {
  created_here_.clear();
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
  std::vector<model::Action> index_tables;
  for (auto& a : st.actions) {
    std::string key = a.relation.key();
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
        t.loc = a.loc;
        index_tables.push_back(std::move(t));
      }
    }

    if ((a.kind == ActionKind::CreateView || a.kind == ActionKind::CreateTable) && !a.reads.empty()) {
      View& v = views_[key];  // CREATE OR REPLACE VIEW: what the new query reads
      v = View{a.relation.display(), {}, {a.read_columns.begin(), a.read_columns.end()}};
      for (const auto& t : a.reads) v.tables.insert(t.key());
    }
    switch (a.kind) {
      case ActionKind::DropView: views_.erase(key); break;
      case ActionKind::CreateTable: {
        created_here_.insert(key);
        for (const auto& col : a.not_null_columns) not_null_.insert(column_key(key, col));
        Columns& cols = tables_[key];
        cols.clear();
        for (const auto& [name, type] : a.columns) cols[name] = type;
        break;
      }
      case ActionKind::CreateView: created_here_.insert(key); break;
      case ActionKind::CreateIndex: {
        model::RelationName idx{a.relation.schema, a.object, false};
        index_table_[idx.key()] = key;
        index_columns_[idx.key()] = a.column;
        table_names_[key] = a.relation;
        created_here_.insert(idx.key());
        break;
      }
      case ActionKind::DropTable:
        views_.erase(key);
        tables_.erase(key);
        created_here_.erase(key);
        break;
      case ActionKind::RenameTable: {
        model::RelationName to{a.relation.schema, a.object, false};
        auto node = tables_.extract(key);
        if (!node.empty()) {
          node.key() = to.key();
          tables_.insert(std::move(node));
        }
        if (created_here_.erase(key)) created_here_.insert(to.key());
        // Views follow a renamed table (PostgreSQL records dependencies by OID), and a renamed view.
        for (auto& [name, view] : views_) {
          if (view.tables.erase(key)) view.tables.insert(to.key());
          if (view.columns.erase(key + ".*")) view.columns.insert(to.key() + ".*");
        }
        if (auto v = views_.extract(key); !v.empty()) {
          v.key() = to.key();
          v.mapped().display = to.name;
          views_.insert(std::move(v));
        }
        break;
      }
      case ActionKind::AddColumn:
        tables_[key][a.column] = a.new_type;
        if (a.not_null) not_null_.insert(column_key(key, a.column));
        break;
      case ActionKind::DropNotNull: not_null_.erase(column_key(key, a.column)); break;
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
        for (auto& [name, view] : views_)
          if (view.tables.count(key) && view.columns.erase(a.column)) view.columns.insert(a.object);
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

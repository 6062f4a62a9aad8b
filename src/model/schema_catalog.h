// The objects migrations manage in one database, as `safemigrate drift` compares them: read by
// src/db/catalog.cpp from PostgreSQL's catalogs, compared by diff_catalogs (pure, no database).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sm::model {

enum class ObjectKind {
  Schema,
  Extension,
  Enum,
  Sequence,
  Function,
  Table,
  Column,
  Constraint,
  Index,
  View,
  Trigger
};
const char* object_kind_name(ObjectKind k);  // "schema", "extension", "enum", ...

struct CatalogObject {
  ObjectKind kind = ObjectKind::Table;
  std::string schema;
  std::string table;      // the owning table of a column, constraint, index or trigger
  std::string name;       // the object's own name (a column's name, a function's name)
  std::string signature;  // a function's identity arguments, "integer, text"
  // Compared attributes (missing key = empty). Per kind:
  //   extension: schema, version · sequence: type, start, increment, min, max, cache, cycle
  //   table: kind ("r" table, "p" partitioned), persistence ("p", "u" unlogged)
  //   column: type, notnull ("t"/"f"), default, identity ("", "a", "d"), generated ("" or the
  //     stored expression), collation · constraint: type (p u f c x), definition (without
  //     " NOT VALID"), validated ("t"/"f") · index: definition, valid ("t"/"f")
  //   view: kind ("v", "m"), definition · trigger: definition, enabled · function: definition
  std::map<std::string, std::string> attrs;
  std::vector<std::string> labels;  // an enum's labels in their sort order
  // Columns whose type is this enum ("schema"."table"."column" parts), for the recipe that
  // recreates an enum; filled for enums only.
  std::vector<std::vector<std::string>> used_by;

  std::string attr(const std::string& k) const {
    auto it = attrs.find(k);
    return it == attrs.end() ? std::string() : it->second;
  }
  // What identifies it across two databases: kind, schema, table, name, signature.
  std::string key() const;
  // "index public.User.User_email_key" (with its table), "column public.User.email",
  // "function public.f(integer)".
  std::string display() const;
};

struct Catalog {
  std::vector<CatalogObject> objects;
};

enum class DriftSide {
  ProductionOnly,  // production has it; the migrations do not create it
  MigrationsOnly,  // the migrations create it; production does not have it
  Differs,         // both have it, differently
};
const char* drift_side_name(DriftSide s);  // "production-only", "migrations-only", "differs"

struct AttrDifference {
  std::string attr;
  std::string production;  // "" when absent
  std::string migrations;
};

struct Difference {
  ObjectKind kind = ObjectKind::Table;
  std::string object;  // display()
  DriftSide side = DriftSide::Differs;
  std::string production;             // what production has (a definition or a summary), "" when absent
  std::string migrations;             // what the migrations make
  std::vector<AttrDifference> attrs;  // for Differs
  // The statements that bring production back to what the migrations make, in order.
  std::vector<std::string> fix;
  // The statements of a new migration that would adopt production's state instead (may be
  // empty when none is natural).
  std::vector<std::string> adopt;
  int phase = 0;  // where its fix goes in the whole script (drops first, then creations)
};

// Every difference between the two catalogs, in the order their fix statements run. Objects of
// a table or schema that exists on one side only are folded into that table's or schema's
// difference (its DROP or CREATE covers them).
std::vector<Difference> diff_catalogs(const Catalog& production, const Catalog& migrations);

// A PostgreSQL identifier, always double-quoted ("User", "a""b").
std::string quote_ident(const std::string& name);
// A PostgreSQL string literal ('it''s').
std::string quote_literal(const std::string& value);

}  // namespace sm::model

#include "db/catalog.h"

#include <map>

namespace sm::db {

namespace {

using model::CatalogObject;
using model::ObjectKind;

// Schemas that are PostgreSQL's own (a temporary schema per session, TOAST's).
constexpr const char* kUserNamespace =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
    "AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

// NOT an object an extension owns: `catalog` is its system catalog ('pg_class', 'pg_type'…).
std::string not_extension_owned(const std::string& catalog, const std::string& oid) {
  return "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '" + catalog +
         "'::regclass AND d.objid = " + oid + " AND d.deptype = 'e')";
}

std::string text(const pqxx::field& f) {
  return f.is_null() ? std::string() : f.as<std::string>();
}

}  // namespace

model::Catalog read_catalog(Database& db, const CatalogFilter& filter) {
  pqxx::work tx(db.conn(), "read_catalog");
  tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  tx.exec("SET LOCAL search_path = pg_catalog");
  std::string skip;
  for (const std::string& t : filter.skip_tables) skip += (skip.empty() ? "" : ", ") + tx.quote(t);
  // NOT IN (NULL) would leave out every table: with nothing to skip, skip a name no table has.
  if (skip.empty()) skip = "''";
  // The tables (and partitioned tables) read: relations of user schemas, not an extension's, not
  // a skipped one.
  const std::string tables =
      std::string("SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON ") +
      "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND " + kUserNamespace +
      " AND c.relname NOT IN (" + skip + ") AND " + not_extension_owned("pg_class", "c.oid");

  model::Catalog cat;
  auto add = [&](ObjectKind kind, std::string schema, std::string table, std::string name) -> CatalogObject& {
    CatalogObject o;
    o.kind = kind;
    o.schema = std::move(schema);
    o.table = std::move(table);
    o.name = std::move(name);
    cat.objects.push_back(std::move(o));
    return cat.objects.back();
  };

  for (const auto& r : tx.exec(std::string("SELECT n.nspname FROM pg_namespace n WHERE ") + kUserNamespace +
                               " AND " + not_extension_owned("pg_namespace", "n.oid") + " ORDER BY 1"))
    add(ObjectKind::Schema, "", "", text(r[0]));

  for (const auto& r :
       tx.exec("SELECT e.extname, n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n "
               "ON n.oid = e.extnamespace ORDER BY 1")) {
    CatalogObject& o = add(ObjectKind::Extension, "", "", text(r[0]));
    o.attrs = {{"schema", text(r[1])}, {"version", text(r[2])}};
  }

  // Enums, one row per label in order, with the columns that use each (for the recipe that makes
  // an enum again).
  std::map<std::string, size_t> enums;  // "schema\x1fname" -> index in cat.objects
  for (const auto& r : tx.exec(
           std::string("SELECT n.nspname, t.typname, e.enumlabel FROM pg_type t JOIN pg_namespace n ON ") +
           "n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid WHERE " + kUserNamespace + " AND " +
           not_extension_owned("pg_type", "t.oid") + " ORDER BY n.nspname, t.typname, e.enumsortorder")) {
    std::string k = text(r[0]) + '\x1f' + text(r[1]);
    auto it = enums.find(k);
    if (it == enums.end()) {
      add(ObjectKind::Enum, text(r[0]), "", text(r[1]));
      it = enums.emplace(k, cat.objects.size() - 1).first;
    }
    cat.objects[it->second].labels.push_back(text(r[2]));
  }
  for (const auto& r :
       tx.exec("SELECT tn.nspname, t.typname, tbl.nspname, tbl.relname, a.attname, "
               "pg_get_expr(ad.adbin, ad.adrelid) FROM (" +
               tables +
               ") tbl JOIN pg_attribute a ON a.attrelid = tbl.oid JOIN pg_type t ON t.oid = a.atttypid "
               "JOIN pg_namespace tn ON tn.oid = t.typnamespace LEFT JOIN pg_attrdef ad ON "
               "ad.adrelid = a.attrelid AND ad.adnum = a.attnum WHERE t.typtype = 'e' AND "
               "a.attnum > 0 AND NOT a.attisdropped ORDER BY 3, 4, 5")) {
    auto it = enums.find(text(r[0]) + '\x1f' + text(r[1]));
    if (it != enums.end())
      cat.objects[it->second].used_by.push_back({text(r[2]), text(r[3]), text(r[4]), text(r[5])});
  }

  // Sequences, not those of identity columns (deptype 'i': they are the column's identity).
  for (const auto& r : tx.exec(
           std::string(
               "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, ") +
           "s.seqmin, s.seqmax, s.seqcache, s.seqcycle FROM pg_sequence s JOIN pg_class c ON c.oid = "
           "s.seqrelid "
           "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
           kUserNamespace + " AND " + not_extension_owned("pg_class", "c.oid") +
           " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = "
           "c.oid "
           "AND d.deptype = 'i') "
           // Nor those a skipped table's serial column owns (django_migrations.id on Django 3.2).
           "AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid WHERE d.classid "
           "= "
           "'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = "
           "'a' AND t.relname IN (" +
           skip + ")) ORDER BY 1, 2")) {
    CatalogObject& o = add(ObjectKind::Sequence, text(r[0]), "", text(r[1]));
    o.attrs = {{"type", text(r[2])},
               {"start", text(r[3])},
               {"increment", text(r[4])},
               {"min", text(r[5])},
               {"max", text(r[6])},
               {"cache", text(r[7])},
               {"cycle", r[8].as<bool>() ? "t" : "f"}};
  }

  // Functions and procedures (aggregates and window functions have no pg_get_functiondef).
  for (const auto& r :
       tx.exec(std::string("SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), ") +
               "p.prokind, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
               "p.pronamespace WHERE p.prokind IN ('f', 'p') AND " +
               kUserNamespace + " AND " + not_extension_owned("pg_proc", "p.oid") + " ORDER BY 1, 2, 3")) {
    CatalogObject& o = add(ObjectKind::Function, text(r[0]), "", text(r[1]));
    o.signature = text(r[2]);
    o.attrs = {{"kind", text(r[3])}, {"definition", text(r[4])}};
  }

  for (const auto& r :
       tx.exec("SELECT tbl.nspname, tbl.relname, c.relkind, c.relpersistence, "
               "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
               "(SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i JOIN pg_class pc "
               "ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE "
               "c.relispartition AND i.inhrelid = c.oid), "
               "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END FROM (" +
               tables + ") tbl JOIN pg_class c ON c.oid = tbl.oid ORDER BY 1, 2")) {
    CatalogObject& o = add(ObjectKind::Table, text(r[0]), "", text(r[1]));
    o.attrs = {{"kind", text(r[2])}, {"persistence", text(r[3])}};
    if (!r[4].is_null()) o.attrs["partition_by"] = text(r[4]);
    if (!r[5].is_null()) o.attrs["partition_of"] = text(r[5]);
    if (!r[6].is_null()) o.attrs["partition_bound"] = text(r[6]);
  }

  // Columns in their order; a collation only when it is not the type's own.
  for (const auto& r :
       tx.exec("SELECT tbl.nspname, tbl.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
               "a.attnotnull, CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END, "
               "a.attidentity, CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END, "
               "CASE WHEN a.attcollation <> t.typcollation THEN (SELECT format('%I.%I', cn.nspname, "
               "co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace "
               "WHERE co.oid = a.attcollation) END FROM (" +
               tables +
               ") tbl JOIN pg_attribute a ON a.attrelid = tbl.oid JOIN pg_type t ON t.oid = a.atttypid "
               "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
               "WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, a.attnum")) {
    CatalogObject& o = add(ObjectKind::Column, text(r[0]), text(r[1]), text(r[2]));
    o.attrs = {{"type", text(r[3])},      {"notnull", r[4].as<bool>() ? "t" : "f"},
               {"default", text(r[5])},   {"identity", text(r[6])},
               {"generated", text(r[7])}, {"collation", text(r[8])}};
  }

  // Table constraints; a partition's copies of its parent's (conparentid) follow the parent's.
  for (const auto& r :
       tx.exec("SELECT tbl.nspname, tbl.relname, co.conname, co.contype, pg_get_constraintdef(co.oid), "
               "co.convalidated FROM (" +
               tables +
               ") tbl JOIN pg_constraint co ON co.conrelid = tbl.oid WHERE co.conparentid = 0 "
               "ORDER BY 1, 2, 3")) {
    CatalogObject& o = add(ObjectKind::Constraint, text(r[0]), text(r[1]), text(r[2]));
    std::string def = text(r[4]);
    // pg_get_constraintdef appends " NOT VALID" to a constraint not validated; validity is its
    // own attribute, so that a VALIDATE is all a fix needs.
    const std::string suffix = " NOT VALID";
    if (def.size() > suffix.size() && def.compare(def.size() - suffix.size(), suffix.size(), suffix) == 0)
      def.resize(def.size() - suffix.size());
    o.attrs = {{"type", text(r[3])}, {"definition", def}, {"validated", r[5].as<bool>() ? "t" : "f"}};
  }

  // Indexes, not those a constraint owns (primary key, unique, exclusion: the constraint says it).
  for (const auto& r :
       tx.exec("SELECT tbl.nspname, tbl.relname, ic.relname, pg_get_indexdef(i.indexrelid), "
               "i.indisvalid FROM (" +
               tables +
               ") tbl JOIN pg_index i ON i.indrelid = tbl.oid JOIN pg_class ic ON ic.oid = "
               "i.indexrelid WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = "
               "i.indexrelid AND co.contype IN ('p', 'u', 'x') AND co.conrelid = i.indrelid) "
               "ORDER BY 1, 2, 3")) {
    CatalogObject& o = add(ObjectKind::Index, text(r[0]), text(r[1]), text(r[2]));
    o.attrs = {{"definition", text(r[3])}, {"valid", r[4].as<bool>() ? "t" : "f"}};
  }

  for (const auto& r :
       tx.exec(std::string("SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid) FROM pg_class c ") +
               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND " +
               kUserNamespace + " AND " + not_extension_owned("pg_class", "c.oid") +
               // A skipped name may be a view's (a Django model with managed = False over a view).
               " AND c.relname NOT IN (" + skip + ") ORDER BY 1, 2")) {
    CatalogObject& o = add(ObjectKind::View, text(r[0]), "", text(r[1]));
    o.attrs = {{"kind", text(r[2])}, {"definition", text(r[3])}};
  }

  for (const auto& r :
       tx.exec("SELECT tbl.nspname, tbl.relname, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled "
               "FROM (" +
               tables +
               ") tbl JOIN pg_trigger tg ON tg.tgrelid = tbl.oid WHERE NOT tg.tgisinternal "
               "AND tg.tgparentid = 0 ORDER BY 1, 2, 3")) {
    CatalogObject& o = add(ObjectKind::Trigger, text(r[0]), text(r[1]), text(r[2]));
    o.attrs = {{"definition", text(r[3])}, {"enabled", text(r[4])}};
  }
  tx.commit();
  return cat;
}

}  // namespace sm::db

// Reads the objects migrations manage (src/model/schema_catalog.h) from one database, in one
// query per kind of object (eleven in all, whatever the number of objects), for `drift`.
#pragma once

#include <string>
#include <vector>

#include "db/database.h"
#include "model/schema_catalog.h"

namespace sm::db {

struct CatalogFilter {
  // Tables (or views) left out wherever they are, with their columns, constraints, indexes,
  // triggers and the sequences their serial columns own: the frameworks' history tables; drift
  // adds the tables of Django's unmanaged models.
  std::vector<std::string> skip_tables = {"_prisma_migrations", "django_migrations"};
};

// Every schema, extension, enum, sequence (not an identity column's), function and procedure,
// table, column, constraint, index (not one a constraint owns), view and trigger (not an
// internal one) outside PostgreSQL's own schemas, leaving out objects an extension owns
// (pg_depend deptype 'e') and `filter`'s tables. Read in one REPEATABLE READ transaction with
// search_path = pg_catalog, so that every name PostgreSQL prints in a definition is qualified.
model::Catalog read_catalog(Database& db, const CatalogFilter& filter = {});

}  // namespace sm::db

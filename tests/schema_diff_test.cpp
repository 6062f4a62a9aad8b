// diff_catalogs without a database: generated catalogs (every kind of object, random attributes)
// compare equal to themselves and mirror each other, objects of a one-sided table fold into it,
// and each way an enum's labels can change gets the statements PostgreSQL accepts for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "model/schema_catalog.h"

namespace sm::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CatalogObject obj(ObjectKind k, std::string schema, std::string table, std::string name,
                  std::map<std::string, std::string> attrs = {}) {
  CatalogObject o;
  o.kind = k;
  o.schema = std::move(schema);
  o.table = std::move(table);
  o.name = std::move(name);
  o.attrs = std::move(attrs);
  return o;
}

// A random catalog: a few tables with columns, constraints, indexes and triggers, and one of every
// other kind, each present or not and with attributes drawn from small sets (so that two
// catalogs share many objects and differ in some).
Catalog random_catalog(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> v) { return std::string(v.begin()[rng() % v.size()]); };
  auto coin = [&] { return rng() % 2 == 0; };
  Catalog c;
  for (const char* s : {"public", "audit"})
    if (coin()) c.objects.push_back(obj(ObjectKind::Schema, "", "", s));
  if (coin())
    c.objects.push_back(obj(ObjectKind::Extension, "", "", "citext",
                            {{"schema", "public"}, {"version", pick({"1.5", "1.6"})}}));
  for (const char* e : {"Role", "Kind"})
    if (coin()) {
      CatalogObject o = obj(ObjectKind::Enum, "public", "", e);
      for (const char* l : {"A", "B", "C"})
        if (coin()) o.labels.push_back(l);
      c.objects.push_back(o);
    }
  if (coin())
    c.objects.push_back(obj(ObjectKind::Sequence, "public", "", "seq",
                            {{"type", "bigint"},
                             {"start", "1"},
                             {"increment", pick({"1", "5"})},
                             {"min", "1"},
                             {"max", "100"},
                             {"cache", "1"},
                             {"cycle", "f"}}));
  if (coin()) {
    CatalogObject f =
        obj(ObjectKind::Function, "public", "", "f",
            {{"kind", "f"},
             {"definition",
              pick({"CREATE OR REPLACE FUNCTION public.f() x", "CREATE OR REPLACE FUNCTION public.f() y"})}});
    f.signature = "integer";
    c.objects.push_back(f);
  }
  for (const char* t : {"User", "Post", "Tag"}) {
    if (!coin()) continue;
    c.objects.push_back(
        obj(ObjectKind::Table, "public", "", t, {{"kind", "r"}, {"persistence", pick({"p", "u"})}}));
    for (const char* col : {"id", "name", "email"})
      if (coin())
        c.objects.push_back(obj(ObjectKind::Column, "public", t, col,
                                {{"type", pick({"integer", "text"})},
                                 {"notnull", pick({"t", "f"})},
                                 {"default", pick({"", "0"})},
                                 {"identity", pick({"", "a", "d"})},
                                 {"generated", ""},
                                 {"collation", ""}}));
    if (coin())
      c.objects.push_back(obj(ObjectKind::Constraint, "public", t, std::string(t) + "_fkey",
                              {{"type", "f"},
                               {"definition", "FOREIGN KEY (id) REFERENCES public.\"User\"(id)"},
                               {"validated", pick({"t", "f"})}}));
    if (coin())
      c.objects.push_back(obj(ObjectKind::Constraint, "public", t, std::string(t) + "_check",
                              {{"type", "c"},
                               {"definition", pick({"CHECK (id > 0)", "CHECK (id > 1)"})},
                               {"validated", pick({"t", "f"})}}));
    if (coin())
      c.objects.push_back(
          obj(ObjectKind::Index, "public", t, std::string(t) + "_idx",
              {{"definition", pick({"CREATE INDEX a", "CREATE INDEX b"})}, {"valid", pick({"t", "f"})}}));
    if (coin())
      c.objects.push_back(obj(ObjectKind::Trigger, "public", t, std::string(t) + "_trg",
                              {{"definition", "CREATE TRIGGER x"}, {"enabled", pick({"O", "D"})}}));
  }
  if (coin())
    c.objects.push_back(obj(ObjectKind::View, "public", "", "v",
                            {{"kind", "v"}, {"definition", pick({" SELECT 1;", " SELECT 2;"})}}));
  return c;
}

TEST(SchemaDiff, GeneratedCatalogsEqualThemselvesAndMirrorEachOther) {
  std::mt19937 rng(20261206);
  for (int trial = 0; trial < 500; ++trial) {
    Catalog a = random_catalog(rng), b = random_catalog(rng);
    EXPECT_TRUE(diff_catalogs(a, a).empty());
    std::vector<Difference> ab = diff_catalogs(a, b), ba = diff_catalogs(b, a);
    ASSERT_EQ(ab.size(), ba.size());
    std::map<std::string, const Difference*> by_object;
    for (const Difference& d : ba) by_object[d.object] = &d;
    for (const Difference& d : ab) {
      SCOPED_TRACE(d.object);
      ASSERT_EQ(by_object.count(d.object), 1u);
      const Difference& m = *by_object[d.object];
      DriftSide mirrored = d.side == DriftSide::Differs          ? DriftSide::Differs
                           : d.side == DriftSide::ProductionOnly ? DriftSide::MigrationsOnly
                                                                 : DriftSide::ProductionOnly;
      EXPECT_EQ(m.side, mirrored);
      // What brings a back to b adopts b's state on the other side, and the other way round.
      EXPECT_EQ(d.fix, m.adopt);
      EXPECT_EQ(d.adopt, m.fix);
      EXPECT_FALSE(d.fix.empty() && d.side != DriftSide::Differs);
      EXPECT_EQ(d.production.empty(), d.side == DriftSide::MigrationsOnly);
    }
    // Drops (phases below 20) come before creations and changes.
    for (size_t i = 1; i < ab.size(); ++i) EXPECT_LE(ab[i - 1].phase, ab[i].phase);
  }
}

TEST(SchemaDiff, ATableOnOneSideCarriesItsObjectsButNotItsForeignKeys) {
  Catalog prod, mig;
  mig.objects = {
      obj(ObjectKind::Table, "public", "", "T", {{"kind", "r"}, {"persistence", "p"}}),
      obj(ObjectKind::Column, "public", "T", "id", {{"type", "integer"}, {"notnull", "t"}}),
      obj(ObjectKind::Column, "public", "T", "u", {{"type", "integer"}, {"notnull", "f"}}),
      obj(ObjectKind::Constraint, "public", "T", "T_pkey",
          {{"type", "p"}, {"definition", "PRIMARY KEY (id)"}, {"validated", "t"}}),
      obj(ObjectKind::Constraint, "public", "T", "T_u_fkey",
          {{"type", "f"}, {"definition", "FOREIGN KEY (u) REFERENCES public.\"U\"(id)"}, {"validated", "t"}}),
      obj(ObjectKind::Index, "public", "T", "T_u_idx",
          {{"definition", "CREATE INDEX \"T_u_idx\" ON public.\"T\" USING btree (u)"}, {"valid", "t"}})};
  std::vector<Difference> d = diff_catalogs(prod, mig);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].object, "table public.T");
  EXPECT_EQ(d[0].side, DriftSide::MigrationsOnly);
  EXPECT_THAT(d[0].fix,
              ElementsAre("CREATE TABLE \"public\".\"T\" (\n  \"id\" integer NOT NULL,\n  \"u\" integer\n);",
                          "ALTER TABLE \"public\".\"T\" ADD CONSTRAINT \"T_pkey\" PRIMARY KEY (id);",
                          "CREATE INDEX \"T_u_idx\" ON public.\"T\" USING btree (u);"));
  EXPECT_EQ(d[1].object, "constraint public.T.T_u_fkey");
  // The other way, the foreign key goes first, then DROP TABLE takes the rest.
  std::vector<Difference> r = diff_catalogs(mig, prod);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fix, ElementsAre("ALTER TABLE \"public\".\"T\" DROP CONSTRAINT \"T_u_fkey\";"));
  EXPECT_THAT(r[1].fix, ElementsAre("DROP TABLE \"public\".\"T\";"));
}

std::vector<std::string> enum_fix(std::vector<std::string> have, std::vector<std::string> want) {
  Catalog prod, mig;
  CatalogObject p = obj(ObjectKind::Enum, "public", "", "E"), m = p;
  p.labels = std::move(have);
  p.used_by = {{"public", "T", "c", "'A'::public.\"E\""}};
  m.labels = std::move(want);
  prod.objects = {p};
  mig.objects = {m};
  std::vector<Difference> d = diff_catalogs(prod, mig);
  return d.empty() ? std::vector<std::string>{} : d[0].fix;
}

TEST(SchemaDiff, EnumLabelChangesGetTheStatementsPostgresAccepts) {
  EXPECT_THAT(enum_fix({"A", "C"}, {"Z", "A", "B", "C", "D"}),
              ElementsAre("ALTER TYPE \"public\".\"E\" ADD VALUE 'Z' BEFORE 'A';",
                          "ALTER TYPE \"public\".\"E\" ADD VALUE 'B' AFTER 'A';",
                          "ALTER TYPE \"public\".\"E\" ADD VALUE 'D' AFTER 'C';"));
  EXPECT_THAT(enum_fix({"A", "X"}, {"A", "B"}),
              ElementsAre("ALTER TYPE \"public\".\"E\" RENAME VALUE 'X' TO 'B';"));
  // A label to remove, or an order to change: the type is made again and its columns moved.
  for (auto [have, want] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{"A", "B", "C"}, {"A", "C"}}, {{"A", "B"}, {"B", "A"}}}) {
    std::vector<std::string> fix = enum_fix(have, want);
    ASSERT_EQ(fix.size(), 6u);
    EXPECT_EQ(fix[0], "ALTER TYPE \"public\".\"E\" RENAME TO \"E__safemigrate_old\";");
    EXPECT_THAT(fix[3], HasSubstr("TYPE \"public\".\"E\" USING \"c\"::text::\"public\".\"E\""));
    EXPECT_EQ(fix[5], "DROP TYPE \"public\".\"E__safemigrate_old\";");
  }
  EXPECT_TRUE(enum_fix({"A"}, {"A"}).empty());
}

TEST(SchemaDiff, QuotingDoublesTheQuote) {
  EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
}

}  // namespace
}  // namespace sm::model

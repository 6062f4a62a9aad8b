// `safemigrate drift` with a Django plan, on a database migrated by the real Django's own
// `manage.py migrate` (the fixture project, fixtures/django; run once per supported Django):
// no drift after migrate alone (RunPython listed as not replayed, the foreign key that
// shop.0007's AlterField drops by a name Django looks up in the database dropped on the scratch
// database by the name found there), manual changes reported with their side and a fix that, run,
// brings the next drift to exit 0, pending migrations listed and not compared, the tables of
// models with Meta.managed = False left out, and
// `manage.py safemigrate drift` through the wheel's management command is in django_wheel_test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "json_tree.h"
#include "pg_cluster.h"
#include "test_support.h"

namespace sm::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kProject = source_dir() / "fixtures" / "django";

const Json* field(const Json& j, const std::string& name) {
  for (const auto& [k, v] : j.fields)
    if (k == name) return &v;
  return nullptr;
}

class DjangoDrift : public ::testing::Test {
 protected:
  void SetUp() override {
    SM_START_DJANGO_AND_PG(pg_);
    pg_->create_database("fixture");
  }

  RunResult run(const std::string& args, const std::string& db = "fixture") {
    std::string env = "FIXTURE_DB_HOST=127.0.0.1 FIXTURE_DB_PORT=" + std::to_string(pg_->port()) +
                      " FIXTURE_DB_USER=postgres FIXTURE_DB_PASSWORD=" + shell_quote(PgCluster::kPassword) +
                      " FIXTURE_DB_NAME=" + db;
    return run_shell(kProject, "env " + env + " " + args);
  }
  RunResult manage(const std::string& args) { return run(django_python() + " manage.py " + args); }
  // An offline plan: drift must not need the names an online export reads from the database.
  fs::path export_plan() {
    fs::path plan = tmp_.path() / "plan.json";
    RunResult c =
        run(django_python() + " " + shell_quote((source_dir() / "adapters/django/export_plan.py").string()) +
            " --settings mysite.settings --offline -o " + shell_quote(plan.string()));
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return plan;
  }
  RunResult drift(const fs::path& plan, const std::string& extra = "", const std::string& db = "fixture") {
    return run_cli("drift --database-url " + shell_quote(pg_->url(db)) + " " + shell_quote(plan.string()) +
                   (extra.empty() ? "" : " " + extra));
  }
  std::string scratch_databases() {
    return pg_->psql(
        "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'safemigrate_drift_%'");
  }

  TempDir tmp_;
  std::unique_ptr<PgCluster> pg_;
};

TEST_F(DjangoDrift, MigratedByDjangoHasNoDrift) {
  RunResult m = manage("migrate");
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  fs::path plan = export_plan();
  RunResult r = drift(plan);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("no drift"));
  EXPECT_THAT(r.out, HasSubstr("recorded as applied in \"public\".\"django_migrations\""));
  // The data migrations are said, not run.
  EXPECT_THAT(r.out,
              HasSubstr("not replayed: shop.0003_backfill_sku operation 1 (RunPython): RunPython is not "
                        "replayed"));
  // shop.0007 (AlterField of a foreign key) was replayed, its looked-up name resolved.
  EXPECT_THAT(r.out, Not(HasSubstr("shop.0007_order_product_nullable operation")));
  EXPECT_EQ(scratch_databases(), "");

  // The same in JSON: every migration of the plan replayed, nothing pending.
  RunResult j = drift(plan, "--format json");
  EXPECT_EQ(j.exit_code, 0) << j.out << j.err;
  Json doc = Json::parse(j.out);
  EXPECT_EQ(field(doc, "replayed")->items.size(), 17u) << j.out;
  EXPECT_TRUE(field(doc, "pending")->items.empty()) << j.out;
  EXPECT_FALSE(field(doc, "not_replayed")->items.empty()) << j.out;
}

// Manual changes after Django's migrate: each reported with its side; the fix drift prints runs
// and the next drift exits 0.
TEST_F(DjangoDrift, ManualChangesAreReportedAndTheirFixEndsTheDrift) {
  RunResult m = manage("migrate");
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  fs::path plan = export_plan();
  struct Change {
    const char* sql;
    const char* object;
    const char* side;
  };
  const Change changes[] = {
      {"CREATE INDEX incident_idx ON shop_order (state)", "index public.shop_order.incident_idx",
       "production-only"},
      {"ALTER TABLE shop_product ALTER COLUMN name TYPE varchar(300)", "column public.shop_product.name",
       "differs"},
      {"ALTER TABLE shop_order ALTER COLUMN state SET DEFAULT 'new'", "column public.shop_order.state",
       "differs"},
      {"ALTER TABLE shop_order DROP CONSTRAINT shop_order_product_id_0eef2166_fk_shop_product_id",
       "constraint public.shop_order.shop_order_product_id_0eef2166_fk_shop_product_id", "migrations-only"},
  };
  for (const Change& c : changes) pg_->psql(c.sql, "fixture");
  RunResult j = drift(plan, "--format json");
  ASSERT_EQ(j.exit_code, 1) << j.out << j.err;
  Json doc = Json::parse(j.out);
  const Json* diffs = field(doc, "differences");
  ASSERT_NE(diffs, nullptr) << j.out;
  EXPECT_EQ(diffs->items.size(), std::size(changes)) << j.out;
  std::string fix;
  for (const Change& c : changes) {
    bool found = false;
    for (const Json& d : diffs->items)
      found = found || (field(d, "object")->s == c.object && field(d, "side")->s == c.side);
    EXPECT_TRUE(found) << c.sql << ": no " << c.object << " " << c.side << " in\n" << j.out;
  }
  for (const Json& d : diffs->items)
    for (const Json& st : field(d, "fix")->items) fix += st.s + "\n";
  pg_->psql(fix, "fixture");
  RunResult after = drift(plan);
  EXPECT_EQ(after.exit_code, 0) << "after running:\n" << fix << "\n" << after.out << after.err;
  EXPECT_EQ(scratch_databases(), "");
}

// Migrations not applied yet are listed and not compared (not drift); a database that Django
// never migrated has nothing applied.
TEST_F(DjangoDrift, PendingMigrationsAreListedNotDrift) {
  RunResult m = manage("migrate shop 0004_order_state");
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  fs::path plan = export_plan();
  RunResult j = drift(plan, "--format json");
  EXPECT_EQ(j.exit_code, 0) << j.out << j.err;
  Json doc = Json::parse(j.out);
  std::vector<std::string> replayed, pending;
  for (const Json& x : field(doc, "replayed")->items) replayed.push_back(x.s);
  for (const Json& x : field(doc, "pending")->items) pending.push_back(x.s);
  EXPECT_THAT(replayed, ::testing::ElementsAre("shop.0001_initial", "shop.0002_product_sku",
                                               "shop.0003_backfill_sku", "shop.0004_order_state"));
  EXPECT_THAT(pending, ::testing::Contains("shop.0005_order_created"));
  EXPECT_THAT(pending, ::testing::Contains("audit.0001_squashed_0002_entry_level_note"));
  EXPECT_TRUE(field(doc, "differences")->items.empty()) << j.out;

  pg_->create_database("never");
  RunResult t = drift(plan, "", "never");
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  EXPECT_THAT(t.out, HasSubstr("0 migration(s) recorded as applied"));
}

// Models with Meta.managed = False (legacy tables and views a project reads but never migrates):
// their tables, made by hand, are left out of both sides, with the many-to-many table Django
// leaves to them, their indexes, constraints and owned sequences; a hand-made table no unmanaged
// model names, and an index on a managed table that an unmanaged model also reads, are still drift.
TEST_F(DjangoDrift, UnmanagedModelsTablesAreLeftOut) {
  const fs::path project = tmp_.path() / "legacy";
  tmp_.write("legacy/manage.py",
             "import os, sys\n"
             "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'legacysite.settings')\n"
             "from django.core.management import execute_from_command_line\n"
             "execute_from_command_line(sys.argv)\n");
  tmp_.write("legacy/legacysite/__init__.py", "");
  tmp_.write("legacy/legacysite/settings.py",
             "import os\n"
             "SECRET_KEY = 'test-only'\n"
             "USE_TZ = True\n"
             "INSTALLED_APPS = ['crm']\n"
             "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
             "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql',\n"
             "    'NAME': os.environ['FIXTURE_DB_NAME'], 'USER': os.environ['FIXTURE_DB_USER'],\n"
             "    'PASSWORD': os.environ['FIXTURE_DB_PASSWORD'], 'HOST': os.environ['FIXTURE_DB_HOST'],\n"
             "    'PORT': os.environ['FIXTURE_DB_PORT']}}\n");
  tmp_.write("legacy/crm/__init__.py", "");
  tmp_.write("legacy/crm/migrations/__init__.py", "");
  tmp_.write("legacy/crm/models.py",
             "from django.db import models\n\n\n"
             "class Ticket(models.Model):  # managed: crm.0001 makes crm_ticket\n"
             "    title = models.CharField(max_length=100)\n\n\n"
             "class Customer(models.Model):\n"
             "    name = models.CharField(max_length=100)\n"
             "    tags = models.ManyToManyField('Tag')  # both unmanaged: so is legacy_customer_tags\n\n"
             "    class Meta:\n"
             "        managed = False\n"
             "        db_table = 'legacy_customer'\n\n\n"
             "class Tag(models.Model):\n"
             "    label = models.CharField(max_length=50)\n\n"
             "    class Meta:\n"
             "        managed = False\n"
             "        db_table = 'legacy_tag'\n\n\n"
             "class CustomerSummary(models.Model):  # over a view\n"
             "    name = models.CharField(max_length=100)\n\n"
             "    class Meta:\n"
             "        managed = False\n"
             "        db_table = 'legacy_customer_summary'\n\n\n"
             "class TicketReport(models.Model):  # unmanaged, over the managed crm_ticket: not left out\n"
             "    title = models.CharField(max_length=100)\n\n"
             "    class Meta:\n"
             "        managed = False\n"
             "        db_table = 'crm_ticket'\n");
  auto sh = [&](const std::string& args) {
    std::string env = "FIXTURE_DB_HOST=127.0.0.1 FIXTURE_DB_PORT=" + std::to_string(pg_->port()) +
                      " FIXTURE_DB_USER=postgres FIXTURE_DB_PASSWORD=" + shell_quote(PgCluster::kPassword) +
                      " FIXTURE_DB_NAME=fixture";
    return run_shell(project, "env " + env + " " + args);
  };
  RunResult mk = sh(django_python() + " manage.py makemigrations crm");
  ASSERT_EQ(mk.exit_code, 0) << mk.out << mk.err;
  RunResult m = sh(django_python() + " manage.py migrate");
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  // The legacy objects, as a DBA made them: serial keys (owned sequences), an index, foreign keys,
  // a unique constraint, a view.
  pg_->psql(
      "CREATE TABLE legacy_customer (id bigserial PRIMARY KEY, name varchar(100) NOT NULL);"
      "CREATE INDEX legacy_customer_name_idx ON legacy_customer (name);"
      "CREATE TABLE legacy_tag (id serial PRIMARY KEY, label varchar(50) NOT NULL);"
      "CREATE TABLE legacy_customer_tags (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES "
      "legacy_customer, tag_id integer NOT NULL REFERENCES legacy_tag, UNIQUE (customer_id, tag_id));"
      "CREATE VIEW legacy_customer_summary AS SELECT id, name FROM legacy_customer;",
      "fixture");
  fs::path plan = tmp_.path() / "legacy-plan.json";
  RunResult e =
      sh(django_python() + " " + shell_quote((source_dir() / "adapters/django/export_plan.py").string()) +
         " --settings legacysite.settings --offline -o " + shell_quote(plan.string()));
  ASSERT_EQ(e.exit_code, 0) << e.err;

  RunResult r = drift(plan);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("no drift"));
  EXPECT_THAT(r.out,
              HasSubstr("left out: 4 table(s) of models Django does not manage (Meta.managed = False): "
                        "legacy_customer, legacy_customer_summary, legacy_customer_tags, legacy_tag\n"));
  RunResult j = drift(plan, "--format json");
  EXPECT_EQ(j.exit_code, 0) << j.out << j.err;
  Json doc = Json::parse(j.out);
  std::vector<std::string> unmanaged;
  ASSERT_NE(field(doc, "unmanaged_tables"), nullptr) << j.out;
  for (const Json& x : field(doc, "unmanaged_tables")->items) unmanaged.push_back(x.s);
  EXPECT_THAT(unmanaged, ::testing::ElementsAre("legacy_customer", "legacy_customer_summary",
                                                "legacy_customer_tags", "legacy_tag"));

  // A hand-made table that belongs to no model, and an index on crm_ticket (managed, though an
  // unmanaged model reads it too): drift, each production-only; the fix ends it.
  pg_->psql(
      "CREATE TABLE legacy_invoice (id integer); CREATE INDEX crm_ticket_title_idx ON crm_ticket (title);",
      "fixture");
  RunResult d = drift(plan, "--format json");
  ASSERT_EQ(d.exit_code, 1) << d.out << d.err;
  doc = Json::parse(d.out);
  std::vector<std::string> found;
  std::string fix;
  for (const Json& x : field(doc, "differences")->items) {
    found.push_back(field(x, "object")->s + " " + field(x, "side")->s);
    for (const Json& st : field(x, "fix")->items) fix += st.s + "\n";
  }
  EXPECT_THAT(found,
              ::testing::UnorderedElementsAre("table public.legacy_invoice production-only",
                                              "index public.crm_ticket.crm_ticket_title_idx production-only"))
      << d.out;
  pg_->psql(fix, "fixture");
  RunResult after = drift(plan);
  EXPECT_EQ(after.exit_code, 0) << "after running:\n" << fix << "\n" << after.out << after.err;
  EXPECT_EQ(scratch_databases(), "");
}

}  // namespace
}  // namespace sm::test

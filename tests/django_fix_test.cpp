// `safemigrate fix` on a Django plan, with the real Django under test (3.2, 4.2, 5.2): AddIndex,
// RemoveIndex and an AlterField gaining db_index=True on an existing table move into a new
// migration with atomic = False (AddIndexConcurrently, RemoveIndexConcurrently,
// SeparateDatabaseAndState), written by Django's MigrationWriter. Afterwards `check` reports none
// of them, `migrate` on an empty database ends in the same pg_dump --schema-only as the original,
// `makemigrations --check` is clean and a second fix changes nothing; --dry-run writes nothing; a
// migration recorded in django_migrations is never touched; a plan older than its files is refused.
#include <gtest/gtest.h>

#include <map>

#include "django_helpers.h"
#include "schema_dump.h"

namespace fs = std::filesystem;

namespace {

using Command = sm::test::RunResult;

const std::string kHead =
    "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n";

// inv.Item as models.py has it at the end: 0002 adds `note`, an index on `code`, drops the one on
// `qty` and gives `name` db_index=True (a varchar: Django builds it and its _like twin).
void write_project(const sm::test::TempDir& tmp) {
  sm::test::write_django_site(tmp, "'inv'");
  tmp.write("proj/inv/__init__.py", "");
  tmp.write("proj/inv/migrations/__init__.py", "");
  tmp.write("proj/inv/models.py",
            "from django.db import models\n\n\nclass Item(models.Model):\n"
            "    name = models.CharField(max_length=50, db_index=True)\n"
            "    code = models.CharField(max_length=10)\n"
            "    qty = models.IntegerField(default=0)\n"
            "    note = models.TextField(null=True)\n\n"
            "    class Meta:\n"
            "        indexes = [models.Index(fields=['code'], name='inv_item_code_idx')]\n");
  tmp.write(
      "proj/inv/migrations/0001_initial.py",
      kHead +
          "    initial = True\n    dependencies = []\n    operations = [\n"
          "        migrations.CreateModel(name='Item', fields=[('id', models.BigAutoField(auto_created=True, "
          "primary_key=True, serialize=False, verbose_name='ID')), ('name', "
          "models.CharField(max_length=50)), ('code', models.CharField(max_length=10)), ('qty', "
          "models.IntegerField(default=0))], options={'indexes': [models.Index(fields=['qty'], "
          "name='inv_item_qty_idx')]}),\n    ]\n");
  tmp.write(
      "proj/inv/migrations/0002_item_indexes.py",
      kHead +
          "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
          "        migrations.AddIndex(model_name='item', index=models.Index(fields=['code'], "
          "name='inv_item_code_idx')),\n"
          "        migrations.RemoveIndex(model_name='item', name='inv_item_qty_idx'),\n"
          "        migrations.AlterField(model_name='item', name='name', "
          "field=models.CharField(max_length=50, db_index=True)),\n"
          // Stays behind, after them: the lock its ALTER TABLE takes first would make the DROP
          // INDEX after it no more blocking than it already is (lock_already_held).
          "        migrations.AddField(model_name='item', name='note', field=models.TextField(null=True)),\n"
          "    ]\n");
}

class DjangoFix : public sm::test::DjangoProjectTest {
 protected:
  fs::path migrations() const { return tmp_.path() / "proj/inv/migrations"; }
  // Every migration file and its text.
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(migrations()))
      if (e.path().extension() == ".py") out[e.path().filename().string()] = sm::test::read_file(e.path());
    return out;
  }
  Command fix(const fs::path& plan, const std::string& db, const std::string& extra = "") {
    return sh(sm::test::shell_quote(SAFEMIGRATE_BINARY) + " fix " + extra + " --database-url " +
                  sm::test::shell_quote(pg_->url(db)) + " " + sm::test::shell_quote(plan.string()),
              db);
  }
  Command check(const fs::path& plan) {
    return sh(sm::test::shell_quote(SAFEMIGRATE_BINARY) + " check --format json " +
              sm::test::shell_quote(plan.string()));
  }
  std::string schema(const std::string& db) { return sm::test::schema_dump(*pg_, db); }
  // The project migrated from empty with Django's own migrate, and its schema.
  std::string migrated_schema(const std::string& db) {
    pg_->create_database(db);
    Command m = manage("migrate", db);
    EXPECT_EQ(m.exit_code, 0) << m.out << m.err;
    return schema(db);
  }
};

constexpr const char* kFixed[] = {"require-concurrent-index-creation", "require-concurrent-index-deletion"};

TEST_F(DjangoFix, IndexOperationsMoveIntoAConcurrentMigrationThatEndsInTheSameSchema) {
  write_project(tmp_);
  std::string original_schema = migrated_schema("original");
  // The target: 0001 applied, 0002 pending (not in django_migrations, so it cannot have run).
  pg_->create_database("target");
  ASSERT_EQ(manage("migrate inv 0001", "target").exit_code, 0);
  fs::path plan = export_plan("target");
  Command before = check(plan);
  for (const char* rule : kFixed) ASSERT_NE(before.out.find(rule), std::string::npos) << rule << before.out;

  // --dry-run: a diff of the original and of the new file, nothing written.
  std::map<std::string, std::string> untouched = files();
  Command dry = fix(plan, "target", "--dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("+++ b/" + (migrations() / "0002_item_indexes.py").string()), std::string::npos)
      << dry.out;
  EXPECT_NE(
      dry.out.find("--- /dev/null\n+++ b/" + (migrations() / "0003_item_indexes_concurrently.py").string()),
      std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("+    atomic = False"), std::string::npos) << dry.out;
  EXPECT_EQ(files(), untouched);

  Command fixed = fix(plan, "target", "--format json");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_NE(fixed.out.find("\"left\": []"), std::string::npos) << fixed.out;
  std::map<std::string, std::string> after = files();
  ASSERT_EQ(after.count("0003_item_indexes_concurrently.py"), 1u) << fixed.out;
  const std::string& split = after["0003_item_indexes_concurrently.py"];
  for (const char* op : {"AddIndexConcurrently", "RemoveIndexConcurrently", "SeparateDatabaseAndState",
                         "atomic = False", "('inv', '0002_item_indexes')"})
    EXPECT_NE(split.find(op), std::string::npos) << op << "\n" << split;
  EXPECT_EQ(after["0002_item_indexes.py"].find("AddIndex"), std::string::npos)
      << after["0002_item_indexes.py"];
  EXPECT_NE(after["0002_item_indexes.py"].find("AddField"), std::string::npos)
      << after["0002_item_indexes.py"];

  // Django agrees with the models, and builds the same schema from empty.
  Command mm = manage("makemigrations --check --dry-run inv", "original");
  EXPECT_EQ(mm.exit_code, 0) << mm.out << mm.err;
  EXPECT_EQ(migrated_schema("fixed"), original_schema);
  // The partly migrated target migrates too, to the same schema.
  ASSERT_EQ(manage("migrate", "target").exit_code, 0);
  EXPECT_EQ(schema("target"), original_schema);

  // Exported again (from a database at 0001): nothing of the fixed rules, and a second fix changes
  // nothing.
  pg_->create_database("again");
  ASSERT_EQ(manage("migrate inv 0001", "again").exit_code, 0);
  fs::path plan2 = export_plan("again");
  Command after_check = check(plan2);
  for (const char* rule : kFixed)
    EXPECT_EQ(after_check.out.find(rule), std::string::npos) << rule << after_check.out;
  Command second = fix(plan2, "again");
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("fix: 0 changes"), std::string::npos) << second.out;
  EXPECT_EQ(files(), after);
}

TEST_F(DjangoFix, NeverTouchesARecordedMigrationNorOneNewerThanThePlan) {
  write_project(tmp_);
  pg_->create_database("target");
  ASSERT_EQ(manage("migrate inv 0001", "target").exit_code, 0);
  fs::path plan = export_plan("target");
  std::map<std::string, std::string> before = files();

  // Recorded in django_migrations of --database-url: it may have run.
  pg_->create_database("done");
  ASSERT_EQ(manage("migrate", "done").exit_code, 0);
  Command recorded = fix(plan, "done", "--list-untouched");
  EXPECT_EQ(recorded.exit_code, 0) << recorded.out << recorded.err;
  EXPECT_NE(recorded.out.find("0002_item_indexes.py: not touched"), std::string::npos) << recorded.out;
  EXPECT_NE(recorded.out.find("recorded in the history table"), std::string::npos) << recorded.out;
  EXPECT_EQ(files(), before);

  // The file changed since the plan was exported: left, saying to export again (exit 1).
  tmp_.write("proj/inv/migrations/0002_item_indexes.py", before["0002_item_indexes.py"] + "# edited\n");
  Command stale = fix(plan, "target");
  EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
  EXPECT_NE(stale.out.find("export the plan again"), std::string::npos) << stale.out;
  EXPECT_EQ(files().count("0003_item_indexes_concurrently.py"), 0u);
}

// A migration another one depends on is left: the concurrent migration could not come right after
// it (Django would find two leaves); fix says so, exits 1 and writes nothing.
TEST_F(DjangoFix, AMigrationOthersDependOnIsLeftSayingWhy) {
  write_project(tmp_);
  tmp_.write(
      "proj/inv/migrations/0003_item_extra.py",
      kHead +
          "    dependencies = [('inv', '0002_item_indexes')]\n    operations = [\n"
          "        migrations.AddField(model_name='item', name='extra', field=models.TextField(null=True)),\n"
          "    ]\n");
  pg_->create_database("target");
  ASSERT_EQ(manage("migrate inv 0001", "target").exit_code, 0);
  fs::path plan = export_plan("target");
  std::map<std::string, std::string> before = files();
  Command left = fix(plan, "target");
  EXPECT_EQ(left.exit_code, 1) << left.out << left.err;
  EXPECT_NE(left.out.find("left as written: other migrations depend on it (inv.0003_item_extra)"),
            std::string::npos)
      << left.out << left.err;
  EXPECT_EQ(files(), before);
}

}  // namespace

// status, verify and apply on django_migrations, proven with the real Django against a private
// PostgreSQL: apply runs Django's own migrate behind the gate, and `showmigrations`/`migrate` agree;
// migrate with Django and `safemigrate verify` passes; squashes are recorded the same way; eight
// applies at once apply each migration once; rehearse runs a plan's pending SQL and rolls it back.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <vector>

#include "django_helpers.h"
#include "pg_cluster.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

using Command = sm::test::RunResult;

// A small project: app `inv` with a squash (0001+0002), a data migration and a concurrent index.
void write_project(const sm::test::TempDir& tmp, bool with_run_python) {
  sm::test::write_django_site(tmp, "'inv'", "{'options': '-c lock_timeout=5s'}");
  sm::test::write_django_app(tmp, "inv");
  const std::string head = sm::test::kMigrationHead;
  const std::string item =
      "migrations.CreateModel(name='Item', fields=[('id', models.BigAutoField(primary_key=True)), "
      "('name', models.CharField(max_length=50))";
  tmp.write("proj/inv/migrations/0001_initial.py",
            head + "    initial = True\n    dependencies = []\n    operations = [\n        " + item +
                "]),\n    ]\n");
  tmp.write(
      "proj/inv/migrations/0002_item_sku.py",
      head +
          "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
          "        migrations.AddField(model_name='item', name='sku', field=models.CharField(max_length=20, "
          "null=True)),\n    ]\n");
  tmp.write("proj/inv/migrations/0001_squashed_0002_item_sku.py",
            head +
                "    replaces = [('inv', '0001_initial'), ('inv', '0002_item_sku')]\n    initial = True\n"
                "    dependencies = []\n    operations = [\n        " +
                item + ", ('sku', models.CharField(max_length=20, null=True))]),\n    ]\n");
  std::string third = "0001_squashed_0002_item_sku";
  if (with_run_python) {
    tmp.write("proj/inv/migrations/0003_fill_sku.py",
              "from django.db import migrations\n\n\ndef fill(apps, schema_editor):\n"
              "    Item = apps.get_model('inv', 'Item')\n    "
              "Item.objects.filter(sku__isnull=True).update(sku='')\n\n\n"
              "class Migration(migrations.Migration):\n    dependencies = [('inv', '0002_item_sku')]\n"
              "    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]\n");
    third = "0003_fill_sku";
  }
  tmp.write("proj/inv/migrations/0004_item_sku_idx.py",
            "from django.contrib.postgres.operations import AddIndexConcurrently\n" + head +
                "    atomic = False\n    dependencies = [('inv', '" + third +
                "')]\n    operations = [\n"
                "        AddIndexConcurrently(model_name='item', index=models.Index(fields=['sku'], "
                "name='inv_item_sku_idx')),\n    ]\n");
}

class DjangoHistory : public sm::test::DjangoProjectTest {};

// apply runs Django's own migrate behind the gate: RunPython included, squashes recorded by Django.
TEST_F(DjangoHistory, ApplyWithSafemigrateThenDjangoAgrees) {
  write_project(tmp_, true);
  pg_->create_database("a");
  fs::path plan = export_plan("a");

  Command first = safemigrate("apply", plan, "a");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  for (const char* id : {"inv.0001_squashed_0002_item_sku", "inv.0003_fill_sku", "inv.0004_item_sku_idx"})
    EXPECT_NE(first.out.find(std::string("] applied ") + id), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("applying inv.0004_item_sku_idx (atomic = False"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("post_migrate ran once"), std::string::npos) << first.out;
  // Recorded as `migrate` records a squash: what it replaces, the rest, then the squash at the end.
  EXPECT_EQ(
      rows("a"),
      "inv.0001_initial\ninv.0002_item_sku\ninv.0003_fill_sku\ninv.0004_item_sku_idx\ninv.0001_squashed_0002_"
      "item_sku");
  EXPECT_EQ(pg_->psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'inv_item_sku_idx'::regclass", "a"),
            "t");

  Command show = manage("showmigrations inv", "a");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("[X] 0001_squashed_0002_item_sku"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("[X] 0004_item_sku_idx"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("[ ]"), std::string::npos) << show.out;
  Command again = manage("migrate", "a");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("No migrations to apply"), std::string::npos) << again.out;
  Command verify = safemigrate("verify", plan, "a");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  Command nothing = safemigrate("apply", plan, "a");
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_NE(nothing.out.find("nothing to apply"), std::string::npos) << nothing.out;
}

// The plan names the database Django will migrate only through the project's settings: when they
// point elsewhere than --database-url, nothing runs.
TEST_F(DjangoHistory, ApplyRefusesWhenDjangoWouldMigrateAnotherDatabase) {
  write_project(tmp_, false);
  pg_->create_database("a");
  pg_->create_database("b");
  fs::path plan = export_plan("a");
  // The settings read DB_NAME=b while safemigrate is given database a.
  Command apply = sh(sm::test::shell_quote(SAFEMIGRATE_BINARY) + " apply --database-url " +
                         sm::test::shell_quote(pg_->url("a")) + " " + sm::test::shell_quote(plan.string()),
                     "b");
  EXPECT_EQ(apply.exit_code, 2) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("is not the database given to safemigrate"), std::string::npos) << apply.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'", "a"), "0");
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'", "b"), "0");
}

// A migration file edited (or added) after the export is not what the gate checked.
TEST_F(DjangoHistory, ApplyRefusesMigrationsTheGateDidNotCheck) {
  write_project(tmp_, false);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  tmp_.write("proj/inv/migrations/0005_item_note.py",
             std::string(sm::test::kMigrationHead) +
                 "    dependencies = [('inv', '0004_item_sku_idx')]\n"
                 "    operations = [migrations.AddField(model_name='item', name='note', "
                 "field=models.TextField(null=True))]\n");
  Command apply = safemigrate("apply", plan, "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("inv.0005_item_note is not among the migrations safemigrate checked"),
            std::string::npos)
      << apply.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'", "a"), "0");
}

TEST_F(DjangoHistory, MigrateWithDjangoThenVerifyPassesAndRowsAreTheSame) {
  write_project(tmp_, false);
  pg_->create_database("dj");
  pg_->create_database("sm");
  fs::path plan = export_plan("sm");
  Command status = safemigrate("verify", plan, "dj");
  EXPECT_EQ(status.exit_code, 1) << "nothing applied yet is drift: " << status.out;
  ASSERT_EQ(manage("migrate", "dj").exit_code, 0);
  Command verify = safemigrate("verify", plan, "dj");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  Command apply = safemigrate("apply", plan, "sm");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(rows("sm"), rows("dj")) << "the same rows, in the same order, as Django writes them";
  // A row nobody explains, and an applied migration whose dependency is gone.
  pg_->psql("INSERT INTO django_migrations (app, name, applied) VALUES ('inv', '0009_gone', now())", "dj");
  Command drift = safemigrate("status", plan, "dj");
  EXPECT_EQ(drift.exit_code, 0) << "status reports, verify judges";
  EXPECT_NE(drift.out.find("missing locally"), std::string::npos) << drift.out;
  EXPECT_EQ(safemigrate("verify", plan, "dj").exit_code, 1);
}

// What a failed CREATE INDEX CONCURRENTLY leaves behind, named with the migration that made it.
TEST_F(DjangoHistory, StatusFindsInvalidIndexes) {
  write_project(tmp_, false);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  ASSERT_EQ(manage("migrate", "a").exit_code, 0);
  ASSERT_EQ(safemigrate("verify", plan, "a").exit_code, 0);
  pg_->psql("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'inv_item_sku_idx'::regclass", "a");
  Command status = safemigrate("status", plan, "a");
  EXPECT_NE(status.out.find("invalid index"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("created by migration inv.0004_item_sku_idx"), std::string::npos) << status.out;
  EXPECT_EQ(safemigrate("verify", plan, "a").exit_code, 1);
}

TEST_F(DjangoHistory, InconsistentHistoryStopsApply) {
  write_project(tmp_, false);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  ASSERT_EQ(manage("migrate", "a").exit_code, 0);
  // 0004 stays applied while the squash it depends on is gone: Django refuses, and so do we.
  pg_->psql("DELETE FROM django_migrations WHERE name <> '0004_item_sku_idx'", "a");
  EXPECT_NE((manage("migrate", "a").err).find("InconsistentMigrationHistory"), std::string::npos);
  Command apply = safemigrate("apply", plan, "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("InconsistentMigrationHistory"), std::string::npos) << apply.err;
  EXPECT_EQ(rows("a"), "inv.0004_item_sku_idx") << "nothing written";
  EXPECT_EQ(safemigrate("verify", plan, "a").exit_code, 1);
}

// Part of a squash recorded: Django would run the replaced migrations, which the plan lacks.
TEST_F(DjangoHistory, PartlyAppliedSquashAsksForANewExport) {
  write_project(tmp_, false);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  ASSERT_EQ(manage("migrate", "a").exit_code, 0);
  pg_->psql("DELETE FROM django_migrations WHERE name <> '0001_initial'", "a");
  ASSERT_EQ(rows("a"), "inv.0001_initial");
  Command apply = safemigrate("apply", plan, "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("export the plan again"), std::string::npos) << apply.err;
  EXPECT_EQ(rows("a"), "inv.0001_initial") << "nothing written";
}

// The checklist gates apply: the fixture project's error findings stop it before any write.
TEST_F(DjangoHistory, ErrorFindingsStopApplyBeforeAnyWrite) {
  write_project(tmp_, false);  // only for the folder the commands run in
  pg_->create_database("fx");
  fs::path plan = sm::test::source_dir() / "fixtures" / "django" / "plan.json";
  Command apply = safemigrate("apply", plan, "fx");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("run-python-imports-models"), std::string::npos) << apply.err;
  // On a blank database the index findings stop nothing: apply counts them (--dry-run lists them).
  EXPECT_NE(
      apply.err.find("error findings about tables that are empty in this database or created by this run "
                     "do not stop apply"),
      std::string::npos)
      << apply.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'", "fx"), "0");
}

TEST_F(DjangoHistory, DryRunSaysWhatWouldRunAndWritesNothing) {
  write_project(tmp_, true);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  Command dry = safemigrate("apply --dry-run", plan, "a");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  // Django's own plan, asked from Django.
  size_t squash = dry.out.find("would apply inv.0001_squashed_0002_item_sku\n"),
         fill = dry.out.find("would apply inv.0003_fill_sku\n"),
         idx = dry.out.find("would apply inv.0004_item_sku_idx\n");
  ASSERT_NE(squash, std::string::npos) << dry.out;
  ASSERT_NE(fill, std::string::npos) << dry.out;
  ASSERT_NE(idx, std::string::npos) << dry.out;
  EXPECT_LT(squash, fill);
  EXPECT_LT(fill, idx);
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations'", "a"), "0");
}

// rehearse on a plan: the pending SQL runs in one transaction with its locks observed, RunPython
// and CONCURRENTLY are shown as skipped with the reason, and the rollback leaves the copy as it was.
TEST_F(DjangoHistory, RehearseRunsThePendingSqlThenRollsBack) {
  write_project(tmp_, true);
  tmp_.write("proj/inv/migrations/0005_item_note.py",
             std::string(sm::test::kMigrationHead) +
                 "    dependencies = [('inv', '0004_item_sku_idx')]\n"
                 "    operations = [migrations.AddField(model_name='item', name='note', "
                 "field=models.TextField(null=True))]\n");
  pg_->create_database("copy");
  ASSERT_EQ(manage("migrate inv 0001_squashed_0002_item_sku", "copy").exit_code, 0);
  pg_->psql("INSERT INTO inv_item (name) SELECT 'n' || g FROM generate_series(1, 20000) g", "copy");
  fs::path plan = export_plan("copy");
  const std::string columns =
      "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
      "information_schema.columns WHERE table_name = 'inv_item'";
  const std::string before = rows("copy") + "|" + pg_->psql(columns, "copy");

  Command refused = safemigrate("rehearse", plan, "copy");
  EXPECT_EQ(refused.exit_code, 2) << "not without the copy flag: " << refused.out;
  Command r = safemigrate("rehearse --i-know-this-is-a-copy", plan, "copy");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string& out = r.out;
  size_t fill = out.find("inv.0003_fill_sku"), idx = out.find("inv.0004_item_sku_idx"),
         note = out.find("inv.0005_item_note");
  ASSERT_NE(fill, std::string::npos) << out;
  ASSERT_NE(idx, std::string::npos) << out;
  ASSERT_NE(note, std::string::npos) << out;
  EXPECT_LT(fill, idx);
  EXPECT_LT(idx, note);
  EXPECT_NE(out.find("RunPython: its Python code is not rehearsed", fill), std::string::npos) << out;
  EXPECT_NE(out.find("cannot run inside a transaction block", idx), std::string::npos) << out;
  // The AddField ran: ACCESS EXCLUSIVE seen on the table, and a second session was blocked.
  std::string added = out.substr(note);
  EXPECT_NE(added.find("ADD COLUMN \"note\""), std::string::npos) << added;
  EXPECT_NE(added.find("\"public\".\"inv_item\" ACCESS EXCLUSIVE"), std::string::npos) << added;
  EXPECT_NE(added.find("SELECT BLOCKED, write BLOCKED"), std::string::npos) << added;
  EXPECT_EQ(out.find("DEFECT"), std::string::npos) << out;
  EXPECT_EQ(rows("copy") + "|" + pg_->psql(columns, "copy"), before) << "rolled back";
  EXPECT_EQ(safemigrate("rehearse --i-know-this-is-a-copy --format json", plan, "copy").exit_code, 0);
}

// Django's migrate takes no lock; safemigrate does: eight at once apply each migration once.
TEST_F(DjangoHistory, EightConcurrentAppliesRecordEachMigrationOnce) {
  write_project(tmp_, false);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  std::vector<std::future<Command>> runs;
  for (int i = 0; i < 8; ++i)
    runs.push_back(std::async(std::launch::async, [&] { return safemigrate("apply", plan, "a"); }));
  for (auto& r : runs) {
    Command c = r.get();
    EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  }
  EXPECT_EQ(rows("a"),
            "inv.0001_initial\ninv.0002_item_sku\ninv.0004_item_sku_idx\ninv.0001_squashed_0002_item_sku")
      << "as Django records them: the replaced migrations, then the squash at the end of the run";
}

}  // namespace

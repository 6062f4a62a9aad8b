// `safemigrate apply` on a Django plan is Django's own migrate behind the gate and the lock: on a
// project with contenttypes and auth, index and constraint removals found by introspection, a
// squash and RunPython, the database it leaves is the one `migrate` leaves (schema, content types,
// permissions, history); a lock held by another session is waited for one lock_timeout per try
// and retried; another session running migrate is waited for; duplicate history rows are drift.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "django_helpers.h"
#include "schema_dump.h"
#include "util/subprocess.h"

namespace fs = std::filesystem;

namespace {

using Command = sm::test::RunResult;

void write_full_project(const sm::test::TempDir& tmp) {
  sm::test::write_django_site(tmp, "'django.contrib.contenttypes', 'django.contrib.auth', 'inv'");
  sm::test::write_django_app(tmp, "inv");
  const std::string head = sm::test::kMigrationHead;
  const std::string create =
      "        migrations.CreateModel(name='Item', fields=[('id', models.BigAutoField(primary_key=True)), "
      "('name', models.CharField(max_length=50, db_index=True)), ('code', "
      "models.CharField(max_length=10))]),\n";
  const std::string add =
      "        migrations.AddField(model_name='item', name='sku', field=models.CharField(max_length=20, "
      "null=True)),\n"
      "        migrations.AddConstraint(model_name='item', "
      "constraint=models.UniqueConstraint(fields=['code'], "
      "name='inv_item_code_uniq')),\n";
  tmp.write("proj/inv/migrations/0001_initial.py",
            head + "    initial = True\n    dependencies = []\n    operations = [\n" + create + "    ]\n");
  tmp.write("proj/inv/migrations/0002_item_sku.py",
            head + "    dependencies = [('inv', '0001_initial')]\n    operations = [\n" + add + "    ]\n");
  tmp.write("proj/inv/migrations/0001_squashed_0002_item_sku.py",
            head +
                "    replaces = [('inv', '0001_initial'), ('inv', '0002_item_sku')]\n    initial = True\n"
                "    dependencies = []\n    operations = [\n" +
                create + add + "    ]\n");
  tmp.write("proj/inv/migrations/0003_fill_sku.py",
            "from django.db import migrations\n\n\ndef fill(apps, schema_editor):\n"
            "    Item = apps.get_model('inv', 'Item')\n"
            "    Item.objects.create(name='first', code='A1')\n"
            "    Item.objects.filter(sku__isnull=True).update(sku='none')\n\n\n"
            "class Migration(migrations.Migration):\n    dependencies = [('inv', '0002_item_sku')]\n"
            "    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]\n");
  // The index of db_index and the unique constraint are dropped by names Django finds in the
  // database (sql_depends_on_database).
  tmp.write(
      "proj/inv/migrations/0004_drop_index_and_unique.py",
      head +
          "    dependencies = [('inv', '0003_fill_sku')]\n    operations = [\n"
          "        # safemigrate-ignore: require-concurrent-index-deletion a small table\n"
          "        migrations.AlterField(model_name='item', name='name', "
          "field=models.CharField(max_length=50)),\n"
          "        migrations.RemoveConstraint(model_name='item', name='inv_item_code_uniq'),\n    ]\n");
  tmp.write("proj/inv/migrations/0005_item_sku_idx.py",
            "from django.contrib.postgres.operations import AddIndexConcurrently\n" + head +
                "    atomic = False\n    dependencies = [('inv', '0004_drop_index_and_unique')]\n"
                "    operations = [\n"
                "        AddIndexConcurrently(model_name='item', index=models.Index(fields=['sku'], "
                "name='inv_item_sku_idx')),\n    ]\n");
}

class DjangoApply : public sm::test::DjangoProjectTest {
 protected:
  // Until `count_sql` counts something (polled every 20 ms, at most 60 s).
  void wait_for(const std::string& db, const std::string& count_sql) {
    for (int i = 0; i < 3000; ++i) {
      if (pg_->psql(count_sql, db) != "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "never true: " << count_sql;
  }
  // A session in a transaction that ran `sql` (taking a lock on `table`) and holds it until
  // end_holder; returns once the lock is held.
  std::future<void> hold(const std::string& db, const std::string& sql, const std::string& table) {
    auto f = std::async(std::launch::async, [this, db, sql] {
      try {
        pg_->psql("SET application_name = 'holder'; BEGIN; " + sql + "; SELECT pg_sleep(120); COMMIT;", db);
      } catch (const std::exception&) {
        // Ended by end_holder: psql reports the lost connection.
      }
    });
    wait_for(db,
             "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a "
             "ON a.pid = l.pid WHERE c.relname = '" +
                 table + "' AND l.granted AND a.application_name = 'holder'");
    return f;
  }
  // Ends the holder's session: its transaction rolls back and its locks go.
  void end_holder(const std::string& db) {
    pg_->psql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'holder'",
        db);
  }
  std::string schema(const std::string& db) { return sm::test::schema_dump(*pg_, db); }
  // What post_migrate writes and what RunPython wrote, without ids.
  std::string data(const std::string& db) {
    return pg_->psql(
               "SELECT string_agg(app_label || '.' || model, ',' ORDER BY app_label, model) FROM "
               "django_content_type",
               db) +
           "|" + pg_->psql("SELECT string_agg(codename, ',' ORDER BY codename) FROM auth_permission", db) +
           "|" + pg_->psql("SELECT string_agg(name || ':' || code || ':' || sku, ',') FROM inv_item", db) +
           "|" + rows(db);
  }
};

TEST_F(DjangoApply, LeavesTheDatabaseDjangosMigrateLeaves) {
  write_full_project(tmp_);
  pg_->create_database("dj");
  pg_->create_database("sm");
  fs::path plan = export_plan("sm");
  // The plan's SQL for the removals is not final: Django looks the names up when it runs.
  Command check = sh(sm::test::shell_quote(SAFEMIGRATE_BINARY) + " check --format json " +
                     sm::test::shell_quote(plan.string()));
  EXPECT_NE(check.out.find("require-concurrent-index-deletion"), std::string::npos)
      << "the index Django drops by introspection is checked: " << check.out.substr(0, 2000);

  Command apply = safemigrate("apply", plan, "sm");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("applied inv.0003_fill_sku"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("applied inv.0004_drop_index_and_unique"), std::string::npos) << apply.out;
  Command dj = manage("migrate", "dj");
  ASSERT_EQ(dj.exit_code, 0) << dj.out << dj.err;

  EXPECT_EQ(schema("sm"), schema("dj"));
  EXPECT_EQ(data("sm"), data("dj"));
  EXPECT_NE(data("sm").find("inv.item"), std::string::npos) << "post_migrate made the content type";
  EXPECT_NE(data("sm").find("add_item"), std::string::npos) << "and the permissions";
  // The index of db_index, its _like twin and the unique constraint are gone, as Django drops them.
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_indexes WHERE tablename = 'inv_item' AND indexname <> "
                      "'inv_item_pkey' AND indexname <> 'inv_item_sku_idx'",
                      "sm"),
            "0");
  Command again = manage("migrate", "sm");
  EXPECT_NE(again.out.find("No migrations to apply"), std::string::npos) << again.out;
  EXPECT_EQ(safemigrate("verify", plan, "sm").exit_code, 0);
}

// From part-way: Django already applied the squash (recorded as the replaced migrations and the
// squash); apply runs the rest and Django still has nothing to do.
TEST_F(DjangoApply, FromAPartlyMigratedDatabase) {
  write_full_project(tmp_);
  pg_->create_database("dj");
  pg_->create_database("sm");
  ASSERT_EQ(manage("migrate inv 0001_squashed_0002_item_sku", "sm").exit_code, 0);
  fs::path plan = export_plan("sm");
  Command apply = safemigrate("apply", plan, "sm");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(apply.out.find("applying inv.0001_squashed"), std::string::npos) << apply.out;
  ASSERT_EQ(manage("migrate inv 0001_squashed_0002_item_sku", "dj").exit_code, 0);
  ASSERT_EQ(manage("migrate", "dj").exit_code, 0);
  EXPECT_EQ(schema("sm"), schema("dj"));
  EXPECT_EQ(data("sm"), data("dj"));
}

// A transaction holding the table: each try waits one lock_timeout, Django rolls the migration
// back, apply retries and succeeds once the holder ends. Django alone queues behind it.
TEST_F(DjangoApply, LockTimeoutRetriesUntilTheHolderEnds) {
  write_full_project(tmp_);
  pg_->create_database("a");
  ASSERT_EQ(manage("migrate inv 0003_fill_sku", "a").exit_code, 0);
  fs::path plan = export_plan("a");

  // Django alone: it waits behind the holder for as long as it holds (here, killed after 3 s).
  {
    auto holder = hold("a", "LOCK TABLE inv_item IN ACCESS SHARE MODE", "inv_item");
    Command queued = sh("timeout 3 " + sm::test::django_python() + " manage.py migrate", "a");
    EXPECT_EQ(queued.exit_code, 124) << "Django's migrate should still be waiting: " << queued.out
                                     << queued.err;
    end_holder("a");
    holder.get();
  }
  ASSERT_EQ(rows("a").find("inv.0004"), std::string::npos) << "nothing of 0004 was recorded";

  auto holder = hold("a", "LOCK TABLE inv_item IN ACCESS SHARE MODE", "inv_item");
  auto run = std::async(std::launch::async, [&] {
    return safemigrate("apply --lock-timeout 300ms --lock-retries 8", plan, "a");
  });
  // Once Django's session has waited for the lock, and a try or two have timed out, the holder ends.
  wait_for("a",
           "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'safemigrate django migrate' AND "
           "wait_event_type = 'Lock'");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  end_holder("a");
  holder.get();
  Command apply = run.get();
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("retry 1/8"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("AccessShareLock held by pid"), std::string::npos)
      << "names the holder: " << apply.out;
  EXPECT_NE(apply.out.find("Django rolled the migration back"), std::string::npos) << apply.out;
  // Every try stopped after about the lock timeout, not after the holder's 1.5 s and more.
  std::regex try_re("lock timeout \\(300 ms\\) after ([0-9.]+) s");
  int tries = 0;
  for (auto it = std::sregex_iterator(apply.out.begin(), apply.out.end(), try_re);
       it != std::sregex_iterator(); ++it, ++tries)
    EXPECT_LT(std::stod((*it)[1].str()), 1.0) << apply.out;
  EXPECT_GE(tries, 1) << apply.out;
  EXPECT_NE(apply.out.find("applied inv.0005_item_sku_idx"), std::string::npos) << apply.out;
  Command again = manage("migrate", "a");
  EXPECT_NE(again.out.find("No migrations to apply"), std::string::npos) << again.out;
}

// Gives up after the retries, naming the migration, the statement and the holder.
TEST_F(DjangoApply, LockTimeoutGivesUpNamingMigrationStatementAndHolder) {
  write_full_project(tmp_);
  pg_->create_database("a");
  ASSERT_EQ(manage("migrate inv 0003_fill_sku", "a").exit_code, 0);
  fs::path plan = export_plan("a");
  auto holder = hold("a", "LOCK TABLE inv_item IN ACCESS SHARE MODE", "inv_item");
  Command apply = safemigrate("apply --lock-timeout 200ms --lock-retries 1", plan, "a");
  end_holder("a");
  holder.get();
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("migration inv.0004_drop_index_and_unique failed"), std::string::npos)
      << apply.err;
  EXPECT_NE(apply.err.find("gave up after 2 attempt(s)"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("SQLSTATE 55P03"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("statement: "), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("held by pid"), std::string::npos) << apply.err;
  EXPECT_EQ(rows("a").find("inv.0004"), std::string::npos) << "rolled back, not recorded";
}

// Another session in the middle of Django's migrate (it holds a lock on django_migrations): apply
// waits for it, and stops when it does not end.
TEST_F(DjangoApply, WaitsForAnotherSessionRunningMigrate) {
  write_full_project(tmp_);
  pg_->create_database("a");
  ASSERT_EQ(manage("migrate inv 0003_fill_sku", "a").exit_code, 0);
  fs::path plan = export_plan("a");
  auto other = hold("a", "SELECT count(*) FROM django_migrations", "django_migrations");
  auto run = std::async(std::launch::async, [&] { return safemigrate("apply", plan, "a"); });
  wait_for("a", "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'safemigrate apply%'");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  end_holder("a");
  other.get();
  Command apply = run.get();
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("waiting: another session is using"), std::string::npos) << apply.out;

  pg_->psql("DELETE FROM django_migrations WHERE name = '0005_item_sku_idx'", "a");
  pg_->psql("DROP INDEX inv_item_sku_idx", "a");
  auto stuck = hold("a", "SELECT count(*) FROM django_migrations", "django_migrations");
  Command refused = safemigrate("apply", plan, "a");
  end_holder("a");
  stuck.get();
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("takes no lock"), std::string::npos) << refused.err;
  EXPECT_EQ(rows("a").find("inv.0005"), std::string::npos) << "nothing was applied";
}

// The server closes Django's connection in the middle of a migration: the failure names it, and
// it is not recorded (Django's transaction died with the connection).
TEST_F(DjangoApply, ALostConnectionNamesTheMigration) {
  write_full_project(tmp_);
  tmp_.write("proj/inv/migrations/0006_dies.py",
             "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
             "    dependencies = [('inv', '0005_item_sku_idx')]\n"
             "    operations = [migrations.RunSQL('SELECT pg_terminate_backend(pg_backend_pid())', "
             "migrations.RunSQL.noop)]\n");
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  Command apply = safemigrate("apply", plan, "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("migration inv.0006_dies failed"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("it is not recorded in django_migrations"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("pg_terminate_backend"), std::string::npos) << "the statement: " << apply.err;
  std::string recorded = rows("a");
  EXPECT_NE(recorded.find("inv.0005_item_sku_idx"), std::string::npos) << recorded;
  EXPECT_EQ(recorded.find("inv.0006_dies"), std::string::npos) << recorded;
}

// What two appliers at once leave: the same migration recorded twice. status shows it, verify fails.
TEST_F(DjangoApply, DuplicateHistoryRowsAreDrift) {
  write_full_project(tmp_);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  ASSERT_EQ(manage("migrate", "a").exit_code, 0);
  ASSERT_EQ(safemigrate("verify", plan, "a").exit_code, 0);
  pg_->psql("INSERT INTO django_migrations (app, name, applied) VALUES ('inv', '0003_fill_sku', now())", "a");
  Command status = safemigrate("status", plan, "a");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("recorded twice"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("inv.0003_fill_sku"), std::string::npos) << status.out;
  Command verify = safemigrate("verify", plan, "a");
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
}

}  // namespace

namespace {

// Item 4 of issue 11: what the plan holds for an operation whose SQL Django derives from the live
// database, against what `sqlmigrate` prints at that point of the history (the database migrated
// to just before it): the same statements, with the placeholder where Django put the names it found.
TEST_F(DjangoApply, LookedUpNamesArePlaceholdersInTheStatementsSqlmigratePrints) {
  write_full_project(tmp_);
  pg_->create_database("a");
  fs::path plan = export_plan("a");  // on an empty database
  ASSERT_EQ(manage("migrate inv 0003_fill_sku", "a").exit_code, 0);
  Command sqlmigrate = manage("sqlmigrate inv 0004_drop_index_and_unique", "a");
  ASSERT_EQ(sqlmigrate.exit_code, 0) << sqlmigrate.err;
  std::vector<std::string> real;
  std::istringstream lines(sqlmigrate.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.rfind("--", 0) != 0 && line != "BEGIN;" && line != "COMMIT;")
      real.push_back(line);
  Command exported = sm::test::run_shell(
      tmp_.path(),
      "/usr/bin/python3 -c 'import json, sys\nfor m in json.load(open(sys.argv[1]))[\"migrations\"]:\n"
      "  if m[\"id\"] == \"inv.0004_drop_index_and_unique\":\n    for o in m[\"operations\"]:\n"
      "      for s in o[\"forward_sql\"]: print(o[\"sql_depends_on_database\"], s)' " +
          sm::test::shell_quote(plan.string()));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::vector<std::string> ours;
  std::istringstream olines(exported.out);
  for (std::string line; std::getline(olines, line);) ours.push_back(line);
  // Each statement sqlmigrate prints, with the names Django found in the database replaced by the
  // placeholder; the lookup for a db_index finds the index and its _like twin, and the plan holds
  // a DROP INDEX for each, as Django runs them (issue 18).
  std::vector<std::string> expected;
  const std::regex found_name("\"inv_item_name_[0-9a-f]+(_like)?\"");
  for (const std::string& r : real)
    expected.push_back(std::regex_replace(r, found_name, "\"safemigrate_name_looked_up_in_database\""));
  ASSERT_EQ(ours.size(), expected.size()) << "plan:\n" << exported.out << "sqlmigrate:\n" << sqlmigrate.out;
  int placeholders = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    bool marked = ours[i].rfind("True ", 0) == 0;
    std::string s = ours[i].substr(ours[i].find(' ') + 1);
    if (s.find("safemigrate_name_looked_up_in_database") != std::string::npos) {
      ++placeholders;
      EXPECT_TRUE(marked) << s;
    }
    EXPECT_EQ(s, expected[i]);
  }
  EXPECT_EQ(placeholders, 2) << exported.out;
}

// Issue 18: the DROP INDEX whose name Django looks up holds a placeholder that no catalog knows;
// the gate judges it by the operation's model's table, which has rows here, so apply stops.
TEST_F(DjangoApply, APlaceholderDropIndexIsJudgedByItsModelsTable) {
  sm::test::write_django_site(tmp_, "'inv'");
  sm::test::write_django_app(tmp_, "inv");
  const std::string head = sm::test::kMigrationHead;
  tmp_.write("proj/inv/migrations/0001_initial.py",
             head +
                 "    initial = True\n    dependencies = []\n    operations = [\n"
                 "        migrations.CreateModel(name='Item', fields=[('id', "
                 "models.BigAutoField(primary_key=True)), "
                 "('name', models.CharField(max_length=50, db_index=True))]),\n    ]\n");
  pg_->create_database("a");
  ASSERT_EQ(safemigrate("apply", export_plan("a"), "a").exit_code, 0);
  pg_->psql("INSERT INTO inv_item (name) SELECT 'n' || g FROM generate_series(1, 50000) g; ANALYZE inv_item",
            "a");
  tmp_.write("proj/inv/migrations/0002_no_index.py",
             head +
                 "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
                 "        migrations.AlterField(model_name='item', name='name', "
                 "field=models.CharField(max_length=50)),\n    ]\n");
  fs::path plan = export_plan("a");
  Command apply = safemigrate("apply", plan, "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("require-concurrent-index-deletion"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("inv_item"), std::string::npos) << apply.err;
  EXPECT_EQ(apply.err.find("not in this database"), std::string::npos) << apply.err;
  // Nothing ran: the index and its _like twin are still there.
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_indexes WHERE tablename = 'inv_item' AND indexname <> "
                      "'inv_item_pkey'",
                      "a"),
            "2");
  // On an empty table the same drop blocks no one.
  pg_->psql("TRUNCATE inv_item; ANALYZE inv_item", "a");
  // apply says how many findings it lets through; --dry-run lists each with its reason.
  Command listed = safemigrate("apply --dry-run", plan, "a");
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_NE((listed.out + listed.err).find("\"inv_item\": empty in this database"), std::string::npos)
      << listed.out << listed.err;
  Command empty = safemigrate("apply", plan, "a");
  EXPECT_EQ(empty.exit_code, 0) << empty.out << empty.err;
  EXPECT_NE(empty.err.find("1 error finding about tables that are empty in this database"), std::string::npos)
      << empty.err;
}

// Issue 19: `# safemigrate-ignore: RULE` on a RunPython operation silences the findings about its
// code (run-python-imports-models) as it does those about an operation's SQL; before, only the
// rule set to "warning" in safemigrate.toml let such a finding through the gate.
TEST_F(DjangoApply, TheIgnoreCommentOnARunPythonOperationLetsItsFindingThrough) {
  sm::test::write_django_site(tmp_, "'inv'");
  sm::test::write_django_app(tmp_, "inv",
                             "from django.db import models\n\n\nclass Item(models.Model):\n    name = "
                             "models.CharField(max_length=50)\n");
  const std::string head = "from django.db import migrations, models\n\n\n";
  tmp_.write(
      "proj/inv/migrations/0001_initial.py",
      head +
          "class Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n"
          "    operations = [\n        migrations.CreateModel(name='Item', fields=[('id', "
          "models.BigAutoField(primary_key=True)), ('name', models.CharField(max_length=50))]),\n    ]\n");
  auto fill = [&](const std::string& comment) {
    tmp_.write("proj/inv/migrations/0002_fill.py",
               head +
                   "def fill(apps, schema_editor):\n    from inv.models import Item\n    "
                   "Item.objects.create(name='x')\n\n\n"
                   "class Migration(migrations.Migration):\n    dependencies = [('inv', '0001_initial')]\n"
                   "    operations = [\n" +
                   comment + "        migrations.RunPython(fill, migrations.RunPython.noop),\n    ]\n");
  };
  fill("");
  pg_->create_database("a");
  Command blocked = safemigrate("apply", export_plan("a"), "a");
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out << blocked.err;
  EXPECT_NE(blocked.err.find("[run-python-imports-models]"), std::string::npos) << blocked.err;
  EXPECT_NE(blocked.err.find("# safemigrate-ignore: RULE reason"), std::string::npos) << blocked.err;
  EXPECT_EQ(pg_->psql("SELECT to_regclass('inv_item') IS NULL", "a"), "t") << "nothing was applied";
  // What the hint says works: the comment on the operation.
  fill("        # safemigrate-ignore: run-python-imports-models reviewed\n");
  Command through = safemigrate("apply", export_plan("a"), "a");
  EXPECT_EQ(through.exit_code, 0) << through.out << through.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM inv_item", "a"), "1");
}

// Issue 18: Django's sessions look an unqualified name up in the search_path a session of the
// database starts with (here ALTER DATABASE … SET), not in safemigrate's own: the gate judges the
// table there.
TEST_F(DjangoApply, TheGateLooksNamesUpWhereDjangosSessionsDo) {
  sm::test::write_django_site(tmp_, "'inv'");
  sm::test::write_django_app(tmp_, "inv");
  const std::string head = sm::test::kMigrationHead;
  tmp_.write("proj/inv/migrations/0001_initial.py",
             head +
                 "    initial = True\n    dependencies = []\n    operations = [\n"
                 "        migrations.CreateModel(name='Item', fields=[('id', "
                 "models.BigAutoField(primary_key=True)), "
                 "('name', models.CharField(max_length=50))]),\n    ]\n");
  pg_->create_database("a");
  pg_->psql("CREATE SCHEMA other; ALTER DATABASE a SET search_path TO public, other", "a");
  ASSERT_EQ(safemigrate("apply", export_plan("a"), "a").exit_code, 0);
  // The table now lives in "other", which Django's sessions reach through the search_path.
  pg_->psql(
      "ALTER TABLE public.inv_item SET SCHEMA other; INSERT INTO other.inv_item (name) SELECT 'n' || g "
      "FROM generate_series(1, 50000) g; ANALYZE other.inv_item",
      "a");
  tmp_.write("proj/inv/migrations/0002_index.py",
             head +
                 "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
                 "        migrations.AlterField(model_name='item', name='name', "
                 "field=models.CharField(max_length=50, db_index=True)),\n    ]\n");
  Command apply = safemigrate("apply", export_plan("a"), "a");
  EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("require-concurrent-index-creation"), std::string::npos) << apply.err;
  EXPECT_EQ(apply.err.find("not in this database"), std::string::npos) << apply.err;
  EXPECT_EQ(
      pg_->psql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'other' AND tablename = 'inv_item'", "a"),
      "1");
}

// Issue 18: Django's connection lexes SQL otherwise than safemigrate checked it when its
// standard_conforming_strings is off. By the project's OPTIONS (only Django's session has it):
// run_migrate.py refuses on Django's connection; by the database's default (every session):
// safemigrate refuses on its own connection before Django starts. Nothing runs or is recorded.
TEST_F(DjangoApply, RefusesWhenTheSessionsStandardConformingStringsIsOff) {
  for (bool by_options : {true, false}) {
    SCOPED_TRACE(by_options ? "OPTIONS of DATABASES" : "ALTER DATABASE … SET");
    sm::test::write_django_site(tmp_, "'inv'",
                                by_options ? "{'options': '-c standard_conforming_strings=off'}" : "");
    sm::test::write_django_app(tmp_, "inv");
    tmp_.write("proj/inv/migrations/0001_initial.py",
               std::string(sm::test::kMigrationHead) +
                   "    initial = True\n    dependencies = []\n    operations = [\n"
                   "        migrations.CreateModel(name='Item', fields=[('id', "
                   "models.BigAutoField(primary_key=True))]),\n"
                   "    ]\n");
    const std::string db = by_options ? "byoptions" : "bydefault";
    pg_->create_database(db);
    if (!by_options) pg_->psql("ALTER DATABASE " + db + " SET standard_conforming_strings = off");
    fs::path plan = export_plan(db);
    Command apply = safemigrate("apply", plan, db);
    EXPECT_EQ(apply.exit_code, 2) << apply.out << apply.err;
    EXPECT_NE(apply.err.find("standard_conforming_strings is off"), std::string::npos) << apply.err;
    EXPECT_NE(apply.err.find("nothing was applied"), std::string::npos) << apply.err;
    if (by_options) {
      EXPECT_NE(apply.err.find("DATABASES['default']"), std::string::npos)
          << "Django's session: " << apply.err;
    }
    EXPECT_EQ(
        pg_->psql("SELECT count(*) FROM pg_class WHERE relname IN ('inv_item', 'django_migrations')", db),
        "0");
  }
}

}  // namespace

namespace {

// inv: 0001 creates inv_item; 0002 adds a column, then sleeps `sleep_s` in the same transaction
// (a slow migration); 0003 adds another column.
void write_slow_project(const sm::test::TempDir& tmp, int sleep_s) {
  sm::test::write_django_site(tmp, "'inv'");
  sm::test::write_django_app(tmp, "inv");
  const std::string head = sm::test::kMigrationHead;
  tmp.write("proj/inv/migrations/0001_initial.py",
            head +
                "    initial = True\n    dependencies = []\n    operations = [\n"
                "        migrations.CreateModel(name='Item', fields=[('id', "
                "models.BigAutoField(primary_key=True)), "
                "('name', models.CharField(max_length=50))]),\n    ]\n");
  tmp.write(
      "proj/inv/migrations/0002_slow.py",
      head +
          "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
          "        migrations.AddField(model_name='item', name='sku', field=models.CharField(max_length=20, "
          "null=True)),\n        migrations.RunSQL('SELECT pg_sleep(" +
          std::to_string(sleep_s) + ")', migrations.RunSQL.noop),\n    ]\n");
  tmp.write(
      "proj/inv/migrations/0003_code.py",
      head +
          "    dependencies = [('inv', '0002_slow')]\n    operations = [\n"
          "        migrations.AddField(model_name='item', name='code', field=models.CharField(max_length=10, "
          "null=True)),\n    ]\n");
}

// Rows recorded more than once in django_migrations.
std::string duplicates(sm::test::PgCluster& pg, const std::string& db) {
  return pg.psql("SELECT count(*) - count(DISTINCT (app, name)) FROM django_migrations", db);
}

// Issue 18: `safemigrate apply` killed (SIGKILL, or SIGTERM as CI cancellation sends) while Django
// is in the middle of a migration. Its run_migrate.py holds the advisory lock: it finishes that
// migration, notices that safemigrate is gone and starts no other; an apply started meanwhile
// waits for the lock, then applies the rest. Every migration is recorded once.
TEST_F(DjangoApply, AKilledApplyLeavesNoMigrationAppliedTwice) {
  write_slow_project(tmp_, 3);
  for (int sig : {SIGKILL, SIGTERM}) {
    SCOPED_TRACE(sig == SIGKILL ? "SIGKILL" : "SIGTERM");
    const std::string db = sig == SIGKILL ? "k" : "t";
    pg_->create_database(db);
    ASSERT_EQ(manage("migrate inv 0001_initial", db).exit_code, 0);
    fs::path plan = export_plan(db);
    sm::util::ProcessSpec spec;
    spec.argv = {SAFEMIGRATE_BINARY, "apply", "--database-url", pg_->url(db), plan.string()};
    spec.env = {{"DB_PORT", std::to_string(pg_->port())},
                {"DB_PASSWORD", sm::test::PgCluster::kPassword},
                {"DB_NAME", db}};
    spec.cwd = (tmp_.path() / "proj").string();
    sm::util::Process first(spec);
    wait_for(
        db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'safemigrate django migrate' AND "
        "state = 'active' AND query LIKE '%pg_sleep%'");
    ASSERT_EQ(::kill(first.pid(), sig), 0);
    std::string first_out;
    int first_code = first.wait([&](const std::string& l) { first_out += l + "\n"; });
    EXPECT_EQ(first_code, 128 + sig) << first_out;
    EXPECT_NE(first_out.find("applying inv.0002_slow"), std::string::npos) << first_out;

    Command second = safemigrate("apply", plan, db);
    ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_NE(second.out.find("waiting for advisory lock"), std::string::npos)
        << "waited for the killed apply's migrate: " << second.out;
    EXPECT_NE(second.out.find("safemigrate django migrate"), std::string::npos) << "names it: " << second.out;
    EXPECT_EQ(second.out.find("applying inv.0002_slow"), std::string::npos)
        << "saw what the killed apply's migrate did: " << second.out;
    EXPECT_NE(second.out.find("applying inv.0003_code"), std::string::npos)
        << "the killed apply's migrate stopped after the migration it was in: " << second.out;
    EXPECT_EQ(duplicates(*pg_, db), "0") << rows(db);
    EXPECT_EQ(rows(db), "inv.0001_initial\ninv.0002_slow\ninv.0003_code");
    Command again = manage("migrate", db);
    EXPECT_NE(again.out.find("No migrations to apply"), std::string::npos) << again.out;
  }
}

// A plain `manage.py migrate inv 0002_slow` (no lock, no name) in the middle of a migration that
// the plan has pending: apply waits for it, naming it, then applies only what is left. (A plain
// migrate between two migrations holds nothing PostgreSQL shows: the README says to deploy with
// one applier.)
TEST_F(DjangoApply, WaitsForAPlainMigrateInTheMiddleOfAMigration) {
  write_slow_project(tmp_, 3);
  pg_->create_database("a");
  ASSERT_EQ(manage("migrate inv 0001_initial", "a").exit_code, 0);
  fs::path plan = export_plan("a");
  auto plain = std::async(std::launch::async, [&] { return manage("migrate inv 0002_slow", "a"); });
  wait_for(
      "a",
      "SELECT count(*) FROM pg_stat_activity WHERE coalesce(application_name, '') = '' AND state = 'active' "
      "AND query LIKE '%pg_sleep%'");
  Command apply = safemigrate("apply", plan, "a");
  Command migrate = plain.get();
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("waiting: another session"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("AccessExclusiveLock on inv_item"), std::string::npos)
      << "names it: " << apply.out;
  EXPECT_EQ(apply.out.find("applying inv.0002_slow"), std::string::npos) << apply.out;
  EXPECT_NE(apply.out.find("applying inv.0003_code"), std::string::npos) << apply.out;
  EXPECT_EQ(duplicates(*pg_, "a"), "0") << rows("a");
  EXPECT_EQ(rows("a"), "inv.0001_initial\ninv.0002_slow\ninv.0003_code");
}

// On a blank database a plain migrate creates django_migrations while apply's migrate does too
// (here the other session is held, uncommitted, until apply's CREATE TABLE waits behind it): the
// user is told which session runs migrate, not Django's IntegrityError.
TEST_F(DjangoApply, OnABlankDatabaseAConcurrentMigrateIsNamedNotAnIntegrityError) {
  write_slow_project(tmp_, 0);
  pg_->create_database("a");
  fs::path plan = export_plan("a");
  pg_->psql("CREATE TABLE gate (x int)", "a");
  auto gate = hold("a", "LOCK TABLE gate IN ACCESS EXCLUSIVE MODE", "gate");
  // What Django's migrate does first on a blank database, then goes on migrating (the sleep);
  // statement by statement (psql -f), as Django sends them.
  tmp_.write("other.sql",
             "SET application_name = 'other migrate';\nBEGIN;\n"
             "CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, "
             "name varchar(255) NOT NULL, applied timestamptz NOT NULL);\n"
             "LOCK TABLE gate IN ACCESS SHARE MODE;\nCOMMIT;\nSELECT pg_sleep(5);\n");
  auto other = std::async(std::launch::async, [&] {
    return sm::test::run_shell(
        tmp_.path(), "PGPASSWORD=" + sm::test::shell_quote(sm::test::PgCluster::kPassword) + " " +
                         sm::test::PgCluster::kBinDir + "/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
                         std::to_string(pg_->port()) + " -U postgres -f other.sql a");
  });
  wait_for("a",
           "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'other migrate' AND "
           "wait_event_type = 'Lock'");
  auto run = std::async(std::launch::async, [&] { return safemigrate("apply", plan, "a"); });
  wait_for("a",
           "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'safemigrate django migrate' "
           "AND wait_event_type = 'Lock' AND query LIKE '%CREATE TABLE%'");
  end_holder("a");
  gate.get();
  Command apply = run.get();
  Command o = other.get();
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(apply.exit_code, 2) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("another session created \"public\".\"django_migrations\" at the same time"),
            std::string::npos)
      << apply.err;
  EXPECT_NE(apply.err.find("other migrate"), std::string::npos) << "names it: " << apply.err;
  EXPECT_EQ(apply.err.find("IntegrityError"), std::string::npos) << apply.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM django_migrations", "a"), "0") << "nothing was applied";
}

}  // namespace

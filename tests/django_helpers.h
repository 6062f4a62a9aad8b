// Shared by the Django tests that run commands in a project folder against a private PostgreSQL:
// the real Django (the version under test), the exporter, and the safemigrate binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "pg_cluster.h"
#include "test_support.h"

namespace sm::test {

// tmp/proj/invsite (settings reading DB_NAME, DB_PORT and DB_PASSWORD) and tmp/proj/manage.py, for a
// project with `installed_apps` (Python list items, e.g. "'inv'"); `db_options` (a Python dict
// literal) becomes the database's OPTIONS.
inline void write_django_site(const TempDir& tmp, const std::string& installed_apps,
                              const std::string& db_options = "") {
  tmp.write("proj/invsite/__init__.py", "");
  tmp.write("proj/invsite/settings.py",
            "import os\nSECRET_KEY = 'x'\nINSTALLED_APPS = [" + installed_apps +
                "]\nUSE_TZ = True\n"
                "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
                "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': "
                "os.environ['DB_NAME'],\n"
                "  'USER': 'postgres', 'PASSWORD': os.environ['DB_PASSWORD'], 'HOST': '127.0.0.1',\n"
                "  'PORT': os.environ['DB_PORT']" +
                (db_options.empty() ? "" : ", 'OPTIONS': " + db_options) + "}}\n");
  tmp.write(
      "proj/manage.py",
      "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'invsite.settings')\n"
      "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n");
}

// The start of every migration file the tests write; the class body follows.
inline constexpr const char* kMigrationHead =
    "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n";

// App `app` in tmp/proj: its package, `models` as models.py, and an empty migrations package.
inline void write_django_app(const TempDir& tmp, const std::string& app, const std::string& models = "") {
  tmp.write("proj/" + app + "/__init__.py", "");
  tmp.write("proj/" + app + "/models.py", models);
  tmp.write("proj/" + app + "/migrations/__init__.py", "");
}

// A project in tmp_/proj whose settings read DB_NAME, DB_PORT and DB_PASSWORD.
class DjangoProjectTest : public ::testing::Test {
 protected:
  void SetUp() override { SM_START_DJANGO_AND_PG(pg_); }

  RunResult sh(const std::string& cmd, const std::string& db = "") {
    std::string env = "DB_PORT=" + std::to_string(pg_->port()) +
                      " DB_PASSWORD=" + shell_quote(PgCluster::kPassword) +
                      " DB_NAME=" + (db.empty() ? "postgres" : db);
    return run_shell(tmp_.path() / "proj", "env " + env + " " + cmd);
  }
  RunResult manage(const std::string& args, const std::string& db) {
    return sh(django_python() + " manage.py " + args, db);
  }
  std::filesystem::path export_plan(const std::string& db, const std::string& settings = "invsite.settings") {
    std::filesystem::path plan = tmp_.path() / ("plan-" + db + ".json");
    RunResult c =
        sh(django_python() + " " + shell_quote((source_dir() / "adapters/django/export_plan.py").string()) +
               " --settings " + settings + " --online -o " + shell_quote(plan.string()),
           db);
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return plan;
  }
  RunResult safemigrate(const std::string& command, const std::filesystem::path& plan,
                        const std::string& db) {
    return sh(shell_quote(SAFEMIGRATE_BINARY) + " " + command + " --database-url " +
                  shell_quote(pg_->url(db)) + " " + shell_quote(plan.string()),
              db);
  }
  std::string rows(const std::string& db) {
    return pg_->psql("SELECT app || '.' || name FROM django_migrations ORDER BY id", db);
  }

  TempDir tmp_;
  std::unique_ptr<PgCluster> pg_;
};

}  // namespace sm::test

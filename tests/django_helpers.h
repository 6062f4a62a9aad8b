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

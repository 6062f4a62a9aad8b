// Shared by the tests of status/verify/apply/resolve: a Prisma project in a temporary folder.
#pragma once

#include <filesystem>
#include <string>

#include "pg_cluster.h"
#include "test_support.h"

namespace sm::test {

class PrismaProject {
 public:
  PrismaProject() { dir_.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n"); }
  std::filesystem::path migrations() const { return dir_.path() / "prisma" / "migrations"; }
  std::filesystem::path add(const std::string& name, const std::string& sql) const {
    return dir_.write("prisma/migrations/" + name + "/migration.sql", sql);
  }
  std::string arg() const { return shell_quote(migrations().string()); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

// `safemigrate CMD --database-url URL PROJECT EXTRA`
inline RunResult sm_cli(const std::string& cmd, const std::string& url, const PrismaProject& p,
                        const std::string& extra = "") {
  return run_cli(cmd + " --database-url " + shell_quote(url) + " " + p.arg() +
                 (extra.empty() ? "" : " " + extra));
}

}  // namespace sm::test

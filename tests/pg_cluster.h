// A private PostgreSQL 15 cluster for tests: initdb into a temporary folder, a server on a free
// loopback port (password authentication over TCP) and a Unix socket in that folder, stopped
// and removed when the object goes away. Real server, no mocks.
#pragma once

#include <memory>
#include <string>

#include "test_support.h"

namespace sm::test {

class PgCluster {
 public:
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
  static constexpr const char* kPassword = "s3cret-pw";

  // Whether initdb and postgres are installed; `reason` says what is missing.
  static bool binaries_present(std::string* reason);

  // Starts the cluster; throws std::runtime_error with the server log when it cannot.
  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  int port() const { return port_; }
  // postgresql://postgres:PASSWORD@127.0.0.1:PORT/DB
  std::string url(const std::string& db = "postgres") const;
  std::string url_with_password(const std::string& password, const std::string& db = "postgres") const;
  // Creates database `name` and returns its URL.
  std::string create_database(const std::string& name) const;
  // Runs `sql` with psql (-X -A -t -q, ON_ERROR_STOP) against `db`; returns stdout; throws on failure.
  std::string psql(const std::string& sql, const std::string& db = "postgres") const;

 private:
  // Runs a PostgreSQL binary as the cluster's owner (postgres when the tests run as root).
  int run_as_owner(const std::string& command) const;
  std::unique_ptr<TempDir> dir_;
  std::string data_, sock_, log_;
  int port_ = 0;
  bool started_ = false;
};

// Skips the test when PostgreSQL is not installed (a failure when CI is set: CI installs it, so a
// missing server there is a broken setup, not a reason to skip).
#define SM_REQUIRE_PG()                                                  \
  do {                                                                   \
    std::string sm_pg_reason;                                            \
    if (!::sm::test::PgCluster::binaries_present(&sm_pg_reason)) {       \
      if (std::getenv("CI")) FAIL() << "CI is set but " << sm_pg_reason; \
      GTEST_SKIP() << sm_pg_reason;                                      \
    }                                                                    \
  } while (false)

// Starts the test's cluster, or skips the test as SM_REQUIRE_PG does.
#define SM_START_PG(var) \
  SM_REQUIRE_PG();       \
  ::sm::test::PgCluster var

// The Django the Django tests run against. ctest runs each Django test executable once per
// supported Django version and driver (tests/CMakeLists.txt), naming them in SAFEMIGRATE_DJANGO
// ("VERSION-DRIVER", e.g. "5.2-psycopg"); versions other than 3.2 are where scripts/fetch_django.sh
// unpacks them, under SAFEMIGRATE_DJANGO_DIR. Without it: Debian 12's own Django 3.2 with psycopg2.
struct DjangoUnderTest {
  std::string version = "3.2";
  std::string driver = "psycopg2";  // or "psycopg" (psycopg 3)
  std::string pythonpath;           // empty: Debian's python3-django
  std::string label() const { return version + "-" + driver; }
  bool at_least(int major, int minor) const;
};
const DjangoUnderTest& django_under_test();

// The command that runs Debian's Python (never a pyenv or venv one on PATH) with that Django:
// "env PYTHONPATH=... /usr/bin/python3", or "/usr/bin/python3".
std::string django_python();

// Whether that Django imports with that driver; `reason` says what is missing or different.
bool django_ready(std::string* reason);

// In a fixture's SetUp: the Django under test is there, else skip (a failure when CI is set:
// CI installs or fetches every supported version, so a missing one is a broken setup).
#define SM_REQUIRE_DJANGO()                                           \
  do {                                                                \
    std::string sm_reason;                                            \
    if (!::sm::test::django_ready(&sm_reason)) {                      \
      if (std::getenv("CI")) FAIL() << "CI is set but " << sm_reason; \
      GTEST_SKIP() << sm_reason;                                      \
    }                                                                 \
  } while (0)

// The same, and PostgreSQL; then `pg` (a std::unique_ptr<PgCluster>) holds a started cluster.
#define SM_START_DJANGO_AND_PG(pg)                                                                       \
  do {                                                                                                   \
    std::string sm_reason;                                                                               \
    if (!::sm::test::django_ready(&sm_reason) || !::sm::test::PgCluster::binaries_present(&sm_reason)) { \
      if (std::getenv("CI")) FAIL() << "CI is set but " << sm_reason;                                    \
      GTEST_SKIP() << sm_reason;                                                                         \
    }                                                                                                    \
    pg = std::make_unique<::sm::test::PgCluster>();                                                      \
  } while (0)

}  // namespace sm::test

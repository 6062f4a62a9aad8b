#include "pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sm::test {

namespace fs = std::filesystem;

namespace {

// A port nobody listens on right now (the kernel picks it); the server may still lose a race
// for it, so the caller retries with another.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool running_as_root() {
  return geteuid() == 0;
}

int run_as_postgres_if_root(const std::string& command) {
  // initdb and postgres refuse to run as root.
  std::string cmd = running_as_root() ? "runuser -u postgres -- " + command : command;
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string initdb_command(const std::string& data, const std::string& pwfile, const std::string& log) {
  // Password (scram) over TCP, so that tests can use a wrong one; trust on the private socket.
  return shell_quote(std::string(PgCluster::kBinDir) + "/initdb") + " -D " + shell_quote(data) +
         " -U postgres -A scram-sha-256 --auth-local=trust --pwfile=" + shell_quote(pwfile) +
         " -E UTF8 --locale=C.UTF-8 --no-sync >" + shell_quote(log) + " 2>&1";
}

// A never-started cluster made by initdb once per build folder, which every PgCluster copies:
// initdb costs about a second of CPU and a copy a tenth of that, and a few hundred test cases of a
// ctest run each start a cluster. Made under a lock, since test processes run in parallel, and
// renamed into place whole, so a reader never sees half of it. "" when it cannot be made (the
// caller runs initdb itself).
std::string template_cluster(const std::string& password) {
  fs::path root = fs::path(SAFEMIGRATE_BUILD_DIR) / "pg-template";
  fs::path data = root / "data";
  std::error_code ec;
  if (fs::exists(data / "PG_VERSION", ec)) return data.string();
  fs::create_directories(root, ec);
  if (ec) return {};
  int fd = open((root / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return {};
  flock(fd, LOCK_EX);
  std::string made;
  if (fs::exists(data / "PG_VERSION", ec)) {
    made = data.string();
  } else {
    fs::path work = root / "making";
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);
    std::ofstream(work / "pwfile") << password << "\n";
    bool owned =
        !running_as_root() || std::system(("chown -R postgres " + shell_quote(work.string())).c_str()) == 0;
    if (owned && run_as_postgres_if_root(initdb_command((work / "data").string(), (work / "pwfile").string(),
                                                        (work / "initdb.log").string())) == 0) {
      fs::rename(work / "data", data, ec);
      if (!ec) made = data.string();
    }
    fs::remove_all(work, ec);
  }
  flock(fd, LOCK_UN);
  close(fd);
  return made;
}

}  // namespace

bool PgCluster::binaries_present(std::string* reason) {
  for (const char* b : {"initdb", "postgres", "pg_ctl"}) {
    if (access((std::string(kBinDir) + "/" + b).c_str(), X_OK) != 0) {
      if (reason) *reason = std::string("PostgreSQL 15 is not installed (no ") + kBinDir + "/" + b + ")";
      return false;
    }
  }
  if (access("/usr/bin/psql", X_OK) != 0) {
    if (reason) *reason = "psql is not installed (/usr/bin/psql)";
    return false;
  }
  return true;
}

int PgCluster::run_as_owner(const std::string& command) const {
  return run_as_postgres_if_root(command);
}

PgCluster::PgCluster() : dir_(std::make_unique<TempDir>()) {
  data_ = (dir_->path() / "data").string();
  sock_ = (dir_->path() / "sock").string();
  log_ = (dir_->path() / "server.log").string();
  fs::path pwfile = dir_->write("pwfile", std::string(kPassword) + "\n");
  fs::create_directories(sock_);
  if (running_as_root()) {
    std::string chown = "chown -R postgres " + shell_quote(dir_->path().string());
    if (std::system(chown.c_str()) != 0)
      throw std::runtime_error("cannot chown the cluster folder to postgres");
  }
  std::string copied = template_cluster(kPassword);
  bool ready =
      !copied.empty() && run_as_owner("cp -a " + shell_quote(copied) + " " + shell_quote(data_)) == 0;
  if (!ready) fs::remove_all(data_);  // a copy that failed half way
  if (!ready && run_as_owner(initdb_command(data_, pwfile.string(), log_ + ".initdb")) != 0)
    throw std::runtime_error("initdb failed:\n" + read_file(log_ + ".initdb"));
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    std::string opts = "-p " + std::to_string(port_) + " -k " + sock_ +
                       " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60";
    std::string start = shell_quote(std::string(kBinDir) + "/pg_ctl") + " -D " + shell_quote(data_) + " -l " +
                        shell_quote(log_) + " -w -t 60 -o " + shell_quote(opts) + " start >/dev/null 2>&1";
    if (run_as_owner(start) == 0) {
      started_ = true;
      return;
    }
  }
  throw std::runtime_error("PostgreSQL did not start:\n" + read_file(log_));
}

PgCluster::~PgCluster() {
  if (started_) {
    std::string stop = shell_quote(std::string(kBinDir) + "/pg_ctl") + " -D " + shell_quote(data_) +
                       " -m immediate -w stop >/dev/null 2>&1";
    run_as_owner(stop);
  }
}

std::string PgCluster::url(const std::string& db) const {
  return url_with_password(kPassword, db);
}

std::string PgCluster::url_with_password(const std::string& password, const std::string& db) const {
  return "postgresql://postgres:" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PgCluster::create_database(const std::string& name) const {
  psql("CREATE DATABASE \"" + name + "\"");
  return url(name);
}

std::string PgCluster::psql(const std::string& sql, const std::string& db) const {
  TempDir tmp;
  fs::path in = tmp.write("in.sql", sql), out = tmp.path() / "out", err = tmp.path() / "err";
  std::string cmd =
      "PGPASSWORD=" + shell_quote(kPassword) + " /usr/bin/psql -X -A -t -q -v ON_ERROR_STOP=1 -h " +
      "127.0.0.1 -p " + std::to_string(port_) + " -U postgres -d " + shell_quote(db) + " -f " +
      shell_quote(in.string()) + " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  int status = std::system(cmd.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("psql failed on:\n" + sql + "\n" + read_file(err));
  std::string s = read_file(out);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

const DjangoUnderTest& django_under_test() {
  static const DjangoUnderTest django = [] {
    DjangoUnderTest d;
    if (const char* name = std::getenv("SAFEMIGRATE_DJANGO"); name && *name) {
      std::string s = name;
      size_t dash = s.find('-');
      d.version = s.substr(0, dash);
      if (dash != std::string::npos) d.driver = s.substr(dash + 1);
    }
    // Where scripts/fetch_django.sh unpacked it; 3.2 is Debian's own.
    if (d.version != "3.2") {
      std::string dir = std::string(SAFEMIGRATE_DJANGO_DIR) + "/" + d.version;
      d.pythonpath = dir + "/root/usr/lib/python3/dist-packages";
      // Django 4.2+ takes psycopg 3 whenever it imports; this folder hides it.
      if (d.driver == "psycopg2") d.pythonpath = dir + "/psycopg2-only:" + d.pythonpath;
    }
    return d;
  }();
  return django;
}

bool DjangoUnderTest::at_least(int major, int minor) const {
  int a = 0, b = 0;
  std::sscanf(version.c_str(), "%d.%d", &a, &b);
  return a > major || (a == major && b >= minor);
}

std::string django_python() {
  const std::string python = "/usr/bin/python3";
  const auto& d = django_under_test();
  return d.pythonpath.empty() ? python : "env PYTHONPATH=" + shell_quote(d.pythonpath) + " " + python;
}

bool django_ready(std::string* reason) {
  static const std::string problem = [] {
    const auto& d = django_under_test();
    // The module that Django's PostgreSQL backend imported is the driver it runs on.
    RunResult r = run_shell(fs::temp_directory_path(),
                            django_python() +
                                " -c 'import django; from django.db.backends.postgresql import base; "
                                "print(django.get_version(), base.Database.__name__)'");
    std::string want =
        "Django " + d.version + " with " + d.driver +
        (d.pythonpath.empty() ? " (Debian's python3-django, scripts/setup.sh installs it)"
                              : " from " + d.pythonpath + " (scripts/fetch_django.sh fetches it)");
    if (r.exit_code != 0) return want + " is needed; /usr/bin/python3 says: " + r.err;
    std::istringstream in(r.out);
    std::string version, driver;
    in >> version >> driver;
    if (version.rfind(d.version + ".", 0) != 0 || driver != d.driver)
      return want + " is needed; found Django " + version + " with " + driver;
    return std::string();
  }();
  if (reason) *reason = problem;
  return problem.empty();
}

}  // namespace sm::test

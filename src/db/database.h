// One connection to PostgreSQL (libpqxx), opened from a Prisma-style URL, with the session
// settings migrations need, and Prisma's advisory lock. Every message is free of the password.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "db/url.h"
#include "model/errors.h"

namespace sm::db {

// A database problem with a message a user can act on (password already masked).
class DbError : public model::Error {
 public:
  explicit DbError(const std::string& message, std::string sqlstate = {})
      : model::Error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

struct ConnectOptions {
  int connect_timeout_s = 10;
};

class Database {
 public:
  // Connects and sets search_path to the URL's schema. Throws DbError: unreachable server,
  // authentication failure, missing database, bad URL.
  Database(const std::string& url, const ConnectOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  pqxx::connection& conn() { return *conn_; }
  const DatabaseUrl& url() const { return url_; }
  const std::string& schema() const { return url_.schema; }
  // `text` without the password: for any message that may quote a connection string.
  std::string scrub(const std::string& text) const;

  // Runs one query in autocommit (its own implicit transaction).
  pqxx::result exec(const std::string& sql);
  template <typename... Args>
  pqxx::result exec_params(const std::string& sql, Args&&... args) {
    pqxx::nontransaction tx(*conn_);
    return tx.exec_params(sql, std::forward<Args>(args)...);
  }
  std::string quote(const std::string& value) const { return conn_->quote(value); }
  std::string quote_name(const std::string& name) const { return conn_->quote_name(name); }

  // Session settings; 0 turns a timeout off.
  void set_lock_timeout(std::chrono::milliseconds ms);
  void set_statement_timeout(std::chrono::milliseconds ms);
  int backend_pid();
  // The server's major version, e.g. 15.
  uint32_t server_major();

 private:
  DatabaseUrl url_;
  std::unique_ptr<pqxx::connection> conn_;
};

// A session-level advisory lock (pg_advisory_lock), released when the object goes away or the
// connection closes. Polls pg_try_advisory_lock so that it can give up after `give_up`, as
// `prisma migrate deploy` does (P1002 after 10 s).
class AdvisoryLock {
 public:
  // Throws DbError naming the session that holds the lock when it is not had in time.
  // `progress` (may be null) is told once when the lock is busy.
  AdvisoryLock(Database& db, int64_t key, std::chrono::milliseconds give_up, std::ostream* progress);
  ~AdvisoryLock();
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

 private:
  Database& db_;
  int64_t key_;
};

// Who holds advisory lock `key` (pid, application, query), or "" when nobody does.
std::string advisory_lock_holder(Database& db, int64_t key);

// PostgreSQL's error code of a pqxx exception, or "".
std::string sqlstate_of(const std::exception& e);
// Whether `e` is PostgreSQL refusing a statement (an error with a SQLSTATE, deadlocks and
// serialization failures included), as opposed to a lost connection or a usage error.
bool refused_by_server(const std::exception& e);

}  // namespace sm::db

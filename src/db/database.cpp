#include "db/database.h"

#include <fmt/format.h>

#include <ostream>
#include <thread>

namespace sm::db {

namespace {

// libpq's message, trimmed, on one line per sentence.
std::string clean(std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  for (size_t pos; (pos = msg.find("\n\t")) != std::string::npos;) msg.replace(pos, 2, " ");
  return msg;
}

}  // namespace

std::string sqlstate_of(const std::exception& e) {
  // libpqxx 6.4 (Debian 12) throws these without their SQLSTATE, and the 40xxx ones not even as
  // sql_error: name them by their class.
  if (auto* s = dynamic_cast<const pqxx::sql_error*>(&e); s && !s->sqlstate().empty()) return s->sqlstate();
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e)) return "42501";
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) return "40P01";
  if (dynamic_cast<const pqxx::serialization_failure*>(&e)) return "40001";
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e)) return "40003";
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e)) return "40000";
  return {};
}

bool refused_by_server(const std::exception& e) {
  return dynamic_cast<const pqxx::sql_error*>(&e) || dynamic_cast<const pqxx::transaction_rollback*>(&e);
}

Database::Database(const std::string& url, const ConnectOptions& options) {
  try {
    url_ = parse_database_url(url, options.connect_timeout_s);
  } catch (const std::invalid_argument& e) {
    throw DbError(e.what());
  }
  try {
    conn_ = std::make_unique<pqxx::connection>(url_.libpq);
  } catch (const std::exception& e) {
    std::string msg = scrub(clean(e.what()));
    std::string hint;
    if (msg.find("password authentication failed") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos)
      hint = " (check the user name and password in the URL)";
    else if (msg.find("Connection refused") != std::string::npos ||
             msg.find("timeout expired") != std::string::npos ||
             msg.find("could not translate host name") != std::string::npos ||
             msg.find("No such file or directory") != std::string::npos)
      hint = " (is the server running, and are host and port right?)";
    else if (msg.find("does not exist") != std::string::npos)
      hint = " (create the database first, or fix its name in the URL)";
    throw DbError(fmt::format("cannot connect to {}: {}{}", url_.display, msg, hint));
  }
  try {
    exec("SET search_path TO " + quote_name(url_.schema));
  } catch (const std::exception& e) {
    throw DbError(fmt::format("connected to {} but cannot use schema \"{}\": {}", url_.display, url_.schema,
                              scrub(clean(e.what()))));
  }
}

Database::~Database() = default;

std::string Database::scrub(const std::string& text) const {
  return sm::db::scrub(text, url_.secrets);
}

pqxx::result Database::exec(const std::string& sql) {
  pqxx::nontransaction tx(*conn_);
  return tx.exec(sql);
}

void Database::set_lock_timeout(std::chrono::milliseconds ms) {
  exec(fmt::format("SET lock_timeout = {}", ms.count()));
}

void Database::set_statement_timeout(std::chrono::milliseconds ms) {
  exec(fmt::format("SET statement_timeout = {}", ms.count()));
}

int Database::backend_pid() {
  return conn_->backendpid();
}

uint32_t Database::server_major() {
  return static_cast<uint32_t>(conn_->server_version() / 10000);
}

std::string advisory_lock_holder(Database& db, int64_t key) {
  // A bigint key is stored as (classid = high 32 bits, objid = low 32 bits, objsubid = 1).
  pqxx::result r = db.exec_params(
      "SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.query, '') FROM pg_locks l "
      "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
      "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = $1 LIMIT 1",
      key);
  if (r.empty()) return {};
  std::string app = r[0][1].as<std::string>();
  std::string query = r[0][2].as<std::string>();
  if (query.size() > 80) query = query.substr(0, 77) + "...";
  return fmt::format("pid {}{}{}", r[0][0].as<int>(), app.empty() ? "" : " (" + app + ")",
                     query.empty() ? "" : ", last query: " + query);
}

AdvisoryLock::AdvisoryLock(Database& db, int64_t key, std::chrono::milliseconds give_up,
                           std::ostream* progress)
    : db_(db), key_(key) {
  const auto deadline = std::chrono::steady_clock::now() + give_up;
  bool told = false;
  for (;;) {
    pqxx::result r = db_.exec_params("SELECT pg_try_advisory_lock($1)", key_);
    if (r[0][0].as<bool>()) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string holder = advisory_lock_holder(db_, key_);
      throw DbError(fmt::format(
          "timed out after {} ms waiting for advisory lock {} (taken by `prisma migrate deploy` and "
          "`safemigrate apply`; another migration run is in progress{})",
          give_up.count(), key_, holder.empty() ? "" : ": " + holder));
    }
    if (!told && progress) {
      std::string holder = advisory_lock_holder(db_, key_);
      *progress << "waiting for advisory lock " << key_ << " (another migration run holds it"
                << (holder.empty() ? "" : ": " + holder) << ")\n";
      progress->flush();
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

AdvisoryLock::~AdvisoryLock() {
  try {
    db_.exec_params("SELECT pg_advisory_unlock($1)", key_);
  } catch (...) {
    // The connection is gone: PostgreSQL released the session lock with it.
  }
}

}  // namespace sm::db

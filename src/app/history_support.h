// What status, verify, apply and resolve share across frameworks (Prisma's _prisma_migrations,
// Django's django_migrations): errors, the status report, the connection, exit-code guarding.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/history_command.h"
#include "db/database.h"
#include "db/history_store.h"
#include "model/errors.h"
#include "model/finding.h"

namespace sm::app {

// A usage or input problem: exit 2 with this message.
using InputError = model::InputError;

std::string first_line(const std::string& s);
// The error a failed migration's `logs` records, in one line ("ERROR: relation \"t\" does not
// exist (SQLSTATE 42P01)"): what status and apply's refusal show, not the logs' first line.
std::string recorded_error(const std::string& logs);
// An error message without the trailing newlines libpq adds.
std::string clean_error(const std::string& what);
// The state of every migration, then invalid indexes, then counts.
void print_report(const db::HistoryReport& rep, const db::Database& dbc, const std::string& table,
                  std::ostream& out);
// Anything but applied (or an invalid index): what `verify` fails on.
bool any_drift(const db::HistoryReport& rep);
// status and verify after the report is made: prints it; verify judges it. `local` names the
// local side in the verdict ("the migrations folder", "the plan").
int report_status(const db::HistoryReport& rep, const db::Database& dbc, const std::string& table,
                  bool verify, const std::string& local, std::ostream& out);
std::string fmt_seconds(std::chrono::steady_clock::duration d);
std::unique_ptr<db::Database> connect(const HistoryOptions& o);
// Why the session of `dbc` would lex SQL otherwise than safemigrate read it, or "" when it lexes
// as read: standard_conforming_strings off (a backslash in '…' then escapes the quote, so the
// server may split a file into other statements than those checked), or a client-only
// client_encoding (SJIS, BIG5…: a multibyte character can swallow the backslash that follows).
// The session's effective values: the role's and database's defaults and the URL's options count.
std::string lexing_mismatch(db::Database& dbc);
// `o` with postgres_version set to the server's and `database` to `dbc`: apply's gate judges for
// the PostgreSQL and the database it runs on.
HistoryOptions for_server(const HistoryOptions& o, db::Database& dbc);

// A statement or query PostgreSQL refused while applying.
struct SqlFailure {
  std::string sqlstate;
  std::string message;
  const model::Statement* statement = nullptr;  // the one that failed, when known
  // A lock timeout is retried only when the failed part was rolled back (not an `atomic = False`
  // Django migration, whose earlier statements stay).
  bool retryable = true;
};

// The sessions holding granted locks on `tables` (after a lock timeout), e.g. `table "users"
// (AccessExclusiveLock held by pid 42: LOCK TABLE users)`; "" when none is found.
std::string lock_holders(db::Database& dbc, const std::set<std::string>& tables);

// `e` as a failure of the migration when PostgreSQL refused the statement (with its SQLSTATE,
// which libpqxx 6.4 leaves out for 42501 and 40xxx); nullopt for anything else (a lost
// connection), which the caller rethrows.
std::optional<SqlFailure> sql_failure(const std::exception& e, const model::Statement* statement);

// Runs `attempt` (returns std::optional<SqlFailure>; a refusal it throws counts as one)
// again after each lock timeout (55P03: the failed part was rolled back, so it can run again),
// at most o.lock_retries more times, waiting 0.5 s, 1 s, 2 s… (at most 10 s). `on_lock_timeout`
// (failure, attempt number from 1, wait) says so before each wait; with no wait it is the last
// one and may reword the failure.
template <typename Attempt, typename OnLockTimeout>
std::optional<SqlFailure> retry_on_lock_timeout(const HistoryOptions& o, Attempt&& attempt,
                                                OnLockTimeout&& on_lock_timeout) {
  std::chrono::milliseconds backoff{500};
  for (int i = 0;; ++i) {
    std::optional<SqlFailure> e;
    try {
      e = attempt();
    } catch (const pqxx::failure& ex) {
      e = sql_failure(ex, nullptr);
      if (!e) throw;
    }
    if (!e || e->sqlstate != "55P03" || !e->retryable) return e;
    if (i >= o.lock_retries) {
      on_lock_timeout(*e, i + 1, std::optional<std::chrono::milliseconds>{});
      return e;
    }
    on_lock_timeout(*e, i + 1, std::optional<std::chrono::milliseconds>{backoff});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
}

// Before apply's first migration: creates the history table when it does not exist (`exists`),
// then sets the session's lock_timeout and statement_timeout.
void prepare_to_apply(db::HistoryStore& hist, bool exists, db::Database& dbc, const HistoryOptions& o,
                      std::ostream& out);

// Runs a command's body, turning its exceptions into a message (password scrubbed) and exit 2.
// The checklist as the gate of `apply`: unsuppressed error findings of the pending migrations
// (ids in `pending`) are printed to `err` with how to silence one (`ignore_hint`), and so is every
// statement of theirs that was not parsed or analysed (never silenced). The exit code: model::kExitOk
// when none, model::kExitUsage when one is an input error (an unreadable file), else model::kExitFindings.
// The gate judges the database it applies to (`dbc`): a finding about a table that this run
// creates (in its own or an earlier pending migration), or that holds no rows there (or does not
// exist), blocks no one and does not stop apply (said on `err` as a count, each one listed when
// `list_waived`: apply --dry-run); sizes come from one catalog query.
int gate_blocks(const model::MigrationSet& set, const std::vector<model::Finding>& findings,
                const std::set<std::string>& pending, const std::string& ignore_hint, db::Database& dbc,
                std::ostream& err, bool list_waived = false);

// `text` without the password of `url` (DbError messages mask it already; this covers any
// other message that might quote it; a URL that does not parse has no password to find).
std::string scrub_password(const std::string& text, const std::string& url);

// The message for a connection lost while applying `migration` (a server restart, a killed
// backend), where libpq's own says only "not connected": the migration, the cause, and what the
// history table now records of it, which `recorded` reads over a new connection.
std::string lost_connection(const HistoryOptions& o, const std::exception& e, const std::string& migration,
                            size_t later, const std::function<std::string(db::Database&)>& recorded);

template <typename F>
int guarded(std::ostream& err, const HistoryOptions& o, F&& body) {
  try {
    return body();
  } catch (const InputError& e) {
    err << "safemigrate: " << e.what() << "\n";
    return model::kExitUsage;
  } catch (const db::DbError& e) {
    err << "safemigrate: " << scrub_password(e.what(), o.database_url) << "\n";
    return model::kExitUsage;
  } catch (const std::exception& e) {
    err << "safemigrate: database error: " << clean_error(scrub_password(e.what(), o.database_url)) << "\n";
    return model::kExitUsage;
  }
}

}  // namespace sm::app

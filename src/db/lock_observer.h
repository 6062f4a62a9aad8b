// What a rehearsal observes in PostgreSQL: the relation locks a backend holds (pg_locks joined
// to pg_class), relfilenodes (a new one means the table was rewritten), and whether a second
// session would have been blocked by them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace sm::db {

// One lock held on one relation; mode as pg_locks names it ("AccessExclusiveLock").
struct HeldLock {
  uint32_t oid = 0;
  std::string schema, name;  // empty when the relation is not visible (dropped in this transaction)
  char relkind = 0;
  std::string mode;
  bool operator==(const HeldLock& o) const { return oid == o.oid && mode == o.mode; }
};

// Granted relation locks of backend `pid`, outside the system schemas, read in `tx`.
std::vector<HeldLock> held_locks(pqxx::transaction_base& tx, int pid);

// A relation as the catalog knows it, resolved by name in `tx` (which sees the rehearsal's own
// uncommitted changes when it is the rehearsal's transaction).
struct RelationState {
  uint32_t oid = 0;  // 0: no such relation
  uint32_t relfilenode = 0;
  std::string schema, name;
  char relkind = 0;
};
// `name` is an SQL name: "schema"."rel" or "rel" (resolved through the search_path).
RelationState relation_by_name(pqxx::transaction_base& tx, const std::string& sql_name);
RelationState relation_by_oid(pqxx::transaction_base& tx, uint32_t oid);

// What a second session found when it tried a relation with a short lock_timeout.
struct ProbeResult {
  bool read_blocked = false;   // SELECT … LIMIT 0 (ACCESS SHARE) timed out on a lock
  bool write_blocked = false;  // DELETE … WHERE false (ROW EXCLUSIVE) timed out on a lock
  bool write_tried = false;    // only tables take the write probe
  std::string error;           // another failure (the probe could not say)
};
// Tries a read and a write on relation `oid` from `conn` (another session: it sees only what is
// committed), each in a transaction that is rolled back. nullopt: the relation does not exist
// for that session (created by the uncommitted rehearsal).
std::optional<ProbeResult> probe_relation(pqxx::connection& conn, uint32_t oid,
                                          std::chrono::milliseconds timeout);

}  // namespace sm::db

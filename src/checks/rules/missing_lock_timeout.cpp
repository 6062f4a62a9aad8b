// missing-lock-timeout: a lock that blocks writes (SHARE or stronger) on an existing table with
// no lock_timeout set before. A project that sets none anywhere hears it once, as a project-wide
// condition; one that sets it in some files hears about each file that does not.
#include "checks/rule.h"

namespace sm::checks::rules {

// Locks that ordinary INSERT/UPDATE/DELETE wait for (SHARE and stronger), and the ones whose
// holder makes every read wait although its own mode is weaker (REINDEX).
static bool queues_traffic(const model::Action& a) {
  return model::blocks_writes(a.lock) || a.indirect_access_exclusive;
}

// "existing table "User"", or for DROP INDEX whose table is not known "the table of index "x"".
static std::string target(const model::Action& a) {
  if (a.kind == model::ActionKind::DropIndex) return "the table of index " + table_name(a);
  return "existing table " + table_name(a);
}

static void check(const model::Migration& m, Reporter& r) {
  // A timeout the connection sets (Django's DATABASES OPTIONS, or deploy_lock_timeout in
  // safemigrate.toml) covers every statement.
  bool timeout_set = !m.session_lock_timeout.empty();
  const model::Statement* turned_off = nullptr;  // SET lock_timeout = 0: the file's own choice
  const model::Statement* first = nullptr;
  const model::Action* first_action = nullptr;
  size_t count = 0;
  for (const model::Statement* st : m.statements()) {
    if (sets_lock_timeout(*st)) timeout_set = true;
    if (st->cls == model::StatementClass::Session && st->set_name == "lock_timeout" &&
        (st->set_value == "0" || st->set_value == "0s" || st->set_value == "0ms")) {
      timeout_set = false;
      turned_off = st;
    }
    if (timeout_set) continue;
    for (const auto& a : st->actions) {
      // DROP INDEX … CONCURRENTLY's ACCESS EXCLUSIVE is on an index already dead to every query,
      // taken after it has waited out all transactions: not the queueing this rule is about.
      if (!queues_traffic(a) || a.on_new_relation || a.concurrently) continue;
      // DROP INDEX locks the index's table: named by its IndexTable action when known.
      if (a.kind == model::ActionKind::DropIndex && index_table_of(*st, a)) continue;
      // Under a lock the transaction already holds, nothing new waits.
      if (lock_already_held(m, *st, a)) continue;
      if (!first) {
        first = st;
        first_action = &a;
      }
      ++count;
      break;
    }
  }
  if (!first) return;
  if (!m.project.sets_lock_timeout && !turned_off) {
    r.routine(
        "no migration of this project sets lock_timeout, and none is known for its deploys: a migration that "
        "locks an existing table waits behind any long query on it, and every query that arrives after it "
        "waits "
        "too");
    return;
  }
  r.at(*first, first_action,
       "takes " + std::string(model::lock_mode_name(first_action->lock)) + " on " + target(*first_action) +
           " with no lock_timeout set before" +
           (count > 1 ? " (and " + std::to_string(count - 1) + " more statement" + (count > 2 ? "s" : "") +
                            " after it)"
                      : "") +
           ": if a long query holds the table, this waits, and every query that arrives after it waits too " +
           (turned_off
                ? "(lock_timeout is turned off at line " + std::to_string(turned_off->loc.line) + ")"
                : std::string("(most migrations of this project set lock_timeout; this one does not)")));
}

extern const Rule kMissingLockTimeout = {
    .doc =
        {
            .id = "missing-lock-timeout",
            .severity = model::Severity::Warning,
            .summary = "A lock that blocks writes on an existing table without a lock_timeout set before it.",
            .fix = "Start the migration with SET lock_timeout = '5s'; and retry the deploy if it times out.",
            .why =
                "Even an instant change (ADD COLUMN, DROP CONSTRAINT, RENAME) needs ACCESS EXCLUSIVE, and\n"
                "CREATE INDEX (SHARE), a foreign key (SHARE ROW "
                "EXCLUSIVE on both tables) or LOCK TABLE take locks\n"
                "that writes wait for. If any transaction holds "
                "a conflicting lock on the table, the migration\n"
                "waits in the lock queue, and while it waits "
                "every new query that conflicts with it queues\n"
                "behind it: a one-millisecond change becomes an "
                "outage. A lock_timeout makes the migration fail\n"
                "fast instead, so it can be retried at a quieter "
                "moment. A statement under a lock its transaction\n"
                "already holds (an earlier statement took as "
                "strong a lock on the table) queues for nothing new.\n"
                "This is a property of how a project deploys, not of one file: a project that sets no\n"
                "lock_timeout anywhere hears it once, as a "
                "project-wide condition with the number of migrations\n"
                "concerned. A project whose deploys set one (the "
                "URL's options=-c lock_timeout=5s, ALTER ROLE …\n"
                "SET lock_timeout, `safemigrate apply`, which "
                "sets 5s) says so with deploy_lock_timeout in\n"
                "safemigrate.toml and hears nothing; so does one "
                "whose database, given to `check`, starts every\n"
                "session with a lock_timeout (URL options, ALTER "
                "ROLE or ALTER DATABASE … SET); Django's DATABASES\n"
                "OPTIONS are read from the plan. A project\n"
                "whose migrations set it themselves hears about "
                "each file that forgets, and a file that turns it\n"
                "off (SET lock_timeout = 0) is always reported.",
            .alternative = "SET lock_timeout = '5s';\n"
                           "ALTER TABLE \"User\" ADD COLUMN \"plan\" TEXT;",
            .django_fix = "Start the migration with RunSQL(\"SET lock_timeout = "
                          "'5s'\", migrations.RunSQL.noop), or set it in DATABASES OPTIONS.",
            .condition_fix =
                "Set a lock_timeout for every deploy (the database URL's options=-c "
                "lock_timeout=5s, ALTER ROLE … SET lock_timeout = '5s', or deploy with `safemigrate "
                "apply`, which sets 5s) and record it in safemigrate.toml as deploy_lock_timeout = \"5s\".",
            .autofix =
                "Prisma: SET lock_timeout at the top of the file (value from --lock-timeout, default 5s)",
        },
    .check = check,
};

}  // namespace sm::checks::rules

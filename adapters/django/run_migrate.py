"""Runs Django's own `migrate` for `safemigrate apply` (embedded in the safemigrate binary and run
with the project's Python as `python -c SOURCE ARGS`, from the project's folder).

safemigrate starts it, lets it load the project while it checks the pending migrations with its
checklist and takes its advisory lock, then tells it to go (one line on standard input); this
script makes sure Django is about to run exactly those migrations (same database, same
migration files as exported), then calls `call_command("migrate")`, so that everything Django
does happens as in a plain `manage.py migrate`: schema editor SQL generated against the live
database, RunPython, squash records, post_migrate (content types, permissions) once at the end.

Every connection Django opens gets `lock_timeout` (and `statement_timeout`) and an
application_name safemigrate can see. Progress goes to standard output as lines starting with
EVENT_PREFIX followed by one JSON object; any other line is the project's own output.

The advisory lock safemigrate holds while it checks is handed over to this script: told to go, it
says which session of Django's will take it ("locking" event), queues for it on Django's own
connection and gets it when safemigrate lets it go, and holds it until it ends. So a safemigrate
that is killed (SIGKILL, SIGTERM) leaves a script that still holds the lock, and the next apply
waits for it, then reads what it recorded.

Exit codes: 0 migrated (or --plan-only, or told not to go); 3 a migration failed (a "failed" event says which);
4 Django would run something else than safemigrate checked; 2 the project or database could
not be loaded; 5 safemigrate ended before it: stopped between two migrations (a "stopped" event).
"""

import argparse
import hashlib
import json
import os
import sys
import time
import traceback

EVENT_PREFIX = "@@safemigrate-event "
# PostgreSQL's client-only encodings (PG_ENCODING_IS_CLIENT_ONLY), as current_setting names them.
CLIENT_ONLY_ENCODINGS = {"SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"}


def emit(event, **fields):
    fields["event"] = event
    try:
        sys.stdout.write(EVENT_PREFIX + json.dumps(fields, ensure_ascii=True) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        # safemigrate has ended (its end of the pipe is closed): the migration in progress still
        # finishes under the lock, and nobody reads the events any more.
        pass


class ParentGone(Exception):
    pass


def last_line(exc):
    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else repr(exc)


def sqlstate(exc):
    """The SQLSTATE behind Django's wrapped exception (psycopg2: pgcode; psycopg 3: sqlstate)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)
        if code:
            return code
        exc = exc.__cause__ or exc.__context__
    return None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="safemigrate-django-migrate")
    p.add_argument("--settings", required=True)
    p.add_argument("--project-dir", required=True)
    p.add_argument("--database", default="default")
    p.add_argument("--lock-timeout-ms", type=int, default=0)
    p.add_argument("--statement-timeout-ms", type=int, default=0)
    p.add_argument("--application-name", default="safemigrate django migrate")
    p.add_argument("--plan-only", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.project_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    try:
        import django

        django.setup()
    except Exception as exc:
        emit("error", message="cannot load the Django project with %s (settings %s): %s"
             % (sys.executable, args.settings, last_line(exc)))
        return 2

    from django.core.management import call_command
    from django.db import connections
    from django.db.backends.signals import connection_created
    from django.db.migrations.executor import MigrationExecutor

    # safemigrate starts this script before its gate, so that Django's start-up runs beside the
    # checks, and then says on standard input what it checked, as one JSON line: {"session": "pid
    # application_name" of its own session, "expect": {"app.name": sha256 or null}, "lock": the
    # advisory lock key it hands over (absent in a dry run)}. An empty input means it did not go
    # ahead: nothing was touched.
    # Taken before reading: when safemigrate has already ended, this process is the child of
    # another (init or a subreaper) from here on.
    parent = os.getppid()
    go = sys.stdin.readline()
    if not go.strip():
        return 0
    go = json.loads(go)

    def parent_alive():
        return os.getppid() == parent

    last_sql = {"text": None, "setting_up": False}

    def record_sql(execute, sql, params, many, context):
        if not last_sql["setting_up"]:  # a reconnection's own settings are not the migration's SQL
            last_sql["text"] = sql if isinstance(sql, str) else str(sql)
        return execute(sql, params, many, context)

    def on_connect(sender, connection, **kwargs):
        # PGOPTIONS covers libpq's own sessions; a project's OPTIONS["options"] overrides it, so
        # each session of Django's is set here too.
        if connection.vendor != "postgresql":
            return
        settings = [("application_name", args.application_name)]
        # 0: the project's own setting stays (safemigrate's --lock-timeout 0 turns its own off).
        if args.lock_timeout_ms > 0:
            settings.append(("lock_timeout", "%dms" % args.lock_timeout_ms))
        if args.statement_timeout_ms > 0:
            settings.append(("statement_timeout", "%dms" % args.statement_timeout_ms))
        last_sql["setting_up"] = True
        try:
            with connection.cursor() as cursor:
                for name, value in settings:
                    cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
        finally:
            last_sql["setting_up"] = False
        if record_sql not in connection.execute_wrappers:
            connection.execute_wrappers.append(record_sql)

    connection_created.connect(on_connect, weak=False)

    if args.database not in connections.databases:
        emit("error", message="no database alias %r in DATABASES of %s" % (args.database, args.settings))
        return 2
    connection = connections[args.database]
    pid, application_name = go["session"].split(" ", 1)
    try:
        with connection.cursor() as cursor:
            # The gate and the lock were on safemigrate's database: Django must migrate that one.
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND application_name = %s"
                           " AND datname = current_database()", [int(pid), application_name])
            same = cursor.fetchone()[0] == 1
    except Exception as exc:
        emit("error", message="cannot connect to DATABASES[%r]: %s" % (args.database, last_line(exc)))
        return 2
    if not same:
        emit("error", message="DATABASES[%r] of %s is not the database given to safemigrate"
             " (--database-url): nothing was applied" % (args.database, args.settings))
        return 2
    # safemigrate read and checked the SQL with standard_conforming_strings on and UTF-8; a session
    # that lexes otherwise (OPTIONS "-c standard_conforming_strings=off", a role's or database's
    # default, a client-only client_encoding) could split a checked statement into others.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('standard_conforming_strings'), current_setting('client_encoding')")
        scs, encoding = cursor.fetchone()
    problems = []
    if scs != "on":
        problems.append("standard_conforming_strings is %s" % scs)
    if encoding in CLIENT_ONLY_ENCODINGS:
        problems.append("client_encoding is %s" % encoding)
    if problems:
        emit("error", message="the session of DATABASES[%r] has %s: PostgreSQL would lex the migrations' SQL"
             " otherwise than safemigrate checked it (a backslash before a quote can end a string there),"
             " so nothing was applied; set standard_conforming_strings to on and client_encoding to UTF8"
             % (args.database, ", ".join(problems)))
        return 2

    expected = go["expect"]

    def check_plan(executor, plan):
        """Emits Django's plan and why it is not what safemigrate checked; True when it is."""
        applied = executor.loader.applied_migrations
        problems, steps = [], []
        for migration, backwards in plan:
            mid = "%s.%s" % (migration.app_label, migration.name)
            module = sys.modules.get(type(migration).__module__)
            path = getattr(module, "__file__", None)
            if backwards:
                problems.append("%s would be unapplied" % mid)
            elif mid not in expected:
                problems.append("%s is not among the migrations safemigrate checked" % mid)
            elif expected[mid] and path and sha256_file(path) != expected[mid]:
                problems.append("%s (%s) was edited after the plan was exported" % (mid, path))
            steps.append({"migration": mid, "atomic": bool(migration.atomic),
                          "operations": len(migration.operations)})
        planned = {s["migration"] for s in steps}
        for mid in expected:
            app, name = mid.split(".", 1)
            if mid not in planned and (app, name) not in applied:
                problems.append("%s is pending in the plan, but Django would not run it" % mid)
        emit("plan", steps=steps, problems=problems)
        return not problems

    if args.plan_only:
        executor = MigrationExecutor(connection)
        return 0 if check_plan(executor, executor.migration_plan(executor.loader.graph.leaf_nodes())) else 4

    # The lock safemigrate holds (its key in "lock"), taken on Django's own connection: queued
    # behind safemigrate's session, which lets it go once it sees this session waiting, so that no
    # other applier gets in between (a new pg_try_advisory_lock also fails while one waits).
    if go.get("lock") is not None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid(), current_setting('lock_timeout'),"
                               " current_setting('statement_timeout')")
                backend, lock_timeout, statement_timeout = cursor.fetchone()
                emit("locking", pid=backend)
                # lock_timeout and statement_timeout would end the wait for the lock too.
                cursor.execute("SELECT set_config('lock_timeout', '0', false),"
                               " set_config('statement_timeout', '0', false)")
                cursor.execute("SELECT pg_advisory_lock(%s)", [int(go["lock"])])
                cursor.execute("SELECT set_config('lock_timeout', %s, false),"
                               " set_config('statement_timeout', %s, false)", [lock_timeout, statement_timeout])
        except Exception as exc:
            emit("error", message="cannot take advisory lock %s on DATABASES[%r]: %s"
                 % (go["lock"], args.database, last_line(exc)))
            return 2
        emit("locked", pid=backend)

    # A safemigrate that ended (killed) is noticed before each migration, not during one: the
    # migration in progress finishes (or rolls back) as Django runs it, under the lock, and the next
    # one is not started. Ending this process at once (prctl PR_SET_PDEATHSIG) would leave half of
    # an atomic = False migration applied and unrecorded; stopping between two leaves the history
    # true, and the next apply, which waits for the lock, goes on from there.
    if not parent_alive():
        emit("stopped", message="safemigrate ended before the migrations started")
        return 5

    class PlanMismatch(Exception):
        pass

    # The plan is checked where `migrate` hands it to its executor: after the read-only steps
    # (consistency check, pre_migrate), before the first write (the recorder's table), and with the
    # graph `migrate` built, not a second one.
    original_migrate = MigrationExecutor.migrate

    def migrate(self, targets, plan=None, *a, **kw):
        if not check_plan(self, plan if plan is not None else self.migration_plan(targets)):
            raise PlanMismatch()
        return original_migrate(self, targets, plan, *a, **kw)

    MigrationExecutor.migrate = migrate

    original_apply = MigrationExecutor.apply_migration
    failure = {}

    def apply_migration(self, state, migration, *a, **kw):
        mid = "%s.%s" % (migration.app_label, migration.name)
        if not parent_alive():
            raise ParentGone(mid)
        emit("start", migration=mid, atomic=bool(migration.atomic))
        last_sql["text"] = None
        start = time.monotonic()
        try:
            result = original_apply(self, state, migration, *a, **kw)
        except Exception as exc:
            failure.update(migration=mid, atomic=bool(migration.atomic), seconds=time.monotonic() - start,
                           sqlstate=sqlstate(exc), message=last_line(exc), statement=last_sql["text"])
            raise
        emit("applied", migration=mid, seconds=time.monotonic() - start)
        return result

    MigrationExecutor.apply_migration = apply_migration
    try:
        # skip_checks=False: the system checks run first, as in `manage.py migrate`.
        call_command("migrate", database=args.database, interactive=False, verbosity=0, skip_checks=False)
    except PlanMismatch:
        return 4
    except ParentGone as gone:
        emit("stopped", message="safemigrate ended; stopped before %s" % gone.args[0])
        return 5
    except Exception as exc:
        if not failure:  # outside a migration: post_migrate handlers, the recorder
            failure.update(migration=None, atomic=True, seconds=0.0, sqlstate=sqlstate(exc),
                           message=last_line(exc), statement=last_sql["text"])
        failure["traceback"] = traceback.format_exc()
        emit("failed", **failure)
        return 3
    emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Export a Django project's migration plan as one JSON document for safemigrate.

Run it inside the project's environment (the Python that has Django and the project's
dependencies), from the folder that holds manage.py:

    python3 export_plan.py --settings mysite.settings -o plan.json
    safemigrate check plan.json

The document (format "safemigrate-django-plan", described in README.md beside this file)
holds every migration in plan order with its operations and the SQL that Django's own schema
editor emits for them, forwards and backwards (what `sqlmigrate` prints, for all migrations
in one run). With a reachable database it also says which migrations are applied and which
are pending; with --offline it never connects.

Standard library and Django only. Supported: Django 3.2, 4.2 and 5.2 (the long-term support
releases), on PostgreSQL through psycopg2 or psycopg 3 (whichever Django picks). An older Django
is refused; a Django between or after those is exported with a warning that it is untested.
"""

import argparse
import ast
import hashlib
import inspect
import json
import os
import shlex
import sys
import textwrap
import traceback

FORMAT = "safemigrate-django-plan"
FORMAT_VERSION = "1.1"  # 1.1: unmanaged_tables

# The constraint and index names that some operations look up in the live database
# (AlterField on a foreign key, unique or indexed field; RemoveField of a foreign key).
# Offline, the export uses this name instead, and marks the operation.
OFFLINE_NAME = "safemigrate_name_looked_up_in_database"

# The Django versions the exporter is tested with (tests/CMakeLists.txt runs every one).
SUPPORTED_DJANGO = ((3, 2), (4, 2), (5, 2))
OLDEST_DJANGO = SUPPORTED_DJANGO[0]

EXIT_OK = 0
EXIT_PROJECT_ERROR = 1  # the Django project could not be loaded
EXIT_USAGE = 2


class OfflineAccess(Exception):
    """Raised when --offline export code tries to reach the database."""


def fail(message, code=EXIT_PROJECT_ERROR):
    print("export_plan.py: error: %s" % message, file=sys.stderr)
    sys.exit(code)


def last_line(exc):
    """The line Python prints last for an exception: 'Type: message'."""
    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else repr(exc)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="export_plan.py",
        description="Export a Django project's migration plan (every migration, its operations and "
        "their SQL) as JSON for `safemigrate check`. Run it where the project's Django runs.",
        epilog="Exit codes: 0 written; 1 the project could not be loaded (the error's last line is "
        "printed; --traceback shows all); 2 usage errors.",
    )
    p.add_argument("--settings", help="settings module, e.g. mysite.settings (default: DJANGO_SETTINGS_MODULE)")
    p.add_argument(
        "--project-dir",
        default=".",
        help="folder put first on sys.path so the project imports (default: the current folder)",
    )
    p.add_argument("-o", "--output", help="write the plan here (default: standard output)")
    p.add_argument("--database", default="default", help="database alias (default: default)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--offline",
        action="store_true",
        help="never connect: applied/pending are unknown, and names that Django looks up in the "
        "database are replaced by a placeholder (those operations are marked)",
    )
    mode.add_argument(
        "--online",
        action="store_true",
        help="require the database (default: use it when reachable, else export offline with a warning)",
    )
    p.add_argument(
        "--postgres-version",
        type=int,
        default=15,
        help="PostgreSQL major version assumed offline, where Django would ask the server (default: 15)",
    )
    p.add_argument("--traceback", action="store_true", help="print the whole traceback on errors")
    return p.parse_args(argv)


def load_django(args):
    if getattr(args, "django_is_set_up", False):  # main_in_django(): the project's Django runs already
        import django

        check_django_version(django)
        return django
    sys.path.insert(0, os.path.abspath(args.project_dir))
    if args.settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        fail("no settings module: pass --settings mysite.settings or set DJANGO_SETTINGS_MODULE", EXIT_USAGE)
    try:
        import django
    except ImportError as exc:
        # Most often a Python other than the project's (a pyenv or system python3 without Django).
        fail(
            "cannot import Django with %s (Python %d.%d.%d): %s; run the exporter with the Python "
            "that runs the project" % ((sys.executable,) + tuple(sys.version_info[:3]) + (last_line(exc),))
        )
    check_django_version(django)
    try:
        django.setup()
    except Exception as exc:  # any error of the user's project
        if args.traceback:
            traceback.print_exc()
        fail("cannot load the Django project (settings %s): %s" % (os.environ["DJANGO_SETTINGS_MODULE"], last_line(exc)))
    return django


def check_django_version(django):
    """Refuses a Django older than the oldest supported one; warns on one not tested."""
    version = tuple(django.VERSION[:2])
    name = ", ".join("%d.%d" % v for v in SUPPORTED_DJANGO)
    if version < OLDEST_DJANGO:
        fail(
            "Django %s is not supported: this exporter supports Django %s (older releases emit SQL "
            "it has not been checked against)" % (django.get_version(), name)
        )
    if version not in SUPPORTED_DJANGO:
        print(
            "export_plan.py: warning: Django %s is not one of the tested versions (%s); exporting "
            "anyway, compare with `manage.py sqlmigrate` if the findings look wrong"
            % (django.get_version(), name),
            file=sys.stderr,
        )


def connect(args):
    """The connection to use, and whether it is online."""
    from django.db import connections

    if args.database not in connections.databases:
        fail("no database alias %r in DATABASES" % args.database, EXIT_USAGE)
    connection = connections[args.database]
    if connection.vendor != "postgresql":
        fail(
            "DATABASES[%r] uses %s; safemigrate checks PostgreSQL migrations (ENGINE "
            "django.db.backends.postgresql)" % (args.database, connection.settings_dict.get("ENGINE")),
            EXIT_USAGE,
        )
    if not args.offline:
        try:
            connection.ensure_connection()
            return connection, True
        except Exception as exc:
            if args.online:
                fail("cannot connect to database %r: %s" % (args.database, last_line(exc)))
            print(
                "export_plan.py: warning: database %r not reachable (%s); exporting offline: applied "
                "and pending are unknown" % (args.database, last_line(exc).splitlines()[0]),
                file=sys.stderr,
            )
    go_offline(connection, args.postgres_version)
    return connection, False


def go_offline(connection, postgres_version):
    """Make every attempt to reach the server fail fast instead of connecting."""

    def refuse(*_args, **_kwargs):
        raise OfflineAccess("the SQL of this operation needs the live database")

    connection.ensure_connection = refuse
    # Django asks the server for its version in a few places (feature flags); assume one.
    connection.__dict__["pg_version"] = postgres_version * 10000
    # Since Django 4.2 the PostgreSQL schema editor merges parameters into its SQL with the
    # driver's mogrify on an open cursor (even under collect_sql, as `sqlmigrate` runs it): every
    # AddField or AlterField with a default would need the server. Quote them client-side with the
    # driver's own literal quoting instead, as the schema editor's quote_value does.
    if hasattr(connection.ops, "compose_sql"):
        connection.ops.compose_sql = offline_compose_sql(connection)


def psycopg2_quote(value, quote):
    """quote(value) as psycopg2 quotes it after a connection to a server with
    standard_conforming_strings on (every server's default since PostgreSQL 9.1): libpq escapes
    as the last connection said, and never connected it doubles backslashes."""
    if isinstance(value, str):
        return "'%s'" % value.replace("'", "''")
    return quote(value)


def offline_compose_sql(connection):
    """compose_sql(sql, params) for a connection that is never opened: what mogrify on a cursor
    returns, with the same placeholders (%s, %(name)s, %%) and the same quoting."""
    from django.db.backends.postgresql import psycopg_any

    if psycopg_any.is_psycopg3:
        from django.conf import settings
        from psycopg import adapt

        # The adapters Django gives its psycopg 3 connections (dumpers for ranges and the like).
        context = psycopg_any.get_adapters_template(settings.USE_TZ, connection.timezone)
        try:
            # What ClientCursor.mogrify runs, without the connection (same placeholder errors).
            from psycopg._queries import PostgresClientQuery
        except ImportError:  # another psycopg layout: quote each parameter below
            PostgresClientQuery = None

        if PostgresClientQuery is not None:

            def compose_sql(sql, params):
                transformer = adapt.Transformer(context)
                query = PostgresClientQuery(transformer)
                query.convert(sql, params)
                return query.query.decode(transformer.encoding)

            return compose_sql

        def quote(value):
            return psycopg_any.sql.quote(value, context)

    else:

        def quote(value):
            return psycopg2_quote(value, psycopg_any.sql.quote)

    def compose_sql(sql, params):
        if isinstance(params, dict):
            return sql % {k: quote(v) for k, v in params.items()}
        return sql % tuple(quote(v) for v in params)

    return compose_sql


def session_setting(connection, name, online):
    """The value of a setting such as lock_timeout that every migration's session starts with:
    online, what the server says (covers ALTER ROLE/DATABASE ... SET); offline, what
    DATABASES OPTIONS passes as `-c name=value`. None when unknown or not set."""
    if online:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s)", [name])
            value = cursor.fetchone()[0]
        return None if value in ("0", "0ms", "0s") else value
    options = connection.settings_dict.get("OPTIONS", {}).get("options", "")
    words = shlex.split(options) if isinstance(options, str) else []
    value = None
    for i, word in enumerate(words):
        setting = None
        if word == "-c" and i + 1 < len(words):
            setting = words[i + 1]
        elif word.startswith("-c") and len(word) > 2:
            setting = word[2:]
        elif word.startswith("--"):
            setting = word[2:]
        if setting and "=" in setting:
            k, v = setting.split("=", 1)
            if k.strip().replace("-", "_") == name:
                value = v.strip()
    return None if value in (None, "0", "0ms", "0s") else value


def database_identity(connection):
    """Which database this is ("system identifier/database name"): `safemigrate apply` trusts SQL
    that looked up names in a database only when it applies to that same database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()")
            return cursor.fetchone()[0]
    except Exception:  # a role without access to pg_control_system(): nothing is trusted
        return None


def history_id_type(connection):
    """The primary key type of django_migrations as this Django creates it (DEFAULT_AUTO_FIELD)."""
    from django.db.migrations.recorder import MigrationRecorder

    return MigrationRecorder.Migration._meta.pk.db_type(connection)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def directives(path, line):
    """`# safemigrate-...` comments on the operation's first line and on the comment lines just
    above it (e.g. `# safemigrate-ignore: require-concurrent-index-creation small table`)."""
    if not path or not line:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    found = []
    if line <= len(lines) and "#" in lines[line - 1]:
        found.append(lines[line - 1].split("#", 1)[1].strip())
    n = line - 1
    while n >= 1 and lines[n - 1].strip().startswith("#"):
        found.append(lines[n - 1].strip()[1:].strip())
        n -= 1
    return [d for d in found if d.startswith("safemigrate")]


def operation_lines(path):
    """Line of each element of the `operations = [...]` list of the Migration class, or []."""
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            targets = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "operations" for t in targets):
                if isinstance(stmt.value, (ast.List, ast.Tuple)):
                    return [e.lineno for e in stmt.value.elts]
    return []


def code_info(func):
    """Where a RunPython callable lives, with its source text, or None."""
    if func is None:
        return None
    target = getattr(func, "func", func)  # functools.partial
    info = {
        "module": getattr(target, "__module__", None),
        "qualname": getattr(target, "__qualname__", None) or repr(target),
        "file": None,
        "line": None,
        "source": None,
    }
    try:
        info["file"] = os.path.abspath(inspect.getsourcefile(target))
        lines, start = inspect.getsourcelines(target)
        info["line"] = start
        info["source"] = "".join(lines)
    except (TypeError, OSError):
        pass  # a builtin or C function: no source
    info["module_imports"] = module_imports(info["file"]) if info["file"] else []
    info["cursor_sql"] = cursor_sql(info["source"], info["line"]) if info["source"] else []
    return info


# Calls that send SQL to the database from Python: a DB-API cursor's execute()/executemany() and
# Django's schema_editor.execute().
SQL_CALLS = ("execute", "executemany")


def driver_placeholders(sql):
    """The SQL PostgreSQL receives for psycopg's format placeholders, each parameter written as
    $1, $2…: %s and %(name)s (one number a name), and %% for a literal percent sign."""
    out, names, count, i = [], {}, 0, 0
    while i < len(sql):
        if sql.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        if sql[i] == "%" and i + 1 < len(sql) and sql[i + 1] in "sbt":
            count += 1
            out.append("$%d" % count)
            i += 2
            continue
        end = sql.find(")", i + 2) if sql.startswith("%(", i) else -1
        if end != -1 and end + 1 < len(sql) and sql[end + 1] in "sbt":
            name = sql[i + 2:end]
            if name not in names:
                count += 1
                names[name] = count
            out.append("$%d" % names[name])
            i = end + 2
            continue
        out.append(sql[i])
        i += 1
    return "".join(out)


def constant_string(node):
    """The string an expression always evaluates to (a literal, adjacent literals, or literals
    joined with +), or None when it is built at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = constant_string(node.left), constant_string(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def cursor_sql(source, first_line):
    """The SQL a RunPython function sends itself (cursor.execute(...), schema_editor.execute(...)):
    [{line, call, sql}] with the statement as PostgreSQL receives it, or sql null and `why` when
    the SQL is built at run time, so that the check reads it or says it could not."""
    if "execute" not in source:
        return []
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError as exc:
        return [{"line": first_line, "call": "execute", "sql": None,
                 "why": "the function's source does not parse on its own (%s)" % exc.msg}]
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS):
            continue
        args = list(node.args)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        sql_node = args[0] if args else keywords.get("sql", keywords.get("query"))
        if sql_node is None:
            continue  # no SQL argument: some other execute()
        has_params = len(args) > 1 or "params" in keywords or "param_list" in keywords \
            or "vars_list" in keywords or "vars" in keywords
        line = first_line + node.lineno - 1
        call = ast.get_source_segment(textwrap.dedent(source), node.func) or node.func.attr
        sql = constant_string(sql_node)
        if sql is None:
            found.append({"line": line, "call": call, "sql": None,
                          "why": "the SQL is built at run time"})
        else:
            found.append({"line": line, "call": call,
                          "sql": driver_placeholders(sql) if has_params else sql})
    found.sort(key=lambda f: f["line"])
    return found


def module_imports(path):
    """The top-level imports of a Python file: line, text and the names they bind, so that a
    check can see code using a model imported at module level."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        tree = ast.parse(data, filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    text_lines = data.decode("utf-8", "replace").splitlines()
    out = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
            text = text_lines[node.lineno - 1] if node.lineno <= len(text_lines) else ""
            out.append({"line": node.lineno, "text": text, "names": names})
    return out


def sql_text(sql):
    """RunSQL's sql or reverse_sql as JSON: a string, a list of strings/[sql, params], or None."""
    if sql is None:
        return None
    if isinstance(sql, (list, tuple)):
        out = []
        for item in sql:
            if isinstance(item, (list, tuple)):
                out.append([str(item[0]), [str(p) for p in (item[1] or [])]] if len(item) > 1 else [str(item[0]), []])
            else:
                out.append(str(item))
        return out
    return str(sql)


# The schema editor methods that read the live database, and what offline export answers instead.
DATABASE_LOOKUPS = (
    # Constraint and index names (AlterField of a foreign key, unique, indexed or primary key
    # field; RemoveField of a foreign key): a placeholder name.
    ("_constraint_names", [OFFLINE_NAME]),
    # Django 4.1+: the sequence of a serial primary key whose type changes (AutoField to
    # BigAutoField): none, as for the identity columns Django 4.1+ creates, so the ALTER COLUMN
    # TYPE is still exported; a serial column's ALTER SEQUENCE is then missing.
    ("_get_sequence_name", None),
    # Django 4.2+: whether a db_collation is deterministic (a _like index is built only then):
    # yes, as every collation is unless created with deterministic = false.
    ("_is_collation_deterministic", True),
)


def constraint_names_standin(connection, model, names, column_names=None, *args, **kwargs):
    """The placeholder names a lookup stands for: one per name Django would find. The index of a
    varchar or text column with db_index has a `_like` twin (varchar_pattern_ops), and the lookup
    for the index (index=True, type_="idx") finds both, so Django drops both."""
    if kwargs.get("index") and kwargs.get("type_") == "idx" and column_names and len(column_names) == 1:
        for field in getattr(getattr(model, "_meta", None), "local_fields", []):
            if field.column != column_names[0] or field.primary_key or field.unique:
                continue
            db_type = field.db_type(connection) or ""
            if db_type.startswith("varchar") or db_type.startswith("text"):
                return list(names) * 2
    return list(names)


class SqlCollector:
    """Collects the SQL of one operation the way `sqlmigrate` does (schema_editor with
    collect_sql=True), and notes whether generating it looked at the database."""

    def __init__(self, connection, online):
        self.connection = connection
        self.online = online

    def lookup(self, original, offline_answer, looked_up):
        """A schema editor method that reads the database: the stand-in answer, online too, and
        the operation is marked. The database as it is now is not the database as it will be when
        the operation runs (against an empty database Django finds no index to drop and the SQL
        would be empty): a placeholder name can never be mistaken for the final SQL, which Django
        generates when `safemigrate apply` runs its migrate."""

        def method(*args, **kwargs):
            model = args[0] if args else kwargs.get("model")
            table = getattr(getattr(model, "_meta", None), "db_table", None)
            looked_up.append(table if isinstance(table, str) else True)
            if original.__name__ == "_constraint_names":
                return constraint_names_standin(self.connection, model, offline_answer, *args[1:], **kwargs)
            return offline_answer

        return method

    def run(self, action):
        """action(schema_editor); returns (statements, error, looked_up_database)."""
        looked_up = []
        editor = self.connection.schema_editor(collect_sql=True, atomic=False)
        for method, offline_answer in DATABASE_LOOKUPS:
            original = getattr(editor, method, None)
            if original is not None:  # not every Django version has every one
                setattr(editor, method, self.lookup(original, offline_answer, looked_up))
        if not self.online and self.connection.Database.__name__ == "psycopg2":
            # Literals in the SQL (defaults, comments) as they are quoted online.
            quote_value = editor.quote_value
            editor.quote_value = lambda value: psycopg2_quote(value, quote_value)
        error = None
        try:
            with editor:
                action(editor)
        except OfflineAccess as exc:
            looked_up.append(True)
            error = str(exc)
        except NotImplementedError as exc:
            error = "irreversible: %s" % (last_line(exc),)
        except Exception as exc:
            error = last_line(exc)
        statements = [s for s in editor.collected_sql if s.strip()]
        return statements, error, looked_up


def not_in_transaction_classes():
    try:
        from django.contrib.postgres.operations import NotInTransactionMixin

        return (NotInTransactionMixin,)
    except Exception:  # psycopg2 missing: contrib.postgres does not import
        return ()


def export_operation(op, index, path, line, app_label, state, collector, no_transaction_classes):
    """Returns (operation JSON, state after the operation)."""
    from django.db.migrations.operations.special import RunPython, RunSQL

    cls = type(op)
    out = {
        "index": index,
        "class": cls.__name__,
        "module": cls.__module__,
        "describe": op.describe(),
        "line": line,
        "directives": directives(path, line),
        "reversible": bool(op.reversible),
        "elidable": bool(getattr(op, "elidable", False)),
        "reduces_to_sql": bool(op.reduces_to_sql),
        "non_transactional": isinstance(op, no_transaction_classes),
        "sql_depends_on_database": False,
        "forward_sql": [],
        "backward_sql": None,
        "sql_error": None,
        "backward_sql_error": None,
    }
    for attr in ("model_name", "name", "old_name", "new_name"):
        value = getattr(op, attr, None)
        if isinstance(value, str):
            out[attr] = value
    if isinstance(op, RunPython):
        out["code"] = code_info(op.code)
        out["reverse_code"] = code_info(op.reverse_code)
        out["reverse_is_noop"] = op.reverse_code is RunPython.noop
        out["atomic"] = op.atomic
        out["hints"] = sorted(op.hints)
    if isinstance(op, RunSQL):
        out["sql"] = sql_text(op.sql)
        out["reverse_sql"] = sql_text(op.reverse_sql)
        out["reverse_is_noop"] = op.reverse_sql == RunSQL.noop
        out["state_operations"] = [o.describe() for o in op.state_operations]

    before = state.clone()
    op.state_forwards(app_label, state)
    if not op.reduces_to_sql:
        return out, state  # RunPython: no SQL
    forward, error, looked = collector.run(lambda ed: op.database_forwards(app_label, ed, before, state))
    out["forward_sql"] = forward
    out["sql_error"] = error
    if op.reversible:
        backward, berror, blooked = collector.run(lambda ed: op.database_backwards(app_label, ed, state, before))
        out["backward_sql"] = backward
        out["backward_sql_error"] = berror
        looked = looked + blooked
    out["sql_depends_on_database"] = bool(looked)
    # The table whose names were looked up (the operation's model's): a placeholder DROP INDEX is
    # judged by it.
    tables = [t for t in looked if isinstance(t, str)]
    if tables:
        out["db_table"] = tables[0]
    return out, state


def unmanaged_tables():
    """The tables of the models Django never migrates (Meta.managed = False: legacy tables or views
    the project reads), with the many-to-many tables Django leaves to them (an auto-created
    through model is managed only when one of its two models is). A table that a managed model
    also uses is not one of them: `drift` leaves these tables out, and must not leave out one
    the migrations make. Proxy models have no table of their own."""
    from django.apps import apps

    managed, unmanaged = set(), set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        (managed if model._meta.managed else unmanaged).add(model._meta.db_table)
    return sorted(unmanaged - managed)


def build_plan(loader):
    """Every migration in the order `showmigrations --plan` shows (depth-first from each
    app's leaf), and the pending ones in `migrate --plan`'s order."""
    graph = loader.graph
    leaves = graph.leaf_nodes()
    seen, plan = set(), []
    for leaf in leaves:
        for node in graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return plan, leaves


def pending_plan(loader, leaves):
    applied = loader.applied_migrations
    seen, pending = set(), []
    for leaf in leaves:
        if leaf in applied:
            continue
        for node in loader.graph.forwards_plan(leaf):
            if node not in applied and node not in seen:
                seen.add(node)
                pending.append(node)
    return pending


def key(node):
    return "%s.%s" % node


def export(args):
    django = load_django(args)
    connection, online = connect(args)
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState

    try:
        loader = MigrationLoader(connection if online else None, ignore_no_migrations=True)
    except Exception as exc:
        if args.traceback:
            traceback.print_exc()
        fail("cannot load the migrations: %s" % last_line(exc))

    out_dir = os.path.dirname(os.path.abspath(args.output)) if args.output else os.getcwd()
    plan, leaves = build_plan(loader)
    applied = loader.applied_migrations if online else None
    collector = SqlCollector(connection, online)
    no_transaction = not_in_transaction_classes()
    # One state, carried forward through the plan (the plan is a topological order), as
    # `migrate` does from an empty database: O(migrations), not one replay per migration.
    state = ProjectState(real_apps=set(loader.unmigrated_apps))  # a set since Django 4.0; 3.2 takes any iterable
    migrations = []
    for position, node in enumerate(plan, start=1):
        migration = loader.graph.nodes[node]
        module = sys.modules.get(type(migration).__module__)
        path = os.path.abspath(module.__file__) if module and getattr(module, "__file__", None) else None
        lines = operation_lines(path) if path else []
        operations = []
        for i, op in enumerate(migration.operations, start=1):
            line = lines[i - 1] if len(lines) == len(migration.operations) else None
            op_json, state = export_operation(op, i, path, line, migration.app_label, state, collector, no_transaction)
            operations.append(op_json)
        migrations.append(
            {
                "app": migration.app_label,
                "name": migration.name,
                "id": key(node),
                "plan_index": position,
                "file": path,
                "file_relative": os.path.relpath(path, out_dir) if path else None,
                "sha256": sha256_file(path) if path else None,
                "declared_dependencies": [[str(a), str(n)] for a, n in migration.dependencies],
                "dependencies": [list(p.key) for p in sorted(loader.graph.node_map[node].parents, key=lambda p: p.key)],
                "run_before": [[str(a), str(n)] for a, n in migration.run_before],
                "replaces": [[str(a), str(n)] for a, n in migration.replaces],
                "atomic": bool(migration.atomic),
                "initial": getattr(migration, "initial", None),
                "applied": (node in applied) if online else None,
                "operations": operations,
            }
        )

    leaf_nodes = {}
    for app, name in sorted(leaves):
        leaf_nodes.setdefault(app, []).append(name)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generator": {
            "tool": "safemigrate adapters/django/export_plan.py",
            "django": django.get_version(),
            "python": "%d.%d.%d" % sys.version_info[:3],
        },
        "settings": os.environ.get("DJANGO_SETTINGS_MODULE"),
        # How `safemigrate apply` runs this project's own `migrate`: this interpreter, with the
        # same PYTHONPATH, from the project folder.
        "python": {
            "executable": sys.executable,
            "pythonpath": os.environ.get("PYTHONPATH"),
            "project_dir": os.path.abspath(args.project_dir),
        },
        "database": {
            "alias": args.database,
            "vendor": connection.vendor,
            "online": online,
            "server_version": connection.pg_version if online else None,
            "identity": database_identity(connection) if online else None,
            "history_id_type": history_id_type(connection),
            "lock_timeout": session_setting(connection, "lock_timeout", online),
            "statement_timeout": session_setting(connection, "statement_timeout", online),
        },
        "migrations": migrations,
        "leaf_nodes": leaf_nodes,
        "pending": [key(n) for n in pending_plan(loader, leaves)] if online else None,
        "unmanaged_tables": unmanaged_tables(),
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.output)  # never leave a half-written plan behind
        print(
            "export_plan.py: %d migrations (%s) written to %s"
            % (len(migrations), "online" if online else "offline", args.output),
            file=sys.stderr,
        )
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))


def run_export(args):
    """export(args), with an unexpected error said in one line (the traceback with --traceback)."""
    try:
        export(args)
    except SystemExit:
        raise
    except Exception as exc:
        if args.traceback:
            traceback.print_exc()
        fail(last_line(exc))
    return EXIT_OK


def main(argv=None):
    return run_export(parse_args(sys.argv[1:] if argv is None else argv))


def main_in_django(argv, project_dir):
    """main() for code that runs inside a Django project whose settings are loaded already (the
    `manage.py safemigrate_export` command of the safemigrate Django app): the same options
    except --settings, which is the running project's; project_dir is recorded as --project-dir."""
    args = parse_args(argv)
    args.django_is_set_up = True
    args.project_dir = project_dir
    return run_export(args)


if __name__ == "__main__":
    sys.exit(main())

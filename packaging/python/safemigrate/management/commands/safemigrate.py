"""manage.py safemigrate COMMAND [--plan FILE | export options] [safemigrate's own arguments]

Runs the safemigrate binary bundled in this package. For the commands that read migrations it
exports this project's plan first (to a temporary file, with the options of safemigrate_export)
and passes it to the binary; --plan FILE passes an existing plan instead. The binary's output and
exit code pass through unchanged."""

import argparse
import os
import subprocess
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

import safemigrate
from safemigrate import plan_export

# The binary's commands that read a migration plan (the plan goes right after the command).
PLAN_COMMANDS = ("check", "status", "verify", "apply", "resolve", "rehearse", "list", "drift", "fix")

# The binary's commands that need a database: with no --database-url they get DATABASES[alias].
DATABASE_COMMANDS = ("status", "verify", "apply", "resolve", "rehearse", "drift")

# OPTIONS of Django's PostgreSQL backend that are libpq connection parameters (others, such as
# isolation_level or pool, are Django's own and mean nothing to libpq).
LIBPQ_OPTIONS = ("sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword", "connect_timeout",
                 "options", "application_name", "target_session_attrs", "service", "passfile",
                 "channel_binding", "gssencmode", "keepalives", "keepalives_idle", "keepalives_interval",
                 "keepalives_count", "tcp_user_timeout")

EXIT_USAGE = 2


def own_parser():
    """This command's options, recognised anywhere on the line; everything else goes to the binary.
    --settings and --pythonpath are Django's (already applied by manage.py), --traceback the
    exporter's."""
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    p.add_argument("--plan")
    p.add_argument("--sizes", action="store_true")
    plan_export.add_export_arguments(p)
    p.add_argument("--settings")
    p.add_argument("--pythonpath")
    p.add_argument("--traceback", action="store_true")
    return p


def usage_error(message):
    sys.stderr.write("manage.py safemigrate: error: %s\n" % message)
    sys.exit(EXIT_USAGE)


def database_connection(alias):
    """DATABASES[alias] as a postgresql:// URL without its password, and the environment for the
    binary with the password in libpq's PGPASSWORD: it never appears on a command line (where `ps`
    shows it) nor in what is printed."""
    from urllib.parse import quote, urlencode

    from django.conf import settings

    db = settings.DATABASES.get(alias)
    if db is None:
        usage_error("DATABASES has no alias %r (--database); give --database ALIAS or --database-url URL" % alias)
    engine = db.get("ENGINE") or ""
    if "postgresql" not in engine and "postgis" not in engine:
        usage_error("DATABASES[%r] uses %s; safemigrate works on PostgreSQL databases" % (alias, engine or "no ENGINE"))
    host, port = str(db.get("HOST") or ""), str(db.get("PORT") or "")
    params = []
    if host.startswith("/"):  # a Unix socket folder: libpq's host parameter
        params.append(("host", host))
        host = ""
    elif ":" in host:  # IPv6
        host = "[%s]" % host
    opts = db.get("OPTIONS") or {}
    params += [(k, str(opts[k])) for k in LIBPQ_OPTIONS if k in opts and opts[k] is not None]
    user = str(db.get("USER") or "")
    url = "postgresql://%s%s%s/%s" % (
        quote(user, safe="") + "@" if user else "",
        quote(host, safe="[]:") if host else "",
        ":" + port if port else "",
        quote(str(db.get("NAME") or ""), safe=""),
    )
    if params:
        url += "?" + urlencode(params)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return url, env


def gives_database_url(args):
    return any(a == "--database-url" or a.startswith("--database-url=") for a in args)


class ExporterLines:
    """Standard error during the export: the exporter's lines are said by manage.py safemigrate,
    the command the user ran (not by export_plan.py, which they never called)."""

    def __init__(self, stream):
        self.stream, self.pending = stream, ""

    def write(self, text):
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            if line.startswith("export_plan.py:"):
                line = "manage.py safemigrate:" + line[len("export_plan.py:"):]
            self.stream.write(line + "\n")
        return len(text)

    def flush(self):
        if self.pending:
            self.write("\n")
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def export_plan(options, output):
    old = sys.stderr
    sys.stderr = ExporterLines(old)
    try:
        plan_export.export(options, output)
    finally:
        sys.stderr.flush()
        sys.stderr = old


def plan_cache_key(options):
    """What an exported plan depends on: every migration file of every installed app, the settings
    module, the alias and export options, and the interpreter that records itself in the plan."""
    import hashlib
    import importlib

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    from django.conf import settings

    # The alias's connection settings too (not the password): an online plan holds names read there.
    db = settings.DATABASES.get(options["database"]) or {}
    h = hashlib.sha256()
    for part in (os.environ.get("DJANGO_SETTINGS_MODULE", ""), options["database"],
                 repr(sorted((k, repr(v)) for k, v in db.items() if k != "PASSWORD")),
                 repr(plan_export.exporter_argv(options, None)), sys.executable,
                 os.environ.get("PYTHONPATH", ""), os.path.abspath(__file__)):
        h.update(part.encode() + b"\0")
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        module_name, _ = MigrationLoader.migrations_module(app.label)
        try:
            module = importlib.import_module(module_name) if module_name else None
        except ImportError:
            module = None
        for folder in list(getattr(module, "__path__", None) or []):
            for root, dirs, files in os.walk(folder):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(".py"):
                        path = os.path.join(root, name)
                        with open(path, "rb") as f:
                            h.update(path.encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()


def cached_plan(options):
    """apply's plan: the one exported before from the same migrations, settings and alias, else a
    new export kept for next time (in $XDG_CACHE_HOME/safemigrate/plans)."""
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "safemigrate", "plans")
    plan = os.path.join(cache, plan_cache_key(options) + ".json")
    if os.path.isfile(plan):
        sys.stderr.write("manage.py safemigrate: migrations unchanged since the last export; using %s\n" % plan)
        return plan
    os.makedirs(cache, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=cache, suffix=".partial")
    os.close(fd)
    try:
        export_plan(options, partial)
        os.replace(partial, plan)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return plan


class Command(BaseCommand):
    help = (
        "Run the bundled safemigrate binary: `manage.py safemigrate check` (also status, verify, "
        "apply, resolve, rehearse, list, drift, fix) exports this project's plan to a temporary file first, with "
        "--offline, --online, --database ALIAS and --postgres-version as for safemigrate_export, or "
        "uses --plan FILE; every other argument goes to the binary (e.g. --format json, "
        "--database-url URL); status, verify, apply, resolve, rehearse, drift and `check --sizes` connect to "
        "DATABASES[alias] unless --database-url is given. rules, explain and --version run the binary alone. The binary's "
        "output and exit code pass through."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):  # for `manage.py help safemigrate`; run_from_argv parses
        parser.add_argument("command", nargs="?", help="the safemigrate command: " + ", ".join(PLAN_COMMANDS))
        parser.add_argument("--plan", help="use this plan file instead of exporting one")
        parser.add_argument("--sizes", action="store_true",
                            help="check: read the size of every table a finding is about from DATABASES[alias]")
        plan_export.add_export_arguments(parser)
        parser.add_argument("binary_args", nargs=argparse.REMAINDER, help="passed to the safemigrate binary")

    def run_from_argv(self, argv):
        rest = argv[2:]
        if not rest or rest[0] in ("-h", "--help"):
            self.print_help(argv[0], argv[1])
            return
        try:
            own, passthrough = own_parser().parse_known_args(rest)
        except SystemExit:
            usage_error("bad arguments: %s" % " ".join(rest))
        options = vars(own)
        self.run_binary(options, passthrough)

    def handle(self, *args, **options):  # call_command("safemigrate", "check", ...): exits as manage.py
        passthrough = ([options["command"]] if options.get("command") else []) + list(options.get("binary_args") or [])
        self.run_binary(options, passthrough)

    def run_binary(self, options, passthrough):
        binary = safemigrate.binary_path()
        if not os.access(binary, os.X_OK):
            raise CommandError("the bundled safemigrate binary %s is missing or not executable" % binary)
        command = passthrough[0] if passthrough and not passthrough[0].startswith("-") else None
        if command not in PLAN_COMMANDS or "-h" in passthrough or "--help" in passthrough:
            self.exec_binary([binary] + passthrough)  # no plan needed
        exported = options["offline"] or options["online"] or options["postgres_version"] is not None
        env = None
        # check reads table sizes only when asked (--sizes): a check in CI may have no database.
        wants_database = command in DATABASE_COMMANDS or (command == "check" and options.get("sizes"))
        if options.get("sizes") and command != "check":
            usage_error("--sizes goes with check")
        if wants_database and not gives_database_url(passthrough):
            # The database the project itself uses: that of the alias the plan is exported for.
            url, env = database_connection(options["database"])
            sys.stderr.write("manage.py safemigrate: database %s (DATABASES[%r], password not shown)\n"
                             % (url, options["database"]))
            passthrough = passthrough + ["--database-url", url]
        if options["plan"]:
            if exported or options["database"] != plan_export.DEFAULT_DB_ALIAS or options["project_dir"]:
                usage_error("--plan uses an existing plan: --offline, --online, --database, "
                            "--postgres-version and --project-dir are export options")
            sys.exit(self.run([binary, command, options["plan"]] + passthrough[1:], env))
        if command == "check" and options["postgres_version"] is not None:
            # The PostgreSQL the migrations will run on: the exporter's offline assumption and the
            # checks' target version are the same thing.
            passthrough = passthrough + ["--postgres-version", str(options["postgres_version"])]
        if command == "apply":
            sys.exit(self.run([binary, command, cached_plan(options)] + passthrough[1:], env))
        with tempfile.TemporaryDirectory(prefix="safemigrate-") as tmp:
            plan = os.path.join(tmp, "plan.json")
            export_plan(options, plan)
            code = self.run([binary, command, plan] + passthrough[1:], env)
        sys.exit(code)

    @staticmethod
    def run(argv, env=None):
        from django.db import connections

        connections.close_all()  # the export's connection: not held open while apply migrates
        sys.stdout.flush()
        sys.stderr.flush()
        code = subprocess.call(argv, env=env)
        return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says

    def exec_binary(self, argv):
        sys.exit(self.run(argv))

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
PLAN_COMMANDS = ("check", "status", "verify", "apply", "resolve", "rehearse", "list")

EXIT_USAGE = 2


def own_parser():
    """This command's options, recognised anywhere on the line; everything else goes to the binary.
    --settings and --pythonpath are Django's (already applied by manage.py), --traceback the
    exporter's."""
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    p.add_argument("--plan")
    plan_export.add_export_arguments(p)
    p.add_argument("--settings")
    p.add_argument("--pythonpath")
    p.add_argument("--traceback", action="store_true")
    return p


def usage_error(message):
    sys.stderr.write("manage.py safemigrate: error: %s\n" % message)
    sys.exit(EXIT_USAGE)


class Command(BaseCommand):
    help = (
        "Run the bundled safemigrate binary: `manage.py safemigrate check` (also status, verify, "
        "apply, resolve, rehearse, list) exports this project's plan to a temporary file first, with "
        "--offline, --online, --database ALIAS and --postgres-version as for safemigrate_export, or "
        "uses --plan FILE; every other argument goes to the binary (e.g. --format json, "
        "--database-url URL). rules, explain and --version run the binary alone. The binary's "
        "output and exit code pass through."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):  # for `manage.py help safemigrate`; run_from_argv parses
        parser.add_argument("command", nargs="?", help="the safemigrate command: " + ", ".join(PLAN_COMMANDS))
        parser.add_argument("--plan", help="use this plan file instead of exporting one")
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
        if options["plan"]:
            if exported or options["database"] != plan_export.DEFAULT_DB_ALIAS or options["project_dir"]:
                usage_error("--plan uses an existing plan: --offline, --online, --database, "
                            "--postgres-version and --project-dir are export options")
            self.exec_binary([binary, command, options["plan"]] + passthrough[1:])
        if command == "check" and options["postgres_version"] is not None:
            # The PostgreSQL the migrations will run on: the exporter's offline assumption and the
            # checks' target version are the same thing.
            passthrough = passthrough + ["--postgres-version", str(options["postgres_version"])]
        with tempfile.TemporaryDirectory(prefix="safemigrate-") as tmp:
            plan = os.path.join(tmp, "plan.json")
            plan_export.export(options, plan)
            code = self.run([binary, command, plan] + passthrough[1:])
        sys.exit(code)

    @staticmethod
    def run(argv):
        from django.db import connections

        connections.close_all()  # the export's connection: not held open while apply migrates
        sys.stdout.flush()
        sys.stderr.flush()
        code = subprocess.call(argv)
        return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says

    def exec_binary(self, argv):
        sys.exit(self.run(argv))

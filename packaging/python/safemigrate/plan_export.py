"""What the two management commands share: the exporter's options, and running the exporter
(safemigrate/export_plan.py, the same file as adapters/django/export_plan.py) inside the running
project, with its settings and its database alias."""

import os
import sys

from django.db import DEFAULT_DB_ALIAS


def add_export_arguments(parser):
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--offline",
        action="store_true",
        help="never connect: applied/pending are unknown, names Django looks up in the database are placeholders",
    )
    mode.add_argument(
        "--online",
        action="store_true",
        help="require the database (default: use it when reachable, else export offline with a warning)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DB_ALIAS,
        help="database alias of the project's DATABASES (default: %s)" % DEFAULT_DB_ALIAS,
    )
    parser.add_argument(
        "--postgres-version",
        type=int,
        default=None,
        help="PostgreSQL major version assumed offline where Django asks the server (default: 15)",
    )
    parser.add_argument(
        "--project-dir",
        default=None,
        help="the folder from which the project's settings module imports, recorded for "
        "`safemigrate apply` (default: found from the settings module)",
    )


def project_dir():
    """The folder on sys.path from which the settings module's top-level package imports: what
    `safemigrate apply` puts first on sys.path (and runs in) to run this project's migrate."""
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE") or ""
    top = sys.modules.get(settings_module.split(".")[0]) if settings_module else None
    location = getattr(top, "__file__", None)
    if location:
        folder = os.path.dirname(os.path.abspath(location))
        if os.path.splitext(os.path.basename(location))[0] == "__init__":
            folder = os.path.dirname(folder)  # a package: its parent is on sys.path
        return folder
    paths = list(getattr(top, "__path__", None) or [])  # a namespace package has no __file__
    if paths:
        return os.path.dirname(os.path.abspath(paths[0]))
    return os.getcwd()


def exporter_argv(options, output):
    """export_plan.py's arguments for these command options (settings: the running project's)."""
    argv = ["--database", options["database"]]
    if options.get("offline"):
        argv.append("--offline")
    if options.get("online"):
        argv.append("--online")
    if options.get("postgres_version") is not None:
        argv += ["--postgres-version", str(options["postgres_version"])]
    if options.get("traceback"):
        argv.append("--traceback")
    if output:
        argv += ["-o", output]
    return argv


def export(options, output):
    """Writes the plan to output (None: standard output). The exporter's errors exit as the
    script's do (1: project or database, 2: usage)."""
    from safemigrate import export_plan

    if options.get("pythonpath"):
        # manage.py --pythonpath DIR put DIR on sys.path; the plan's PYTHONPATH is how apply's
        # migrate finds it again.
        paths = [os.path.abspath(options["pythonpath"])] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    sys.stdout.flush()
    export_plan.main_in_django(exporter_argv(options, output), options.get("project_dir") or project_dir())
    sys.stdout.flush()
    sys.stderr.flush()

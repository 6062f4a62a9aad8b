"""Compares a plan written by export_plan.py with Django's own `sqlmigrate`, operation by
operation, forwards and backwards, in the same Django and driver (one process, sqlmigrate
called through call_command for every migration of the plan). Needs the project's database:
sqlmigrate reads django_migrations.

    python3 django_sqlmigrate.py --settings mysite.settings PLAN.json

Prints one line per difference with both texts, then
"compared N operations, M differ, S skipped (sql_depends_on_database)" on the last line.
Exit 0 when nothing differs. Operations whose SQL depends on the live database (names looked up
there; placeholders offline) are skipped: the plan marks them, and that mark is what is tested.
"""

import argparse
import io
import json
import os
import re
import sys

# A callable default (timezone.now) is evaluated each time SQL is generated.
TIMESTAMP = re.compile(r"'\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^']*'")
# What sqlmigrate prints inside an operation's block that is not SQL.
MARKERS = {"-- THIS OPERATION CANNOT BE WRITTEN AS SQL", "-- (no-op)"}


def blocks(text):
    """The SQL text of each operation's block in sqlmigrate's output: every block starts with
    a header of comment lines between two "--" lines (`--`, `-- Add field x to y`, `--`)."""
    if not text.strip():
        return []  # a migration without operations (sqlmigrate says so on stderr)
    lines = text.rstrip("\n").split("\n")
    if lines and lines[0] == "BEGIN;":
        lines = lines[1:]
    if lines and lines[-1] == "COMMIT;":
        lines = lines[:-1]
    out, i = [], 0
    while i < len(lines):
        if lines[i] == "--":
            j = i + 1
            while j < len(lines) and lines[j].startswith("-- "):
                j += 1
            if j < len(lines) and lines[j] == "--" and j > i + 1:
                out.append([])
                i = j + 1
                continue
        if not out:
            raise ValueError("sqlmigrate output does not start with an operation header:\n" + text)
        if lines[i] not in MARKERS:
            out[-1].append(lines[i])
        i += 1
    return ["\n".join(b) for b in out]


def normal(text):
    return TIMESTAMP.sub("'<timestamp>'", text).strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--settings", required=True)
    p.add_argument("plan")
    args = p.parse_args()
    sys.path.insert(0, os.getcwd())
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django
    from django.core.management import call_command

    django.setup()
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    compared = differ = skipped = 0
    for m in plan["migrations"]:
        for backwards in (False, True):
            ops = m["operations"]
            if backwards and not all(o["reversible"] for o in ops):
                continue  # sqlmigrate --backwards raises IrreversibleError
            out = io.StringIO()
            options = {"backwards": True} if backwards else {}
            call_command("sqlmigrate", m["app"], m["name"], stdout=out, no_color=True, **options)
            reference = blocks(out.getvalue())
            # Backwards, sqlmigrate unapplies the operations last to first.
            ordered = list(reversed(ops)) if backwards else ops
            if len(reference) != len(ordered):
                print("DIFF %s: sqlmigrate shows %d operations, the plan %d" % (m["id"], len(reference), len(ordered)))
                differ += 1
                continue
            for op, ref in zip(ordered, reference):
                if not op["reduces_to_sql"]:
                    continue
                if op["sql_depends_on_database"]:
                    skipped += 1
                    continue
                exported = op["backward_sql"] if backwards else op["forward_sql"]
                compared += 1
                if normal("\n".join(exported or [])) != normal(ref):
                    differ += 1
                    print(
                        "DIFF %s #%d %s %s\n  sqlmigrate: %s\n  export:     %s\n  export error: %s"
                        % (
                            m["id"],
                            op["index"],
                            op["describe"],
                            "backwards" if backwards else "forwards",
                            ref,
                            "\n".join(exported or []),
                            op["backward_sql_error"] if backwards else op["sql_error"],
                        )
                    )
    print(
        "compared %d operations, %d differ, %d skipped (sql_depends_on_database) with Django %s"
        % (compared, differ, skipped, django.get_version())
    )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

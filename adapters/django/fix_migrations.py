"""Rewrites Django migrations for `safemigrate fix` (embedded in the safemigrate binary and run with
the project's Python as `python -c SOURCE ARGS`, from the project's folder, as run_migrate.py is).

safemigrate decides what to fix from the plan's findings and sends, as one JSON object on standard
input, {"migrations": [{"app": …, "name": …, "operations": [1-based indexes]}]}. This script loads
the migrations through Django's own loader (no database is touched), and for each migration moves
the listed operations into a NEW migration that depends on the original and has `atomic = False`:

  AddIndex(m, index)     -> AddIndexConcurrently(m, index)   (django.contrib.postgres.operations)
  RemoveIndex(m, name)   -> RemoveIndexConcurrently(m, name)
  AlterField gaining db_index=True, nothing else
                         -> SeparateDatabaseAndState(state: the AlterField, database:
                            AddIndexConcurrently of the index Django would have built, under
                            Django's own name, and its _like index for varchar/text columns)

The original is written again without them by Django's MigrationWriter, so the project state at
the end is the same and `makemigrations --check` stays clean. Nothing is written here: the texts go
back to safemigrate on standard output as one JSON line (RESULT_PREFIX), and safemigrate writes (or diffs) them.

What cannot be moved safely is left, with the reason: a migration other migrations depend on (the
new one could not come right after it), one with run_before or RunPython (whose functions in the
file a rewrite would lose), an operation followed in its migration by another about the same model
(other than an AddField).

Exit codes: 0 done (the JSON says what was left); 2 the project could not be loaded.
"""

import argparse
import json
import os
import re
import sys

# The one line of standard output that carries the result; any other line is the project's.
RESULT_PREFIX = "@@safemigrate-fix "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", required=True)
    ap.add_argument("--project-dir", required=True)
    args = ap.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    sys.path.insert(0, args.project_dir)
    request = json.load(sys.stdin)
    try:
        import django

        django.setup()
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader
    except Exception as e:  # the project's own error, whatever it is
        sys.stderr.write("the Django project could not be loaded: %s: %s\n" % (type(e).__name__, e))
        return 2
    loader = MigrationLoader(None, ignore_no_migrations=True)
    results = [fix_one(loader, connection, m) for m in request["migrations"]]
    sys.stdout.write(RESULT_PREFIX + json.dumps({"results": results}, ensure_ascii=True) + "\n")
    return 0


def model_of(op):
    name = getattr(op, "model_name", None) or getattr(op, "name", None)
    return name.lower() if isinstance(name, str) else None


def leave_all(result, indexes, why):
    for i in indexes:
        result["left"].append({"operation": i, "why": why})
    return result


def fix_one(loader, connection, req):
    from django.db import migrations as dm

    app, name, indexes = req["app"], req["name"], sorted(set(req["operations"]))
    result = {"app": app, "name": name, "changes": [], "left": []}
    key = (app, name)
    migration = loader.disk_migrations.get(key)
    if migration is None:
        return leave_all(result, indexes, "Django's loader has no migration %s.%s" % key)
    module = sys.modules[migration.__module__]
    result["file"] = os.path.abspath(module.__file__)
    node = loader.graph.node_map.get(key)
    if node is None:
        return leave_all(result, indexes, "Django's graph does not hold it (a squash replaces it)")
    dependents = ["%s.%s" % child.key for child in node.children if child.key in loader.disk_migrations]
    if dependents:
        return leave_all(
            result,
            indexes,
            "other migrations depend on it (%s): the concurrent operations could not come right after it"
            % ", ".join(sorted(dependents)),
        )
    if getattr(migration, "run_before", None):
        return leave_all(result, indexes, "it has run_before, which Django's MigrationWriter does not write")
    ops = list(migration.operations)
    if any(isinstance(op, dm.RunPython) for op in ops):
        return leave_all(result, indexes, "it holds RunPython, whose functions a rewrite of the file would lose")
    if any(i < 1 or i > len(ops) for i in indexes):
        return leave_all(result, indexes, "the plan's operations do not match the migration file (export again)")

    # The state before each operation: the migration's dependencies applied, then its own operations.
    state = loader.project_state(key, at_end=False)
    moved = {}
    for pos, op in enumerate(ops, start=1):
        if pos in indexes:
            # What stays behind and comes after it must not be about the same model (an AddField is
            # not: a new column has nothing to do with an index on the others).
            later = {
                model_of(ops[j - 1])
                for j in range(pos + 1, len(ops) + 1)
                if j not in indexes and type(ops[j - 1]) is not dm.AddField
            }
            new_op, what, why = concurrent(op, state, app, connection)
            if new_op is not None and model_of(op) in later:
                new_op, why = None, "a later operation of the migration is about the same model, so it cannot move after it"
            if new_op is None:
                result["left"].append({"operation": pos, "why": why})
            else:
                moved[pos] = new_op
                result["changes"].append({"operation": pos, "what": what})
        op.state_forwards(app, state)
    if not moved:
        return result

    new_name = next_name(name, set(n for (a, n) in loader.disk_migrations if a == app))
    original = type("Migration", (dm.Migration,), {})(name, app)
    original.operations = [op for pos, op in enumerate(ops, start=1) if pos not in moved]
    original.dependencies = list(migration.dependencies)
    original.replaces = list(migration.replaces)
    original.initial = migration.initial
    original.atomic = migration.atomic
    split = type("Migration", (dm.Migration,), {})(new_name, app)
    split.operations = [moved[pos] for pos in sorted(moved)]
    split.dependencies = [key]
    split.atomic = False
    with open(result["file"], encoding="utf-8") as f:
        result["before"] = f.read()
    result["after"] = write(original, "# Rewritten by `safemigrate fix`: its index operations moved to %s.\n" % new_name)
    result["new_name"] = new_name
    result["new_file"] = os.path.join(os.path.dirname(result["file"]), new_name + ".py")
    result["new_text"] = write(
        split,
        "# Written by `safemigrate fix` from %s.%s: the index operations, built and dropped\n"
        "# CONCURRENTLY, outside a transaction (atomic = False).\n" % key,
    )
    for c in result["changes"]:
        c["into"] = "%s.%s" % (app, new_name)
    return result


def concurrent(op, state, app, connection):
    """(the concurrent operation, what it is, None) or (None, None, why not)."""
    from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
    from django.db import migrations as dm
    from django.db import models

    if type(op) is dm.AddIndex:
        return AddIndexConcurrently(op.model_name, op.index), "AddIndexConcurrently (atomic = False)", None
    if type(op) is dm.RemoveIndex:
        return RemoveIndexConcurrently(op.model_name, op.name), "RemoveIndexConcurrently (atomic = False)", None
    if type(op) is dm.AlterField:
        model_state = state.models.get((app, op.model_name.lower()))
        if model_state is None:
            return None, None, "the model %s is not in the state before the migration" % op.model_name
        old = dict(model_state.fields)[op.name]  # a dict from Django 3.1 on
        new = op.field
        o_path, o_args, o_kw = old.clone().deconstruct()[1:]
        n_path, n_args, n_kw = new.clone().deconstruct()[1:]
        o_kw.pop("db_index", None)
        n_kw.pop("db_index", None)
        gains = new.db_index and not old.db_index
        if not gains or (o_path, o_args, o_kw) != (n_path, n_args, n_kw):
            return None, None, "the AlterField changes more than db_index=True"
        if new.is_relation or new.unique or new.primary_key or getattr(new, "db_collation", None):
            return None, None, "the field is a relation, unique, a key or has a collation: its index is not only db_index's"
        # The index Django's schema editor builds for db_index, under the name it gives it.
        to_state = state.clone()
        op.state_forwards(app, to_state)
        model = to_state.apps.get_model(app, op.model_name)
        field = model._meta.get_field(op.name)
        editor = connection.SchemaEditorClass(connection, collect_sql=True)
        table = model._meta.db_table
        indexes = [models.Index(fields=[op.name], name=editor._create_index_name(table, [field.column], suffix=""))]
        db_type = field.db_type(connection=connection) or ""
        for prefix, opclass in (("varchar", "varchar_pattern_ops"), ("text", "text_pattern_ops")):
            if "[" not in db_type and db_type.startswith(prefix):
                name = editor._create_index_name(table, [field.column], suffix="_like")
                indexes.append(models.Index(fields=[op.name], name=name, opclasses=[opclass]))
                break
        sdas = dm.SeparateDatabaseAndState(
            state_operations=[op],
            database_operations=[AddIndexConcurrently(op.model_name, ix) for ix in indexes],
        )
        return sdas, "SeparateDatabaseAndState: AddIndexConcurrently of %s (atomic = False)" % ", ".join(
            ix.name for ix in indexes
        ), None
    return None, None, "fix rewrites AddIndex, RemoveIndex and AlterField gaining db_index=True, not %s" % type(op).__name__


def next_name(name, taken):
    m = re.match(r"^(\d+)_(.*)$", name)
    base = ("%04d_%s_concurrently" % (int(m.group(1)) + 1, m.group(2))) if m else name + "_concurrently"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = "%s_%d" % (base, n), n + 1
    return candidate


def write(migration, comment):
    from django.db.migrations.writer import MigrationWriter

    try:
        text = MigrationWriter(migration, include_header=False).as_string()
    except TypeError:  # a Django without include_header
        text = MigrationWriter(migration).as_string()
    if not migration.atomic:
        # MigrationWriter does not write `atomic`; it goes first in the class, as Django's docs put it.
        text = text.replace(
            "class Migration(migrations.Migration):\n", "class Migration(migrations.Migration):\n    atomic = False\n", 1
        )
    return comment + text


if __name__ == "__main__":
    sys.exit(main())

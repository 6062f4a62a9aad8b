"""manage.py safemigrate_export [-o plan.json] [--offline|--online] [--database ALIAS]"""

from django.core.management.base import BaseCommand

from safemigrate import plan_export


class Command(BaseCommand):
    help = (
        "Export this project's migration plan (every migration, its operations and the SQL Django "
        "emits for them) as JSON for `safemigrate check`, with this project's settings. The same "
        "exporter as safemigrate's adapters/django/export_plan.py. Exit codes: 0 written; 1 the "
        "project or its migrations could not be loaded, or --online and no database; 2 usage errors."
    )
    requires_system_checks = []  # the export reads migrations; it must not stop on a project's check errors
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="write the plan here, atomically (default: standard output)")
        plan_export.add_export_arguments(parser)

    def handle(self, *args, **options):
        plan_export.export(options, options.get("output"))

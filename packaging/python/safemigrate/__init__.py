"""safemigrate as a Django app: `manage.py safemigrate_export` writes the project's migration plan
with the exporter that ships with safemigrate (export_plan.py, copied in when the wheel is built),
and `manage.py safemigrate check|status|verify|apply|rehearse|list ...` runs the safemigrate
binary bundled in this package on that plan."""

import os

__version__ = "@VERSION@"

def binary_path():
    """The safemigrate executable bundled in this package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "safemigrate")

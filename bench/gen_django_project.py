#!/usr/bin/env python3
"""Writes a Django project with many migrations for bench/django_export.sh:
gen_django_project.py DIR MIGRATIONS [MODELS]. Each app has MODELS models; every migration
after the first adds one nullable field to one of them, round robin, so models stay the size
real ones have (a few dozen fields) however long the history is."""
import os
import sys

root, count = sys.argv[1], int(sys.argv[2])
models = int(sys.argv[3]) if len(sys.argv) > 3 else 50
os.makedirs(os.path.join(root, "gensite"), exist_ok=True)
open(os.path.join(root, "gensite", "__init__.py"), "w").close()
with open(os.path.join(root, "gensite", "settings.py"), "w") as f:
    f.write(
        "SECRET_KEY = 'bench'\nINSTALLED_APPS = ['genapp']\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'bench', "
        "'HOST': '127.0.0.1', 'PORT': '1'}}\n"
    )
mig = os.path.join(root, "genapp", "migrations")
os.makedirs(mig, exist_ok=True)
open(os.path.join(root, "genapp", "__init__.py"), "w").close()
open(os.path.join(mig, "__init__.py"), "w").close()
creates = ",\n        ".join(
    'migrations.CreateModel(name="M%d", fields=[("id", models.BigAutoField(primary_key=True))])' % m
    for m in range(models)
)
with open(os.path.join(mig, "0001_initial.py"), "w") as f:
    f.write(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    initial = True\n    dependencies = []\n    operations = [\n        %s,\n    ]\n" % creates
    )
previous = "0001_initial"
for i in range(2, count + 1):
    name = "%05d_f%d" % (i, i)
    with open(os.path.join(mig, name + ".py"), "w") as f:
        f.write(
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('genapp', '%s')]\n    operations = [\n"
            "        migrations.AddField(model_name='m%d', name='f%d', field=models.IntegerField(null=True)),\n"
            "    ]\n" % (previous, i % models, i)
        )
    previous = name

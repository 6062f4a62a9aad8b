#!/usr/bin/env bash
# Times `safemigrate apply` (gate + advisory lock + Django's own migrate through run_migrate.py)
# against `manage.py migrate` on the same generated project, each from an empty database, on a
# private PostgreSQL 15 cluster: the difference is what the gate and the lock cost.
#   bash bench/django_apply.sh [MIGRATIONS]     default: 150 (the held-out project of issue 11 had 148)
#   DJANGO_VERSIONS="3.2 4.2 5.2" (default 3.2): as bench/django_export.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
count=${1:-150}
bin=${SAFEMIGRATE:-$root/build/safemigrate}
pgbin=/usr/lib/postgresql/15/bin
python=/usr/bin/python3
versions=(${DJANGO_VERSIONS:-3.2})
django_dir=${DJANGO_DIR:-$HOME/.cache/safemigrate/django}
work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
trap 'as_pg $pgbin/pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/data" "$work/sock" && chown postgres "$work/data" "$work/sock" 2>/dev/null || true
as_pg $pgbin/initdb -D "$work/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg $pgbin/pg_ctl -D "$work/data" -w -o "-p $port -k $work/sock -c listen_addresses= -c fsync=off" \
  -l "$work/data/log" start >/dev/null

$python bench/gen_django_project.py "$work/proj" "$count" 20 >/dev/null
# With contenttypes and auth, so that post_migrate has its usual work.
cat >"$work/proj/gensite/settings.py" <<PY
import os
SECRET_KEY = 'bench'
INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'genapp']
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': os.environ['BENCH_DB'],
                         'USER': 'postgres', 'HOST': '$work/sock', 'PORT': '$port'}}
PY
cat >"$work/proj/manage.py" <<'PY'
import os, sys
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gensite.settings')
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
PY
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(date -u '+%F %H:%M UTC')," \
  "$(git rev-parse --short HEAD 2>/dev/null || echo 'no git'), $count migrations + contenttypes and auth"
for v in "${versions[@]}"; do
  pythonpath=
  [[ $v == 3.2 ]] || pythonpath=$(bash scripts/fetch_django.sh "$django_dir" "$v" | awk '{print $2}')
  run="env PYTHONPATH=$pythonpath BENCH_DB=sm $python"
  (cd "$work/proj" && $run "$root/adapters/django/export_plan.py" --settings gensite.settings --offline \
    -o "$work/plan.json" 2>/dev/null)
  url="host=$work/sock port=$port user=postgres dbname=sm"
  reset="$pgbin/psql -X -q -h $work/sock -p $port -U postgres -d postgres -c 'DROP DATABASE IF EXISTS sm WITH (FORCE)' -c 'CREATE DATABASE sm'"
  (cd "$work/proj" && hyperfine ${HYPERFINE_OPTS:-} --runs ${RUNS:-5} --warmup 1 --prepare "$reset" --export-json "$work/h-$v.json" \
    -n "manage.py migrate" "env PYTHONPATH=$pythonpath BENCH_DB=sm $python manage.py migrate" \
    -n "safemigrate apply" "env BENCH_DB=sm $bin apply --database-url '$url' $work/plan.json" >/dev/null)
  $python - "$work/h-$v.json" "$($run -c 'import django; print(django.get_version())')" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
dj, sm = r["manage.py migrate"], r["safemigrate apply"]
cpu = lambda x: x["user"] + x["system"]  # children included: says more than wall time on busy cores
print("Django %s: manage.py migrate %.2f s wall (±%.2f) %.2f s CPU; safemigrate apply %.2f s wall (±%.2f) "
      "%.2f s CPU; overhead %.2f s = %.1f %% wall, %.2f s = %.1f %% CPU"
      % (sys.argv[2], dj["mean"], dj["stddev"], cpu(dj), sm["mean"], sm["stddev"], cpu(sm),
         sm["mean"] - dj["mean"], 100 * (sm["mean"] - dj["mean"]) / dj["mean"],
         cpu(sm) - cpu(dj), 100 * (cpu(sm) - cpu(dj)) / cpu(dj)))
PY
done

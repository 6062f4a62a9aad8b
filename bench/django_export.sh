#!/usr/bin/env bash
# Times adapters/django/export_plan.py (offline) on generated projects of growing history: one
# start-up for the whole history, the project state carried forward once, not replayed per
# migration as one `sqlmigrate` call per migration would (bench/RESULTS.md says where it is not
# linear: Django's per-operation state clones).
#   bash bench/django_export.sh [COUNTS...]     default: 250 1000 4000
#   DJANGO_VERSIONS="3.2 4.2 5.2" (default): Debian 12's 3.2, and 4.2 / 5.2 fetched by
#   scripts/fetch_django.sh into DJANGO_DIR (default ~/.cache/safemigrate/django, the tests' cache)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(250 1000 4000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3  # Debian's, with python3-django
versions=(${DJANGO_VERSIONS:-3.2 4.2 5.2})
django_dir=${DJANGO_DIR:-$HOME/.cache/safemigrate/django}
echo "$(nproc) cores, $(date -u '+%F %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo 'no git')"
for n in "${counts[@]}"; do
  $python bench/gen_django_project.py "$work/p$n" "$n" >/dev/null
done
for v in "${versions[@]}"; do
  pythonpath=
  if [[ $v != 3.2 ]]; then
    pythonpath=$(bash scripts/fetch_django.sh "$django_dir" "$v" | awk '{print $2}')
  fi
  run="env PYTHONPATH=$pythonpath $python"
  echo "django $($run -c 'import django; print(django.get_version())'), driver $($run -c \
    'from django.db.backends.postgresql import base; print(base.Database.__name__, base.Database.__version__)')"
  for n in "${counts[@]}"; do
    (cd "$work/p$n" && hyperfine --runs 3 --warmup 1 --export-json "$work/h$n-$v.json" \
      "$run $root/adapters/django/export_plan.py --settings gensite.settings --offline -o plan.json" >/dev/null 2>&1)
    # Wall time, and CPU time (user + system), which says more when other work shares the cores.
    times=$($python -c "import json; r = json.load(open('$work/h$n-$v.json'))['results'][0]; \
print('%.2f s wall, %.2f s CPU' % (r['mean'], r['user'] + r['system']))")
    printf '%6d migrations: export %s (mean of 3)\n' "$n" "$times"
  done
done

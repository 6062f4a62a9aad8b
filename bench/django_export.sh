#!/usr/bin/env bash
# Times adapters/django/export_plan.py (offline) on generated projects of growing history: one
# start-up for the whole history, the project state carried forward once, not replayed per
# migration as one `sqlmigrate` call per migration would (bench/RESULTS.md says where it is not
# linear: Django's per-operation state clones).
#   bash bench/django_export.sh [COUNTS...]     default: 250 1000 4000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(250 1000 4000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3  # Debian's, with python3-django
echo "django $($python -c 'import django; print(django.get_version())'), $(nproc) cores, $(date -u +%F)"
for n in "${counts[@]}"; do
  $python bench/gen_django_project.py "$work/p$n" "$n" >/dev/null
  (cd "$work/p$n" && hyperfine --runs 3 --warmup 1 --export-json "$work/h$n.json" \
    "$python $root/adapters/django/export_plan.py --settings gensite.settings --offline -o plan.json" >/dev/null 2>&1)
  mean=$($python -c "import json; print('%.2f' % json.load(open('$work/h$n.json'))['results'][0]['mean'])")
  printf '%6d migrations: export %s s (mean of 3)\n' "$n" "$mean"
done

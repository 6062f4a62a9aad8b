#!/usr/bin/env bash
# Behaviour unchanged, proven: runs two safemigrate binaries (say main's and a refactor's) over the
# same inputs and compares every output byte for byte (stdout, stderr and exit code):
#   - check (text and json) and list of each project of the shared corpus (../shared/corpus/prisma),
#     the Prisma and Django fixtures, and each rule fixture in a migrations folder of its own;
#   - check --since on a scratch git repository where a migration was edited, one deleted, one added;
#   - status, verify and apply --dry-run of the Prisma fixture against a private PostgreSQL 15,
#     empty and after the old binary applied it; status and verify of the Django plan.
# Usage: scripts/compare_outputs.sh OLD_BIN NEW_BIN   (exit 0: identical; 1: differences, shown)
# SAFEMIGRATE_COMPARE_KEEP=1 keeps the outputs (old/, new/) and prints where.
set -euo pipefail

old=$(realpath "${1:?usage: compare_outputs.sh OLD_BIN NEW_BIN}")
new=$(realpath "${2:?usage: compare_outputs.sh OLD_BIN NEW_BIN}")
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${SAFEMIGRATE_CORPUS:-$repo/../shared/corpus/prisma}
[ -d "$corpus" ] || { echo "compare_outputs: no corpus at $corpus (SAFEMIGRATE_CORPUS)" >&2; exit 2; }

work=$(mktemp -d /tmp/compare_outputs.XXXXXX)
chmod 755 "$work"
pgbin=/usr/lib/postgresql/15/bin
started=
cleanup() {
  if [ -n "$started" ]; then as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -n "${SAFEMIGRATE_COMPARE_KEEP:-}" ]; then echo "compare_outputs: outputs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The inputs, made once so that both binaries see the same paths.
inputs=()
for p in "$corpus"/*/; do inputs+=("${p%/}"); done
inputs+=("$repo/fixtures/prisma/shop/prisma/migrations" "$repo/fixtures/django/plan.json")
mkdir -p "$work/rules"
for f in "$repo"/fixtures/rules/*.sql; do
  d="$work/rules/$(basename "$f" .sql)/migrations/20240101000000_fixture"
  mkdir -p "$d" && cp "$f" "$d/migration.sql"
  inputs+=("$(dirname "$d")")
done

# --since: a copy of the Prisma fixture committed, then one migration edited, one deleted, one added.
git_dir="$work/git"
cp -r "$repo/fixtures/prisma/shop" "$git_dir"
(
  cd "$git_dir"
  git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@t commit -qm base
  migs=(prisma/migrations/*/)
  echo "-- edited" >>"${migs[0]}migration.sql"
  git rm -q -r "${migs[1]}"
  mkdir -p prisma/migrations/29990101000000_added
  printf 'CREATE INDEX added_idx ON "User" (id);\n' >prisma/migrations/29990101000000_added/migration.sql
)

# [[sources]] naming the wrong kind of path for their framework, and a Prisma project root.
mkdir -p "$work/cfg-django" "$work/cfg-prisma"
printf '[[sources]]\nframework = "django"\npath = "%s"\n' "$repo/fixtures/prisma/shop/prisma/migrations" \
  >"$work/cfg-django/safemigrate.toml"
printf '[[sources]]\nframework = "prisma"\npath = "%s"\n' "$repo/fixtures/django/plan.json" \
  >"$work/cfg-prisma/safemigrate.toml"

# A private PostgreSQL for the history commands.
mkdir -p "$work/pg" "$work/sock"
chown postgres "$work/pg" "$work/sock" 2>/dev/null || true
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
port=$((20000 + RANDOM % 20000))
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/sock/pg.log" -w -o "-p $port -k $work/sock -c listen_addresses=127.0.0.1" \
  start >/dev/null
started=1
url() { echo "postgresql://postgres@127.0.0.1:$port/$1"; }
for db in empty applied; do as_pg "$pgbin/psql" -h "$work/sock" -p "$port" -qc "CREATE DATABASE $db" postgres; done
shop="$repo/fixtures/prisma/shop/prisma/migrations"
# Applied by the old binary in safe mode, its gate told to let the fixture's errors pass.
{ echo "[rules]"; "$old" rules | awk '$2 == "error" { printf "%s = \"warning\"\n", $1 }'; } >"$work/pass.toml"
"$old" apply --config "$work/pass.toml" --mode safe --database-url "$(url applied)" "$shop" >"$work/applied.log" 2>&1 ||
  { cat "$work/applied.log" >&2; echo "compare_outputs: the old binary could not apply $shop" >&2; exit 2; }

# run BIN OUTDIR NAME ARGS...: stdout, stderr and exit code of one command.
run() {
  local bin=$1 out=$2 name=$3
  shift 3
  set +e
  (cd "$work" && "$bin" "$@" >"$out/$name.out" 2>"$out/$name.err")
  echo $? >"$out/$name.rc"
  set -e
}

record() {
  local bin=$1 out=$2 i=0
  mkdir -p "$out"
  for p in "${inputs[@]}"; do
    i=$((i + 1))
    run "$bin" "$out" "$i.check.text" check -q -j1 "$p"
    run "$bin" "$out" "$i.check.json" check -q -j1 --format json "$p"
    run "$bin" "$out" "$i.list" list -q -j1 --all "$p"
  done
  run "$bin" "$out" "all.check.text" check -q "${inputs[@]:0:3}" "$repo/fixtures/django/plan.json"
  (cd "$git_dir" && "$bin" check -q --since HEAD --format json prisma/migrations >"$out/since.out" 2>"$out/since.err"
    echo $? >"$out/since.rc") || true
  for db in empty applied; do
    for cmd in status verify; do run "$bin" "$out" "$db.$cmd" "$cmd" --database-url "$(url "$db")" "$shop"; done
    run "$bin" "$out" "$db.dry-run" apply --dry-run --database-url "$(url "$db")" --prisma-version 6.19.3 "$shop"
    run "$bin" "$out" "$db.dry-run.safe" apply --dry-run --mode safe --database-url "$(url "$db")" "$shop"
    run "$bin" "$out" "$db.django.status" status --database-url "$(url "$db")" "$repo/fixtures/django/plan.json"
    run "$bin" "$out" "$db.resolve.plan" resolve --applied x --database-url "$(url "$db")" \
      "$repo/fixtures/django/plan.json"
  done
  run "$bin" "$out" "sizes.check" check -q --database-url "$(url applied)" --format json "$shop"
  run "$bin" "$out" "bad.mode" apply --mode prisma-8 --database-url "$(url empty)" "$shop"
  run "$bin" "$out" "bad.prisma-version" check -q --prisma-version x.y "$shop"
  run "$bin" "$out" "forced.prisma-version" check -q --prisma-version 7.4 --format json "$shop"
  run "$bin" "$out" "cfg.django" check -q --config "$work/cfg-django/safemigrate.toml"
  run "$bin" "$out" "cfg.prisma" check -q --config "$work/cfg-prisma/safemigrate.toml"
  run "$bin" "$out" "project.root" check -q --format json "$repo/fixtures/prisma/shop"
  (cd "$repo/fixtures/prisma/shop" && "$bin" check -q >"$out/project.cwd.out" 2>"$out/project.cwd.err"
    echo $? >"$out/project.cwd.rc") || true
  (cd "$repo/fixtures/prisma/shop" && "$bin" status --database-url "$(url applied)" \
    >"$out/project.status.out" 2>"$out/project.status.err"; echo $? >"$out/project.status.rc") || true
}

record "$old" "$work/old"
record "$new" "$work/new"
n=$(ls "$work/old" | wc -l)
if diff -r "$work/old" "$work/new"; then
  echo "compare_outputs: $n outputs identical ($(( n / 3 )) commands)"
else
  echo "compare_outputs: outputs differ (above)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Times `safemigrate drift` on a database of TABLES tables with INDEXES_PER_TABLE indexes each
# (default 1000 and 5: 5,000 indexes besides the primary keys), in a private throw-away cluster:
# one Prisma migration creates them all, `safemigrate apply` applies it, then drift runs RUNS times
# as whole processes (/usr/bin/time): replaying the migration on a temporary database, reading both
# catalogs and comparing. One run after a manual index also shows drift (exit 1). Appended to
# bench/RESULTS.md.
#
#   bash bench/drift.sh [BUILD_DIR]      (TABLES=1000 INDEXES_PER_TABLE=5 RUNS=3 BENCH_RECORD=0)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SM=$(realpath "${1:-build}")/safemigrate
TABLES=${TABLES:-1000}
PER=${INDEXES_PER_TABLE:-5}
RUNS=${RUNS:-3}
BIN=/usr/lib/postgresql/15/bin
TMP=$(mktemp -d)
trap 'runuser -u postgres -- $BIN/pg_ctl -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
chown postgres "$TMP"
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg $BIN/initdb -D "$TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
PORT=$((20000 + RANDOM % 20000))
as_pg $BIN/pg_ctl -D "$TMP/data" -w -o "-p $PORT -k $TMP -c listen_addresses= -c fsync=off" -l "$TMP/log" start >/dev/null
URL="postgresql://postgres@/bench?host=$TMP&port=$PORT"
psql -X -q -h "$TMP" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE bench"
MIG="$TMP/migrations"
mkdir -p "$MIG/20240101000000_init"
echo 'provider = "postgresql"' > "$MIG/migration_lock.toml"
python3 - "$TABLES" "$PER" > "$MIG/20240101000000_init/migration.sql" <<'PY'
import sys
tables, per = int(sys.argv[1]), int(sys.argv[2])
for t in range(tables):
    cols = ", ".join(f'"c{i}" TEXT' for i in range(per))
    print(f'CREATE TABLE "t{t}" ("id" SERIAL PRIMARY KEY, {cols}, "created" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);')
    for i in range(per):
        print(f'CREATE INDEX "t{t}_c{i}_idx" ON "t{t}"("c{i}");')
PY
"$SM" apply --database-url "$URL" "$MIG" >/dev/null
OBJECTS=$(psql -X -q -A -t -h "$TMP" -p "$PORT" -U postgres -d bench -c \
  "SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace) || ' tables, ' || (SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace) || ' indexes'")
times=()
for i in $(seq "$RUNS"); do
  set +e
  /usr/bin/time -f '%e %U %S' -o "$TMP/time" "$SM" drift --database-url "$URL" "$MIG" >"$TMP/out" 2>&1
  code=$?
  set -e
  [[ $code == 0 ]] || { cat "$TMP/out"; echo "drift exited $code on a database without drift" >&2; exit 1; }
  times+=("$(grep -v '^Command' "$TMP/time") [$(grep '^drift: replay' "$TMP/out" | sed 's/^drift: //')]")
done
psql -X -q -h "$TMP" -p "$PORT" -U postgres -d bench -c 'CREATE INDEX "manual_idx" ON "t7"("c1", "c2")'
set +e
/usr/bin/time -f '%e %U %S' -o "$TMP/time" "$SM" drift --database-url "$URL" "$MIG" >"$TMP/out" 2>&1
code=$?
set -e
[[ $code == 1 ]] || { cat "$TMP/out"; echo "drift exited $code after a manual index" >&2; exit 1; }
DRIFT_TIME="$(grep -v '^Command' "$TMP/time") [$(grep '^drift: replay' "$TMP/out" | sed 's/^drift: //')]"
# The replay alone: the same migration applied by safemigrate to an empty database.
psql -X -q -h "$TMP" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE bench2"
/usr/bin/time -f '%e %U %S' -o "$TMP/time" "$SM" apply --database-url "postgresql://postgres@/bench2?host=$TMP&port=$PORT" "$MIG" >/dev/null
APPLY_TIME=$(cat "$TMP/time")
REPORT=$(cat <<EOF2

## $(date -u '+%Y-%m-%d %H:%M UTC') — drift on $OBJECTS

- machine: $(nproc) cores (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), RAM $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); shared with other work (load average $(cut -d' ' -f1-3 /proc/loadavg)), so expect noise
- PostgreSQL $(psql -X -q -A -t -h "$TMP" -p "$PORT" -U postgres -d postgres -c "SHOW server_version"), default settings except fsync=off, Unix socket
- command: TABLES=$TABLES INDEXES_PER_TABLE=$PER RUNS=$RUNS bash bench/drift.sh (repository $(git rev-parse --short HEAD)); one migration of $TABLES tables (serial key, $PER text columns, a timestamp) and $PER indexes each
- whole \`safemigrate drift\` processes, no drift (wall s, user s, sys s [drift's own split]): $(printf '%s; ' "${times[@]}")
- after \`CREATE INDEX manual_idx\` by hand (exit 1, one difference): $DRIFT_TIME
- of which replaying the migration (the same file by \`safemigrate apply\` on an empty database): $APPLY_TIME
EOF2
)
printf '%s\n' "$REPORT"
if [[ ${BENCH_RECORD:-1} == 1 ]]; then printf '%s\n' "$REPORT" >> bench/RESULTS.md; fi

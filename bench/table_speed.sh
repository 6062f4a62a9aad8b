#!/usr/bin/env bash
# Measures how fast PostgreSQL 15 rewrites a table, builds an index and scans for a constraint on
# this machine, with a generated table (generate_series), in a private throw-away cluster. The
# numbers are the basis of `check --database-url`'s duration estimates (src/app/size_findings.cpp)
# and are appended to bench/RESULTS.md.
#
#   ROWS=2000000 bash bench/table_speed.sh      (BENCH_RECORD=0: print only)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROWS=${ROWS:-2000000}
BIN=/usr/lib/postgresql/15/bin
TMP=$(mktemp -d)
trap 'runuser -u postgres -- $BIN/pg_ctl -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
chown postgres "$TMP"
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg $BIN/initdb -D "$TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
PORT=$((20000 + RANDOM % 20000))
# Default settings except fsync (tests run with fsync=off too); maintenance_work_mem as shipped (64MB).
as_pg $BIN/pg_ctl -D "$TMP/data" -w -o "-p $PORT -k $TMP -c listen_addresses= -c fsync=off" -l "$TMP/log" start >/dev/null
q() { psql -X -q -A -t -h "$TMP" -p "$PORT" -U postgres -d postgres -c "$1"; }
ms() {  # prints the milliseconds one statement takes (psql's \timing)
  psql -X -q -h "$TMP" -p "$PORT" -U postgres -d postgres -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
q "CREATE TABLE bench (id int PRIMARY KEY, account int NOT NULL, amount numeric(12,2), note text, created timestamptz NOT NULL DEFAULT now())"
q "INSERT INTO bench SELECT g, g % 10000, g * 0.01, md5(g::text), now() FROM generate_series(1, $ROWS) g"
q "VACUUM ANALYZE bench"
HEAP=$(q "SELECT pg_relation_size('bench')")
TOTAL=$(q "SELECT pg_total_relation_size('bench')")
T_INDEX=$(ms "CREATE INDEX bench_account ON bench (account)")
T_SCAN=$(ms "ALTER TABLE bench ADD CONSTRAINT bench_amount CHECK (amount >= 0)")
TOTAL2=$(q "SELECT pg_total_relation_size('bench')")
T_REWRITE=$(ms "ALTER TABLE bench ALTER COLUMN account TYPE bigint")
rate() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", (b / 1048576) / (t / 1000) }'; }
R_INDEX=$(rate "$HEAP" "$T_INDEX")
R_SCAN=$(rate "$HEAP" "$T_SCAN")
R_REWRITE=$(rate "$TOTAL2" "$T_REWRITE")
REPORT=$(cat <<EOF

## $(date -u '+%Y-%m-%d %H:%M UTC') — table speed (basis of check's duration estimates)

- machine: $(nproc) cores (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), RAM $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); shared with other work, so expect noise
- PostgreSQL $(q "SHOW server_version"), default settings except fsync=off; maintenance_work_mem $(q "SHOW maintenance_work_mem")
- command: ROWS=$ROWS bash bench/table_speed.sh (repository $(git rev-parse --short HEAD))
- table: $ROWS rows (int, int, numeric, md5 text, timestamptz) from generate_series, heap $((HEAP / 1048576)) MB, with its primary key $((TOTAL / 1048576)) MB

| operation | statement | ms | MB/s |
|---|---|---:|---:|
| index build | CREATE INDEX bench_account ON bench (account) | $T_INDEX | $R_INDEX (of heap) |
| validating scan | ADD CONSTRAINT … CHECK (amount >= 0) | $T_SCAN | $R_SCAN (of heap) |
| rewrite | ALTER COLUMN account TYPE bigint (heap and both indexes rebuilt) | $T_REWRITE | $R_REWRITE (of total) |
EOF
)
printf '%s\n' "$REPORT"
if [[ ${BENCH_RECORD:-1} == 1 ]]; then printf '%s\n' "$REPORT" >> bench/RESULTS.md; fi

#!/usr/bin/env bash
# Times `safemigrate check` and squawk on the same Prisma migration files, in the same run,
# as whole processes: median/min/max wall time (hyperfine) and peak RSS (/usr/bin/time).
# Prints a Markdown table and appends a dated section to bench/RESULTS.md.
#
#   SAFEMIGRATE=path     safemigrate binary (default build/safemigrate)
#   CORPUS=dir           migrations to check (default ../shared/corpus/prisma)
#   BENCH_TOOLS="..."    which tools to run: "safemigrate squawk" (default), or one of them
#   BENCH_RUNS=N         timed runs per tool (default 5, after 1 warm-up run)
#   BENCH_RECORD=0       do not append to bench/RESULTS.md
set -euo pipefail

SQUAWK_VERSION=2.66.0 # npm package squawk-cli; its binary comes from @squawk-cli/<platform>

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
CORPUS=${CORPUS:-../shared/corpus/prisma}
SAFEMIGRATE=${SAFEMIGRATE:-build/safemigrate}
BENCH_TOOLS=${BENCH_TOOLS:-safemigrate squawk}
RUNS=${BENCH_RUNS:-5}
OUT=bench/out
TOOLS_DIR=bench/tools
RESULTS=bench/RESULTS.md

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 2
}

want() { [[ " $BENCH_TOOLS " == *" $1 "* ]]; }
want safemigrate || want squawk || die "BENCH_TOOLS='$BENCH_TOOLS' names neither safemigrate nor squawk"

for cmd in hyperfine python3 find xargs; do
  command -v "$cmd" >/dev/null || die "$cmd not found (run: bash scripts/setup.sh)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian package 'time'; run: bash scripts/setup.sh)"
[[ -d $CORPUS ]] || die "corpus $CORPUS not found (expected ../shared beside the repository, or set CORPUS=dir)"

mkdir -p "$OUT"
LIST=$OUT/files.list0
find "$CORPUS" -type f -name migration.sql -print0 | LC_ALL=C sort -z >"$LIST"
NFILES=$(tr -cd '\0' <"$LIST" | wc -c)
[[ $NFILES -gt 0 ]] || die "no migration.sql files under $CORPUS"
NBYTES=$(wc -c --files0-from="$LIST" | tail -n1 | awk '{print $1}')
log "corpus: $CORPUS: $NFILES migration.sql files, $NBYTES bytes"

NAMES=()
CMDS=()

# --- safemigrate ----------------------------------------------------------------------------
if want safemigrate; then
  [[ -f $SAFEMIGRATE && -x $SAFEMIGRATE ]] ||
    die "safemigrate binary not found at '$SAFEMIGRATE'; build it (cmake -S . -B build && cmake --build build -j2) or set SAFEMIGRATE=/path/to/safemigrate (or BENCH_TOOLS=squawk to time squawk alone)"
  SM_VERSION=$("$SAFEMIGRATE" --version 2>/dev/null | head -n1 || true)
  SM_CMD="$(printf '%q' "$SAFEMIGRATE") check --format json $(printf '%q' "$CORPUS") > /dev/null"
  log "checking that safemigrate runs: $SM_CMD"
  rc=0
  "$SAFEMIGRATE" check --format json "$CORPUS" >"$OUT/safemigrate.json" 2>"$OUT/safemigrate.err" || rc=$?
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then
    cat "$OUT/safemigrate.err" >&2
    die "safemigrate exited with $rc (0 = no error findings, 1 = error findings; anything else is a failure)"
  fi
  log "safemigrate: exit $rc, $(wc -c <"$OUT/safemigrate.json") bytes of JSON"
  NAMES+=(safemigrate)
  CMDS+=("$SM_CMD")
fi

# --- squawk ---------------------------------------------------------------------------------
if want squawk; then
  command -v npm >/dev/null || die "npm not found (run: bash scripts/setup.sh)"
  installed=$(node -p "require('./$TOOLS_DIR/node_modules/squawk-cli/package.json').version" 2>/dev/null || true)
  if [[ $installed != "$SQUAWK_VERSION" ]]; then
    log "installing squawk-cli@$SQUAWK_VERSION into $TOOLS_DIR (npm registry only; no install scripts)"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --save-exact --include=optional \
      "squawk-cli@$SQUAWK_VERSION" >&2
  fi
  # The squawk-cli package is a small node launcher; the native binary is in the optional
  # platform package (@squawk-cli/linux-x64 here). Time the native binary, not node.
  SQUAWK_BIN=$(cd "$TOOLS_DIR" && node -p "require('squawk-cli/js/index.js').getBinaryPath()") ||
    die "cannot find squawk's native binary (is the optional package @squawk-cli/<platform> installed?)"
  SQUAWK_BIN=$(realpath --relative-to="$ROOT" "$SQUAWK_BIN")
  SQ_VERSION=$("$SQUAWK_BIN" --version | head -n1)
  [[ $SQ_VERSION == "squawk $SQUAWK_VERSION" ]] || die "expected squawk $SQUAWK_VERSION, got '$SQ_VERSION'"
  # Every file on one command line (one squawk process): -x makes xargs fail rather than
  # split the list; -s raises xargs' own 128 KiB default to half the kernel's ARG_MAX.
  XARGS_S=$(($(getconf ARG_MAX) / 2))
  SQ_CMD="xargs -0 -x -n 100000 -s $XARGS_S $(printf '%q' "$SQUAWK_BIN") --reporter json < $(printf '%q' "$LIST") > /dev/null"
  log "checking that squawk runs: $SQ_CMD"
  rc=0
  xargs -0 -x -n 100000 -s "$XARGS_S" "$SQUAWK_BIN" --reporter json <"$LIST" >"$OUT/squawk.json" 2>"$OUT/squawk.err" || rc=$?
  # xargs: 0 = squawk found nothing, 123 = squawk exited 1-125 (it exits 1 on findings).
  if [[ $rc -ne 0 && $rc -ne 123 ]]; then
    cat "$OUT/squawk.err" >&2
    die "squawk run failed (xargs exit $rc)"
  fi
  if [[ -s $OUT/squawk.err ]]; then
    head -n 20 "$OUT/squawk.err" >&2
    die "squawk wrote to stderr (an argument error?); see $OUT/squawk.err"
  fi
  summary=$(python3 - "$OUT/squawk.json" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))  # one JSON array = one squawk process
assert isinstance(data, list), "expected one JSON array"
files = {d.get("file") for d in data}
print(f"{len(data)} findings in {len(files)} files")
EOF
  ) || die "squawk's output is not one JSON array of findings; see $OUT/squawk.json"
  log "squawk: xargs exit $rc, $summary"
  NAMES+=(squawk)
  CMDS+=("$SQ_CMD")
fi

# --- timing ---------------------------------------------------------------------------------
HF_ARGS=()
for i in "${!NAMES[@]}"; do HF_ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
log "hyperfine --warmup 1 --runs $RUNS"
# -i: exit status is checked above; here non-zero (findings) must not stop the timing.
hyperfine --warmup 1 --runs "$RUNS" -i --style basic --export-json "$OUT/hyperfine.json" "${HF_ARGS[@]}" >&2

# Peak RSS: /usr/bin/time reports the largest max-RSS of the process tree (sh, xargs, tool).
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}
  : >"$OUT/rss.$name.txt"
  for ((r = 1; r <= RUNS; r++)); do
    /usr/bin/time -f '%M' -a -o "$OUT/rss.$name.txt" sh -c "${CMDS[$i]}" || true
  done
done

TABLE=$(python3 - "$OUT" "$NFILES" "${NAMES[@]}" <<'EOF'
import json, sys
out, nfiles, names = sys.argv[1], sys.argv[2], sys.argv[3:]
results = json.load(open(f"{out}/hyperfine.json"))["results"]
rows, medians = [], {}
for name, r in zip(names, results):
    rss = [int(l) for l in open(f"{out}/rss.{name}.txt") if l.strip().isdigit()]
    peak = f"{max(rss) / 1024:.1f}" if rss else "n/a"
    medians[name] = r["median"]
    rows.append(f"| {name} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | {peak} | {nfiles} |")
print("| tool | median s | min s | max s | peak RSS MB | files |")
print("|---|---:|---:|---:|---:|---:|")
print("\n".join(rows))
if "squawk" in medians and "safemigrate" in medians:
    print(f"\nsquawk/safemigrate (median wall time): {medians['squawk'] / medians['safemigrate']:.2f}")
EOF
)
printf '\n%s\n' "$TABLE"

# --- record ---------------------------------------------------------------------------------
if [[ ${BENCH_RECORD:-1} != 0 ]]; then
  cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  ram=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  if [[ ! -f $RESULTS ]]; then
    printf '# Benchmark results\n\nAppended by bench/run.sh; see bench/README.md.\n' >"$RESULTS"
  fi
  {
    printf '\n## %s — %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "${NAMES[*]}"
    printf -- '- machine: %s cores (nproc), %s, RAM %s, %s\n' "$(nproc)" "$cpu" "$ram" "$(uname -sr)"
    printf -- '- repository: %s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf -- '- corpus: %s, %s migration.sql files, %s bytes\n' "$CORPUS" "$NFILES" "$NBYTES"
    printf -- '- versions: %s%s%s\n' \
      "${SM_VERSION:+safemigrate: $SM_VERSION; }" \
      "${SQ_VERSION:+$SQ_VERSION (npm squawk-cli, native binary from @squawk-cli/linux-x64); }" \
      "$(hyperfine --version)"
    printf -- '- timing: hyperfine --warmup 1 --runs %s; peak RSS: max of %s runs of /usr/bin/time -f %%M\n' "$RUNS" "$RUNS"
    printf -- '- commands (run from the repository root; %s is the sorted, NUL-separated file list):\n\n' "$LIST"
    for i in "${!NAMES[@]}"; do printf '      %s\n' "${CMDS[$i]}"; done
    printf '\n%s\n' "$TABLE"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi

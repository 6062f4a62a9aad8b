#!/usr/bin/env bash
# Counts findings per rule for squawk and for safemigrate on the same Prisma migrations, and
# prints a Markdown table pairing each squawk rule with safemigrate's equivalent (docs/rules.md
# explains the differences). squawk comes from the npm registry, installed as bench/run.sh does.
#
#   SAFEMIGRATE=path     safemigrate binary (default build/safemigrate)
#   CORPUS=dir           migrations to check (default ../shared/corpus/prisma)
#   OUT=file             also write the table there (default bench/out/compare_squawk.md)
set -euo pipefail

SQUAWK_VERSION=2.66.0 # the version bench/run.sh times

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS=${CORPUS:-../shared/corpus/prisma}
SAFEMIGRATE=${SAFEMIGRATE:-build/safemigrate}
TOOLS_DIR=bench/tools
mkdir -p bench/out
OUT=${OUT:-bench/out/compare_squawk.md}

die() {
  printf 'compare: error: %s\n' "$*" >&2
  exit 2
}
[[ -d $CORPUS ]] || die "corpus $CORPUS not found (expected ../shared beside the repository, or set CORPUS=dir)"
[[ -x $SAFEMIGRATE ]] || die "no safemigrate binary at $SAFEMIGRATE (build it, or set SAFEMIGRATE=path)"
for cmd in node npm python3; do command -v "$cmd" >/dev/null || die "$cmd not found (run: bash scripts/setup.sh)"; done

installed=$(node -p "require('./$TOOLS_DIR/node_modules/squawk-cli/package.json').version" 2>/dev/null || true)
if [[ $installed != "$SQUAWK_VERSION" ]]; then
  printf 'compare: installing squawk-cli@%s into %s\n' "$SQUAWK_VERSION" "$TOOLS_DIR" >&2
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --save-exact --include=optional \
    "squawk-cli@$SQUAWK_VERSION" >&2
fi
SQUAWK_BIN=$(cd "$TOOLS_DIR" && node -p "require('squawk-cli/js/index.js').getBinaryPath()")
[[ $("$SQUAWK_BIN" --version | head -n1) == "squawk $SQUAWK_VERSION" ]] || die "expected squawk $SQUAWK_VERSION"

LIST=bench/out/compare.files.list0
find "$CORPUS" -type f -name migration.sql -print0 | LC_ALL=C sort -z >"$LIST"
# One squawk process over every file, with its default rules and settings.
rc=0
xargs -0 -x -n 100000 -s $(($(getconf ARG_MAX) / 2)) "$SQUAWK_BIN" --reporter json <"$LIST" \
  >bench/out/compare.squawk.json 2>bench/out/compare.squawk.err || rc=$?
[[ $rc -eq 0 || $rc -eq 123 ]] || die "squawk failed (xargs exit $rc); see bench/out/compare.squawk.err"
# Prisma version unknown, as on the corpus test: findings under both execution modes count.
rc=0
"$SAFEMIGRATE" check --format json "$CORPUS" >bench/out/compare.safemigrate.json || rc=$?
[[ $rc -eq 0 || $rc -eq 1 ]] || die "safemigrate exited with $rc"

python3 - bench/out/compare.squawk.json bench/out/compare.safemigrate.json "$SQUAWK_VERSION" >"$OUT" <<'PY'
import collections, json, sys
squawk = collections.Counter(f["rule_name"] for f in json.load(open(sys.argv[1])))
ours = collections.Counter(f["rule"] for f in json.load(open(sys.argv[2]))["findings"] if not f["suppressed"])
# squawk rule -> safemigrate rules that cover the same hazard ("" = none; docs/rules.md says why).
pairs = [
    ("adding-field-with-default", ["table-rewrite"]),
    ("adding-foreign-key-constraint", ["constraint-missing-not-valid"]),
    ("adding-not-nullable-field", ["set-not-null-without-check"]),
    ("adding-required-field", ["adding-not-null-column"]),
    ("adding-serial-primary-key-field", ["table-rewrite", "unique-constraint-builds-index"]),
    ("ban-alter-domain-with-add-constraint", []),
    ("ban-char-field", []),
    ("ban-concurrent-index-creation-in-transaction", ["concurrently-in-transaction"]),
    ("ban-create-domain-with-constraint", []),
    ("ban-drop-column", ["dropping-column"]),
    ("ban-drop-database", ["dropping-database"]),
    ("ban-drop-not-null", []),
    ("ban-drop-table", ["dropping-table"]),
    ("ban-truncate-cascade", ["truncate-table"]),
    ("ban-uncommitted-transaction", ["uncommitted-transaction"]),
    ("changing-column-type", ["changing-column-type"]),
    ("constraint-missing-not-valid", ["constraint-missing-not-valid"]),
    ("disallowed-unique-constraint", ["unique-constraint-builds-index"]),
    ("prefer-bigint-over-int", ["prefer-bigint-for-keys"]),
    ("prefer-bigint-over-smallint", ["prefer-bigint-for-keys"]),
    ("prefer-identity", []),
    ("prefer-robust-stmts", []),
    ("prefer-text-field", []),
    ("prefer-timestamp-tz", []),
    ("renaming-column", ["renaming-column"]),
    ("renaming-table", ["renaming-table"]),
    ("require-concurrent-index-creation", ["require-concurrent-index-creation"]),
    ("require-concurrent-index-deletion", ["require-concurrent-index-deletion"]),
    ("require-timeout-settings", ["missing-lock-timeout"]),
    ("require-lock-timeout", ["missing-lock-timeout"]),
    ("require-statement-timeout", []),
    ("require-enum-value-ordering", []),
    ("identifier-too-long", []),
    ("require-concurrent-reindex", ["require-concurrent-reindex"]),
    ("require-concurrent-partition-detach", ["require-concurrent-partition-detach"]),
    ("syntax-error", ["syntax-error"]),
    ("transaction-nesting", ["transaction-nesting"]),
]
named = {p[0] for p in pairs}
for rule in sorted(squawk):  # a squawk rule not in the list above still gets a row
    if rule not in named:
        pairs.append((rule, []))
print(f"squawk {sys.argv[3]} (default rules) and safemigrate on the same files; safemigrate with the Prisma")
print("version unknown (findings under both execution modes count). A safemigrate rule can cover")
print("several squawk rules, so its count may appear on more than one row.\n")
print("| squawk rule | squawk | safemigrate rule(s) | safemigrate |")
print("|---|---:|---|---:|")
covered = set()
for rule, mine in pairs:
    covered.update(mine)
    ours_text = ", ".join(f"`{r}`" for r in mine) if mine else "—"
    ours_count = sum(ours[r] for r in mine) if mine else ""
    print(f"| `{rule}` | {squawk[rule]} | {ours_text} | {ours_count} |")
print("\nsafemigrate rules with no squawk counterpart:\n")
print("| safemigrate rule | safemigrate |")
print("|---|---:|")
for rule, n in sorted(ours.items(), key=lambda kv: (-kv[1], kv[0])):
    if rule not in covered:
        print(f"| `{rule}` | {n} |")
print(f"\ntotal: squawk {sum(squawk.values())} findings, safemigrate {sum(ours.values())}")
PY
cat "$OUT"

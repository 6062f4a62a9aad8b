#!/usr/bin/env bash
# Installs the real Prisma CLI for the interoperability tests (tests/prisma_interop_test.cpp):
# prisma 6.19.3, @prisma/adapter-pg 6.19.3 and pg from the npm registry, into DEST
# (default $SAFEMIGRATE_PRISMA_DIR, else ~/.cache/safemigrate/prisma-6.19.3). Idempotent.
#
# Why these: Prisma 7's CLI downloads a native schema engine, which cannot be had offline;
# Prisma 6.19.3 runs with its JavaScript (wasm) schema engine and a driver adapter instead
# (tests/interop/prisma.config.ts), and needs no download once installed.
set -euo pipefail

DEST=${1:-${SAFEMIGRATE_PRISMA_DIR:-$HOME/.cache/safemigrate/prisma-6.19.3}}
PACKAGES=(prisma@6.19.3 @prisma/adapter-pg@6.19.3 pg@8.23.1)
log() { printf 'prisma_setup: %s\n' "$*"; }

for tool in node npm flock; do
  command -v "$tool" >/dev/null 2>&1 || { log "error: $tool not found (scripts/setup.sh installs it)" >&2; exit 1; }
done

mkdir -p "$DEST"
# Tests run in parallel: one install at a time, the others wait and find it done.
exec 9>"$DEST/.lock"
flock 9

want="${PACKAGES[*]}"
if [[ -f $DEST/.installed && $(cat "$DEST/.installed") == "$want" && -x $DEST/node_modules/.bin/prisma ]]; then
  log "already installed in $DEST: $want"
  exit 0
fi

log "installing $want into $DEST (npm $(npm --version), node $(node --version))"
cd "$DEST"
printf '{ "name": "safemigrate-prisma-interop", "private": true }\n' >package.json
# --ignore-scripts: @prisma/engines' postinstall would download native engines from
# binaries.prisma.sh; the JavaScript engine does not use them.
npm install --no-audit --no-fund --ignore-scripts --save-exact "${PACKAGES[@]}"
# PRISMA_QUERY_ENGINE_LIBRARY must name an existing file, or every command tries to download
# the native query engine first; the JavaScript engine never loads it.
: >"$DEST/query-engine-unused.so.node"
log "prisma $(node -p "require('./node_modules/prisma/package.json').version"), adapter-pg $(node -p "require('./node_modules/@prisma/adapter-pg/package.json').version"), pg $(node -p "require('./node_modules/pg/package.json').version")"
echo "$want" >"$DEST/.installed"
log "done"

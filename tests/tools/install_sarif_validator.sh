#!/usr/bin/env bash
# Installs what tests/report_formats_test.cpp needs to validate SARIF output, into CACHE_DIR
# (a folder under the build tree), once: the SARIF 2.1.0 JSON schema and the ajv validator.
# Debian packages neither. The schema comes from the npm package @microsoft/sarif-multitool-linux,
# Microsoft's SARIF SDK, which ships it as sarif-2.1.0.json; only that file is kept (the
# package's tarball is unpacked for that one member, never installed or run).
#
#   install_sarif_validator.sh CACHE_DIR      prints nothing on success; exit 1 with a reason
set -euo pipefail

CACHE=${1:?usage: install_sarif_validator.sh CACHE_DIR}
SCHEMA_PACKAGE=@microsoft/sarif-multitool-linux@5.7.0
AJV=ajv@8.17.1
AJV_FORMATS=ajv-formats@3.0.1

mkdir -p "$CACHE"
cd "$CACHE"
# CTest runs test cases in parallel: one installer at a time.
exec 9>"$CACHE/.lock"
flock 9

command -v npm >/dev/null || { echo "npm not found (run: bash scripts/setup.sh)" >&2; exit 1; }
command -v node >/dev/null || { echo "node not found (run: bash scripts/setup.sh)" >&2; exit 1; }

if [[ ! -s sarif-2.1.0.json ]]; then
  rm -rf pack && mkdir pack
  npm pack --silent --pack-destination pack "$SCHEMA_PACKAGE" >/dev/null 2>pack/npm.err ||
    { cat pack/npm.err >&2; echo "npm pack $SCHEMA_PACKAGE failed" >&2; exit 1; }
  tar -xzf pack/*.tgz -C pack package/sarif-2.1.0.json
  mv pack/package/sarif-2.1.0.json sarif-2.1.0.json.tmp
  mv sarif-2.1.0.json.tmp sarif-2.1.0.json
  rm -rf pack
fi

if [[ ! -f node_modules/ajv/package.json || ! -f node_modules/ajv-formats/package.json ]]; then
  npm install --silent --no-audit --no-fund --ignore-scripts --save-exact --prefix "$CACHE" \
    "$AJV" "$AJV_FORMATS" >/dev/null 2>npm.err || { cat npm.err >&2; echo "npm install $AJV $AJV_FORMATS failed" >&2; exit 1; }
fi

#!/usr/bin/env bash
# Builds the npm package safemigrate-VERSION.tgz into OUTDIR:
#   packaging/npm/pack.sh BINARY OUTDIR
# BINARY becomes native/safemigrate, and the lib/ folder beside it (shared libraries it finds
# through its $ORIGIN/lib run path; scripts/bundle_libs.sh makes both) native/lib/. The version
# is the project version in CMakeLists.txt.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$(realpath "$1")
mkdir -p "$2"
outdir=$(realpath "$2")
version=$(sed -nE 's/^project\(safemigrate VERSION ([0-9][0-9.]*).*/\1/p' "$here/../../CMakeLists.txt")
if [[ -z $version ]]; then
  echo "pack.sh: cannot read the project version from CMakeLists.txt" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$here/package.json" "$here/README.md" "$here/bin" "$here/../../LICENSE" "$stage/"
# The notices of the libraries the binary carries (scripts/third_party_notices.sh), beside it.
if [[ -f $(dirname "$binary")/THIRD-PARTY-NOTICES.txt ]]; then
  cp "$(dirname "$binary")/THIRD-PARTY-NOTICES.txt" "$stage/"
fi
mkdir "$stage/native"
cp "$binary" "$stage/native/safemigrate"
if [[ -d $(dirname "$binary")/lib ]]; then
  cp -r "$(dirname "$binary")/lib" "$stage/native/lib"
fi
cd "$stage"
# Offline work: no check for a newer npm.
export npm_config_update_notifier=false
npm pkg set version="$version"
rm -f "$outdir/safemigrate-$version.tgz"
npm pack --silent --pack-destination "$outdir" >/dev/null
echo "$outdir/safemigrate-$version.tgz"

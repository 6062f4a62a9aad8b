#!/usr/bin/env bash
# Builds the release artifacts into build-release/dist/ (after scripts/setup.sh):
#   safemigrate, lib/               the relocatable binary and the shared libraries it carries
#   safemigrate_VERSION_amd64.deb   the Debian package (CPack; cmake/packaging.cmake)
#   safemigrate-VERSION.tgz         the npm package (packaging/npm/pack.sh)
#   the Python wheel, when packaging/python/build_wheel.sh exists
# Idempotent: a second run rebuilds only what changed and makes every artifact anew.
# scripts/test_install.sh installs and tests them on clean Debian roots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'package: %s\n' "$*"; }
build=build-release
dist=$build/dist
start=$SECONDS

log "configuring $build (Release, SAFEMIGRATE_RELOCATABLE=ON)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSAFEMIGRATE_RELOCATABLE=ON -DBUILD_TESTING=OFF >/dev/null
log "building (log: $build/build.log)"
if ! cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log" >&2
  log "error: the build failed" >&2
  exit 1
fi
version=$(sed -nE 's/^CMAKE_PROJECT_VERSION:[A-Z]+=(.*)$/\1/p' "$build/CMakeCache.txt")

rm -rf "$dist"
mkdir -p "$dist"
log "bundling the binary and its shared libraries into $dist"
bash scripts/bundle_libs.sh "$build/safemigrate" "$dist"
# The cheapest proof that it does not lean on the build environment.
env -i "$dist/safemigrate" --version
# The licence and the notices of every library the binary carries, beside it for the npm
# package and the wheel, and in the build folder for the .deb (cmake/packaging.cmake).
bash scripts/third_party_notices.sh "$build" "$build/safemigrate" "$build/THIRD-PARTY-NOTICES.txt"
cp "$build/THIRD-PARTY-NOTICES.txt" LICENSE "$dist/"

log "building the Debian package"
rm -rf "$build/cpack"
(cd "$build" && cpack -G DEB -B cpack >/dev/null)
cp "$build/cpack/safemigrate_${version}_amd64.deb" "$dist/"

log "building the npm package"
bash packaging/npm/pack.sh "$dist/safemigrate" "$dist" >/dev/null

if [[ -f packaging/python/build_wheel.sh ]]; then
  log "building the Python wheel"
  bash packaging/python/build_wheel.sh "$dist/safemigrate" "$dist"
else
  log "no packaging/python/build_wheel.sh: no wheel"
fi

log "produced in $dist ($((SECONDS - start)) s):"
(cd "$dist" && find . -maxdepth 1 -type f -printf '%f\n' | sort | xargs du -h --apparent-size)
printf '  %s\n' "lib/: $(find "$dist/lib" -type f | wc -l) shared libraries, $(du -sh --apparent-size "$dist/lib" | cut -f1)"

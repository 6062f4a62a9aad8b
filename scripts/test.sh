#!/usr/bin/env bash
# Builds safemigrate and runs the whole test suite twice: an optimised build in build/ and an
# AddressSanitizer + UndefinedBehaviorSanitizer debug build in build-asan/.
#
#   SAFEMIGRATE_SKIP_ASAN=1       skip the sanitizer build (quick local runs)
#   SAFEMIGRATE_STRICT_FORMAT=1   fail (instead of warn) when clang-format would change a file
#   SAFEMIGRATE_JOBS=N            build and test parallelism (default 2)
#   SAFEMIGRATE_FUZZ_SECONDS=N    how long parse_fuzz_test mutates inputs (default 20; 60 in the
#                                 sanitizer build, where a memory error shows)
#   SAFEMIGRATE_DJANGO_MATRIX=L   Django-driver pairs the release build tests (default
#                                 "3.2-psycopg2;4.2-psycopg;5.2-psycopg2": every Django version)
#   SAFEMIGRATE_ASAN_DJANGO_MATRIX=L  the pairs the sanitizer build tests (default
#                                 "4.2-psycopg2;5.2-psycopg": the two pairs the release build leaves,
#                                 so that the two builds together run every pair once)
#   SAFEMIGRATE_SKIP_INSTALL_TEST=1  skip the last step, scripts/test_install.sh (each install way
#                                 on a clean Debian root; needs root, fails without it under CI)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS=${SAFEMIGRATE_JOBS:-2}

log() { printf '\ntest: [%ds] %s\n' "$SECONDS" "$*"; }  # seconds since the start: where CI time goes

# --- formatting (warn only unless strict) ---------------------------------------------------
format_check() {
  local dirs=() d
  for d in src adapters tests; do [[ -d $d ]] && dirs+=("$d"); done
  local files=()
  if [[ ${#dirs[@]} -gt 0 ]]; then
    mapfile -d '' files < <(find "${dirs[@]}" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 | sort -z)
  fi
  if [[ ${#files[@]} -eq 0 ]]; then
    log "clang-format: no files to check"
    return 0
  fi
  log "clang-format --dry-run --Werror on ${#files[@]} files"
  local out
  if out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
    log "clang-format: clean"
    return 0
  fi
  local bad
  bad=$(printf '%s\n' "$out" | grep -oE '^[^:]+:[0-9]+:[0-9]+: (error|warning)' | cut -d: -f1 | sort -u)
  if [[ ${SAFEMIGRATE_STRICT_FORMAT:-0} == 1 ]]; then
    printf '%s\n' "$out"
    log "clang-format: FAILED (SAFEMIGRATE_STRICT_FORMAT=1); fix with: clang-format -i FILE..."
    return 1
  fi
  log "clang-format: WARNING (not fatal; SAFEMIGRATE_STRICT_FORMAT=1 makes it fatal): not formatted:"
  if [[ -n $bad ]]; then printf '%s\n' "$bad" | sed 's/^/  /'; else printf '%s\n' "$out"; fi
}

# --- one build + ctest ----------------------------------------------------------------------
build_and_test() {
  local dir=$1
  shift
  log "configure $dir: cmake -S . -B $dir $*"
  cmake -S . -B "$dir" "$@"
  log "build $dir (-j$JOBS)"
  cmake --build "$dir" -j"$JOBS"
  log "ctest $dir"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$JOBS"
}

format_check

# Each Django version with one driver; the sanitizer build takes the other two pairs. The Django
# tests are three quarters of a ctest run (each case runs manage.py several times), and what
# varies between the pairs is the Python side: the binary under test runs the same way in each.
build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAFEMIGRATE_WERROR=ON -DSAFEMIGRATE_SANITIZE=OFF \
  "-DSAFEMIGRATE_DJANGO_MATRIX=${SAFEMIGRATE_DJANGO_MATRIX:-3.2-psycopg2;4.2-psycopg;5.2-psycopg2}"

if [[ ${SAFEMIGRATE_SKIP_ASAN:-0} == 1 ]]; then
  log "sanitizer build skipped (SAFEMIGRATE_SKIP_ASAN=1)"
else
  export ASAN_OPTIONS=detect_leaks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export SAFEMIGRATE_FUZZ_SECONDS=${SAFEMIGRATE_FUZZ_SECONDS:-60}
  # The two Django-driver pairs the release build leaves: with it, every pair runs once.
  build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DSAFEMIGRATE_WERROR=ON -DSAFEMIGRATE_SANITIZE=ON \
    "-DSAFEMIGRATE_DJANGO_MATRIX=${SAFEMIGRATE_ASAN_DJANGO_MATRIX:-4.2-psycopg2;5.2-psycopg}"
fi

# --- the install ways on clean roots (docs/install.md, "Testing the install ways") ------------
if [[ ${SAFEMIGRATE_SKIP_INSTALL_TEST:-0} == 1 ]]; then
  log "install test skipped (SAFEMIGRATE_SKIP_INSTALL_TEST=1)"
elif [[ $(id -u) -ne 0 ]]; then
  if [[ -n ${CI:-} ]]; then
    log "install test: FAILED: scripts/test_install.sh needs root (debootstrap, chroot, mounts) and CI is set"
    exit 1
  fi
  log "install test skipped: scripts/test_install.sh needs root (debootstrap, chroot, mounts); run as root, or set SAFEMIGRATE_SKIP_INSTALL_TEST=1 to silence this"
else
  log "install test: bash scripts/test_install.sh (reference build/safemigrate)"
  SAFEMIGRATE_REF_BIN=${SAFEMIGRATE_REF_BIN:-build/safemigrate} bash scripts/test_install.sh
fi

log "all builds and tests passed"

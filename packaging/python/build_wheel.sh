#!/usr/bin/env bash
# Builds the Python package (a Django app with the bundled binary) as a wheel, offline, with
# Debian's /usr/bin/python3 and the standard library only:
#
#   packaging/python/build_wheel.sh BINARY OUTDIR
#
# BINARY is a safemigrate executable (a lib/ folder beside it, as in the relocatable release, is
# bundled too); the wheel is OUTDIR/safemigrate-VERSION-py3-none-linux_ARCH.whl, VERSION being
# CMakeLists.txt's project VERSION. Prints the wheel's path. See docs/install.md.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
PYTHON=${SAFEMIGRATE_BUILD_PYTHON:-/usr/bin/python3}
[[ -x $PYTHON ]] || PYTHON=python3
exec "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/build_wheel.py" "$1" "$2"

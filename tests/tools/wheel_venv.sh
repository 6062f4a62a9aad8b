#!/usr/bin/env bash
# ctest fixture of django_wheel_test: builds the wheel from this build's safemigrate binary
# (packaging/python/build_wheel.sh) into DIR/dist and installs it into a fresh venv DIR/venv made
# by Debian's Python with --system-site-packages (so that Debian's Django is visible), offline.
#   tests/tools/wheel_venv.sh BINARY DIR
# Exit 77 (skipped) when Debian's venv module is missing outside CI (scripts/setup.sh installs it).
set -euo pipefail
binary=$1
dir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "wheel_venv.sh: /usr/bin/python3 cannot make a venv with pip (python3-venv is not installed)" >&2
  [[ -z ${CI:-} ]] && exit 77
  exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
bash "$here/../../packaging/python/build_wheel.sh" "$binary" "$dir/dist"
/usr/bin/python3 -m venv --system-site-packages "$dir/venv"
"$dir/venv/bin/python" -m pip install --no-index --disable-pip-version-check --no-cache-dir \
  "$dir/dist/"safemigrate-*.whl
"$dir/venv/bin/python" -m pip show --files safemigrate

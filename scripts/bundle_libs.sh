#!/usr/bin/env bash
# Copies a relocatable safemigrate binary (SAFEMIGRATE_RELOCATABLE=ON) into DESTDIR with every
# shared library it loads, except those of libc6, libstdc++6 and libgcc-s1 (present on every
# Debian), into DESTDIR/lib:
#   scripts/bundle_libs.sh BINARY DESTDIR
# The binary finds lib/ through its $ORIGIN/lib run path; each copied library gets $ORIGIN, because
# a run path only serves the object that has it, not the libraries that object loads in turn.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY DESTDIR" >&2
  exit 2
fi
binary=$1
dest=$2
base='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libresolv|libutil|libstdc\+\+|libgcc_s)\.so'

rm -rf "$dest/lib"
mkdir -p "$dest/lib"
install -m 755 "$binary" "$dest/safemigrate"
strip --strip-unneeded "$dest/safemigrate"
# CMake pads the build tree's run path with ':' to leave room for the install path.
patchelf --set-rpath '$ORIGIN/lib' "$dest/safemigrate"
# ldd lists the whole closure, each library under the soname the loader looks for.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r soname path; do
  if [[ $soname =~ $base ]]; then continue; fi
  install -m 644 "$path" "$dest/lib/$soname"
  patchelf --set-rpath '$ORIGIN' "$dest/lib/$soname"
done
if ldd "$dest/safemigrate" | grep -q 'not found'; then
  echo "bundle_libs.sh: libraries not found for $dest/safemigrate:" >&2
  ldd "$dest/safemigrate" >&2
  exit 1
fi

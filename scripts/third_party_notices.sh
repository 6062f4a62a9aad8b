#!/usr/bin/env bash
# Writes the notices of every third-party library a release binary carries:
#   scripts/third_party_notices.sh BUILD_DIR BINARY OUT
# BUILD_DIR is the release build (scripts/package.sh's build-release), BINARY the safemigrate it
# built. A library counts when its code is in the binary or beside it: a header compiled in (the
# compiler's depfiles under BUILD_DIR), a library linked (BUILD_DIR's link line) or a shared
# library the binary loads (ldd, the same closure scripts/bundle_libs.sh copies). Each is traced
# to its Debian package with dpkg -S, grouped by source package, and OUT gets that package's own
# copyright file (/usr/share/doc/PACKAGE/copyright), which Debian requires to be complete.
# Left out: the C library, the C++ runtime and the kernel headers, which every Debian system has
# and whose licences (LGPL with the C library's exception, GCC's runtime exception) ask nothing
# of a program that uses them.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 BUILD_DIR BINARY OUT" >&2
  exit 2
fi
build=$1
binary=$2
out=$3
system='^(libc6|libc6-dev|libc-dev-bin|libstdc\+\+6|libstdc\+\+-[0-9]+-dev|libgcc-s1|libgcc-[0-9]+-dev|linux-libc-dev|libcrypt-dev)$'

files=$(mktemp)
trap 'rm -f "$files"' EXIT
# Headers compiled into the binary: the depfiles of the targets the release build made.
find "$build/CMakeFiles" -name '*.o.d' -print0 | xargs -0 -r cat | tr ' \\' '\n\n' | grep '^/usr/' >>"$files" || true
# Libraries on the link line (static archives and shared objects alike).
if [[ -f $build/CMakeFiles/safemigrate.dir/link.txt ]]; then
  tr ' ' '\n' <"$build/CMakeFiles/safemigrate.dir/link.txt" | grep -E '^/usr/.*\.(a|so)(\.[0-9.]+)?$' >>"$files" || true
fi
# Shared libraries it loads.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' >>"$files"

# dpkg knows the paths it installed, not the links that lead to them: look up both.
mapfile -t packages < <(
  sort -u "$files" | while read -r f; do
    printf '%s\n' "$f"
    realpath -e "$f" 2>/dev/null || true
  done | sort -u | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/^ *//' | sort -u
)
if [[ ${#packages[@]} -eq 0 ]]; then
  echo "third_party_notices.sh: no Debian package found for the files of $binary" >&2
  exit 1
fi

declare -A by_source=()
for p in "${packages[@]}"; do
  [[ $p =~ $system ]] && continue
  src=$(dpkg-query -W -f '${source:Package} ${source:Version}' "$p")
  by_source[$src]+="$p "
done

{
  echo "Third-party notices for safemigrate"
  echo
  echo "safemigrate itself is licensed under the Apache License 2.0 (LICENSE)."
  echo "The safemigrate binary in this package contains, or is shipped with, code of the"
  echo "libraries below, built from these Debian 12 source packages. Each section is the"
  echo "copyright file of the Debian package it came from, as Debian ships it."
  echo
  printf '%s\n' "${!by_source[@]}" | sort | while read -r src; do
    read -r -a bins <<<"${by_source[$src]}"
    echo "Source package: $src (binary packages: ${bins[*]})"
  done
  echo
  printf '%s\n' "${!by_source[@]}" | sort | while read -r src; do
    read -r -a bins <<<"${by_source[$src]}"
    copyright=
    for b in "${bins[@]}"; do
      if [[ -f /usr/share/doc/$b/copyright ]]; then
        copyright=/usr/share/doc/$b/copyright
        break
      fi
    done
    if [[ -z $copyright ]]; then
      echo "third_party_notices.sh: no copyright file for ${bins[*]} (source $src)" >&2
      exit 1
    fi
    printf '%s\n' "========================================================================"
    printf '%s\n' "$src (${bins[*]})"
    printf '%s\n\n' "========================================================================"
    cat "$copyright"
    echo
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "third_party_notices.sh: ${#by_source[@]} source packages in $out"

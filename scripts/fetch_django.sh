#!/usr/bin/env bash
# Fetches the Django versions the tests run against besides Debian 12's own 3.2: python3-django
# 4.2.x from Debian trixie and 5.2.x from sid, with python3-asgiref, python3-sqlparse and
# python3-psycopg of the same suite (Django 5.2 needs asgiref 3.8.1, Debian 12 has 3.6; Django
# 4.2+ needs psycopg 3.1.8, Debian 12 has 3.1.7). `apt-get download` runs with a private sources
# list, state and cache under DEST: the system's apt configuration is not changed and nothing is
# installed system-wide. Each version is unpacked with `dpkg -x` into DEST/VERSION/root:
#   PYTHONPATH=DEST/VERSION/root/usr/lib/python3/dist-packages                Django on psycopg 3
#   PYTHONPATH=DEST/VERSION/psycopg2-only:DEST/VERSION/root/usr/lib/python3/dist-packages
#                                                                             Django on psycopg2
# (tests/pg_cluster.cpp builds these paths).
#
#   bash scripts/fetch_django.sh DEST [VERSION...]     VERSION: 4.2, 5.2 (default: both)
#
# A version already unpacked (DEST/VERSION/ok names it) is not fetched again. Prints one line
# per version: "VERSION PYTHONPATH" on success. Exit 1 when a version could not be fetched.
set -euo pipefail

log() { printf 'fetch_django: %s\n' "$*" >&2; }

[[ $# -ge 1 ]] || {
  echo "usage: $0 DEST [4.2|5.2...]" >&2
  exit 2
}
dest=$(realpath -m "$1") # apt resolves Dir::State::* relative to Dir::State
shift
versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || versions=(4.2 5.2)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
python=/usr/bin/python3 # Debian's: the unpacked packages are for its Python 3

suite_of() {
  case $1 in
    4.2) echo trixie ;;
    5.2) echo sid ;;
    *) return 1 ;;
  esac
}

fetch() {
  local version=$1 suite dir apt root
  suite=$(suite_of "$version") || {
    log "unknown version $version (known: 4.2 from trixie, 5.2 from sid)"
    return 1
  }
  dir=$dest/$version
  root=$dir/root
  local site=$root/usr/lib/python3/dist-packages
  if [[ -f $dir/ok && -d $dir/psycopg2-only ]] && [[ $(cat "$dir/ok") == "$version"* ]]; then
    printf '%s %s\n' "$version" "$site"
    return 0
  fi
  [[ -r $keyring ]] || {
    log "$keyring not found (package debian-archive-keyring)"
    return 1
  }
  rm -rf "$dir"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
  # Only this suite's main component, signed by Debian's archive key.
  printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$keyring" "$suite" >"$dir/apt/sources.list"
  : >"$dir/apt/status"
  apt=(apt-get -q -o Acquire::Retries=3 -o "Dir::Etc::SourceList=$dir/apt/sources.list"
    -o Dir::Etc::SourceParts=/dev/null -o "Dir::State=$dir/apt" -o "Dir::State::Lists=$dir/apt/lists"
    -o "Dir::State::status=$dir/apt/status" -o "Dir::Cache=$dir/apt/cache"
    -o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)")
  log "$version: apt-get update ($suite, private lists in $dir/apt)"
  if ! "${apt[@]}" update >"$dir/apt/update.log" 2>&1; then
    log "$version: apt-get update failed:"
    tail -n 5 "$dir/apt/update.log" >&2
    return 1
  fi
  log "$version: apt-get download python3-django python3-asgiref python3-sqlparse python3-psycopg"
  if ! (cd "$dir/debs" && "${apt[@]}" download python3-django python3-asgiref python3-sqlparse python3-psycopg \
    >"$dir/apt/download.log" 2>&1); then
    log "$version: apt-get download failed:"
    tail -n 5 "$dir/apt/download.log" >&2
    return 1
  fi
  local deb
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  local got
  if ! got=$(PYTHONPATH=$site $python -c 'import django, asgiref, sqlparse; print(django.get_version())' 2>&1); then
    log "$version: the unpacked Django does not import with $python: $got"
    return 1
  fi
  if [[ $got != "$version".* ]]; then
    log "$version: $suite has Django $got, not $version.x"
    return 1
  fi
  # Django 4.2+ takes psycopg (3) whenever it imports; this folder, put first on PYTHONPATH,
  # hides it so that the same Django runs on psycopg2.
  mkdir -p "$dir/psycopg2-only/psycopg"
  printf 'raise ImportError("psycopg hidden by %s/psycopg2-only: Django uses psycopg2")\n' "$dir" \
    >"$dir/psycopg2-only/psycopg/__init__.py"
  rm -rf "$dir/apt/lists" "$dir/apt/cache" # keep the .debs and the unpacked tree only
  printf '%s\n' "$got" >"$dir/ok"
  log "$version: Django $got in $site"
  printf '%s %s\n' "$version" "$site"
}

mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9 # two builds testing at once (build/, build-asan/) share the cache: one fetches at a time
status=0
for v in "${versions[@]}"; do fetch "$v" || status=1; done
exit $status

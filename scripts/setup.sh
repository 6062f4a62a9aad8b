#!/usr/bin/env bash
# Installs everything safemigrate's build, tests and benchmark need, from Debian 12's packages.
# Idempotent: when every package is already installed it does not call apt-get at all.
# Run as root (or as a user with sudo).
set -euo pipefail

log() { printf 'setup: %s\n' "$*"; }

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config git ca-certificates
  # libraries (DESIGN.md, "Dependencies")
  libpg-query-dev libprotobuf-c-dev libsimdjson-dev libpqxx-dev libre2-dev libcli11-dev
  libtomlplusplus-dev libfmt-dev libgtest-dev libgmock-dev libssl-dev
  # release packaging (scripts/package.sh): run paths of the libraries it carries
  patchelf
  # tests: a private PostgreSQL cluster, Django interoperability, Prisma CLI (npm)
  postgresql-15 postgresql-client-15 python3 python3-django python3-psycopg2 python3-psycopg nodejs npm
  # tests of the Python package (packaging/python): a venv with pip that sees Debian's Django
  python3-venv
  # benchmark and checks (/usr/bin/time gives bench/run.sh the peak RSS)
  hyperfine time clang-format
  # scripts/test_install.sh: clean Debian roots for the install ways
  debootstrap
  # tests/pre_commit_hook_test.cpp reads .pre-commit-hooks.yaml as pre-commit does (YAML)
  python3-yaml
)

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  log "error: not root and sudo is not available; run this script as root" >&2
  exit 1
fi

# Packages that an installed package provides (e.g. NodeSource's nodejs provides and
# conflicts with Debian's npm: asking apt for npm there would fail, so it counts as present).
provided=" $(dpkg-query -W -f='${db:Status-Status} ${Provides}\n' 2>/dev/null |
  awk '$1 == "installed" { $1 = ""; print }' | tr ',' '\n' |
  sed -E 's/\(.*\)//; s/:any//; s/^ +//; s/ +$//' | grep -v '^$' | sort -u | tr '\n' ' ') "

missing() {
  local p status
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [[ $status == installed ]]; then continue; fi
    if [[ $provided == *" $p "* ]]; then continue; fi
    printf '%s\n' "$p"
  done
}

mapfile -t MISSING < <(missing)

if [[ ${#MISSING[@]} -eq 0 ]]; then
  log "all ${#PACKAGES[@]} packages already installed; skipping apt-get"
else
  log "missing packages: ${MISSING[*]}"
  # Keep apt from starting services (the postgresql-15 package would start a system cluster;
  # our tests start their own private clusters). Only if no policy is in place already.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    log "temporarily installing $policy so that no service starts during the install"
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    trap '"${SUDO[@]}" rm -f "$policy"' EXIT
  fi
  log "apt-get update"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 update
  log "apt-get install -y --no-install-recommends ${MISSING[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o Acquire::Retries=3 install -y --no-install-recommends "${MISSING[@]}"
  mapfile -t STILL < <(missing)
  if [[ ${#STILL[@]} -ne 0 ]]; then
    log "error: still missing after apt-get install: ${STILL[*]}" >&2
    exit 1
  fi
  log "installed: ${MISSING[*]}"
fi

for tool in cmake g++ clang-format node npm hyperfine python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "error: $tool not found on PATH after setup" >&2
    exit 1
  fi
done
log "cmake $(cmake --version | head -n1 | awk '{print $3}'), g++ $(g++ -dumpfullversion)," \
  "clang-format $(clang-format --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)," \
  "node $(node --version), npm $(npm --version 2>/dev/null), $(hyperfine --version)"
log "done"

#!/usr/bin/env bash
# Proves each install way of safemigrate on a clean Debian root that holds only what a user of
# that ecosystem has, by running the README's command for that way on the fixture projects and
# comparing its JSON findings and exit code with those of the build-tree binary on the same
# inputs (docs/install.md, "Testing the install ways").
#
#   bash scripts/test_install.sh            as root; called by scripts/test.sh as its last step
#
# Ways (SAFEMIGRATE_INSTALL_WAYS, space- or comma-separated; default all four):
#   deb12-npm     Debian 12 + nodejs npm: `npm install --save-dev /dist/safemigrate-V.tgz` in a
#                 copy of fixtures/prisma/shop, then `npx safemigrate check prisma/migrations`
#   deb13-npm     the same on Debian 13 (trixie)
#   deb12-python  Debian 12 + python3 python3-venv python3-pip python3-django python3-psycopg2:
#                 a venv with --system-site-packages, `pip install --no-index /dist/…whl`, a copy
#                 of fixtures/django with "safemigrate" in INSTALLED_APPS, then
#                 `python manage.py safemigrate check --offline`
#   deb12-deb     Debian 12 minbase and nothing else: `apt install ./safemigrate_V_amd64.deb`
#                 (dependencies from the mirror), then `safemigrate check` on the Prisma fixture
#                 and fixtures/django/plan.json
#
# Roots: `debootstrap --variant=minbase` of each suite from the mirror apt uses on this machine
# (/etc/apt/sources.list, sources.list.d), built once into $ROOTS/base-SUITE; each way's
# packages are installed once into an overlayfs layer $ROOTS/WAY.layer over that base (a full
# copy where overlayfs cannot be mounted). Every run mounts a throw-away overlay over them, so
# nothing a run installs is kept. A cache is rebuilt when its key (suite, mirror, packages,
# format) changes, or with SAFEMIGRATE_ROOTS_REBUILD=1. The script runs in a private mount
# namespace (unshare -m): its mounts (overlay, /proc, /dev) are unmounted on exit by the trap,
# and vanish with the namespace even if the script is killed.
#
# Knobs:
#   SAFEMIGRATE_INSTALL_WAYS     ways to test (default: deb12-npm deb13-npm deb12-python deb12-deb)
#   SAFEMIGRATE_REF_BIN          the reference binary (default build/safemigrate)
#   SAFEMIGRATE_DIST_DIR         where the artifacts are (default build-release/dist; when one is
#                                missing there, `bash scripts/package.sh` makes them)
#   SAFEMIGRATE_ROOTS_DIR        the root cache (default build-release/roots)
#   SAFEMIGRATE_ROOTS_REBUILD=1  rebuild the cached bases and layers
#   SAFEMIGRATE_JOBS=N           caches made at once (default: the number of cores)
#   SAFEMIGRATE_DEBIAN_MIRROR, SAFEMIGRATE_DEBIAN_SECURITY_MIRROR
#                                override the mirrors read from apt's sources
#
# Exit: 0 every way matched the reference; 1 a way failed or differed; 2 cannot run (not root,
# no debootstrap, no reference binary, no artifacts).
set -euo pipefail

log() { printf 'test_install: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 2
}

# Paths given in the knobs are relative to the caller's folder; the defaults to the repository.
for v in SAFEMIGRATE_REF_BIN SAFEMIGRATE_DIST_DIR SAFEMIGRATE_ROOTS_DIR; do
  [[ -z ${!v:-} ]] || export "$v=$(realpath -m -- "${!v}")"
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mount); run as root or skip it"

# A private mount namespace: every mount below is invisible outside and disappears with it.
if [[ -z ${SAFEMIGRATE_INSTALL_NS:-} ]]; then
  command -v unshare >/dev/null || die "unshare not found (util-linux)"
  exec env SAFEMIGRATE_INSTALL_NS=1 unshare --mount --propagation private -- bash "$(realpath "${BASH_SOURCE[0]}")" "$@"
fi

VERSION=$(sed -nE 's/^project\(safemigrate VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
[[ -n $VERSION ]] || die "cannot read the version from CMakeLists.txt"
ROOTS=$(realpath -m "${SAFEMIGRATE_ROOTS_DIR:-build-release/roots}")
DIST_DEFAULT=build-release/dist
DIST=$(realpath -m "${SAFEMIGRATE_DIST_DIR:-$DIST_DEFAULT}")
REF=$(realpath -m "${SAFEMIGRATE_REF_BIN:-build/safemigrate}")
WAYS_ALL=(deb12-npm deb13-npm deb12-python deb12-deb)
read -r -a WAYS <<<"$(tr ',' ' ' <<<"${SAFEMIGRATE_INSTALL_WAYS:-${WAYS_ALL[*]}}")"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
FORMAT=1 # bump when the way roots are built differently: every cache is rebuilt
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

for w in "${WAYS[@]}"; do
  [[ " ${WAYS_ALL[*]} " == *" $w "* ]] || die "unknown way '$w' (known: ${WAYS_ALL[*]})"
done
[[ ${#WAYS[@]} -gt 0 ]] || die "SAFEMIGRATE_INSTALL_WAYS names no way"
command -v debootstrap >/dev/null || die "debootstrap not found (scripts/setup.sh installs it)"
[[ -r $KEYRING ]] || die "$KEYRING not found (package debian-archive-keyring)"
[[ -x $REF ]] || die "reference binary $REF not found; build it first (cmake --build build)"
command -v python3 >/dev/null || die "python3 not found (compares the JSON)"

suite_of() { case $1 in deb12-*) echo bookworm ;; deb13-*) echo trixie ;; esac; }
packages_of() {
  case $1 in
    *-npm) echo nodejs npm ;;
    *-python) echo python3 python3-venv python3-pip python3-django python3-psycopg2 ;;
    *-deb) echo ;;
  esac
}
artifact_of() {
  case $1 in
    *-npm) echo "safemigrate-$VERSION.tgz" ;;
    *-python) echo "safemigrate-$VERSION-py3-none-linux_x86_64.whl" ;;
    *-deb) echo "safemigrate_${VERSION}_amd64.deb" ;;
  esac
}

# --- the mirror apt uses here ---------------------------------------------------------------
# Prints "MIRROR SECURITY_MIRROR": the URI of the first `deb` source for this machine's suite and
# of its -security suite, from one-line (.list) and deb822 (.sources) files.
read_mirrors() {
  python3 - "$1" <<'EOF'
import glob, re, sys
codename = sys.argv[1]
entries = []  # (types, uris, suites)
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.match(r"(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
        if m:
            entries.append(([m.group(1)], [m.group(2)], [m.group(3)]))
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    text = open(path, encoding="utf-8").read()
    for stanza in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "types" in fields and "uris" in fields and "suites" in fields:
            entries.append((fields["types"].split(), fields["uris"].split(), fields["suites"].split()))
def first(suite):
    for types, uris, suites in entries:
        if "deb" in types and suite in suites:
            return uris[0].rstrip("/")
    return ""
main, security = first(codename), first(codename + "-security")
if not main:
    sys.exit("no deb source for suite %s in /etc/apt/sources.list or sources.list.d" % codename)
print(main, security or "-")
EOF
}

host_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $host_codename ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
read -r MIRROR SECURITY < <(read_mirrors "$host_codename") || die "cannot read apt's mirror"
MIRROR=${SAFEMIGRATE_DEBIAN_MIRROR:-$MIRROR}
SECURITY=${SAFEMIGRATE_DEBIAN_SECURITY_MIRROR:-$SECURITY}
[[ $SECURITY != - ]] || SECURITY=""

# --- mounts, cleanup ------------------------------------------------------------------------
MOUNTS=()
TMPDIRS=()
mounted_under() { # prints the mount points at or under $1
  awk -v d="$1" '{ p = $5; gsub(/\\040/, " ", p); if (p == d || index(p, d "/") == 1) print p }' /proc/self/mountinfo
}
unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || log "warning: cannot unmount ${MOUNTS[i]}"
  done
  MOUNTS=()
}
safe_rm() { # removes $1 unless something is still mounted under it
  local d=$1 left
  [[ -e $d ]] || return 0
  left=$(mounted_under "$d")
  if [[ -n $left ]]; then
    log "warning: not removing $d, still mounted: $left"
    return 1
  fi
  rm -rf --one-file-system "$d"
}
cleanup() {
  local d
  unmount_all
  for d in "${TMPDIRS[@]}"; do safe_rm "$d" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

do_mount() { # mount ARGS... TARGET; remembers TARGET for unmount_all
  mount "$@"
  MOUNTS+=("${*: -1}")
}
# /proc, /dev and resolv.conf for apt, npm and python inside root $1
chroot_mounts() {
  local r=$1
  do_mount -t proc proc "$r/proc"
  do_mount --bind /dev "$r/dev"
  rm -f "$r/etc/resolv.conf"
  cp -L /etc/resolv.conf "$r/etc/resolv.conf"
}
# in_root ROOT [--no-net] CMD... : runs CMD in the root with a clean environment; --no-net runs
# it without any network (a new network namespace), proving the step needs none.
in_root() {
  local r=$1 net=()
  shift
  if [[ ${1:-} == --no-net ]]; then
    net=(unshare --net --)
    shift
  fi
  "${net[@]}" env -i HOME=/root PATH=$CHROOT_PATH LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    npm_config_cache=/root/.npm npm_config_update_notifier=false npm_config_fund=false \
    npm_config_audit=false PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    chroot "$r" "$@"
}
in_root_sh() { # in_root_sh ROOT [--no-net] 'shell code'
  local r=$1
  shift
  if [[ $1 == --no-net ]]; then in_root "$r" --no-net /bin/sh -ec "$2"; else in_root "$r" /bin/sh -ec "$1"; fi
}

OVERLAY=""
overlay_works() {
  if [[ -z $OVERLAY ]]; then
    local t
    t=$(mktemp -d "$ROOTS/.overlay-probe.XXXXXX")
    mkdir "$t/l" "$t/u" "$t/w" "$t/m"
    if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
      umount "$t/m"
      OVERLAY=yes
    else
      OVERLAY=no
      log "overlayfs cannot be mounted here: way roots are full copies (slower)"
    fi
    rm -rf --one-file-system "$t"
  fi
  [[ $OVERLAY == yes ]]
}
# assemble DIR LOWER... : a writable root at DIR/merged over the lower layers (first on top),
# changes in DIR/upper; without overlayfs DIR/merged is a copy of the single full lower root.
assemble() {
  local dir=$1
  shift
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  if overlay_works; then
    local IFS=:
    do_mount -t overlay overlay -o "lowerdir=$*,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged"
  else
    rmdir "$dir/merged"
    cp -a "$1" "$dir/merged"
  fi
}

timed() { # timed VAR CMD... : runs CMD, stores its wall seconds in VAR
  local __var=$1 __t0=$SECONDS __rc=0
  shift
  "$@" || __rc=$?
  printf -v "$__var" '%s' $((SECONDS - __t0))
  return $__rc
}

# --- cached roots ---------------------------------------------------------------------------
sources_for() { # the sources.list a Debian installation of suite $1 from these mirrors has
  printf 'deb %s %s main\n' "$MIRROR" "$1" "$MIRROR" "$1-updates"
  [[ -z $SECURITY ]] || printf 'deb %s %s-security main\n' "$SECURITY" "$1"
}
base_key() { printf 'format=%s variant=minbase suite=%s\n%s' "$FORMAT" "$1" "$(sources_for "$1")"; }

# ensure_base SUITE: $ROOTS/base-SUITE, a debootstrap minbase root with its suite, -updates and
# -security in sources.list, upgraded, apt lists kept (`apt install ./x.deb` needs them).
ensure_base() {
  local suite=$1 dir=$ROOTS/base-$1 key
  key=$(base_key "$suite")
  if [[ ${SAFEMIGRATE_ROOTS_REBUILD:-0} != 1 && -d $dir && -f $dir.key && $(sed '$d' "$dir.key") == "$key" ]]; then
    return 0
  fi
  log "base-$suite: debootstrap --variant=minbase $suite from $MIRROR"
  rm -f "$dir.key"
  safe_rm "$dir" || return 1
  safe_rm "$dir.tmp" || return 1
  TMPDIRS+=("$dir.tmp")
  if ! debootstrap --variant=minbase --keyring="$KEYRING" "$suite" "$dir.tmp" "$MIRROR" >"$ROOTS/base-$suite.log" 2>&1; then
    log "base-$suite: debootstrap failed ($ROOTS/base-$suite.log):"
    tail -n 15 "$ROOTS/base-$suite.log" >&2
    [[ ! -f $dir.tmp/debootstrap/debootstrap.log ]] || tail -n 15 "$dir.tmp/debootstrap/debootstrap.log" >&2
    return 1
  fi
  sources_for "$suite" >"$dir.tmp/etc/apt/sources.list"
  # As in Debian's container images: no service starts in the root, and dpkg does not fsync
  # every file (a cache that a crash leaves half-made has no key and is made again).
  printf '#!/bin/sh\nexit 101\n' >"$dir.tmp/usr/sbin/policy-rc.d"
  chmod 755 "$dir.tmp/usr/sbin/policy-rc.d"
  echo force-unsafe-io >"$dir.tmp/etc/dpkg/dpkg.cfg.d/safemigrate-unsafe-io"
  chroot_mounts "$dir.tmp"
  log "base-$suite: apt-get update, dist-upgrade"
  local rc=0
  in_root_sh "$dir.tmp" 'apt-get -q -o Acquire::Retries=3 update && apt-get -q -y dist-upgrade && apt-get clean' \
    >>"$ROOTS/base-$suite.log" 2>&1 || rc=$?
  unmount_all
  rm -f "$dir.tmp/etc/resolv.conf"
  if [[ $rc -ne 0 ]]; then
    log "base-$suite: apt-get failed ($ROOTS/base-$suite.log):"
    tail -n 15 "$ROOTS/base-$suite.log" >&2
    return 1
  fi
  mv "$dir.tmp" "$dir"
  # The build's time is part of the key, so that layers made over an older base are remade.
  printf '%s\nbuilt=%s' "$key" "$(date +%s.%N)" >"$dir.key"
  log "base-$suite: $(du -sh --one-file-system "$dir" | cut -f1)"
}

# ensure_layer WAY: $ROOTS/WAY.layer, the way's packages installed over base-SUITE (the overlay's
# upper directory; a full root without overlayfs). Prints nothing; returns 1 on failure.
ensure_layer() {
  local way=$1 suite pkgs dir=$ROOTS/$1.layer key
  suite=$(suite_of "$way")
  pkgs=$(packages_of "$way")
  overlay_works || true
  key=$(printf '%s\noverlay=%s packages=%s' "$(cat "$ROOTS/base-$suite.key")" "$OVERLAY" "$pkgs")
  if [[ ${SAFEMIGRATE_ROOTS_REBUILD:-0} != 1 && -d $dir && -f $dir.key && $(cat "$dir.key") == "$key" ]]; then
    return 0
  fi
  log "$way: apt-get install --no-install-recommends $pkgs (over base-$suite)"
  rm -f "$dir.key"
  safe_rm "$dir" || return 1
  safe_rm "$dir.tmp" || return 1
  TMPDIRS+=("$dir.tmp")
  assemble "$dir.tmp" "$ROOTS/base-$suite"
  local r=$dir.tmp/merged rc=0
  chroot_mounts "$r"
  in_root_sh "$r" "apt-get -q -o Acquire::Retries=3 update && apt-get -q -y install --no-install-recommends $pkgs && apt-get clean" \
    >"$ROOTS/$way.layer.log" 2>&1 || rc=$?
  rm -f "$r/etc/resolv.conf"
  unmount_all
  if [[ $rc -ne 0 ]]; then
    log "$way: apt-get failed ($ROOTS/$way.layer.log):"
    tail -n 15 "$ROOTS/$way.layer.log" >&2
    return 1
  fi
  if [[ $OVERLAY == yes ]]; then
    mv "$dir.tmp/upper" "$dir"
    rm -rf --one-file-system "$dir.tmp"
  else
    mv "$dir.tmp/merged" "$dir"
    rm -rf --one-file-system "$dir.tmp"
  fi
  printf '%s' "$key" >"$dir.key"
  log "$way: layer $(du -sh --one-file-system "$dir" | cut -f1)"
}

# --- comparing ------------------------------------------------------------------------------
# compare WAY GOT_JSON GOT_RC REF_JSON REF_RC [--django-plan]: equal documents and exit codes.
# --django-plan: the `path` of the Django source (the plan file, which the management command
# writes where it likes) and findings whose `file` is that path are set to "<django plan>".
compare() {
  python3 - "$@" <<'EOF'
import difflib, json, sys
way, got_path, got_rc, ref_path, ref_rc = sys.argv[1:6]
django_plan = "--django-plan" in sys.argv[6:]
def load(path):
    text = open(path, encoding="utf-8").read()
    try:
        return json.loads(text)
    except ValueError as e:
        sys.exit("%s: %s is not JSON (%s); it starts with:\n%s" % (way, path, e, text[:2000]))
def normalise(doc):
    if not django_plan:
        return doc
    for source in doc.get("sources", []):
        if source.get("framework") == "django":
            old = source.get("path")
            source["path"] = "<django plan>"
            for finding in doc.get("findings", []):
                if finding.get("file") == old:
                    finding["file"] = "<django plan>"
    return doc
got, ref = normalise(load(got_path)), normalise(load(ref_path))
problems = []
if got_rc != ref_rc:
    problems.append("exit code %s, the reference's %s" % (got_rc, ref_rc))
if got != ref:
    a = json.dumps(ref, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    diff = list(difflib.unified_diff(a, b, "reference", way, lineterm="", n=2))
    problems.append("JSON differs from the reference:\n" + "\n".join(diff[:200]))
summary = ref.get("summary", {})
if not ref.get("findings") or not summary.get("migrations"):
    problems.append("the reference found no migrations or no findings: the inputs are wrong")
if problems:
    print("%s: FAILED: %s" % (way, "\n".join(problems)))
    sys.exit(1)
print("%s: same JSON and exit code (%s) as the reference: %d migrations, %d findings (%s errors, %s warnings)%s"
      % (way, got_rc, summary.get("migrations", 0), len(ref["findings"]), summary.get("errors"),
         summary.get("warnings"), ", Django plan path normalised" if django_plan else ""))
EOF
}

# --- the ways -------------------------------------------------------------------------------
# Each runs in root $1 (mounted, with /dist holding the artifact $3) and writes $2/got.json, got.rc,
# ref.json, ref.rc, plus the extra arguments for compare in $2/compare_args.

# check_legal WAY DOC_DIR LIB_DIR [LICENSE_FIELD_FILE]: what a company's licence review looks
# for in an installed package: Apache-2.0 named where the ecosystem reads it, the licence text,
# and notices (THIRD-PARTY-NOTICES.txt) that cover every shared library the package carries and
# the libraries linked in statically. Shared libraries are traced to their Debian package on
# this machine, where the release was built.
check_legal() {
  local way=$1 doc=$2 lib=$3 f so pkg bad=0
  for f in LICENSE THIRD-PARTY-NOTICES.txt; do
    [[ -s $doc/$f ]] || { log "$way: no $f in ${doc#"$ROOTS"/}"; bad=1; }
  done
  [[ $bad == 0 ]] || return 1
  grep -q 'Apache License' "$doc/LICENSE" || { log "$way: $doc/LICENSE is not the Apache License"; return 1; }
  for pkg in libpg-query libpqxx re2 protobuf-c fmtlib; do
    grep -q "^Source package: $pkg " "$doc/THIRD-PARTY-NOTICES.txt" ||
      { log "$way: THIRD-PARTY-NOTICES.txt lacks $pkg, which the binary links"; bad=1; }
  done
  if [[ -d $lib ]]; then
    for so in "$lib"/*; do
      # dpkg names the path a package shipped: /usr/lib or, before merged /usr, /lib.
      pkg=$(dpkg -S "/usr/lib/x86_64-linux-gnu/$(basename "$so")" "/lib/x86_64-linux-gnu/$(basename "$so")" \
        2>/dev/null | cut -d: -f1 | head -n 1)
      if [[ -z $pkg ]]; then
        log "$way: cannot tell which Debian package $(basename "$so") came from"
        bad=1
      elif ! grep -qE "^Source package: .*\(binary packages:.* $pkg( |\))" "$doc/THIRD-PARTY-NOTICES.txt"; then
        log "$way: THIRD-PARTY-NOTICES.txt has no notice for $(basename "$so") ($pkg)"
        bad=1
      fi
    done
  fi
  [[ $bad == 0 ]] && log "$way: licence, notices ($(grep -c '^Source package:' "$doc/THIRD-PARTY-NOTICES.txt") source packages) present"
  [[ $bad == 0 ]]
}

way_npm() {
  local r=$1 out=$2 art=$3
  mkdir -p "$r/proj"
  cp -a fixtures/prisma/shop "$r/proj/shop"
  # The fixture's package.json pins prisma and @prisma/client: npm would fetch them (and
  # @prisma/engines would download engines). The copy keeps name, version and scripts only, so
  # that installing safemigrate from its .tgz needs nothing else; both runs read this copy.
  python3 - "$r/proj/shop/package.json" <<'EOF'
import json, sys
p = sys.argv[1]
doc = json.load(open(p))
for k in ("dependencies", "devDependencies"):
    doc.pop(k, None)
open(p, "w").write(json.dumps(doc, indent=2) + "\n")
EOF
  # A .tgz without dependencies must install without the network: then prove it.
  local net=--no-net deps
  deps=$(tar -xzOf "$DIST/$art" package/package.json | python3 -c \
    'import json,sys; d=json.load(sys.stdin); print(len(d.get("dependencies") or {}) + len(d.get("optionalDependencies") or {}))')
  if [[ $deps != 0 ]]; then
    net=""
    log "npm: $art declares dependencies: npm may use the registry"
  fi
  log "npm: (in root, ${net:+no network, }node $(in_root "$r" node --version), npm $(in_root "$r" npm --version)) cd /proj/shop && npm install --save-dev /dist/$art"
  in_root_sh "$r" $net "cd /proj/shop && npm install --save-dev /dist/$art" >"$out/install.log" 2>&1 || {
    cat "$out/install.log" >&2
    return 1
  }
  local pkgdir=$r/proj/shop/node_modules/safemigrate
  check_legal npm "$pkgdir" "$pkgdir/native/lib" || return 1
  [[ $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("license"))' "$pkgdir/package.json") == Apache-2.0 ]] ||
    { log "npm: package.json has no \"license\": \"Apache-2.0\""; return 1; }
  log "npm: npx safemigrate check prisma/migrations --format json"
  in_root_sh "$r" --no-net 'cd /proj/shop && exec npx safemigrate check prisma/migrations --format json' \
    >"$out/got.json" 2>"$out/got.err" && echo 0 >"$out/got.rc" || echo $? >"$out/got.rc"
  (cd "$r/proj/shop" && "$REF" check prisma/migrations --format json) \
    >"$out/ref.json" 2>"$out/ref.err" && echo 0 >"$out/ref.rc" || echo $? >"$out/ref.rc"
  : >"$out/compare_args"
}

way_python() {
  local r=$1 out=$2 art=$3 w
  # The project lives at the same absolute path W inside the root and, bound there in this
  # mount namespace only, outside: the plan names migration files by their absolute paths,
  # which check shows as they are when they exist, so both runs must see them at one path.
  w=$(mktemp -d /tmp/safemigrate-install.XXXXXX)
  TMPDIRS+=("$w")
  mkdir -p "$r$w/tools"
  cp -a fixtures/django "$r$w/django"
  find "$r$w/django" -name __pycache__ -prune -exec rm -rf {} +
  rm -f "$r$w/django/plan.json"
  cat >"$r$w/django/mysite/settings_safemigrate.py" <<'EOF'
# The fixture's settings with safemigrate's Django app added, as a user adds it.
from mysite.settings import *  # noqa: F401,F403
from mysite.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "safemigrate"]
EOF
  cp adapters/django/export_plan.py "$r$w/tools/export_plan.py"
  log "python: (in root, $(in_root "$r" python3 --version)) python3 -m venv --system-site-packages $w/venv"
  log "python: (no network) $w/venv/bin/pip install --no-index /dist/$art"
  in_root_sh "$r" "python3 -m venv --system-site-packages $w/venv" >"$out/install.log" 2>&1 &&
    in_root_sh "$r" --no-net "$w/venv/bin/pip install --no-index /dist/$art" >>"$out/install.log" 2>&1 || {
    cat "$out/install.log" >&2
    return 1
  }
  local info
  info=$(echo "$r$w"/venv/lib/python3*/site-packages/safemigrate-*.dist-info)
  check_legal python "$info/licenses" "$(dirname "$info")/safemigrate/bin/lib" || return 1
  grep -qx 'License-Expression: Apache-2.0' "$info/METADATA" ||
    { log "python: METADATA has no License-Expression: Apache-2.0"; return 1; }
  log "python: (no network) cd $w/django && DJANGO_SETTINGS_MODULE=mysite.settings_safemigrate python manage.py safemigrate check --offline --format json"
  in_root_sh "$r" --no-net "cd $w/django && DJANGO_SETTINGS_MODULE=mysite.settings_safemigrate exec $w/venv/bin/python manage.py safemigrate check --offline --format json" \
    >"$out/got.json" 2>"$out/got.err" && echo 0 >"$out/got.rc" || echo $? >"$out/got.rc"
  # The reference checks the plan that the repository's exporter writes from the same project
  # with the same Python, Django and settings, in the root.
  in_root_sh "$r" --no-net "cd $w/django && DJANGO_SETTINGS_MODULE=mysite.settings_safemigrate exec $w/venv/bin/python $w/tools/export_plan.py --offline -o $w/django/plan.json" \
    >"$out/export.log" 2>&1 || {
    cat "$out/export.log" >&2
    return 1
  }
  cp "$r$w/django/plan.json" "$out/plan.json"
  do_mount --bind "$r$w" "$w"
  (cd "$w/django" && "$REF" check plan.json --format json) \
    >"$out/ref.json" 2>"$out/ref.err" && echo 0 >"$out/ref.rc" || echo $? >"$out/ref.rc"
  echo --django-plan >"$out/compare_args"
}

way_deb() {
  local r=$1 out=$2 art=$3
  mkdir -p "$r/fixtures/prisma" "$r/fixtures/django"
  cp -a fixtures/prisma/shop "$r/fixtures/prisma/shop"
  cp fixtures/django/plan.json "$r/fixtures/django/plan.json"
  # Downloaded .debs are kept between runs (apt checks each against the mirror's index).
  local suite archives
  suite=$(sed -nE 's/^VERSION_CODENAME=//p' "$r/etc/os-release")
  archives=$ROOTS/apt-archives-${suite:-unknown}
  mkdir -p "$archives/partial"
  do_mount --bind "$archives" "$r/var/cache/apt/archives"
  log "deb: (in root) apt update && apt install ./$art"
  in_root_sh "$r" "cd /dist && apt-get -q -o Acquire::Retries=3 update && apt install -q -y ./$art" \
    >"$out/install.log" 2>&1 || {
    tail -n 30 "$out/install.log" >&2
    return 1
  }
  log "deb: apt set up $(grep -c '^Setting up' "$out/install.log") packages"
  check_legal deb "$r/usr/share/doc/safemigrate" "$r/usr/lib/safemigrate" || return 1
  head -n 1 "$r/usr/share/doc/safemigrate/copyright" |
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    { log "deb: /usr/share/doc/safemigrate/copyright is not machine-readable (DEP-5)"; return 1; }
  # The man page: present, and made from the help of every command.
  local page=$r/usr/share/man/man1/safemigrate.1.gz c
  [[ -s $page ]] || { log "deb: no /usr/share/man/man1/safemigrate.1.gz"; return 1; }
  for c in check status verify apply rehearse rules explain; do
    zcat "$page" | grep -qx "\.SS $c" || { log "deb: the man page has no section for $c"; return 1; }
  done
  # Relative paths from / in the root and from the root's directory outside: the same strings.
  log "deb: cd / && safemigrate check fixtures/prisma/shop/prisma/migrations fixtures/django/plan.json --format json"
  in_root_sh "$r" --no-net 'cd / && exec safemigrate check fixtures/prisma/shop/prisma/migrations fixtures/django/plan.json --format json' \
    >"$out/got.json" 2>"$out/got.err" && echo 0 >"$out/got.rc" || echo $? >"$out/got.rc"
  (cd "$r" && "$REF" check fixtures/prisma/shop/prisma/migrations fixtures/django/plan.json --format json) \
    >"$out/ref.json" 2>"$out/ref.err" && echo 0 >"$out/ref.rc" || echo $? >"$out/ref.rc"
  : >"$out/compare_args"
}

# run_way WAY: a throw-away root over the cached layers, the way's install and check, compared.
run_way() {
  local way=$1 suite kind art run out lowers=()
  suite=$(suite_of "$way")
  kind=${way#*-}
  art=$(artifact_of "$way")
  [[ -n $(packages_of "$way") ]] && lowers+=("$ROOTS/$way.layer")
  if [[ $OVERLAY == yes || ${#lowers[@]} -eq 0 ]]; then lowers+=("$ROOTS/base-$suite"); fi
  run=$(mktemp -d "$ROOTS/run-$way.XXXXXX")
  TMPDIRS+=("$run")
  out=$RESULTS/$way
  mkdir -p "$out"
  assemble "$run" "${lowers[@]}"
  local r=$run/merged rc=0
  chroot_mounts "$r"
  mkdir -p "$r/dist"
  cp "$DIST/$art" "$r/dist/"
  "way_$kind" "$r" "$out" "$art" || rc=1
  if [[ $rc -eq 0 ]]; then
    local args
    read -r -a args <"$out/compare_args" || true
    if ! compare "$way" "$out/got.json" "$(cat "$out/got.rc")" "$out/ref.json" "$(cat "$out/ref.rc")" "${args[@]}" >"$out/compare.txt" 2>&1; then
      rc=1
      [[ ! -s $out/got.err ]] || {
        log "$way: stderr of the installed safemigrate:"
        head -n 40 "$out/got.err" >&2
      }
    fi
    cat "$out/compare.txt" >&2
  fi
  unmount_all
  safe_rm "$run" || true
  return $rc
}

# --- main -----------------------------------------------------------------------------------
mkdir -p "$ROOTS"
exec 9>"$ROOTS/.lock"
if ! flock -n 9; then
  log "another test_install.sh holds $ROOTS/.lock; waiting"
  flock 9
fi
# Runs killed before their trap ran leave their directories (never their mounts: those lived in
# the killed run's namespace).
for d in "$ROOTS"/run-* "$ROOTS"/*.tmp "$ROOTS"/.overlay-probe.*; do
  [[ -e $d ]] && safe_rm "$d"
done

missing=()
for w in "${WAYS[@]}"; do
  a=$(artifact_of "$w")
  [[ -f $DIST/$a || " ${missing[*]} " == *" $a "* ]] || missing+=("$a")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $DIST != "$REPO/$DIST_DEFAULT" ]]; then
    die "not in SAFEMIGRATE_DIST_DIR=$DIST: ${missing[*]}"
  fi
  [[ -f scripts/package.sh ]] || die "not in $DIST: ${missing[*]}, and scripts/package.sh (which makes them) is missing"
  log "not in $DIST: ${missing[*]}; running bash scripts/package.sh"
  bash scripts/package.sh
  for a in "${missing[@]}"; do [[ -f $DIST/$a ]] || die "scripts/package.sh did not make $DIST/$a"; done
fi

RESULTS=$ROOTS/results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
log "ways: ${WAYS[*]}; mirror $MIRROR${SECURITY:+, security $SECURITY}; roots in $ROOTS; artifacts from $DIST; reference $REF"
overlay_works || true

# parallel KIND FUNC ITEM... : FUNC ITEM for every item, up to $JOBS at once, each in a subshell
# that unmounts and removes what it made when it ends; sets SECS[KIND-ITEM] and OK[KIND-ITEM].
declare -A SECS OK
parallel() {
  local kind=$1 func=$2 item st
  shift 2
  for item; do
    while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n || true; done
    (
      MOUNTS=()
      TMPDIRS=()
      trap cleanup EXIT
      rc=0
      timed t "$func" "$item" || rc=$?
      echo "$t $rc" >"$RESULTS/.$kind-$item"
      exit $rc
    ) &
  done
  wait || true
  for item; do
    st=(- 1)
    [[ ! -f $RESULTS/.$kind-$item ]] || read -r -a st <"$RESULTS/.$kind-$item"
    SECS[$kind-$item]=${st[0]}
    OK[$kind-$item]=$([[ ${st[1]} == 0 ]] && echo yes || echo no)
  done
}

declare -A STATUS T_RUN
failed=0
total_t0=$SECONDS
JOBS=${SAFEMIGRATE_JOBS:-$(nproc)}
# The caches first, several at once (debootstrap and dpkg use one core each).
suites=()
for w in "${WAYS[@]}"; do
  s=$(suite_of "$w")
  [[ " ${suites[*]} " == *" $s "* ]] || suites+=("$s")
done
parallel base ensure_base "${suites[@]}"
layered=()
for w in "${WAYS[@]}"; do
  [[ ${OK[base-$(suite_of "$w")]} == yes ]] || continue
  [[ -z $(packages_of "$w") ]] || layered+=("$w")
done
[[ ${#layered[@]} -eq 0 ]] || parallel layer ensure_layer "${layered[@]}"
# Then the ways, one at a time.
for w in "${WAYS[@]}"; do
  suite=$(suite_of "$w")
  if [[ ${OK[base-$suite]} != yes ]]; then
    STATUS[$w]="FAILED (base-$suite)"
    failed=1
    continue
  fi
  if [[ -n $(packages_of "$w") && ${OK[layer-$w]} != yes ]]; then
    STATUS[$w]="FAILED (layer)"
    failed=1
    continue
  fi
  log "$w: running"
  t=0
  if timed t run_way "$w"; then STATUS[$w]=ok; else
    STATUS[$w]=FAILED
    failed=1
  fi
  T_RUN[$w]=$t
done

log "summary (seconds; base and layer are 0 when reused from $ROOTS; caches are made $JOBS at a time):"
printf '  %-14s %-6s %-6s %-5s %s\n' way base layer run result >&2
declare -A shown
for w in "${WAYS[@]}"; do
  suite=$(suite_of "$w")
  b=-
  if [[ -z ${shown[$suite]:-} ]]; then
    b=${SECS[base-$suite]:-0}
    shown[$suite]=1
  fi
  printf '  %-14s %-6s %-6s %-5s %s\n' "$w" "$b" "${SECS[layer-$w]:-0}" "${T_RUN[$w]:--}" "${STATUS[$w]:-not run}" >&2
done
log "total $((SECONDS - total_t0)) s; outputs in $RESULTS"
exit $failed

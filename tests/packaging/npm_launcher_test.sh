#!/usr/bin/env bash
# The npm launcher (packaging/npm/bin/safemigrate.js) against a stand-in native binary: arguments,
# working folder, exit codes and signals must pass through unchanged.
#   tests/packaging/npm_launcher_test.sh PACKAGING_NPM_DIR
set -uo pipefail

if ! command -v node >/dev/null 2>&1; then
  echo "node not found"
  if [[ -z ${CI:-} ]]; then exit 77; fi
  exit 1
fi
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/bin" "$src/package.json" "$tmp/"
mkdir -p "$tmp/native" "$tmp/cwd"
cat >"$tmp/native/safemigrate" <<'SH'
#!/bin/sh
case "$1" in
  args) shift; printf '[%s]\n' "$PWD" "$@" ;;
  exit) exit "$2" ;;
  signal) kill -s "$2" $$ ;;
  wait-term) trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done ;;
esac
SH
chmod +x "$tmp/native/safemigrate"
launcher=$tmp/bin/safemigrate.js
failures=0
expect() { # NAME EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then echo "ok: $1"; else echo "FAIL: $1: expected [$2], got [$3]"; failures=$((failures + 1)); fi
}

out=$(cd "$tmp/cwd" && node "$launcher" args "a b" "" '--x="1"' 'é$HOME')
expect "arguments and working folder" "$(printf '[%s]\n' "$tmp/cwd" "a b" "" '--x="1"' 'é$HOME')" "$out"

node "$launcher" exit 0
expect "exit code 0" 0 $?
node "$launcher" exit 3
expect "exit code 3" 3 $?

node "$launcher" signal TERM
expect "child killed by SIGTERM: launcher dies of it too" 143 $?
node "$launcher" signal KILL
expect "child killed by SIGKILL" 137 $?

# SIGTERM sent to the launcher alone reaches the child, which decides how to end.
node "$launcher" wait-term >"$tmp/wait.out" &
pid=$!
for _ in $(seq 100); do [[ -s $tmp/wait.out ]] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
expect "SIGTERM forwarded to the child" 7 $?

echo 'Object.defineProperty(process, "platform", { value: "darwin" });' >"$tmp/darwin.js"
msg=$(node -r "$tmp/darwin.js" "$launcher" args 2>&1)
status=$?
expect "other platforms: exit code" 2 "$status"
expect "other platforms: message" yes "$([[ $msg == *"Linux on x86-64 only"*darwin* ]] && echo yes || echo "no: $msg")"

rm "$tmp/native/safemigrate"
msg=$(node "$launcher" args 2>&1)
expect "missing binary: exit code" 2 $?
expect "missing binary: message" yes "$([[ $msg == *"cannot run"*native/safemigrate* ]] && echo yes || echo "no: $msg")"

exit $((failures > 0))

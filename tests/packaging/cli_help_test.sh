#!/usr/bin/env bash
# cli_help_test.sh BINARY: `help`, `help COMMAND`, no command and --help, under a path that is
# not `safemigrate`, all name the program `safemigrate` and list what they should.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/node_modules/.bin"
ln -s "$(realpath "$bin")" "$tmp/node_modules/.bin/internal-launcher"
run=$tmp/node_modules/.bin/internal-launcher
fail=0
expect() { # expect NAME WANT_RC GOT_RC OUTPUT PATTERN...
  local name=$1 want=$2 got=$3 text=$4 p
  shift 4
  [[ $got == "$want" ]] || { echo "FAIL $name: exit $got, want $want"; fail=1; }
  for p in "$@"; do
    grep -qE -- "$p" <<<"$text" || { echo "FAIL $name: no /$p/ in:"; echo "$text" | head -n 20; fail=1; }
  done
  if grep -q internal-launcher <<<"$text"; then echo "FAIL $name: shows the start path"; fail=1; fi
}
out=$("$run" help 2>&1); rc=$?
expect help 0 $rc "$out" '^Usage: safemigrate ' '^  check ' '^  apply ' '^  rehearse '
out=$("$run" 2>&1); rc=$?
expect no-command 2 $rc "$out" '^Usage: safemigrate ' '^  check '
out=$("$run" --help 2>&1); rc=$?
expect --help 0 $rc "$out" '^Usage: safemigrate '
out=$("$run" help check 2>&1); rc=$?
expect 'help check' 0 $rc "$out" '^Usage: safemigrate check ' '--since'
out=$("$run" help no-such-command 2>&1); rc=$?
expect 'help no-such-command' 2 $rc "$out" "no command 'no-such-command'" '^  check '
out=$("$run" status --help 2>&1); rc=$?
expect 'status --help' 0 $rc "$out" '^Usage: safemigrate status '
[[ $fail == 0 ]] && echo "cli_help: 6 cases passed"
exit $fail

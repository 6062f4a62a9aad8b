#!/usr/bin/env bash
# manpage_test.sh MAKE_MANPAGE BINARY: the page is valid roff (groff warns about nothing), names
# the program, and has a section for every command the binary's help lists, holding that
# command's own options.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$1" "$2" "$tmp/safemigrate.1" || { echo "FAIL: make_manpage.sh failed"; exit 1; }
fail=0
warnings=$(groff -man -ww -z "$tmp/safemigrate.1" 2>&1)
[[ -z $warnings ]] || { echo "FAIL: groff warns:"; echo "$warnings"; fail=1; }
grep -q '^\.TH SAFEMIGRATE 1 ' "$tmp/safemigrate.1" || { echo "FAIL: no .TH"; fail=1; }
mapfile -t commands < <("$2" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[[ ${#commands[@]} -ge 8 ]] || { echo "FAIL: only ${#commands[@]} commands in --help"; fail=1; }
text=$(MANWIDTH=200 man -l "$tmp/safemigrate.1" 2>/dev/null || nroff -man "$tmp/safemigrate.1")
for c in "${commands[@]}"; do
  grep -qx "\.SS $c" "$tmp/safemigrate.1" || { echo "FAIL: no section for $c"; fail=1; }
  grep -q "Usage: safemigrate $c " <<<"$text" || { echo "FAIL: the page lacks the usage of $c"; fail=1; }
done
grep -q -- '--database-url' <<<"$text" || { echo "FAIL: no --database-url in the rendered page"; fail=1; }
[[ $fail == 0 ]] && echo "manpage: ${#commands[@]} commands, valid roff"
exit $fail

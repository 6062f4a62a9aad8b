#!/usr/bin/env bash
# Writes safemigrate's man page from the program's own help, so that the two never disagree:
#   scripts/make_manpage.sh BINARY OUT.1
# The page holds the top-level --help, then each subcommand's --help as a section of its own,
# preformatted as the terminal shows it (the help is written to be read that way).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY OUT.1" >&2
  exit 2
fi
binary=$1
out=$2

# roff: a backslash is \e, and a line that starts with . or ' would be read as a request.
escape() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

help=$("$binary" --help)
version=$("$binary" --version | awk '{ print $2 }')
summary=$(printf '%s\n' "$help" | head -n 1 | sed -e 's/^safemigrate: //' -e 's/\.$//')
mapfile -t commands < <(printf '%s\n' "$help" | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
if [[ ${#commands[@]} -eq 0 ]]; then
  echo "make_manpage.sh: no subcommands in $binary --help" >&2
  exit 1
fi

{
  printf '.TH SAFEMIGRATE 1 "" "safemigrate %s" "User Commands"\n' "$version"
  printf '.SH NAME\nsafemigrate \\- %s\n' "$(printf '%s' "$summary" | escape)"
  printf '.SH SYNOPSIS\n.B safemigrate\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIPATH\\fR...]\n'
  printf '.SH DESCRIPTION\n.nf\n'
  printf '%s\n' "$help" | escape
  printf '.fi\n.SH COMMANDS\n'
  for c in "${commands[@]}"; do
    printf '.SS %s\n.nf\n' "$c"
    "$binary" "$c" --help | escape
    printf '.fi\n'
  done
  printf '.SH SEE ALSO\nThe README and docs/ in /usr/share/doc/safemigrate.\n'
} >"$out.tmp"
mv "$out.tmp" "$out"

#!/bin/sh
# rollback.sh BASE: point BASE at the release before the live one (one rename); prints the
# live id, then the id put live. Exit 3: BASE is not a release symlink; 4: no older release.
set -eu
b=$1
cd -- "$(dirname -- "$b")"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
[ -L "$name" ] || { echo "$b is not a release symlink (not atomic)" >&2; exit 3; }
live=$(basename -- "$(readlink -f -- "$name")")
# shellcheck disable=SC2012
prev=$(ls -1 -- "$name.releases" | sort | awk -v live="$live" '$0 < live' | tail -n 1)
[ -n "$prev" ] || { echo "no release older than $live in $b.releases" >&2; exit 4; }
swap "$prev"
echo "$live"
echo "$prev"

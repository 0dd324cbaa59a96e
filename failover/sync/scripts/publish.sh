#!/bin/sh
# publish.sh BASE NEW OLD KEEP: point BASE at release NEW with one rename (a plain directory
# BASE is moved aside as release OLD first), then prune to the newest KEEP, never the live one.
set -eu
b=$1 new=$2 old=$3 keep=$4
cd -- "$(dirname -- "$b")"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
swap "$new" "$old"
live=$(readlink -f -- "$name")
# shellcheck disable=SC2012
ls -1 -- "$r" | sort | head -n -"$keep" | while IFS= read -r d; do
  if [ "$(readlink -f -- "$r/$d")" != "$live" ]; then rm -rf -- "${r:?}/$d"; fi
done

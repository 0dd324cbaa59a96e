#!/bin/sh
# restore.sh BASE ID: put the newest copy in BASE.kept live at BASE (two renames, microseconds
# apart); the tree it replaces is kept as BASE.kept/ID.replaced. Prints the restored copy's id.
# Exit 4: no kept copy.
set -eu
b=$1 id=$2
# shellcheck disable=SC2012
prev=$( (ls -1 -- "$b.kept" 2>/dev/null || true) | grep -v '\.replaced$' | sort | tail -n 1)
[ -n "$prev" ] || { echo "no copy kept in $b.kept (a failback's push keeps one)" >&2; exit 4; }
mv -T -- "$b" "$b.kept/$id.replaced"
mv -T -- "$b.kept/$prev" "$b"
echo "$prev"

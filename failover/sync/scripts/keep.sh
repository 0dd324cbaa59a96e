#!/bin/sh
# keep.sh BASE ID KEEP: keep the tree at BASE as it is now as BASE.kept/ID (hard links: a push
# replaces a file by renaming a new one over it, so the kept copy stays as it was), then prune
# BASE.kept to the newest KEEP copies. Prints ID, or nothing when BASE is not a folder yet.
set -eu
b=$1 id=$2 keep=$3
[ -d "$b" ] && [ ! -L "$b" ] || exit 0
mkdir -p -- "$b.kept"
cp -al -- "$b" "$b.kept/.$id"
mv -T -- "$b.kept/.$id" "$b.kept/$id"
# shellcheck disable=SC2012
ls -1 -- "$b.kept" | sort | head -n "-$keep" | while IFS= read -r old; do
  rm -rf -- "${b:?}.kept/$old"
done
echo "$id"

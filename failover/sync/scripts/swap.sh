#!/bin/sh
# Shared by publish.sh, release.sh and rollback.sh (release.py `script()` puts it in front of
# them): `swap ID [OLD]`, with $name and $r set, in the folder of `path`: point `path`
# at release ID with one rename; a plain directory `path` is first moved aside as release OLD.
swap() {
  ln -sfn -- "$r/$1" ".$name.failover-new"
  if [ -n "${2:-}" ] && [ -d "$name" ] && [ ! -L "$name" ]; then mv -T -- "$name" "$r/$2"; fi
  mv -T -- ".$name.failover-new" "$name"
}

#!/bin/sh
# What `path` ($1) is on the host: `releases|no-releases`, `newest=ID`, then
# `link` + the resolved live folder, `dangling`, `dir`, `other` or `none`.
# With `expect` ($2), `new` ($3) and `keep` ($4): when the live release is `expect` and nothing
# newer is pending, also prune the releases to the newest `keep - 1` (never the live one) and
# start release `new` as a hard-link copy of the live one (`prepared`): the SFTP path then swaps
# it in with an SFTP rename, and the whole push needs this one command (sync/sftp.py).
# Release ids are our own UTC timestamps: `ls` lists them safely (SC2012).
b=$1 expect=${2:-} new=${3:-} keep=${4:-2}
if [ -d "$b.releases" ]; then echo releases; else echo no-releases; fi
# shellcheck disable=SC2012
newest=$(ls -1 -- "$b.releases" 2>/dev/null | sort | tail -n 1)
echo "newest=$newest"
if [ -L "$b" ] && [ -d "$b" ]; then
  echo link; live=$(readlink -f -- "$b"); echo "$live"
  if [ -n "$new" ] && [ "$newest" = "$expect" ] && [ "$(basename -- "$live")" = "$expect" ]; then
    # shellcheck disable=SC2012
    ls -1 -- "$b.releases" | sort | head -n -"$((keep - 1))" | while IFS= read -r d; do
      if [ "$d" != "$expect" ]; then rm -rf -- "$b.releases/$d"; fi
    done
    cp -al -- "$live" "$b.releases/$new" && echo prepared
  fi
elif [ -L "$b" ]; then echo dangling
elif [ -d "$b" ]; then echo dir
elif [ -e "$b" ]; then echo other
else echo none
fi

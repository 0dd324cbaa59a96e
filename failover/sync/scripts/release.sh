#!/bin/sh
# One script for the whole publish of an atomic push, run as rsync's `--rsync-path` (fill=rsync:
# prepare the stage, run the receiving rsync as `rsync "$@"`, then publish; all in the push's one
# ssh session) or on its own (fill=none: publish a stage already filled). Arguments: base new old
# keep maxdel expect changed fill, then rsync's own.
# - Prepare: the stage is a hard-link copy of the live tree (`cp -al`), so rsync only writes
#   the changed files (`--link-dest` would re-check every file against the live tree: ~3x the
#   system time on an unchanged 20,000-file tree). After a publish, the next stage is made in
#   the background, once the session has ended: the old releases past `keep` are renamed to
#   `.trash.<id>` (one rename each, so the listing holds `keep` releases when the push returns)
#   and removed there, and the new live release is copied to `.next.tmp`, then renamed `.next`.
#   `<path>.releases/.lock` (flock) is held from the start of a push until that work is done: a
#   push waits for the one before it. Without flock on the host, or when the background work
#   was cut short, the push copies the live tree itself first.
# - `expect`: the release the client's pushed record (tree.py) says is live. When it still is,
#   `changed` (0|1: the client's exact diff of the mirror against that record) decides and no
#   tree is walked here. Otherwise the stage is compared with the live tree (files by size, mtime
#   and mode, as rsync's quick check does; symlinks by target), the `+|~|-<TAB>path` lines are
#   sent back and deletions are gated (maxdel; -1: no limit), all before anything is swapped.
# - rsync never writes into an existing file (no --inplace): a changed file is a new inode
#   renamed over the old name, so releases sharing the old inode are untouched. A pure permission
#   change is applied in place, though, and shows in the releases sharing that inode.
# Lines back go to stderr, `@failover `-prefixed (stdout is rsync's protocol): the diff, then
# `published ID`, `unchanged ID` or `refused`; `error: ...` (exit 3) when the script fails.
set -eu
LOCK_WAIT=600
b=$1 new=$2 old=$3 keep=$4 maxdel=$5 expect=$6 changed=$7 fill=$8
shift 8
fail() { echo "@failover error: $*" >&2; exit 3; }
if [ "$fill" = rsync ]; then mkdir -p -- "$b.releases"; fi
cd -- "$(dirname -- "$b")" 2>/dev/null || fail "cannot enter the folder of $b"
name=$(basename -- "$b") r="$(basename -- "$b").releases"
stage="$r/.next" diff="$r/.next.diff"
if [ -e "$name" ] && [ ! -d "$name" ]; then
  fail "$b is neither a directory nor a symlink to one; move it away first"
fi
locked=""
if command -v flock >/dev/null 2>&1; then
  exec 9>"$r/.lock"
  flock -w "$LOCK_WAIT" 9 ||
    fail "could not lock $b.releases/.lock in ${LOCK_WAIT}s (is another push to it running?)"
  locked=yes
fi
if [ "$fill" = rsync ]; then
  rm -rf -- "$stage.tmp"
  [ -e "$stage" ] || [ ! -d "$name" ] || cp -al -- "$name/." "$stage"
  rsync "$@"
fi
[ -d "$stage" ] || fail "no staged release in $b.releases"
live=""
if [ -L "$name" ]; then live=$(basename -- "$(readlink -f -- "$name")"); fi
if [ -n "$expect" ] && [ "$live" = "$expect" ]; then
  if [ "$changed" = 0 ]; then echo "@failover unchanged $live" >&2; exit 0; fi
else
  trap 'rm -f -- "$diff"' EXIT
  list() {
    [ -d "$2" ] || return 0
    (cd -- "$2" && find . -mindepth 1 -path ./.rsync-partial -prune -o \
      \( -type d -printf "$1\td\t%P\t-\n" \) -o \( -type l -printf "$1\tl\t%P\t%l\n" \) -o \
      -printf "$1\tf\t%P\t%s:%T@:%m\n")
  }
  { list L "$name/"; list N "$stage"; } | awk -F'\t' '
    $1 == "L" { lt[$3] = $2; lv[$3] = $4; next }
    { nt[$3] = $2; nv[$3] = $4 }
    END {
      for (p in nt) {
        if (!(p in lt)) print "+\t" p (nt[p] == "d" ? "/" : "")
        else if (nt[p] != "d" && (lt[p] != nt[p] || lv[p] != nv[p])) print "~\t" p
      }
      for (p in lt) if (!(p in nt)) print "-\t" p (lt[p] == "d" ? "/" : "")
    }' > "$diff"
  echo "@failover compared" >&2
  sed 's/^/@failover /' -- "$diff" >&2
  dels=$(grep -c '^-' -- "$diff" || true)
  if [ "$maxdel" -ge 0 ] && [ "$dels" -gt "$maxdel" ]; then echo "@failover refused" >&2; exit 0; fi
  if [ ! -s "$diff" ] && [ -L "$name" ]; then echo "@failover unchanged $live" >&2; exit 0; fi
fi
mv -T -- "$stage" "$r/$new"
swap "$new" "$old"
live=$(readlink -f -- "$name")
# shellcheck disable=SC2012
ls -1 -- "$r" | sort | head -n -"$keep" | while IFS= read -r d; do
  if [ "$(readlink -f -- "$r/$d")" != "$live" ]; then mv -T -- "$r/$d" "$r/.trash.$d"; fi
done
echo "@failover published $new" >&2
if [ -n "$locked" ]; then  # after the session: it ends when no process holds its pipes
  { cp -al -- "$r/$new/." "$stage.tmp" && mv -T -- "$stage.tmp" "$stage"
    rm -rf -- "$r"/.trash.*; } </dev/null >/dev/null 2>&1 &
else
  rm -rf -- "$r"/.trash.*
fi

#!/bin/sh
# A database dump, compressed on the host: "$@" is the dump program and its arguments. Its
# output goes to stdout through `gzip -1`; the last line on stderr is
# `@failover dump-exit N gzip-exit M` (a pipe's status is its last program's, and the dump's
# own is the one that says whether the dump is whole).
exec 4>&1
dump=$( { { "$@" 4>&- 3>&-; echo "$?" >&3; } | gzip -1 >&4 3>&-; } 3>&1 )
zipped=$?
echo "@failover dump-exit ${dump:-255} gzip-exit $zipped" >&2

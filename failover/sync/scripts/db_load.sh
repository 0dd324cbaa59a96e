#!/bin/sh
# A compressed dump on stdin, loaded by the client program "$@" (which reads SQL on its stdin
# and stops at the first error). Its output goes to stderr; the last line on stderr is
# `@failover gzip-exit N load-exit M`, and the exit status is 0 only when both are.
zipped=$( { { gzip -dc 3>&-; echo "$?" >&3; } | "$@" >&2 3>&-; } 3>&1 )
loaded=$?
echo "@failover gzip-exit ${zipped:-255} load-exit $loaded" >&2
[ "${zipped:-255}" = 0 ] && [ "$loaded" = 0 ]

#!/bin/sh
# Runs "$@" as a child and takes its whole process group down when our stdin reaches EOF,
# i.e. when the test process that started us exits or dies (even by SIGKILL).
# Start it under setsid so the group holds only the server and its helpers.
# Background jobs of a non-interactive shell get /dev/null as stdin, so keep the real one on fd 3.
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
( while read -r _; do :; done; kill -TERM 0 ) <&3 &
watcher=$!
exec 3<&-
wait "$child"
rc=$?
kill "$watcher" 2>/dev/null
exit "$rc"

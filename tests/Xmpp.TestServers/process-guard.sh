#!/bin/sh
# Runs "$@" as a child and takes its whole process group down when our stdin reaches EOF,
# i.e. when the test process that started us exits or dies (even by SIGKILL).
# Start it under setsid so the group holds only the server and its helpers.
"$@" </dev/null &
child=$!
( while read -r _; do :; done; kill -TERM 0 ) <&0 &
watcher=$!
wait "$child"
rc=$?
kill "$watcher" 2>/dev/null
exit "$rc"

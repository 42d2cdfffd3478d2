# SPDX-License-Identifier: Apache-2.0
# The timeout is absolute: a reader that does not read (a pager, Ctrl-S, `| (sleep 6; cat)`)
# cannot keep the command's tree alive past it. A background heartbeat records every 100 ms
# that the tree still lives while the main process fills its output pipe; the supervisor must
# kill the tree at 1 s although the output is not read for 6 s.
# args: -t 1s
# modes: pipe
# reader: slow
# expect: exit=124
# max-seconds: 12
# after: start=$(cat "$UDIR/tmp/start"); last=$(cat "$UDIR/tmp/alive"); echo "tree alive for $((last - start)) ms"; test $((last - start)) -lt 2500
date +%s%3N >"$3/start"
(while :; do date +%s%3N >"$3/alive"; sleep 0.1; done) &
while :; do seq 1 5000; done

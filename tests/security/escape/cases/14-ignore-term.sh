# SPDX-License-Identifier: Apache-2.0
# A tree that ignores SIGTERM past the timeout is killed after the grace period (exit 124).
# args: -t 1s
# expect: exit=124
# max-seconds: 6
trap '' TERM
(trap '' TERM; sleep 60) &
sleep 60

# SPDX-License-Identifier: Apache-2.0
# The process limit holds for root at sizes the pid namespace's pid_max can express (>= 300):
# a fork bomb stops at the limit (pid_max for root on Linux >= 6.14, RLIMIT_NPROC in the user
# namespace otherwise) and the limit cannot be raised from inside.
# args: -t 10s --limit nproc=400
# about: sandbox
# expect: exit=0
# expect-out: bounded at [0-9]+
# max-seconds: 20
n=$($4/probe forkcount 2000)
echo "$n" | grep -qE '^bounded at [0-9]+$' || { echo "ESCAPED fork count: $n"; exit 1; }
[ "${n#bounded at }" -le 400 ] || { echo "ESCAPED more than 400 processes: $n"; exit 1; }
echo "$n"

# SPDX-License-Identifier: Apache-2.0
# A fork bomb hits the process limit (RLIMIT_NPROC in the user namespace; for root a pids
# cgroup, since 64 is below what a pid namespace's pid_max can express) and the timeout takes
# the tree down. As root without a writable pids cgroup the limit cannot be enforced, so the run
# is refused before anything starts (24-pid-max covers root's pid_max path).
# args: -t 2s --limit nproc=64
# expect: exit=any
# expect@root-nocgroup: exit=125
# max-seconds: 8
# after: sleep 0.5; ! pgrep -f "sctl-forkbom[b]:$UDIR/tmp" >/dev/null
# (The bomb's name carries this case's directory: other test runs on the machine have their own.)
sh -c 'b() { b | b & }; b; sleep 30' "sctl-forkbomb:$3" 2>/dev/null

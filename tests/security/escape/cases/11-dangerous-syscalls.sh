# SPDX-License-Identifier: Apache-2.0
# io_uring, bpf, perf_event_open, userfaultfd, unshare, setns, mount and friends, x32 numbers,
# personality flags that weaken the process.
# about: sandbox
# expect: exit=0
# expect-out: denied io_uring_setup
p=$4/probe
for c in io_uring bpf perf userfaultfd unshare setns mount personality rlimit_core; do
	$p "$c" || exit 1
done
# x32: killed by the filter (SIGSYS) or refused; never executed.
$p x32; rc=$?
[ "$rc" -eq 1 ] && exit 1
echo "x32 exit $rc"

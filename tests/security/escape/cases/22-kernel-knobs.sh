# SPDX-License-Identifier: Apache-2.0
# The kernel's own knobs stay out of reach. uid 0 may write most of /proc/sys and /sys by file
# permission alone, without any capability: core_pattern (a program run as host root on the
# next crash), sysrq-trigger (reboot), cgroup.procs (leave the process limit), pid_max (raise
# it). Each is only opened for appending (nothing is written), which a read-only mount refuses.
# about: sandbox
# expect: exit=0
# expect-out: kernel knobs read-only
for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/pid_max /proc/sys/vm/drop_caches \
	/proc/sysrq-trigger /sys/kernel/mm/transparent_hugepage/enabled \
	/sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs; do
	[ -e "$f" ] || continue
	if (exec 3>>"$f") 2>/dev/null; then echo "ESCAPED $f is writable"; exit 1; fi
done
# Still readable: programs that consult them keep working.
cat /proc/sys/kernel/pid_max >/dev/null || { echo "cannot read pid_max"; exit 1; }
echo "kernel knobs read-only"

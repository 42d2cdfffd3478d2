# SPDX-License-Identifier: Apache-2.0
# ptrace, process_vm_readv and pidfd_getfd against the supervisor (its host pid is $1) and
# against the sandbox's init (pid 1, which holds a copy of the supervisor's memory).
# about: sandbox
# expect: exit=0
# expect-out: denied ptrace attach
p=$4/probe
for target in "$1" 1; do
	$p ptrace "$target" || exit 1
	$p vmread "$target" || exit 1
	$p pidfd_getfd "$target" || exit 1
done

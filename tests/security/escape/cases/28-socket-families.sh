# SPDX-License-Identifier: Apache-2.0
# Only the socket families commands need (unix, IPv4, IPv6, netlink route): AF_VSOCK (which
# reaches the hypervisor from a VM, network namespace or not), packet sockets and the other
# netlink protocols answer EAFNOSUPPORT, also with high bits set in the family argument.
# about: sandbox
# expect: exit=0
# expect-out: families refused
for f in vsock packet netlink-audit family-hi-bits; do
	$4/probe family "$f" || exit 1
done
echo "families refused"

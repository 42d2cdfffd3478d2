# SPDX-License-Identifier: Apache-2.0
# --network deny: no TCP, UDP or raw sockets to the outside; loopback works.
# args: --network deny
# about: sandbox
# expect: exit=0
# expect-out: denied raw socket
$4/probe tcp || exit 1
$4/probe udp || exit 1
$4/probe raw || exit 1
grep -q '^ *lo:' /proc/net/dev || { echo "no loopback"; exit 1; }
[ "$(grep -c ':' /proc/net/dev)" -eq 1 ] || { echo "ESCAPED other interfaces visible"; exit 1; }

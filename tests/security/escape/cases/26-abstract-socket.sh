# SPDX-License-Identifier: Apache-2.0
# An abstract unix socket of the host (an X server listens on @/tmp/.X11-unix/X0) is out of
# reach even without --network deny: Landlock's abstract-socket scope (Linux >= 6.12) refuses
# the connect. Where the kernel lacks it, `secretctl doctor` does not list "landlock scopes" and
# only --network deny (a network namespace of its own) separates abstract sockets: that path
# runs with it (and can be forced with ESCAPE_VARIANT=nolandlock).
# args@nolandlock: --network deny
# host-listen: yes
# about: sandbox
# expect: exit=0
# expect-out: abstract socket denied
name=$(cat "$(dirname "$3")/abstract-name")
$4/probe connect "$name" || exit 1
echo "abstract socket denied"

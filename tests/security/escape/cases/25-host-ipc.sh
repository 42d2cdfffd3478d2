# SPDX-License-Identifier: Apache-2.0
# Host services that act for whoever connects stay out of reach: the caller's runtime directory
# (/run/user/<uid>: session bus, systemd --user, gpg-agent) and its ssh agent socket
# ($SSH_AUTH_SOCK, not passed on but at a guessable path). The runner listens on both and first
# checks they are reachable from outside the sandbox. (The system bus, systemd's private socket,
# container engines and X11 are covered the same way; they are not created on a test machine.)
# host-listen: yes
# about: sandbox
# expect: exit=0
# expect-out: host ipc hidden
$4/probe connect "$(dirname "$3")/agent.sock" || exit 1
$4/probe connect "$(cat "$(dirname "$3")/run-user-sock")" || exit 1
echo "host ipc hidden"

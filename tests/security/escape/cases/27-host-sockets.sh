# SPDX-License-Identifier: Apache-2.0
# No host unix socket is reachable unless allowed, by construction (every socket bound when the
# run starts is covered), not by a list of services: a tmux server on its default socket and on
# one in $HOME (tmux new-window would run a command outside the sandbox, as root with every
# capability), a GNU screen session, an ssh ControlMaster path (the command would run on the
# host or the remote server), and listeners at random paths under $HOME and /var/tmp. The
# runner starts each as this user and checks it is reachable from outside first.
# host-services: yes
# args: --network deny
# about: sandbox
# expect: exit=0
# expect-out: host sockets covered
# after: ! ls "$UDIR"/tmp/TMUX-RAN "$UDIR"/tmp/SCREEN-RAN 2>/dev/null | grep -q .
n=0
while read -r sock; do
	$4/probe connect "$sock" || exit 1
	n=$((n + 1))
done <"$(dirname "$3")/host-sockets"
[ "$n" -ge 6 ] || { echo "only $n host sockets listed"; exit 1; }
name=$(cat "$(dirname "$3")/service-name")
# What an attacker would run: neither reaches its server.
tmux -L "$name" new-window "touch '$3/TMUX-RAN'" 2>/dev/null && echo "ESCAPED tmux new-window"
screen -S "$name" -X screen sh -c "touch '$3/SCREEN-RAN'" 2>/dev/null && echo "ESCAPED screen -X"
echo "host sockets covered ($n)"

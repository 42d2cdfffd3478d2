#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The session agent against the processes around it. Run as root (CI does), with the
# unprivileged user sctltest (created when missing, as the escape suite does):
#   - an agent of sctltest cannot be read by another process of sctltest (ptrace,
#     process_vm_readv, /proc/PID/mem, /proc/PID/environ all refused), while the same attempts
#     on an ordinary sctltest process succeed (the control);
#   - a peer of another uid is refused by the agent itself (SO_PEERCRED), both ways, even when
#     the socket's directory and mode are opened up;
#   - the agent's memory (read as root) holds no trace of the master password, and does hold
#     the vault's path (the control that shows the scan reads it).

load ../e2e/helpers

U=sctltest

setup() {
	e2e_setup
	[ "$(id -u)" -eq 0 ] || { echo "this suite switches users: run it as root (CI does)" >&2; return 1; }
	id "$U" >/dev/null 2>&1 || useradd -m "$U" >/dev/null 2>&1 ||
		{ echo "cannot create $U" >&2; return 1; }
	# $U must reach the binary and the helpers: copies in a directory it can read (a checkout
	# may sit under a private home, as /root is).
	UBIN=$(mktemp -d /tmp/sctl-agent-bin.XXXXXX)
	cp "$BIN" "$UBIN/secretctl" &&
		cp "$BATS_TEST_DIRNAME/lib/procpeek.py" "$BATS_TEST_DIRNAME/../e2e/lib/agentc.py" "$UBIN/" &&
		chmod 755 "$UBIN" "$UBIN"/* || { echo "cannot copy the binary for $U" >&2; return 1; }
	BIN=$UBIN/secretctl
	runuser -u "$U" -- test -x "$BIN" ||
		{ echo "$U cannot execute $BIN" >&2; return 1; }
	UDIR=$(mktemp -d /tmp/sctl-agent-sec.XXXXXX)
	chown "$U" "$UDIR"
	chmod 700 "$UDIR"
	UVAULT=$UDIR/vault
	PEEK="python3 $UBIN/procpeek.py"
	AGENTC="$UBIN/agentc.py"
}

teardown() {
	as_u lock >/dev/null 2>&1 || true
	sc_nopw lock >/dev/null 2>&1 || true
	[ -z "${SLEEPER:-}" ] || kill "$SLEEPER" 2>/dev/null || true
	rm -rf "$UDIR" "${UBIN:-}"
}

# secretctl as sctltest, with its own vault, no terminal, a clean environment.
as_u() {
	runuser -u "$U" -- env -i HOME="$UDIR" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		SECRETCTL_VAULT_DIR="$UVAULT" setsid -w "$BIN" "$@"
}

u_vault() {
	printf '%s\n' "$PW" | as_u init --kdf test --password-stdin >/dev/null 2>&1 || return 1
	printf '%s\n%s' "$PW" 'u-secret-value-0123456789' | as_u set API_KEY --password-stdin >/dev/null 2>&1
	printf '%s\n' "$PW" | as_u unlock --password-stdin >/dev/null
}

@test "an agent of sctltest cannot be read by another process of sctltest" {
	u_vault
	pid=$(as_u status --json | jq .pid)
	[ "$(stat -c %U "/proc/$pid")" = "$U" ]
	run -0 runuser -u "$U" -- $PEEK "$pid"
	echo "$output"
	[[ $output == *"refused /proc/pid/maps"* ]]
	[[ $output == *"refused ptrace"* ]]
	[[ $output == *"refused process_vm_readv"* ]]
	[[ $output == *"refused /proc/pid/mem"* ]]
	[[ $output == *"refused /proc/pid/environ"* ]]
	# The control: the same user reads an ordinary process of its own every way.
	runuser -u "$U" -- sleep 60 &
	SLEEPER=$!
	for _ in $(seq 50); do
		SPID=$(pgrep -u "$U" -x sleep | head -1)
		[ -n "$SPID" ] && break
		sleep 0.1
	done
	run -0 runuser -u "$U" -- $PEEK "$SPID"
	echo "$output"
	[[ $output == *"read /proc/pid/maps"* && $output == *"read ptrace"* ]]
	[[ $output == *"read process_vm_readv"* ]]
	[[ $output == *"read /proc/pid/mem"* && $output == *"read /proc/pid/environ"* ]]
	# The hard core limit is at most 1 (a core helper gets nothing either).
	[ "$(awk '/Max core file size/ {print $6}' "/proc/$pid/limits")" -le 1 ]
}

@test "a peer of another uid is refused by the agent, whatever the socket's mode" {
	u_vault
	sock=$UVAULT/agent.sock
	# root reaches the socket (it passes any file mode) and is still refused. (The agent of an
	# unprivileged user lives in the user namespace its runs are made from, where root has no
	# uid of its own: it shows as the overflow uid.)
	run -100 --separate-stderr python3 "$AGENTC" "$sock" hello
	[[ $stderr == *"refused: uid "*" is not the uid of this agent ($(id -u "$U"))"* ]]
	run -100 --separate-stderr python3 "$AGENTC" "$sock" exec list
	[ -z "$output" ]
	# secretctl as root does not even talk to a socket of another user's: it goes on without.
	run --separate-stderr env SECRETCTL_VAULT_DIR="$UVAULT" setsid -w "$BIN" list
	[ "$status" -ne 0 ]
	[[ $stderr == *"owned by uid $(id -u "$U"), not by you"* ]]
	# The other way: root's agent, its directory and socket opened to everyone.
	init_vault
	printf '%s\n' "$PW" | setsid -w "$BIN" unlock --password-stdin >/dev/null
	d=$SECRETCTL_VAULT_DIR
	while [ "$d" != /tmp ] && [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	chmod 666 "$SECRETCTL_VAULT_DIR/agent.sock"
	run -100 --separate-stderr runuser -u "$U" -- python3 "$AGENTC" "$SECRETCTL_VAULT_DIR/agent.sock" hello
	echo "$stderr"
	[[ $stderr == *"uid $(id -u "$U") is not the uid of this agent (0)"* ]]
	chmod 700 "$SECRETCTL_VAULT_DIR"
	run -0 sc_nopw list # its owner is still served
	[ "$output" = "" ]
}

@test "the agent's memory holds no trace of the master password" {
	init_vault
	put API_KEY 'mem-scan-value-0123456789'
	printf '%s\n' "$PW" | setsid -w "$BIN" unlock --password-stdin >/dev/null
	run -0 sc_nopw list # a request served: a child came and went
	pid=$(sc_nopw status --json | jq .pid)
	printf '%s' "$PW" >"$BATS_TEST_TMPDIR/pw.bin"
	printf '%s' "$SECRETCTL_VAULT_DIR" >"$BATS_TEST_TMPDIR/dir.bin"
	run -0 python3 "$BATS_TEST_DIRNAME/lib/memscan.py" "$pid" password="$BATS_TEST_TMPDIR/pw.bin" \
		vaultdir="$BATS_TEST_TMPDIR/dir.bin"
	echo "$output"
	[[ $output == *"absent password"* ]]
	[[ $output == *"found vaultdir"* ]]
}

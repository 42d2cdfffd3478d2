#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The MCP server's privilege separation, checked from outside as root while a run is in flight:
# the front process (the one that parses the agent's JSON) is under seccomp with no_new_privs
# and holds neither the master password nor any secret value, while the sandboxed command does
# hold the value in its environment (the control that proves the scan finds what is there).

load ../e2e/helpers

setup() {
	e2e_setup
	need_sandbox
	[ "$(id -u)" -eq 0 ] || { echo "this suite reads other processes' memory: run it as root (CI does)" >&2; return 1; }
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
	VALUE="front-scan-secret-$RANDOM$RANDOM-value"
	put API_KEY "$VALUE"
	printf 'version: 1\nallowed_commands:\n  - sleep\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	printf '%s' "$VALUE" >value.bin
	printf '%s' "$PW" >password.bin
}

teardown() {
	exec 7>&- 2>/dev/null || true
	[ -z "${SERVER:-}" ] || kill "$SERVER" 2>/dev/null || true
}

# Child pids of a process, space-separated, trimmed.
children() { local c; c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || true; echo $c; }

@test "mcp front: seccomp, no_new_privs, no password and no secret in its memory" {
	mkfifo req
	if [ -n "${SECRETCTL_ASAN:-}" ]; then
		# The ASan runtime keeps its own copy of the initial environment (read from
		# /proc/self/environ for its options) in every process it runs in, where no scrub can
		# reach it; the password comes from a file there. The plain build checks the
		# variable (make check).
		printf '%s\n' "$PW" >pwfile
		chmod 600 pwfile
		env -u SECRETCTL_PASSWORD "$BIN" mcp-server --password-file pwfile <req >resp 2>err &
	else
		SECRETCTL_PASSWORD="$PW" "$BIN" mcp-server <req >resp 2>err &
	fi
	SERVER=$!
	exec 7>req
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"scan","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["API_KEY"],"command":"sleep 4"}}}' >&7
	# Wait for the run: the server's children are the front and the worker; the command runs
	# under the worker's sandbox init.
	front='' worker='' cmd=''
	for _ in $(seq 200); do
		worker=''
		for k in $(children "$SERVER"); do
			st=$(cat "/proc/$k/status" 2>/dev/null) || continue
			if grep -q '^Seccomp:[[:space:]]*2' <<<"$st"; then front=$k; else worker=$k; fi
		done
		if [ -n "$worker" ]; then
			init=$(children "$worker")
			[ -z "$init" ] || cmd=$(children "$init")
		fi
		[ -n "$front" ] && [ -n "$cmd" ] && break
		sleep 0.05
	done
	[ -n "$front" ] || { cat err; false; }
	[ -n "$cmd" ] || { cat resp err; ps -ef --forest | grep -A3 mcp-server; false; }
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$front/status"
	run -0 python3 "$BATS_TEST_DIRNAME/lib/memscan.py" "$front" value=value.bin password=password.bin
	[[ $output == *"absent value"* ]]
	[[ $output == *"absent password"* ]]
	# The control: the command (worker -> sandbox init -> sleep) has the value in its
	# environment while it runs.
	run -0 python3 "$BATS_TEST_DIRNAME/lib/memscan.py" "$cmd" value=value.bin
	[[ $output == *"found value"* ]]
	for _ in $(seq 100); do
		! grep -q '"id":2' resp || break
		sleep 0.1
	done
	exec 7>&-
	wait "$SERVER"
	SERVER=
	grep -q '"id":2' resp
	! grep -qF "$VALUE" resp
}

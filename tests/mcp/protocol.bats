#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Raw JSON-RPC against the real `secretctl mcp-server` (end to end: the front, the broker and the
# vault; tests/unit/mcp/ tests the front's pieces alone), through tests/e2e/lib/mcpc.py, which
# sends lines byte for byte: malformed and oversized messages, deep nesting, wrong types, unknown
# methods, requests before initialize, and both eras' version errors. Each must get the right
# JSON-RPC error code (with the request's id when it can be read), and the server must go on
# answering the next request.

MCPC=$BATS_TEST_DIRNAME/../e2e/lib/mcpc.py
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"protocol.bats","version":"1"}}}'
INITED='{"jsonrpc":"2.0","method":"notifications/initialized"}'
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'

setup() {
	BIN=$(realpath "${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}")
	cd "$BATS_TEST_TMPDIR" || return 1
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/vault
	PW="master-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	unset SECRETCTL_PASSWORD SECRETCTL_POLICY
	SECRETCTL_PASSWORD=$PW setsid -w "$BIN" init --kdf test >/dev/null 2>&1 || return 1
	printf 'tok-%s' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" |
		SECRETCTL_PASSWORD=$PW setsid -w "$BIN" set API_KEY >/dev/null 2>&1 || return 1
	printf 'version: 1\nallowed_commands: [echo, sleep]\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
}

# serve LINE...: one server process, the lines sent in order (see mcpc.py: "#nowait LINE" sends
# without waiting for an answer); every line the server wrote in $output, then "#exit N".
serve() {
	printf '%s\n' "$@" | SECRETCTL_PASSWORD=$PW python3 "$MCPC" --timeout 10 -- "$BIN" mcp-server
}
serve_file() { # file
	SECRETCTL_PASSWORD=$PW python3 "$MCPC" --timeout 10 -- "$BIN" mcp-server <"$1"
}

ping() { printf '{"jsonrpc":"2.0","id":%s,"method":"ping"}' "$1"; }
meta_req() { # id method [params-members]
	printf '{"jsonrpc":"2.0","id":%s,"method":"%s","params":{%s%s}}' "$1" "$2" "${3:+$3,}" "$META"
}

# The message answering id ($1 as JSON text, e.g. 7 or "s-1").
msg() { jq -c --argjson id "$1" 'select(type == "object" and has("id") and .id == $id)' <<<"$(grep -v '^#' <<<"$output")" | head -1; }
code() { msg "$1" | jq -r '.error.code // "result"'; }
# Error codes of the answers that carry id null, in order.
null_codes() { grep -v '^#' <<<"$output" | jq -c 'select(.id == null) | .error.code' | paste -sd' '; }
pong() { [ "$(msg "$1" | jq -c .result)" = '{}' ] || { echo "no answer to ping $1" >&2; return 1; }; }

@test "malformed messages (not JSON, invalid UTF-8, control characters, two values) are -32700; a non-object -32600; pings go on" {
	run -0 serve "$INIT" "$INITED" '{not json' "$(ping 2)" $'{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":"\xff\xfe"}}' "$(ping 3)" \
		$'{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":"a\x01b"}}' "$(ping 4)" \
		'{"jsonrpc":"2.0","id":9,"method":"ping"} trailing' "$(ping 5)" '"just a string"' "$(ping 6)" '[]' "$(ping 10)"
	echo "$output"
	[ "$(null_codes)" = "-32700 -32700 -32700 -32700 -32600 -32600" ]
	for i in 2 3 4 5 6 10; do pong "$i"; done
	[[ $output == *"#exit 0"* ]]
}

@test "an oversized line (> 8 MiB) and nesting deeper than 64 are -32600 with the request's id; the server goes on" {
	python3 - "$INIT" "$INITED" >lines <<-'EOF'
	import sys
	w = lambda s: sys.stdout.write(s + '\n')
	w(sys.argv[1]); w(sys.argv[2])
	big = 'A' * (9 << 20)
	w('{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"%s"}}' % big)
	w('{"jsonrpc":"2.0","id":3,"method":"ping"}')
	w('{"jsonrpc":"2.0","method":"ping","params":{"x":"%s"},"id":4}' % big)  # the id comes last
	w('{"jsonrpc":"2.0","id":5,"method":"ping"}')
	w('{"jsonrpc":"2.0","id":6,"method":"ping","params":{"a":%s}}' % ('[' * 100 + ']' * 100))
	w('{"jsonrpc":"2.0","id":7,"method":"ping"}')
	w('{"jsonrpc":"2.0","id":8,"method":"ping","params":{"a":%s}}' % ('[' * 100000 + ']' * 100000))
	w('{"jsonrpc":"2.0","id":9,"method":"ping"}')
	w('{"jsonrpc":"2.0","id":10,"method":"ping","params":{"x":"%s"}}' % ('B' * (4 << 20)))  # big but allowed
	w('{"jsonrpc":"2.0","id":11,"method":"ping","params":{"a":%s}}' % ('[' * 30 + ']' * 30))
	EOF
	run -0 serve_file lines
	[ "$(code 2)" = -32600 ] && [[ $(msg 2) == *"8 MiB"* ]]
	[ "$(code 4)" = -32600 ]
	[ "$(code 6)" = -32600 ] && [[ $(msg 6) == *"nested deeper"* ]]
	[ "$(code 8)" = -32600 ]
	for i in 3 5 7 9 10 11; do pong "$i"; done
	[[ $output == *"#exit 0"* ]]
}

@test "wrong types (method, jsonrpc, id, params, tool arguments) and duplicate members get -32600/-32602" {
	run -0 serve "$INIT" "$INITED" \
		'{"jsonrpc":"2.0","id":2,"method":5}' \
		'{"jsonrpc":"1.0","id":3,"method":"ping"}' \
		'{"id":4,"method":"ping"}' \
		'#nowait {"jsonrpc":"2.0","id":{"a":1},"method":"ping"}' \
		'#nowait {"jsonrpc":"2.0","id":null,"method":"ping"}' \
		'#nowait {"jsonrpc":"2.0","id":true,"method":"ping"}' \
		'[{"jsonrpc":"2.0","id":5,"method":"ping"}]' \
		'{"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1,2]}' \
		'{"jsonrpc":"2.0","id":7,"method":"ping","params":null}' \
		'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":5,"arguments":{}}}' \
		'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"secret_list","arguments":[]}}' \
		'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":"API_KEY","command":"echo"}}}' \
		'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["API_KEY"],"command":["echo"]}}}' \
		'{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"security_score","arguments":{"include_keys":1}}}' \
		'{"jsonrpc":"2.0","id":13,"method":"tools/list","params":{"cursor":5}}' \
		'{"jsonrpc":"2.0","id":15,"method":"ping","method":"tools/list"}' \
		'{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"secret_list","name":"secret_run","arguments":{}}}' \
		"$(ping 14)"
	echo "$output"
	[ "$(code 2)" = -32600 ]
	[ "$(code 3)" = -32600 ]
	[ "$(code 4)" = -32600 ]
	[ "$(null_codes)" = "-32600 -32600 -32600 -32600" ] # id object, id null, id true, a batch
	[ "$(code 6)" = -32602 ]
	[ "$(code 7)" = -32600 ]
	for i in 8 9 10 11 12 13; do [ "$(code $i)" = -32602 ]; done
	[[ $(msg 10) == *"'keys' must be an array of strings"* ]]
	# A member given twice would mean different things to different parsers: refused.
	[ "$(code 15)" = -32600 ] && [ "$(code 16)" = -32600 ]
	pong 14
}

@test "ids are echoed exactly: strings, zero, negative, and integers beyond 2^53" {
	# Sent without waiting (mcpc.py could not match a rounded id), then one ping to wait for.
	run -0 serve "$INIT" "$INITED" "#nowait $(ping '"s-1"')" "#nowait $(ping '""')" "#nowait $(ping 0)" \
		"#nowait $(ping -7)" "#nowait $(ping 9007199254740991)" "#nowait $(ping 9007199254740993)" \
		"#nowait $(ping 123456789012345678)" "$(ping 2)"
	echo "$output"
	# Compare the bytes as sent (jq would round big numbers too).
	for id in '"s-1"' '""' 0 -7 9007199254740991 9007199254740993 123456789012345678; do
		grep -qF "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{}}" <<<"$output" ||
			{ echo "no answer with id $id" >&2; return 1; }
	done
}

@test "unknown methods are -32601 in both eras; unknown notifications and stray responses are ignored" {
	run -0 serve "$INIT" "$INITED" \
		'{"jsonrpc":"2.0","id":2,"method":"nope/nope"}' \
		'#nowait {"jsonrpc":"2.0","method":"notifications/nope"}' \
		'#nowait {"jsonrpc":"2.0","id":99,"result":{}}' \
		'#nowait {"jsonrpc":"2.0","id":98,"error":{"code":-1,"message":"x"}}' \
		"$(ping 3)" \
		'{"jsonrpc":"2.0","id":4,"method":"resources/list"}' \
		'{"jsonrpc":"2.0","id":5,"method":"prompts/list"}' \
		'{"jsonrpc":"2.0","id":6,"method":"logging/setLevel","params":{"level":"info"}}' \
		"$(meta_req 7 no/such)" \
		"$(meta_req 8 ping)" \
		"$(meta_req 9 initialize)" \
		"$(meta_req 10 logging/setLevel '"level":"info"')" \
		"$(meta_req 11 resources/subscribe '"uri":"file:///x"')" \
		"$(meta_req 12 prompts/list)" \
		"$(meta_req 13 tools/call '"name":"no_such_tool","arguments":{}')" \
		'{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}' \
		"$(ping 15)"
	echo "$output"
	for i in 2 4 5 6 7 8 9 10 11 12; do
		[ "$(code $i)" = -32601 ] || { echo "id $i: $(msg $i)" >&2; return 1; }
	done
	[ "$(code 13)" = -32602 ] && [ "$(code 14)" = -32602 ]
	pong 3 && pong 15
	# Exactly one answer per request: nothing for the notification or the stray responses.
	[ "$(grep -vc '^#' <<<"$output")" -eq 15 ]
}

@test "before initialize: ping works; other 2025 requests are -32602 naming initialize; then initialize works" {
	run -0 serve "$(ping 1)" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}' \
		"#nowait $INITED" \
		'{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"$INITED" '{"jsonrpc":"2.0","id":5,"method":"tools/list"}' "$(ping 6)"
	echo "$output"
	pong 1
	[ "$(code 2)" = -32602 ] && [[ $(msg 2) == *initialize* ]]
	[ "$(code 3)" = -32602 ] && [[ $(msg 3) == *initialize* ]]
	[ "$(msg 4 | jq -r .result.protocolVersion)" = 2025-11-25 ]
	[ "$(msg 5 | jq '.result.tools | length')" -eq 10 ] # nine tools and folder_list (no mcp_folder_writes here)
	pong 6
}

@test "2025 era versions: each supported one is echoed with its features; an unknown one gets the latest; bad initializes" {
	for v in 2024-11-05 2025-03-26 2025-06-18 2025-11-25; do
		run -0 serve "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}" \
			"$INITED" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
			'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_exists","arguments":{"key":"API_KEY"}}}'
		[ "$(msg 1 | jq -r .result.protocolVersion)" = "$v" ]
		[ "$(msg 1 | jq -r .result.serverInfo.name)" = secretctl ]
		t=$(msg 2 | jq -c '.result.tools[] | select(.name == "secret_run") | [has("title"), has("outputSchema"), has("annotations")]')
		s=$(msg 3 | jq -c '.result | has("structuredContent")')
		case $v in
		2024-11-05) [ "$t" = '[false,false,false]' ] && [ "$s" = false ] ;;
		2025-03-26) [ "$t" = '[false,false,true]' ] && [ "$s" = false ] ;;
		*) [ "$t" = '[true,true,true]' ] && [ "$s" = true ] ;;
		esac
		# 2025 results carry none of the 2026 fields.
		[ "$(msg 2 | jq -c '.result | [has("resultType"), has("ttlMs")]')" = '[false,false]' ]
	done
	run -0 serve '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"$(ping 3)"
	[ "$(msg 1 | jq -r .result.protocolVersion)" = 2025-11-25 ]
	[ "$(code 2)" = -32600 ] # initialize once per connection
	pong 3
	run -0 serve '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":7,"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","id":3,"method":"initialize"}' "$(ping 4)"
	[ "$(code 1)" = -32602 ] && [ "$(code 2)" = -32602 ] && [ "$(code 3)" = -32602 ]
	pong 4
}

@test "2026-07-28 version errors: -32022 with data.requested and data.supported; bad envelopes -32602; then served" {
	env_with() { # id method protocolVersion-json [capabilities-json]
		printf '{"jsonrpc":"2.0","id":%s,"method":"%s","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":%s%s}}}' \
			"$1" "$2" "$3" "${4+,\"io.modelcontextprotocol/clientCapabilities\":$4}"
	}
	run -0 serve "$(meta_req '"d"' server/discover)" \
		"$(env_with 2 tools/list '"v999.0.0"' '{}')" \
		"$(env_with 3 server/discover '"2099-01-01"' '{}')" \
		"$(env_with 4 tools/list '"2025-11-25"' '{}')" \
		"$(env_with 5 tools/list '"2026-07-28"')" \
		"$(env_with 6 tools/list 5 '{}')" \
		"$(env_with 7 tools/list '"2026-07-28"' '[]')" \
		'{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{"_meta":"x"}}' \
		"$(meta_req 9 tools/list)" \
		"$(meta_req 10 tools/call '"name":"secret_exists","arguments":{"key":"API_KEY"}')" \
		"$(ping 11)"
	echo "$output"
	supported=$(msg '"d"' | jq -c .result.supportedVersions)
	[ "$(jq 'index("2026-07-28") != null' <<<"$supported")" = true ]
	for id in 2 3 4; do
		[ "$(code $id)" = -32022 ] || { echo "id $id: $(msg $id)" >&2; return 1; }
		# data.supported lists only versions discover offers, and includes 2026-07-28
		msg $id | jq -e --argjson s "$supported" '.error.data.supported | length > 0 and all(. as $v | $s | index($v) != null) and index("2026-07-28") != null'
	done
	[ "$(msg 2 | jq -r .error.data.requested)" = v999.0.0 ]
	[ "$(msg 3 | jq -r .error.data.requested)" = 2099-01-01 ]
	[ "$(msg 4 | jq -r .error.data.requested)" = 2025-11-25 ]
	for id in 5 6 7; do [ "$(code $id)" = -32602 ] || { echo "id $id: $(msg $id)" >&2; return 1; }; done
	[ "$(code 8)" = -32602 ]
	[ "$(msg 9 | jq -c '.result | [.resultType, (.ttlMs | type), .cacheScope, (.tools | length)]')" = '["complete","number","private",10]' ] ||
		[ "$(msg 9 | jq -c '.result | [.resultType, (.ttlMs | type), .cacheScope, (.tools | length)]')" = '["complete","number","public",10]' ]
	[ "$(msg 10 | jq -c '.result | [.resultType, .structuredContent.exists]')" = '["complete",true]' ]
	[ "$(msg 10 | jq -r '.result._meta["io.modelcontextprotocol/serverInfo"].name')" = secretctl ]
	pong 11
}

@test "one process serves both eras: server/discover, then initialize (Claude Code's fallback), then requests of each" {
	run -0 serve "$(meta_req '"server-discover-probe-1"' server/discover)" "$INIT" "$INITED" \
		'{"jsonrpc":"2.0","id":2,"method":"tools/list"}' "$(meta_req 3 tools/list)" "$(ping 4)"
	echo "$output"
	[ "$(msg '"server-discover-probe-1"' | jq -c '.result | [.resultType, (.supportedVersions | index("2026-07-28") != null), .capabilities.tools != null]')" = '["complete",true,true]' ]
	[ "$(msg 1 | jq -r .result.protocolVersion)" = 2025-11-25 ]
	[ "$(msg 2 | jq -c '.result | [(.tools | length), has("resultType")]')" = '[10,false]' ]
	[ "$(msg 3 | jq -c '.result | [(.tools | length), .resultType]')" = '[10,"complete"]' ]
	pong 4
}

@test "SIGINT, SIGTERM and SIGHUP end the server promptly with status 0, a run in flight killed with it" {
	for sig in INT TERM HUP; do
		tok="30.$RANDOM$RANDOM"
		run -0 env SECRETCTL_PASSWORD="$PW" python3 - "$BIN" "$sig" "$tok" "$INIT" <<-'EOF'
		import json, os, signal, subprocess, sys, time
		bin_, sig, tok, init = sys.argv[1:5]
		p = subprocess.Popen([bin_, 'mcp-server'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
		def send(m): p.stdin.write((m if isinstance(m, str) else json.dumps(m)).encode() + b'\n'); p.stdin.flush()
		send(init); p.stdout.readline()
		send({'jsonrpc': '2.0', 'method': 'notifications/initialized'})
		send({'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call', 'params': {'name': 'secret_run',
		      'arguments': {'keys': ['API_KEY'], 'command': 'sleep ' + tok}}})
		def running():
		    return subprocess.run(['pgrep', '-f', 'sleep ' + tok], capture_output=True).returncode == 0
		t = time.time()
		while not running() and time.time() - t < 5: time.sleep(0.02)
		print('started' if running() else 'not started')
		t = time.time()
		p.send_signal(getattr(signal, 'SIG' + sig))
		try: rc = p.wait(5)
		except subprocess.TimeoutExpired: p.kill(); rc = 'hung'
		print('exit', rc, 'after %.1f s' % (time.time() - t))
		t = time.time()
		while running() and time.time() - t < 2: time.sleep(0.02)
		print('run gone' if not running() else 'run still alive')
		EOF
		echo "$output"
		[ "${lines[0]}" = started ]
		[[ ${lines[1]} == "exit 0 after "[0-2].* ]]
		[ "${lines[2]}" = "run gone" ]
	done
}

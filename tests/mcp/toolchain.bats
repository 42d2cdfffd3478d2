#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The MCP test toolchain itself, so a broken install fails here and not as a puzzling secretctl
# failure: the pinned node 22, what the v1 and v2 clients and Claude Code put on the wire, the
# Streamable HTTP bridge (its transport duties, and the official conformance suite passing through
# it against SDK-built reference servers), and the spec-schema helper. Nothing here skips: a
# missing piece fails with "run make deps".

setup() {
	MCP=$BATS_TEST_DIRNAME
	NODE=$MCP/node
	cd "$BATS_TEST_TMPDIR" || return 1
}

teardown() {
	[ -z "${BRIDGE_PID:-}" ] || { kill "$BRIDGE_PID" 2>/dev/null; wait "$BRIDGE_PID" 2>/dev/null || true; }
}

# Lines of one scenario's section of wire-probe.mjs output.
section() { # name
	awk -v s="=== $1" '$0 == s {on = 1; next} /^=== / {on = 0} on' <<<"$output"
}

@test "tests/mcp/node is the pinned node 22 and every package loads" {
	run -0 "$NODE" --version
	[[ $output == v22.* ]]
	cd "$MCP" # bare specifiers resolve from the working directory with -e
	run -0 "$NODE" --input-type=module -e '
		for (const m of ["@modelcontextprotocol/sdk/client/index.js", "@modelcontextprotocol/sdk/server/mcp.js",
			"@modelcontextprotocol/client", "@modelcontextprotocol/client/stdio", "@modelcontextprotocol/server",
			"ajv/dist/2020.js", "zod"]) await import(m);
		console.log("loaded");'
	[ "$output" = loaded ]
	[ -x "$MCP/node_modules/.bin/claude" ] && [ -x "$MCP/node_modules/.bin/conformance" ]
}

@test "wire: v1 client speaks the 2025 handshake; v2 auto/pin probe a sibling process first" {
	run -0 "$NODE" "$MCP/wire-probe.mjs"
	s=$(section v1)
	[[ $s == *'"method":"initialize","params":{"protocolVersion":"2025-11-25"'* ]]
	[[ $s == *'"method":"notifications/cancelled","params":{"requestId":5,"reason":"probe cancels"}'* ]]
	[ "$(grep -c ' START ' <<<"$s")" -eq 1 ]
	s=$(section v2-legacy)
	[[ $s == *'"protocolVersion":"2025-11-25"'* && $s != *server/discover* ]]
	for mode in v2-auto v2-pin; do
		s=$(section $mode)
		[[ $s == *"era=modern version=2026-07-28"* ]]
		# Two processes: the probe gets server/discover, then stdin EOF and SIGTERM at once (either
		# may be seen first); the session process never sees server/discover.
		[ "$(grep -c ' START ' <<<"$s")" -eq 2 ]
		probe=$(grep ' START ' <<<"$s" | head -1 | awk '{print $2}')
		grep -q "pid $probe --> .*\"id\":\"server-discover-probe-1\",\"method\":\"server/discover\"" <<<"$s"
		grep -Eq "pid $probe (got SIGTERM|stdin EOF)" <<<"$s"
		! grep -v "pid $probe " <<<"$s" | grep -q server/discover
		# Every request and notification carries the _meta envelope; progress tokens ride in it.
		[[ $s == *'"method":"tools/list","jsonrpc":"2.0","id":0,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"'* ]]
		[[ $s == *'"io.modelcontextprotocol/clientCapabilities":{},"progressToken":3}'* ]]
		[[ $s == *'"method":"notifications/cancelled","params":{"requestId":4,"reason":"probe cancels","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"'* ]]
	done
	s=$(section v2-auto-vs-legacy)
	[[ $s == *"era=legacy version=2025-11-25"* && $s == *'"method":"initialize"'* ]]
	s=$(section v2-pin-vs-legacy)
	[[ $s == *"connect failed: SdkError: Version negotiation failed"* ]]
}

@test "Claude Code: 'claude mcp list' connects offline, probing server/discover in place" {
	home=$BATS_TEST_TMPDIR/home
	mkdir -p "$home"
	cat >"$home/.claude.json" <<-EOF
	{ "mcpServers": {
	    "modern": { "command": "$NODE", "args": ["$MCP/lib/wire-server.mjs"],
	                "env": { "WIRE_LOG": "$home/modern.jsonl", "SECRETCTL_PASSWORD": "pw-from-config" } },
	    "legacy": { "command": "$NODE", "args": ["$MCP/lib/wire-server.mjs"],
	                "env": { "WIRE_LOG": "$home/legacy.jsonl", "WIRE_ERA": "legacy" } },
	    "broken": { "command": "/nonexistent/mcp-server" } } }
	EOF
	run -0 env -i HOME="$home" PATH=/usr/bin:/bin DISABLE_AUTOUPDATER=1 \
		timeout 120 "$MCP/node_modules/.bin/claude" mcp list
	[[ $output == *"modern: "*"✔ Connected"* ]]
	[[ $output == *"legacy: "*"✔ Connected"* ]]
	[[ $output == *"broken: "*"✘ Failed to connect"* ]]
	# One process per server: server/discover first; a legacy server then gets initialize.
	[ "$(jq -r 'select(.dir == "start") | .pid' "$home/modern.jsonl" | wc -l)" -eq 1 ]
	[ "$(jq -r 'select(.dir == "in") | .msg.method' "$home/modern.jsonl" | paste -sd' ')" = "server/discover tools/list" ]
	[ "$(jq -r 'select(.dir == "in") | .msg.method' "$home/legacy.jsonl" | paste -sd' ')" = \
		"server/discover initialize notifications/initialized tools/list" ]
	# The config's env reaches the server, and 'claude mcp get' shows it in clear.
	run -0 env -i HOME="$home" PATH=/usr/bin:/bin DISABLE_AUTOUPDATER=1 \
		timeout 60 "$MCP/node_modules/.bin/claude" mcp get modern
	[[ $output == *"SECRETCTL_PASSWORD=pw-from-config"* ]]
}

# Start the bridge in front of a server command; sets URL and BRIDGE_PID.
bridge_start() {
	"$NODE" "$MCP/bridge.mjs" --port-file "$BATS_TEST_TMPDIR/port" -- "$@" >"$BATS_TEST_TMPDIR/bridge.out" 2>&1 &
	BRIDGE_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
	[ -s "$BATS_TEST_TMPDIR/port" ] || { cat "$BATS_TEST_TMPDIR/bridge.out" >&2; return 1; }
	URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")/mcp"
}

# POST a JSON-RPC body; prints "STATUS BODY".
post() { # body [curl args...]
	local body=$1
	shift
	curl -sS -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' "$@" --data "$body" "$URL"
	printf ' %s\n' "$(cat "$BATS_TEST_TMPDIR/body")"
}

@test "bridge: sessions, SSE, statuses and header checks of the HTTP transport" {
	bridge_start "$NODE" "$MCP/lib/wire-server.mjs"
	meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
	init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	# DNS rebinding: a foreign Host or Origin is refused.
	run -0 post "$init" -H 'Host: evil.example.com'
	[[ $output == "403 "* ]]
	run -0 post "$init" -H 'Origin: http://evil.example.com'
	[[ $output == "403 "* ]]
	# 2025 era: initialize opens a session; requests need its id; DELETE ends it.
	sid=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' --data "$init" "$URL" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}')
	[ -n "$sid" ]
	run -0 post '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
	[[ $output == "400 "*'Mcp-Session-Id header is required'* ]]
	run -0 post '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' -H "Mcp-Session-Id: $sid"
	[[ $output == "200 "*'"name":"echo"'* ]]
	run -0 post '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "Mcp-Session-Id: $sid"
	[[ $output == "202 "* ]]
	# Progress before the response turns the reply into an SSE stream.
	run -0 post '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{"steps":2,"ms":10},"_meta":{"progressToken":"p1"}}}' -H "Mcp-Session-Id: $sid"
	[[ $output == "200 event: message"*'"method":"notifications/progress"'*'"id":3,"result"'* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $sid" "$URL"
	[ "$output" = 200 ]
	run -0 post '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H "Mcp-Session-Id: $sid"
	[[ $output == "404 "*'Session not found'* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Accept: application/json' --data "$init" "$URL"
	[ "$output" = 406 ]
	# 2026-07-28: stateless; routing headers must match the body; errors map to statuses.
	h=(-H 'MCP-Protocol-Version: 2026-07-28')
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{$meta}}" "${h[@]}" -H 'Mcp-Method: tools/list'
	[[ $output == "200 "*'"resultType":"complete"'* ]]
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/list\",\"params\":{$meta}}" "${h[@]}" -H 'Mcp-Method: prompts/list'
	[[ $output == "400 "*'"code":-32020'* ]]
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"},$meta}}" "${h[@]}" -H 'Mcp-Method: tools/call'
	[[ $output == "400 "*'Mcp-Name header is required'* ]]
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"},$meta}}" "${h[@]}" -H 'Mcp-Method: tools/call' -H 'Mcp-Name:  echo '
	[[ $output == "200 "*'"id":10,"result"'* ]]
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"no/such\",\"params\":{$meta}}" "${h[@]}" -H 'Mcp-Method: no/such'
	[[ $output == "404 "*'"id":11,"error":{"code":-32601'* ]]
	run -0 post "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"initialize\",\"params\":{$meta}}" "${h[@]}" -H 'Mcp-Method: initialize'
	[[ $output == "404 "*'"code":-32601'* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' -H 'Accept: text/event-stream' "$URL"
	[ "$output" = 405 ]
}

@test "bridge + v1 SDK reference server: the suite's 2025-11-25 requirements pass" {
	run -0 "$MCP/conformance.sh" --requirements 2025-11-25 --out "$BATS_TEST_TMPDIR/c" -- "$NODE" "$MCP/lib/reference-server.mjs"
	[[ $output == *"Total: "*" passed, 1 failed"* ]] # json-schema-2020-12: pending in the suite itself
	[[ $output == *"✗ json-schema-2020-12 (pending)"* ]]
}

@test "bridge + v2 SDK reference server: the suite's 2026-07-28 requirements pass but baselined fixtures" {
	run -0 "$MCP/conformance.sh" --requirements 2026-07-28 --expected-failures "$MCP/baselines/reference-v2.yml" \
		--out "$BATS_TEST_TMPDIR/c" -- "$NODE" "$MCP/lib/reference-server-v2.mjs"
	[[ $output == *"✓ tools-call-with-progress"* && $output == *"✓ caching"* && $output == *"✓ dns-rebinding-protection"* ]]
	[[ $output == *"Baseline check passed"* ]]
}

@test "spec-schema: the official schemas load and say what 2026-07-28 requires of tools/list" {
	run -0 "$NODE" --input-type=module -e "
		import { validateDef } from '$MCP/lib/spec-schema.mjs';
		console.log(JSON.stringify(validateDef('2026-07-28', 'ListToolsResult', { tools: [] })));
		console.log(JSON.stringify(validateDef('2026-07-28', 'ListToolsResult', { tools: [], resultType: 'complete', ttlMs: 0, cacheScope: 'private' })));
		console.log(JSON.stringify(validateDef('2025-11-25', 'ListToolsResult', { tools: [] })));"
	[ "${lines[0]}" = "[\"/ must have required property 'cacheScope'\",\"/ must have required property 'resultType'\",\"/ must have required property 'ttlMs'\"]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[]" ]
}

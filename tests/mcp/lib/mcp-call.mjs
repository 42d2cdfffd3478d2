// SPDX-License-Identifier: Apache-2.0
// One MCP session with the real `secretctl mcp-server`, for bats tests: connect with a real
// client, make the calls given as a JSON array, print one JSON line per call, close.
//   tests/mcp/node tests/mcp/lib/mcp-call.mjs [--client v1|v2-auto|v2-pin] [--cwd DIR] \
//       [--raw FILE] -- '[{"tool":"secret_list","args":{}}, ...]'
// Output lines: {"tool", "args", "result"} or {"tool", "args", "error": {"code", "message"}}.
// The server gets SECRETCTL_VAULT_DIR, SECRETCTL_PASSWORD and SECRETCTL_POLICY from this
// process's environment, passed explicitly (the SDKs pass only HOME LOGNAME PATH SHELL TERM USER);
// its working directory is --cwd (default: the current one). Every byte the client received
// (stdout and stderr of every server process) goes to --raw FILE. MCP_CALL_FORBID holds values,
// one per line, that must not appear in those bytes in any form lib/harness.mjs's leak scan knows
// (raw, hex, base64 at every alignment, JSON-escaped): if one does, the hits go to stderr and the
// exit status is 3. Exit 0 otherwise (tool errors are results); 1 when the session fails.
import fs from 'node:fs';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { BIN, findLeaks, haystacks, recordTransport, wire } from './harness.mjs';

const argv = process.argv.slice(2);
const opt = { client: 'v1', cwd: process.cwd(), raw: null };
while (argv.length && argv[0] !== '--') {
	const k = argv.shift();
	if (!['--client', '--cwd', '--raw'].includes(k) || !argv.length) {
		console.error(`mcp-call: unknown option ${k}`);
		process.exit(2);
	}
	opt[k.slice(2)] = argv.shift();
}
argv.shift();
const calls = JSON.parse(argv[0] ?? '[]');

recordTransport(V1Stdio);
recordTransport(V2Stdio);
const env = {};
for (const k of ['SECRETCTL_VAULT_DIR', 'SECRETCTL_PASSWORD', 'SECRETCTL_POLICY'])
	if (process.env[k] !== undefined) env[k] = process.env[k];
const params = { command: BIN, args: ['mcp-server'], env, cwd: opt.cwd, stderr: 'pipe' };
const info = { name: 'secretctl-bats', version: '1.0.0' };
let client, call;
if (opt.client === 'v1') {
	client = new V1Client(info, { capabilities: {} });
	await client.connect(new V1Stdio(params));
	call = (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
} else if (opt.client === 'v2-auto' || opt.client === 'v2-pin') {
	client = new V2Client(info, { capabilities: {},
		versionNegotiation: opt.client === 'v2-auto' ? { mode: 'auto' } : { mode: { pin: '2026-07-28' } } });
	await client.connect(new V2Stdio(params));
	call = (name, args) => client.callTool({ name, arguments: args }, { timeout: 120000 });
} else {
	console.error(`mcp-call: --client v1, v2-auto or v2-pin, not ${opt.client}`);
	process.exit(2);
}
await client.listTools(); // the v1 SDK validates structuredContent only for listed tools
let failed = false;
for (const { tool, args } of calls) {
	try {
		console.log(JSON.stringify({ tool, args, result: await call(tool, args) }));
	} catch (e) {
		failed = failed || e.code === undefined;
		console.log(JSON.stringify({ tool, args, error: { code: e.code ?? null, message: String(e.message) } }));
	}
}
await client.close();
if (opt.raw) {
	fs.writeFileSync(opt.raw, Buffer.concat(wire.procs.flatMap(r => [...r.out, ...r.err])));
}
const forbid = (process.env.MCP_CALL_FORBID || '').split('\n').filter(Boolean)
	.map((value, i) => ({ label: `MCP_CALL_FORBID line ${i + 1}`, value }));
const hits = findLeaks(forbid, haystacks());
if (hits.length) {
	console.error(`mcp-call: secret values in what the client received: ${JSON.stringify(hits)}`);
	process.exit(3);
}
process.exit(failed ? 1 : 0);

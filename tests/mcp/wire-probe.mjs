#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Show what each real MCP client sends on the wire: runs the same session (list tools, call a tool,
// a call with progress, a cancelled call) with the v1 SDK client and the v2 client in each
// negotiation mode against lib/wire-server.mjs, and prints the transcript the server recorded.
// Usage: tests/mcp/node tests/mcp/wire-probe.mjs [v1|v2-legacy|v2-auto|v2-pin|v2-auto-vs-legacy|v2-pin-vs-legacy]...
//        WIRE_PROBE_JSON=1 prints the raw JSON lines instead of the condensed view.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverPath = path.join(here, 'lib', 'wire-server.mjs');
const info = { name: 'wire-probe', version: '0.0.1' };

const scenarios = {
	'v1': { make: () => new V1Client(info), Stdio: V1Stdio, v1: true },
	'v2-legacy': { make: () => new V2Client(info), Stdio: V2Stdio },
	'v2-auto': { make: () => new V2Client(info, { versionNegotiation: { mode: 'auto' } }), Stdio: V2Stdio },
	'v2-pin': { make: () => new V2Client(info, { versionNegotiation: { mode: { pin: '2026-07-28' } } }), Stdio: V2Stdio },
	'v2-auto-vs-legacy': { make: () => new V2Client(info, { versionNegotiation: { mode: 'auto' } }), Stdio: V2Stdio, era: 'legacy' },
	'v2-pin-vs-legacy': { make: () => new V2Client(info, { versionNegotiation: { mode: { pin: '2026-07-28' } } }), Stdio: V2Stdio, era: 'legacy', expectFail: true },
};

async function session(name, sc) {
	const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wire-')), 'wire.jsonl');
	const transport = new sc.Stdio({
		command: process.execPath, args: [serverPath],
		// Given env is merged over the default inherited set (HOME LOGNAME PATH SHELL TERM USER).
		env: { WIRE_LOG: log, WIRE_ERA: sc.era || 'both', PROBE_SECRET_LIKE: 'x' },
		stderr: 'inherit',
	});
	const client = sc.make();
	const notes = [];
	try {
		await client.connect(transport);
	} catch (e) {
		notes.push(`connect failed: ${e.name}: ${e.message}`);
		return { log, notes };
	}
	if (!sc.v1) notes.push(`era=${client.getProtocolEra()} version=${client.getNegotiatedProtocolVersion()}`);
	else notes.push(`version=${transport._protocolVersion ?? '(n/a)'} server=${JSON.stringify(client.getServerVersion())}`);
	const tools = await client.listTools();
	notes.push(`tools: ${tools.tools.map(t => t.name).join(',')}`);
	const call = (params, opts) => sc.v1 ? client.callTool(params, undefined, opts) : client.callTool(params, opts);
	const r = await call({ name: 'echo', arguments: { text: 'hi' } });
	notes.push(`echo -> ${r.content[0].text}`);
	const e = await call({ name: 'env', arguments: { name: 'PROBE_SECRET_LIKE' } });
	notes.push(`env PROBE_SECRET_LIKE in server -> ${e.content[0].text}`);
	const progress = [];
	await call({ name: 'slow', arguments: { steps: 3, ms: 20 } }, { onprogress: p => progress.push(p) });
	notes.push(`progress callbacks: ${JSON.stringify(progress)}`);
	const ac = new AbortController();
	const pending = call({ name: 'slow', arguments: { steps: 50, ms: 50 } },
		{ signal: ac.signal, onprogress: p => { if (p.progress === 2) ac.abort('probe cancels'); } });
	try { await pending; notes.push('cancelled call resolved (unexpected)'); }
	catch (err) { notes.push(`cancelled call rejected: ${err.name}: ${err.message}`); }
	await new Promise(res => setTimeout(res, 100));
	await client.close();
	await new Promise(res => setTimeout(res, 100));
	return { log, notes };
}

function condense(rec) {
	const m = rec.msg;
	if (rec.dir === 'start') return `pid ${rec.pid} START env=[${rec.env.join(' ')}]`;
	if (rec.dir === 'exit') return `pid ${rec.pid} EXIT ${rec.code}`;
	if (rec.dir === 'signal') return `pid ${rec.pid} got ${rec.sig}`;
	if (rec.dir === 'eof') return `pid ${rec.pid} stdin EOF`;
	if (rec.dir === 'note') return `pid ${rec.pid} (server saw cancellation of ${rec.cancelled})`;
	const arrow = rec.dir === 'in' ? '-->' : '<--';
	return `pid ${rec.pid} ${arrow} ${JSON.stringify(m)}`;
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
let failed = 0;
for (const name of wanted) {
	const sc = scenarios[name];
	if (!sc) { console.error(`unknown scenario ${name}`); process.exit(2); }
	console.log(`\n=== ${name}`);
	let res;
	try { res = await session(name, sc); } catch (e) { console.log(`  ERROR ${e.stack}`); failed++; continue; }
	for (const n of res.notes) console.log(`  # ${n}`);
	const lines = fs.existsSync(res.log) ? fs.readFileSync(res.log, 'utf8').trim().split('\n') : [];
	for (const l of lines) console.log('  ' + (process.env.WIRE_PROBE_JSON ? l : condense(JSON.parse(l))));
	if (res.notes[0]?.startsWith('connect failed') && !sc.expectFail) failed++;
}
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A fake stdio MCP server that records every line it receives, for learning and asserting what
// real MCP clients put on the wire. It speaks both eras: the 2025 handshake (initialize) and the
// 2026-07-28 stateless revision (server/discover, per-request _meta), unless WIRE_ERA says otherwise.
//
// Env:  WIRE_LOG   file to append JSON lines to: {"t":ms,"pid":N,"dir":"in"|"out"|"start"|"exit",...}
//       WIRE_OMIT  comma-separated result fields to leave out of server/discover and tools/list
//                  (resultType, ttlMs, cacheScope, _meta), to see how clients react
//       WIRE_ERA   both (default) | legacy (answers server/discover with -32601, like a 2025
//                  server) | modern (answers initialize with -32601)
// Tools: echo {text}        -> the text back
//        slow {steps, ms}   -> one notifications/progress per step when the request carries a
//                              progressToken, then "done"; a notifications/cancelled for the
//                              request stops it and no response is sent (as the spec asks)
//        env {name}         -> whether the variable is set in the server's environment
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';

const logFile = process.env.WIRE_LOG;
const era = process.env.WIRE_ERA || 'both';
const MODERN = '2026-07-28';
const LEGACY = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const serverInfo = { name: 'wire-server', version: '1.0.0' };
const t0 = Date.now();
const omit = new Set((process.env.WIRE_OMIT || '').split(',').filter(Boolean));
const without = (o, keep) => (keep ? o : Object.fromEntries(Object.entries(o).filter(([k]) => !omit.has(k))));

function log(rec) {
	if (logFile) fs.appendFileSync(logFile, JSON.stringify({ t: Date.now() - t0, pid: process.pid, ...rec }) + '\n');
}
function send(msg) {
	log({ dir: 'out', msg });
	process.stdout.write(JSON.stringify(msg) + '\n');
}

log({ dir: 'start', argv: process.argv.slice(2), env: Object.keys(process.env).sort() });
process.on('exit', code => log({ dir: 'exit', code }));
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { log({ dir: 'signal', sig }); process.exit(128 + os.constants.signals[sig]); });

const tools = [
	{ name: 'echo', description: 'Echo the text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
	{ name: 'slow', description: 'Report progress, slowly', inputSchema: { type: 'object', properties: { steps: { type: 'integer' }, ms: { type: 'integer' } } } },
	{ name: 'env', description: 'Is a variable set?', inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
];
const running = new Map(); // request id -> timer of a slow call

const isModern = params => typeof params?._meta?.['io.modelcontextprotocol/protocolVersion'] === 'string';
// A result in the modern era carries resultType and the server's identity in _meta.
function result(req, body) {
	const lists = req.method === 'server/discover' || req.method === 'tools/list';
	const r = isModern(req.params)
		? without({ ...body, resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo } }, !lists)
		: body;
	send({ jsonrpc: '2.0', id: req.id, result: r });
}
function error(req, code, message, data) {
	send({ jsonrpc: '2.0', id: req.id, error: { code, message, ...(data === undefined ? {} : { data }) } });
}

function onRequest(req) {
	const p = req.params || {};
	const modern = isModern(p);
	if (modern) {
		const v = p._meta['io.modelcontextprotocol/protocolVersion'];
		if (era === 'legacy') return error(req, -32601, 'Method not found');
		if (v !== MODERN) return error(req, -32022, 'Unsupported protocol version', { requested: v, supported: [MODERN] });
	}
	switch (req.method) {
	case 'initialize': // not a method of 2026-07-28
		if (era === 'modern' || modern) return error(req, -32601, 'Method not found');
		return result(req, {
			protocolVersion: LEGACY.includes(p.protocolVersion) ? p.protocolVersion : LEGACY[0],
			capabilities: { tools: {} }, serverInfo,
		});
	case 'server/discover':
		if (era === 'legacy' || !modern) return error(req, -32601, 'Method not found');
		return result(req, { supportedVersions: [MODERN], capabilities: { tools: {} }, ttlMs: 0, cacheScope: 'public' });
	case 'ping':
		return result(req, {});
	case 'tools/list':
		return result(req, modern ? { tools, ttlMs: 60000, cacheScope: 'public' } : { tools });
	case 'tools/call':
		return callTool(req, p);
	default:
		return error(req, -32601, 'Method not found');
	}
}

function callTool(req, p) {
	const a = p.arguments || {};
	const text = s => ({ content: [{ type: 'text', text: s }] });
	switch (p.name) {
	case 'echo':
		return result(req, text(String(a.text)));
	case 'env':
		return result(req, text(a.name in process.env ? 'set' : 'unset'));
	case 'slow': {
		const steps = a.steps ?? 5, ms = a.ms ?? 200, token = p._meta?.progressToken;
		let i = 0;
		const tick = () => {
			if (++i > steps) { running.delete(req.id); return result(req, text('done')); }
			if (token !== undefined) {
				send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
			}
			running.set(req.id, setTimeout(tick, ms));
		};
		running.set(req.id, setTimeout(tick, 0));
		return;
	}
	default:
		return error(req, -32602, `Unknown tool: ${p.name}`);
	}
}

function onNotification(n) {
	if (n.method === 'notifications/cancelled') {
		const timer = running.get(n.params?.requestId);
		if (timer !== undefined) { clearTimeout(timer); running.delete(n.params.requestId); log({ dir: 'note', cancelled: n.params.requestId }); }
	}
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', line => {
	let msg;
	try { msg = JSON.parse(line); } catch { log({ dir: 'in', raw: line }); return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }); }
	log({ dir: 'in', msg });
	if (msg.method === undefined) return; // a response (this server sends no requests)
	if (msg.id === undefined) return onNotification(msg);
	onRequest(msg);
});
rl.on('close', () => {
	log({ dir: 'eof' }); for (const t of running.values()) clearTimeout(t); process.exit(0); });

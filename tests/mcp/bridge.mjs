#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A Streamable HTTP <-> stdio bridge for MCP servers, so HTTP-only tools (the conformance suite)
// can test a stdio server. Node's http module only. It implements the HTTP transport's own duties
// (sessions, SSE, status codes, header checks, Host/Origin checks) and forwards JSON-RPC verbatim:
//   2025 era (initialize handshake): one server process per session (Mcp-Session-Id), spawned by
//     the initialize POST and ended by DELETE; server->client requests and notifications ride the
//     in-flight POST's SSE stream or the session's GET stream; every JSON-RPC response is HTTP 200.
//   2026-07-28 era (stateless, per-request _meta): one shared server process for every request;
//     ids are rewritten so concurrent HTTP clients cannot collide; MCP-Protocol-Version, Mcp-Method
//     and Mcp-Name must match the body (else -32020, 400); JSON-RPC errors map to HTTP statuses
//     (-32601 -> 404; -32700 -32600 -32602 -32020 -32021 -32022 -> 400; -32603 -> 500); closing
//     the HTTP response cancels the request (notifications/cancelled to the server). The process
//     is opened with two requests of the bridge's own (server/discover, then an unknown method),
//     whose answers are not forwarded.
// Usage: node bridge.mjs [--host 127.0.0.1] [--port 0] [--path /mcp] [--port-file FILE]
//                        [--log FILE] [--stderr FILE] -- COMMAND [ARG...]
// Prints "bridge: listening on http://HOST:PORT/PATH" once ready. SIGTERM/SIGINT stop it and
// every server process it started.
import http from 'node:http';
import fs from 'node:fs';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';

const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const PV_KEY = 'io.modelcontextprotocol/protocolVersion';
const SUB_KEY = 'io.modelcontextprotocol/subscriptionId';
const MODERN_VERSION = '2026-07-28';
const OPEN_ID = 'mcp-bridge-open';
const BODY_MAX = 4 << 20;

function usage(msg) {
	if (msg) process.stderr.write(`bridge: ${msg}\n`);
	process.stderr.write('usage: bridge.mjs [--host H] [--port N] [--path P] [--port-file F] [--log F] [--stderr F] -- COMMAND [ARG...]\n');
	process.exit(2);
}
const opt = { host: '127.0.0.1', port: 0, path: '/mcp', portFile: null, log: null, stderr: null };
const argv = process.argv.slice(2);
let command = null;
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	if (a === '--') { command = argv.slice(i + 1); break; }
	const key = { '--host': 'host', '--port': 'port', '--path': 'path', '--port-file': 'portFile', '--log': 'log', '--stderr': 'stderr' }[a];
	if (!key || i + 1 >= argv.length) usage(`bad argument ${a}`);
	opt[key] = argv[++i];
}
if (!command || command.length === 0) usage('no server command');
opt.port = Number(opt.port);

const t0 = Date.now();
function log(rec) {
	if (opt.log) fs.appendFileSync(opt.log, JSON.stringify({ t: Date.now() - t0, ...rec }) + '\n');
}

// ---- server processes ---------------------------------------------------------------------
const children = new Set();
let childSeq = 0;
class Child {
	constructor(label) {
		this.label = `${label}#${++childSeq}`;
		this.exited = false;
		this.onmessage = () => {};
		this.onexit = () => {};
		const stderr = opt.stderr ? fs.openSync(opt.stderr, 'a') : 'inherit';
		this.proc = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', stderr] });
		if (typeof stderr === 'number') fs.closeSync(stderr);
		children.add(this);
		log({ child: this.label, event: 'spawn', pid: this.proc.pid });
		this.proc.stdin.on('error', () => {});
		readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity }).on('line', line => {
			if (!line.trim()) return;
			let msg;
			try { msg = JSON.parse(line); } catch { log({ child: this.label, event: 'bad-line', line }); return; }
			log({ child: this.label, dir: 'from', msg });
			this.onmessage(msg);
		});
		this.proc.on('error', e => { log({ child: this.label, event: 'error', error: String(e) }); this.gone(); });
		this.proc.on('exit', (code, sig) => { log({ child: this.label, event: 'exit', code, sig }); this.gone(); });
	}
	gone() {
		if (this.exited) return;
		this.exited = true;
		children.delete(this);
		this.onexit();
	}
	send(msg) {
		if (this.exited) return false;
		log({ child: this.label, dir: 'to', msg });
		this.proc.stdin.write(JSON.stringify(msg) + '\n');
		return true;
	}
	// Close stdin (the stdio way to end a server), then signals if it lingers.
	stop() {
		if (this.exited) return;
		this.proc.stdin.end();
		const term = setTimeout(() => this.proc.kill('SIGTERM'), 1000);
		const kill = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
		term.unref(); kill.unref();
		this.proc.once('exit', () => { clearTimeout(term); clearTimeout(kill); });
	}
}

// ---- HTTP responses that carry JSON-RPC messages ------------------------------------------
// Headers wait for the first message: a response that comes alone goes out as application/json
// with its status; anything before it (progress, logs, server requests) turns the reply into an
// SSE stream (status 200) that ends after the response.
class Reply {
	constructor(res, { json, sse, headers = {}, statusOf = () => 200 }) {
		this.res = res; this.json = json; this.sse = sse; this.headers = headers; this.statusOf = statusOf;
		this.started = false; this.done = false; this.onclose = null;
		res.on('close', () => { if (!this.done) { this.done = true; this.onclose?.(); } });
	}
	send(msg, final) {
		if (this.done) return false;
		if (!this.started && final && this.json) {
			this.done = true;
			writeJson(this.res, this.statusOf(msg), msg, this.headers);
			return true;
		}
		if (!this.started) {
			if (!this.sse) return false; // nowhere to put a message before the response
			this.started = true;
			this.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', ...this.headers });
		}
		this.res.write(`event: message\ndata: ${JSON.stringify(msg)}\n\n`);
		if (final) { this.done = true; this.res.end(); }
		return true;
	}
	end() { if (!this.done) { this.done = true; if (!this.started) this.res.writeHead(200, this.headers); this.res.end(); } }
}

function writeJson(res, status, body, headers = {}) {
	const s = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s), ...headers });
	res.end(s);
}
function httpError(res, status, code, message, id = null, headers = {}) {
	log({ event: 'http-error', status, code, message });
	writeJson(res, status, { jsonrpc: '2.0', id, error: { code, message } }, headers);
}
const isRequest = m => typeof m.method === 'string' && m.id !== undefined && m.id !== null;
const isNotification = m => typeof m.method === 'string' && m.id === undefined;
const isResponse = m => m.method === undefined && m.id !== undefined && ('result' in m || 'error' in m);

// ---- 2025 era: one process per session ------------------------------------------------------
const sessions = new Map();
class Session {
	constructor() {
		this.id = randomUUID();
		this.child = new Child('session');
		this.pending = new Map(); // JSON-RPC id (as sent) -> { reply, token }
		this.getStream = null;
		this.child.onmessage = m => this.route(m);
		this.child.onexit = () => {
			for (const [id, p] of this.pending) p.reply.send({ jsonrpc: '2.0', id, error: { code: -32603, message: 'MCP server process exited' } }, true);
			this.pending.clear();
			this.getStream?.end();
			sessions.delete(this.id);
		};
	}
	latest() { let r = null; for (const p of this.pending.values()) r = p.reply; return r; }
	route(m) {
		if (isResponse(m)) {
			const p = this.pending.get(m.id);
			if (!p) return log({ event: 'orphan-response', session: this.id, id: m.id });
			this.pending.delete(m.id);
			p.reply.send(m, true);
			return;
		}
		let target = null;
		if (m.method === 'notifications/progress') {
			for (const p of this.pending.values()) if (p.token !== undefined && p.token === m.params?.progressToken) target = p.reply;
		} else if (isRequest(m) || m.method === 'notifications/message') {
			target = this.latest() ?? this.getStream; // belongs to the request being served
		} else {
			target = this.getStream ?? this.latest(); // list_changed, resources/updated, ...
		}
		if (target?.send(m, false)) return;
		log({ event: 'undeliverable', session: this.id, msg: m });
		if (isRequest(m)) this.child.send({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: 'no open client stream to deliver the request on' } });
	}
}

function legacyPost(req, res, msg, accept) {
	const sid = req.headers['mcp-session-id'];
	let session;
	if (sid === undefined) {
		if (msg.method !== 'initialize') return httpError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required', msg.id ?? null);
		session = new Session();
		sessions.set(session.id, session);
	} else {
		session = sessions.get(sid);
		if (!session) return httpError(res, 404, -32001, 'Session not found', msg.id ?? null);
		const pv = req.headers['mcp-protocol-version'];
		if (pv !== undefined && !LEGACY_VERSIONS.includes(pv)) return httpError(res, 400, -32000, `Bad Request: unsupported MCP-Protocol-Version ${pv}`, msg.id ?? null);
	}
	if (!isRequest(msg)) {
		session.child.send(msg);
		res.writeHead(202); res.end();
		return;
	}
	const headers = { 'Mcp-Session-Id': session.id };
	const reply = new Reply(res, { ...accept, headers });
	session.pending.set(msg.id, { reply, token: msg.params?._meta?.progressToken });
	reply.onclose = () => session.pending.delete(msg.id); // a dropped stream is not a cancellation (2025 spec)
	if (msg.method === 'initialize') {
		// The session lives only if the server accepts the handshake.
		const orig = reply.send.bind(reply);
		reply.send = (m, final) => {
			if (final && m.error) { sessions.delete(session.id); session.child.stop(); }
			return orig(m, final);
		};
	}
	if (!session.child.send(msg)) { session.pending.delete(msg.id); httpError(res, 404, -32001, 'Session not found', msg.id); }
}

function legacyGet(req, res, accept) {
	const session = sessions.get(req.headers['mcp-session-id']);
	if (req.headers['mcp-session-id'] === undefined) return httpError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
	if (!session) return httpError(res, 404, -32001, 'Session not found');
	if (!accept.sse) return httpError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
	if (session.getStream && !session.getStream.done) return httpError(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
	const reply = new Reply(res, { json: false, sse: true, headers: { 'Mcp-Session-Id': session.id } });
	reply.started = true;
	res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'Mcp-Session-Id': session.id });
	res.write(': stream open\n\n');
	session.getStream = reply;
	reply.onclose = () => { if (session.getStream === reply) session.getStream = null; };
}

function legacyDelete(req, res) {
	const sid = req.headers['mcp-session-id'];
	if (sid === undefined) return httpError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
	const session = sessions.get(sid);
	if (!session) return httpError(res, 404, -32001, 'Session not found');
	sessions.delete(sid);
	session.getStream?.end();
	session.child.stop();
	res.writeHead(200); res.end();
}

// ---- 2026-07-28 era: one shared stateless process -------------------------------------------
const modern = { child: null, pending: new Map(), next: 1 };
const modernStatus = m => {
	const c = m.error?.code;
	if (c === undefined) return 200;
	if (c === -32601) return 404;
	if ([-32700, -32600, -32602, -32020, -32021, -32022].includes(c)) return 400;
	if (c === -32603) return 500;
	return 200;
};
function modernChild() {
	if (modern.child && !modern.child.exited) return modern.child;
	const child = new Child('stateless');
	modern.child = child;
	// Open the process with well-formed requests of our own (answers not forwarded): a server
	// that fixes its era from the opening messages (the v2 SDK's serveStdio: server/discover is a
	// probe, the first other request pins the era) must not be pinned to the 2025 era by a
	// client's malformed first request. The second is an unknown method, answered -32601.
	const meta = { [PV_KEY]: MODERN_VERSION, 'io.modelcontextprotocol/clientInfo': { name: 'mcp-bridge', version: '1.0.0' },
		'io.modelcontextprotocol/clientCapabilities': {} };
	child.send({ jsonrpc: '2.0', id: OPEN_ID, method: 'server/discover', params: { _meta: meta } });
	child.send({ jsonrpc: '2.0', id: OPEN_ID + '-2', method: 'mcp-bridge/open', params: { _meta: meta } });
	child.onexit = () => {
		for (const [iid, p] of modern.pending) if (p.child === child) {
			modern.pending.delete(iid);
			p.reply.send({ jsonrpc: '2.0', id: p.clientId, error: { code: -32603, message: 'MCP server process exited' } }, true);
		}
	};
	child.onmessage = m => {
		if (isResponse(m)) {
			if (m.id === OPEN_ID || m.id === OPEN_ID + '-2') return;
			const p = modern.pending.get(m.id);
			if (!p) return log({ event: 'orphan-response', id: m.id });
			modern.pending.delete(m.id);
			p.reply.send({ ...m, id: p.clientId }, true);
			return;
		}
		if (isRequest(m)) { // no server->client requests in this era
			log({ event: 'undeliverable', msg: m });
			return child.send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'server-to-client requests do not exist in 2026-07-28' } });
		}
		const sub = m.params?._meta?.[SUB_KEY];
		let p = null;
		if (sub !== undefined) p = modern.pending.get(sub);
		else if (m.method === 'notifications/cancelled') p = modern.pending.get(m.params?.requestId);
		else if (m.method === 'notifications/progress') {
			for (const q of modern.pending.values()) if (q.token !== undefined && q.token === m.params?.progressToken) p = q;
		} else for (const q of modern.pending.values()) if (!q.listen) p = q; // logs: the latest request
		if (!p) return log({ event: 'undeliverable', msg: m });
		let out = m;
		if (sub !== undefined) out = { ...m, params: { ...m.params, _meta: { ...m.params._meta, [SUB_KEY]: p.clientId } } };
		if (m.method === 'notifications/cancelled') {
			out = { ...m, params: { ...m.params, requestId: p.clientId } };
			modern.pending.delete(m.params.requestId);
			return p.reply.send(out, true); // the server ended a listen stream
		}
		p.reply.send(out, false);
	};
	return child;
}

function headerMismatch(req, msg) {
	const h = n => (req.headers[n] === undefined ? undefined : String(req.headers[n]).trim());
	const pv = h('mcp-protocol-version'), bodyPv = msg.params?._meta?.[PV_KEY];
	if (pv === undefined) return 'MCP-Protocol-Version header is required';
	if (bodyPv !== undefined && pv !== bodyPv) return `MCP-Protocol-Version header (${pv}) does not match _meta (${bodyPv})`;
	if (h('mcp-method') === undefined) return 'Mcp-Method header is required';
	if (h('mcp-method') !== msg.method) return `Mcp-Method header (${h('mcp-method')}) does not match the body (${msg.method})`;
	const name = msg.method === 'resources/read' ? msg.params?.uri
		: (msg.method === 'tools/call' || msg.method === 'prompts/get') ? msg.params?.name : undefined;
	if (typeof name === 'string') {
		if (h('mcp-name') === undefined) return 'Mcp-Name header is required';
		if (h('mcp-name') !== name) return `Mcp-Name header (${h('mcp-name')}) does not match the body (${name})`;
	}
	return null;
}

function modernPost(req, res, msg, accept) {
	if (isResponse(msg)) return httpError(res, 400, -32600, 'Invalid Request: no server-to-client requests exist to answer in 2026-07-28');
	const mismatch = isRequest(msg) ? headerMismatch(req, msg) : null;
	if (mismatch) return httpError(res, 400, -32020, `Header mismatch: ${mismatch}`, msg.id);
	const child = modernChild();
	if (isNotification(msg)) {
		let out = msg;
		if (msg.method === 'notifications/cancelled') { // translate the client's id to ours
			for (const [iid, p] of modern.pending) if (p.clientId === msg.params?.requestId) {
				out = { ...msg, params: { ...msg.params, requestId: iid } };
				modern.pending.delete(iid);
				p.reply.end();
			}
		}
		child.send(out);
		res.writeHead(202); res.end();
		return;
	}
	const iid = modern.next++;
	const listen = msg.method === 'subscriptions/listen';
	const reply = new Reply(res, { json: accept.json && !listen, sse: accept.sse, statusOf: modernStatus });
	modern.pending.set(iid, { reply, child, clientId: msg.id, token: msg.params?._meta?.progressToken, listen });
	reply.onclose = () => { // closing the response stream cancels the request
		if (modern.pending.delete(iid)) child.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: iid, reason: 'HTTP response stream closed' } });
	};
	child.send({ ...msg, id: iid });
}

// ---- HTTP front ------------------------------------------------------------------------------
const LOCAL = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
function localName(value, isOrigin) {
	if (value === undefined) return isOrigin; // Host is required; Origin is optional
	try {
		const u = new URL(isOrigin ? value : `http://${value}`);
		return LOCAL.has(u.hostname.toLowerCase());
	} catch { return false; }
}
function acceptOf(req) {
	const a = String(req.headers.accept ?? '');
	const any = a.includes('*/*');
	return { json: any || a.includes('application/json'), sse: any || a.includes('text/event-stream') };
}

const server = http.createServer((req, res) => {
	const url = new URL(req.url, 'http://localhost');
	log({ event: 'http', method: req.method, path: url.pathname, headers: req.headers });
	if (url.pathname !== opt.path) return httpError(res, 404, -32000, 'Not Found');
	// DNS rebinding protection: a local server answers local names only.
	if (!localName(req.headers.host, false) || !localName(req.headers.origin, true))
		return httpError(res, 403, -32000, 'Forbidden: Host or Origin is not a local name');
	const accept = acceptOf(req);
	if (req.method === 'GET') {
		if (req.headers['mcp-session-id'] === undefined) { res.setHeader('Allow', 'POST, DELETE'); return httpError(res, 405, -32000, 'Method Not Allowed: no session'); }
		return legacyGet(req, res, accept);
	}
	if (req.method === 'DELETE') return legacyDelete(req, res);
	if (req.method !== 'POST') { res.setHeader('Allow', 'GET, POST, DELETE'); return httpError(res, 405, -32000, 'Method Not Allowed'); }
	if (!accept.json || !accept.sse) return httpError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
	if (!String(req.headers['content-type'] ?? '').includes('application/json'))
		return httpError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
	const chunks = [];
	let size = 0;
	req.on('data', c => { size += c.length; if (size <= BODY_MAX) chunks.push(c); });
	req.on('end', () => {
		if (size > BODY_MAX) return httpError(res, 413, -32600, 'Request body too large');
		let msg;
		try { msg = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { return httpError(res, 400, -32700, 'Parse error'); }
		log({ event: 'body', msg });
		if (Array.isArray(msg)) return httpError(res, 400, -32600, 'Invalid Request: JSON-RPC batches are not supported');
		if (msg === null || typeof msg !== 'object' || msg.jsonrpc !== '2.0') return httpError(res, 400, -32600, 'Invalid Request', msg?.id ?? null);
		const pv = req.headers['mcp-protocol-version'];
		// A 2026 claim (header or _meta) wins even for 'initialize': that method no longer exists
		// there, and the server must say so (-32601, 404). 2025 clients send neither on initialize.
		const isModern = req.headers['mcp-session-id'] === undefined &&
			((pv !== undefined && !LEGACY_VERSIONS.includes(String(pv).trim())) || msg.params?._meta?.[PV_KEY] !== undefined);
		if (isModern) modernPost(req, res, msg, accept);
		else legacyPost(req, res, msg, accept);
	});
});

function shutdown() {
	for (const c of children) c.stop();
	server.close();
	setTimeout(() => { for (const c of children) c.proc.kill('SIGKILL'); process.exit(0); }, 3500).unref();
	const check = setInterval(() => { if (children.size === 0) { clearInterval(check); process.exit(0); } }, 50);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
server.listen(opt.port, opt.host, () => {
	const { port } = server.address();
	const host = opt.host.includes(':') ? `[${opt.host}]` : opt.host;
	if (opt.portFile) fs.writeFileSync(opt.portFile, `${port}\n`);
	process.stdout.write(`bridge: listening on http://${host}:${port}${opt.path}\n`);
});

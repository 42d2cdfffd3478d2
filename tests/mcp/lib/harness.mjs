// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the tests that drive the real `secretctl mcp-server` through the npm MCP
// clients (tests/mcp/*.test.mjs, tests/mcp/lib/mcp-call.mjs):
//   * a throwaway vault made with the CLI (`init --kdf test`, `set`) and a 0600 policy file;
//   * a recorder of every byte each server process wrote to the client (stdout and stderr) and
//     every message the client sent, installed on the clients' StdioClientTransport classes;
//   * a leak scanner: does any value (raw, hex, base64/base64url at every alignment, JSON-escaped)
//     appear in those bytes or in any string of the JSON messages;
//   * ajv (JSON Schema 2020-12) for the tools' schemas, and the spec's own schemas
//     (lib/spec-schema.mjs) to check every line the server sent;
//   * the host's view of processes (/proc), to see that a cancelled run's tree is gone.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { validateDef } from './spec-schema.mjs';

export const MCP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(MCP_DIR, '../..');
/** The binary under test: $SECRETCTL_BIN (tests/run-all.sh sets it), else build/secretctl. */
export const BIN = fs.realpathSync(process.env.SECRETCTL_BIN || path.join(REPO, 'build/secretctl'));

export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Random text that survives URLs, shell words and JSON unescaped: [A-Za-z0-9_-]. */
export function rand(bytes = 18) {
	return crypto.randomBytes(bytes).toString('base64url');
}

export const sha256 = s => crypto.createHash('sha256').update(s).digest('hex');

// ---- the vault ----------------------------------------------------------------------------

/** Run the CLI without a controlling terminal (setsid), with the vault's password; throws on
 *  failure with stderr. Returns stdout. */
export function cli(vault, args, input = '') {
	const r = spawnSync('setsid', ['-w', BIN, ...args], {
		input, encoding: 'utf8',
		env: { PATH: process.env.PATH, HOME: process.env.HOME || os.homedir(), LANG: 'C.UTF-8',
			SECRETCTL_VAULT_DIR: vault.vaultDir, SECRETCTL_PASSWORD: vault.password },
	});
	if (r.status !== 0) throw new Error(`secretctl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
	return r.stdout;
}

/**
 * A fresh vault in a new temp dir. secrets: [{key, value?, fields?: {name: [value, sensitive]},
 * bindings?: ['ENV=field'], opts?: [...set options]}]. Returns {dir, vaultDir, password,
 * policyPath, env (what the MCP server needs), secrets, values: [{label, value}] every value the
 * server must never show (secret values, sensitive fields, the master password), shown: [{label,
 * value}] the non-sensitive field values (returned in clear by design)}.
 */
export function makeVault(secrets, { prefix = 'sctl-mcp-' } = {}) {
	const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
	const vault = { dir, vaultDir: path.join(dir, 'vault'), password: `master-${rand(12)}`, secrets };
	vault.policyPath = path.join(vault.vaultDir, 'mcp-policy.yaml');
	cli(vault, ['init', '--kdf', 'test']);
	vault.values = [{ label: 'master password', value: vault.password }];
	vault.shown = [];
	for (const s of secrets) {
		const args = ['set', s.key, ...(s.opts || [])];
		let input = s.value ?? '';
		for (const [name, [value, sensitive]] of Object.entries(s.fields || {})) {
			if (sensitive) {
				args.push('--field', name, '--sensitive', name); // value from stdin: not on argv
				input = value;
				vault.values.push({ label: `${s.key} field ${name}`, value });
			} else {
				args.push('--field', `${name}=${value}`);
				vault.shown.push({ label: `${s.key} field ${name} (non-sensitive)`, value });
			}
		}
		for (const b of s.bindings || []) args.push('--binding', b);
		if (s.value !== undefined) vault.values.push({ label: s.key, value: s.value });
		cli(vault, args, input);
	}
	vault.env = { SECRETCTL_VAULT_DIR: vault.vaultDir, SECRETCTL_PASSWORD: vault.password };
	vault.cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
	return vault;
}

/** Write the policy file, mode 0600 (the server refuses anything looser). */
export function writePolicy(vault, yaml) {
	fs.writeFileSync(vault.policyPath, yaml, { mode: 0o600 });
	fs.chmodSync(vault.policyPath, 0o600);
}

/** The audit log as the CLI exports it. */
export function auditLog(vault) {
	return JSON.parse(cli(vault, ['audit', 'export']));
}

// ---- recording the wire -------------------------------------------------------------------

/** Every server process any patched transport started: {pid, out: Buffer[], err: Buffer[],
 *  sent: [messages the client wrote], exit: {code, signal} | null, closed: its stdout and
 *  stderr have ended, so out and err are complete}. */
export const wire = { procs: [] };

/**
 * Patch a StdioClientTransport class (v1 or v2) so every instance records its process's bytes.
 * The prototype is patched rather than subclassed: the v2 client probes `auto`/pin negotiation
 * in a sibling process only for the exact base class, and the sibling is recorded too.
 */
export function recordTransport(Cls) {
	if (Cls.prototype.__sctlRecorded) return;
	const { start, send } = Cls.prototype;
	Cls.prototype.start = function (...a) {
		const p = start.apply(this, a); // spawns synchronously inside the promise executor
		const proc = this._process;
		if (proc) {
			const rec = { pid: proc.pid, out: [], err: [], sent: [], exit: null, closed: false };
			wire.procs.push(rec);
			this.__sctlRec = rec;
			proc.stdout?.on('data', c => rec.out.push(Buffer.from(c)));
			proc.stderr?.on('data', c => rec.err.push(Buffer.from(c)));
			proc.on('exit', (code, signal) => { rec.exit = { code, signal }; });
			proc.on('close', () => { rec.closed = true; });
		}
		return p;
	};
	Cls.prototype.send = function (msg, ...a) {
		this.__sctlRec?.sent.push(msg);
		return send.call(this, msg, ...a);
	};
	Cls.prototype.__sctlRecorded = true;
}

/** Parse a process's stdout into messages; throws on a line that is not JSON. */
export function messagesOf(rec) {
	const text = Buffer.concat(rec.out).toString('utf8');
	const lines = text.split('\n');
	if (lines.at(-1) === '') lines.pop();
	return lines.map((l, i) => {
		try { return JSON.parse(l); } catch (e) {
			throw new Error(`server pid ${rec.pid} stdout line ${i + 1} is not JSON (${e.message}): ${l.slice(0, 200)}`);
		}
	});
}

const RESULT_DEF = {
	initialize: 'InitializeResult', 'server/discover': 'DiscoverResult', 'tools/list': 'ListToolsResult',
	'tools/call': 'CallToolResult', ping: 'EmptyResult',
};

const isModern = req => typeof req?.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === 'string';

/**
 * Check every line a server process wrote against the MCP spec's JSON Schema of the revision
 * its request used (2026-07-28 when the request carried the _meta envelope, else 2025-11-25):
 * the JSON-RPC envelope, and each result against the definition for its method. Returns a list
 * of problems.
 */
export function checkWire(rec) {
	const problems = [];
	const byId = new Map();
	for (const m of rec.sent) if (m && 'method' in m && 'id' in m) byId.set(JSON.stringify(m.id), m);
	const anyModern = rec.sent.some(isModern);
	for (const m of messagesOf(rec)) {
		const req = 'id' in m ? byId.get(JSON.stringify(m.id)) : undefined;
		const era = req ? (isModern(req) ? '2026-07-28' : '2025-11-25') : anyModern ? '2026-07-28' : '2025-11-25';
		const where = `pid ${rec.pid} ${JSON.stringify(m).slice(0, 160)}`;
		for (const e of validateDef(era, 'JSONRPCMessage', m)) problems.push(`${where}: ${era} JSONRPCMessage ${e}`);
		if ('result' in m) {
			if (!req) { problems.push(`${where}: a response to no request the client sent`); continue; }
			const def = RESULT_DEF[req.method];
			if (def) for (const e of validateDef(era, def, m.result)) problems.push(`${where}: ${era} ${def} ${e}`);
		} else if (m.method === 'notifications/progress') {
			for (const e of validateDef(era, 'ProgressNotification', m)) problems.push(`${where}: ${era} ProgressNotification ${e}`);
		}
	}
	return problems;
}

// ---- the leak scanner ---------------------------------------------------------------------

/** The forms of a value to look for: raw, JSON-escaped, hex, and base64/base64url of the value
 *  at each of the three byte alignments inside a longer encoded stream (only the characters that
 *  depend on the value's bytes alone). */
export function leakForms(value) {
	const b = Buffer.from(value, 'utf8');
	const forms = new Map([
		['raw', value],
		['json-escaped', JSON.stringify(value).slice(1, -1)],
		['hex', b.toString('hex')],
		['HEX', b.toString('hex').toUpperCase()],
	]);
	for (let i = 0; i < 3; i++) {
		const enc = Buffer.concat([Buffer.alloc(i), b]).toString('base64');
		const core = enc.slice(Math.ceil((i * 8) / 6), Math.floor(((i + b.length) * 8) / 6));
		forms.set(`base64@${i}`, core);
		forms.set(`base64url@${i}`, core.replace(/\+/g, '-').replace(/\//g, '_'));
	}
	return forms;
}

/** Every string (and member name) inside a JSON value, one per line. */
function strings(v, out = []) {
	if (typeof v === 'string') out.push(v);
	else if (Array.isArray(v)) for (const x of v) strings(x, out);
	else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); strings(x, out); }
	return out;
}

/** The texts a scan looks at for recorded processes: raw stdout and stderr bytes (as latin1, so
 *  any byte sequence is searchable) and the decoded strings of every JSON message. */
export function haystacks(recs = wire.procs) {
	const out = [];
	for (const r of recs) {
		out.push({ where: `pid ${r.pid} stdout bytes`, text: Buffer.concat(r.out).toString('latin1') });
		out.push({ where: `pid ${r.pid} stderr bytes`, text: Buffer.concat(r.err).toString('latin1') });
		let decoded = '';
		try { decoded = messagesOf(r).flatMap(m => strings(m)).join('\n'); } catch { /* raw bytes still scanned */ }
		out.push({ where: `pid ${r.pid} decoded JSON strings`, text: decoded });
	}
	return out;
}

/** [{label, form, where}] for every value form found in any haystack. */
export function findLeaks(values, hay) {
	const hits = [];
	for (const { label, value } of values) {
		for (const [form, s] of leakForms(value)) {
			if (s.length < 8) continue; // too short to mean anything (never the case for our values)
			const needle = Buffer.from(s, 'utf8').toString('latin1');
			for (const h of hay) if (h.text.includes(needle)) hits.push({ label, form, where: h.where });
		}
	}
	return hits;
}

// ---- schemas ------------------------------------------------------------------------------

export const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);

/** Compile a schema a server sent (throws when it is not valid JSON Schema 2020-12). */
export function compileSchema(schema, what) {
	if (!ajv.validateSchema(schema)) throw new Error(`${what}: not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
	return ajv.compile(schema);
}

/** Errors of validating value with a compiled validator, as text ('' when valid). */
export function schemaErrors(validate, value) {
	return validate(value) ? '' : ajv.errorsText(validate.errors, { dataVar: 'value' });
}

// ---- processes ----------------------------------------------------------------------------

/** Host pids whose command line contains text. */
export function pidsWith(text) {
	const out = [];
	for (const p of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(p) || +p === process.pid) continue;
		try {
			if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text)) out.push(+p);
		} catch { /* gone */ }
	}
	return out;
}

/** Host pids of every descendant of pid (by the parent field of /proc/PID/stat). */
export function descendants(pid) {
	const parent = new Map();
	for (const p of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(p)) continue;
		try {
			const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
			parent.set(+p, +st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
		} catch { /* gone */ }
	}
	const out = [];
	const walk = q => { for (const [c, pp] of parent) if (pp === q) { out.push(c); walk(c); } };
	walk(pid);
	return out;
}

/** kill -0: does the pid still exist (a zombie counts: it has not been reaped)? */
export function alive(pid) {
	try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Poll until pred() is true or ms pass; returns how long it took, or -1. */
export async function waitFor(pred, ms, step = 20) {
	const t0 = Date.now();
	for (;;) {
		if (await pred()) return Date.now() - t0;
		if (Date.now() - t0 > ms) return -1;
		await sleep(step);
	}
}

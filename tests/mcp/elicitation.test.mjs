// SPDX-License-Identifier: Apache-2.0
// Approvals asked through the MCP client (elicitation), under each official client: the v1 SDK
// and the v2 client in 'legacy' mode get an elicitation/create request (2025-11-25), the v2
// client pinned to 2026-07-28 an input_required result it fulfils through the same handler and
// repeats the call. allow_once runs and the next run asks again; allow_session runs and the next
// run does not ask; deny and decline are tool errors audited secret.run_denied; the form shows
// the argv, key names, sandbox and network, never a value; approval_channel: agent keeps the
// question away from the client. Then raw 2026-07-28 lines attack the requestState: forged,
// altered, replayed, issued for another argv, expired, missing its answer — each refused,
// nothing run, audited.
// Run: tests/mcp/node --test tests/mcp/elicitation.test.mjs   (tests/mcp/elicitation.bats does)
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, text } from './lib/clients.mjs';
import { BIN, auditLog, findLeaks, haystacks, makeVault, sleep, waitFor, wire, writePolicy } from './lib/harness.mjs';

const VALUE = 'elicitation-test-value-5f3a9c1e7b';
const POLICY = approval => `version: 1\nallowed_commands: [sh]\ncommands:\n  - match: sh\n    approval: ${approval}\n`;
let vault;

before(() => {
	vault = makeVault([{ key: 'API_KEY', value: VALUE }]);
});
after(() => vault?.cleanup());

/** A client whose elicitation handler answers with answer(params) and records each question. */
async function connect(c, answer) {
	const asked = [];
	const s = await c.connect({
		env: vault.env, cwd: vault.dir,
		elicit: async params => { asked.push(params); return answer(params); },
	});
	return { s, asked };
}

const accept = decision => () => ({ action: 'accept', content: { decision } });
const runsOf = cmd => auditLog(vault).filter(e => e.action === 'secret.run' && e.command?.includes(cmd));
const deniedOf = cmd => auditLog(vault).filter(e => e.action === 'secret.run_denied' && e.command?.includes(cmd));

for (const [name, c] of Object.entries(CLIENTS)) {
	describe(`${c.label}: approvals through elicitation`, () => {
		test('allow once: the run goes on; the next run asks again; the form shows argv, keys, sandbox', async () => {
			writePolicy(vault, POLICY('session'));
			const { s, asked } = await connect(c, accept('allow_once'));
			try {
				let r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo once-${name}=$API_KEY"` });
				assert.equal(r.isError, undefined, text(r));
				assert.equal(r.structuredContent.stdout, `once-${name}=[REDACTED:API_KEY]\n`);
				assert.equal(asked.length, 1);
				const q = asked[0];
				assert.equal(q.mode ?? 'form', 'form');
				assert.ok(q.message.includes(`command: sh -c 'echo once-${name}=$API_KEY'`), q.message);
				assert.match(q.message, /keys: API_KEY\n/);
				assert.match(q.message, /sandbox: standard, network allowed/);
				assert.ok(!q.message.includes(VALUE));
				assert.deepEqual(q.requestedSchema.required, ['decision']);
				assert.deepEqual(Object.keys(q.requestedSchema.properties), ['decision']);
				assert.deepEqual(q.requestedSchema.properties.decision.oneOf.map(o => o.const),
					['allow_once', 'allow_session', 'deny']);
				r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo again-${name}"` });
				assert.equal(r.isError, undefined, text(r));
				assert.equal(asked.length, 2, 'allow once holds for one run');
			} finally {
				await s.close();
			}
			const [rec] = runsOf(`once-${name}`);
			assert.equal(rec.success, true);
			assert.equal(rec.detail.approved_via, 'elicitation');
		});

		test('allow for the session: later runs of the same program and keys do not ask', async () => {
			writePolicy(vault, POLICY('session'));
			const { s, asked } = await connect(c, accept('allow_session'));
			try {
				let r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo s1-${name}"` });
				assert.equal(r.isError, undefined, text(r));
				r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo s2-${name}"` });
				assert.equal(r.isError, undefined, text(r));
				assert.equal(r.structuredContent.stdout, `s2-${name}\n`);
				assert.equal(asked.length, 1, 'the second run was not asked about');
			} finally {
				await s.close();
			}
			// A new server process asks again.
			const { s: s2, asked: asked2 } = await connect(c, accept('deny'));
			try {
				const r = await s2.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo s3-${name}"` });
				assert.equal(r.isError, true);
				assert.equal(asked2.length, 1);
			} finally {
				await s2.close();
			}
		});

		test('deny and decline are tool errors, audited secret.run_denied with the reason', async () => {
			writePolicy(vault, POLICY('always'));
			for (const [how, answer, reason] of [
				['deny', accept('deny'), /denied by the person through the MCP client/],
				['decline', () => ({ action: 'decline' }), /declined by the person through the MCP client/],
			]) {
				const { s, asked } = await connect(c, answer);
				try {
					const r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo ${how}-${name}=$API_KEY"` });
					assert.equal(r.isError, true);
					assert.match(text(r), reason);
					assert.equal(r.structuredContent?.stdout, undefined);
					assert.equal(asked.length, 1);
				} finally {
					await s.close();
				}
				assert.equal(runsOf(`${how}-${name}`).length, 0, 'nothing ran');
				const [d] = deniedOf(`${how}-${name}`);
				assert.match(d.error, reason);
				assert.deepEqual(d.keys, ['API_KEY']);
			}
			assert.deepEqual(findLeaks([{ label: 'API_KEY', value: VALUE }], haystacks(wire.procs)), []);
		});

		test('approval_channel: agent: the client is not asked', async () => {
			writePolicy(vault, POLICY('always') + 'approval_channel: agent\n');
			const { s, asked } = await connect(c, accept('allow_once'));
			try {
				const r = await s.call('secret_run', { keys: ['API_KEY'], command: `sh -c "echo agent-${name}"` });
				assert.equal(r.isError, true);
				assert.match(text(r), /asked through the session agent/);
				assert.equal(asked.length, 0);
			} finally {
				await s.close();
			}
		});
	});
}

describe('v1 SDK: an unanswered question times out', () => {
	test('no answer within approval_timeout is a denial; the late answer is ignored', async () => {
		writePolicy(vault, POLICY('always') + 'approval_timeout: 1s\n');
		const { s, asked } = await connect(CLIENTS.v1, async () => {
			await sleep(2500);
			return { action: 'accept', content: { decision: 'allow_once' } };
		});
		try {
			const r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo late"' });
			assert.equal(r.isError, true);
			assert.match(text(r), /no answer through the MCP client within the approval timeout/);
			await sleep(2000); // the late answer arrives: nothing runs, the session goes on
			const l = await s.call('secret_list', {});
			assert.equal(l.isError, undefined, text(l));
			assert.equal(asked.length, 1);
		} finally {
			await s.close();
		}
		assert.equal(runsOf('echo late').length, 0);
		assert.match(deniedOf('echo late')[0].error, /approval timeout/);
	});
});

describe('v1 SDK: SIGTERM while a question waits', () => {
	test('the server stops at once (status 0), the run denied and recorded', async () => {
		writePolicy(vault, POLICY('always'));
		let asked = 0;
		const { s } = await connect(CLIENTS.v1, () => { asked++; return new Promise(() => {}); });
		const rec = wire.procs.find(p => p.pid === s.pid);
		const pending = s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo stopped"' }).catch(e => e);
		assert.ok(await waitFor(() => asked === 1, 10000) >= 0, 'the client was asked');
		process.kill(s.pid, 'SIGTERM');
		const took = await waitFor(() => rec.exit !== null, 5000);
		assert.ok(took >= 0 && took < 3000, `stopped in ${took} ms`);
		assert.deepEqual(rec.exit, { code: 0, signal: null });
		await pending;
		await s.close().catch(() => {});
		assert.equal(runsOf('echo stopped').length, 0);
		assert.match(deniedOf('echo stopped')[0].error, /the server is stopping/);
	});
});

// ---- through the session agent: the relay passes the question; approval_channel: agent ------

/** secretctl in another process, without a terminal; with the password when pw. */
async function sc(args, { pw = false, input } = {}) {
	const env = { PATH: process.env.PATH, HOME: process.env.HOME, SECRETCTL_VAULT_DIR: vault.vaultDir };
	if (pw) env.SECRETCTL_PASSWORD = vault.password;
	const p = promisify(execFile)('setsid', ['-w', BIN, ...args], { env, encoding: 'utf8' });
	if (input !== undefined) p.child.stdin.end(input);
	return (await p).stdout;
}

describe('v1 SDK through the session agent', () => {
	const AGENT_ENV = () => ({ SECRETCTL_VAULT_DIR: vault.vaultDir }); // no password
	after(() => sc(['lock']).catch(() => {}));

	test('elicitation through the relay; a grant spares it; approval_channel: agent waits for secretctl approve', async () => {
		writePolicy(vault, POLICY('always'));
		await sc(['unlock', '--password-stdin'], { input: `${vault.password}\n` });
		const asked = [];
		let s = await CLIENTS.v1.connect({ env: AGENT_ENV(), cwd: vault.dir,
			elicit: async p => { asked.push(p); return { action: 'accept', content: { decision: 'allow_once' } }; } });
		try {
			let r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo via-agent"' });
			assert.equal(r.isError, undefined, text(r));
			assert.equal(r.structuredContent.stdout, 'via-agent\n');
			assert.equal(asked.length, 1);
			// A live grant spares the question (and counts the run).
			await sc(['grant', '--runs', '1', 'API_*'], { pw: true });
			r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo granted"' });
			assert.equal(r.structuredContent.stdout, 'granted\n', text(r));
			assert.equal(asked.length, 1, 'the grant answered, not the client');
			assert.equal(JSON.parse(await sc(['grants', '--json'])).length, 0, 'its one run is used');
			r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo asked"' });
			assert.equal(r.structuredContent.stdout, 'asked\n', text(r));
			assert.equal(asked.length, 2);
		} finally {
			await s.close();
		}
		await sc(['lock']);
		writePolicy(vault, POLICY('always') + 'approval_channel: agent\n');
		await sc(['unlock', '--password-stdin'], { input: `${vault.password}\n` });
		s = await CLIENTS.v1.connect({ env: AGENT_ENV(), cwd: vault.dir,
			elicit: async p => { asked.push(p); return { action: 'accept', content: { decision: 'allow_once' } }; } });
		try {
			const pending = s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo via-approve"' });
			let w = [];
			for (let i = 0; i < 75 && !w.length; i++) {
				w = JSON.parse(await sc(['approvals', '--json']));
				if (!w.length) await sleep(200);
			}
			assert.equal(w.length, 1, 'the question waits in the agent');
			assert.deepEqual(w[0].argv, ['sh', '-c', 'echo via-approve']);
			await sc(['approve', String(w[0].id)], { pw: true });
			const r = await pending;
			assert.equal(r.isError, undefined, text(r));
			assert.equal(r.structuredContent.stdout, 'via-approve\n');
			assert.equal(asked.length, 2, 'the client was not asked');
		} finally {
			await s.close();
		}
	});
});

// ---- 2026-07-28 raw lines: the requestState is the client's to send back, so it is hostile ----

/** A server spoken to in raw JSON lines; call() sends one tools/call and waits for its answer. */
function rawServer() {
	const p = spawn(BIN, ['mcp-server'], { env: { PATH: process.env.PATH, ...vault.env }, cwd: vault.dir,
		stdio: ['pipe', 'pipe', 'inherit'] });
	const waiting = new Map();
	readline.createInterface({ input: p.stdout }).on('line', l => {
		const m = JSON.parse(l);
		waiting.get(m.id)?.(m);
	});
	let n = 0;
	const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28',
		'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
	return {
		call(command, extra = {}) {
			const id = ++n;
			const msg = { jsonrpc: '2.0', id, method: 'tools/call',
				params: { name: 'secret_run', arguments: { keys: ['API_KEY'], command }, _meta: meta, ...extra } };
			p.stdin.write(JSON.stringify(msg) + '\n');
			return new Promise(res => waiting.set(id, res));
		},
		close: () => new Promise(res => { p.on('exit', res); p.stdin.end(); }),
	};
}

const ALLOW = { inputResponses: { approval: { action: 'accept', content: { decision: 'allow_once' } } } };

describe('2026-07-28 requestState attacks (raw JSON lines)', () => {
	test('forged, altered, replayed, another argv, expired, no answer: refused, nothing run, audited', async () => {
		writePolicy(vault, POLICY('always') + 'approval_timeout: 1s\n');
		const srv = rawServer();
		try {
			const state = async cmd => {
				const r = await srv.call(cmd);
				assert.equal(r.result.resultType, 'input_required');
				assert.equal(r.result.inputRequests.approval.method, 'elicitation/create');
				assert.ok(!JSON.stringify(r).includes(VALUE));
				return r.result.requestState;
			};
			const refused = async (cmd, extra, why) => {
				const r = await srv.call(cmd, extra);
				assert.equal(r.result.isError, true, JSON.stringify(r));
				assert.equal(r.result.resultType, 'complete');
				assert.match(r.result.content[0].text, why);
				assert.equal(r.result.structuredContent, undefined);
			};
			// The honest round trip runs (the harness itself is sound).
			let st = await state('sh -c "echo RAW-OK"');
			let r = await srv.call('sh -c "echo RAW-OK"', { requestState: st, ...ALLOW });
			assert.equal(r.result.structuredContent.stdout, 'RAW-OK\n');
			// Replayed: the same state and answer again.
			await refused('sh -c "echo RAW-OK"', { requestState: st, ...ALLOW }, /answered already/);
			// Forged: not a state of ours.
			await refused('sh -c "echo RAW-FORGED"', { requestState: 'AQ' + 'A'.repeat(74), ...ALLOW }, /does not match this run/);
			await refused('sh -c "echo RAW-FORGED"', { requestState: 'hello', ...ALLOW }, /not one this server issued/);
			// Altered: one character of a real one changed.
			st = await state('sh -c "echo RAW-ALTERED"');
			const i = 30, alt = st.slice(0, i) + (st[i] === 'A' ? 'B' : 'A') + st.slice(i + 1);
			await refused('sh -c "echo RAW-ALTERED"', { requestState: alt, ...ALLOW }, /does not match this run/);
			// Issued for argv A, presented with argv B.
			st = await state('sh -c "echo RAW-A"');
			await refused('sh -c "echo RAW-B $API_KEY"', { requestState: st, ...ALLOW }, /does not match this run/);
			// A real state without the answer, and an answer without a state.
			st = await state('sh -c "echo RAW-NOANSWER"');
			await refused('sh -c "echo RAW-NOANSWER"', { requestState: st }, /inputResponses.approval is missing/);
			await refused('sh -c "echo RAW-NOSTATE"', ALLOW, /without the requestState/);
			// Expired: approval_timeout is 1 s.
			st = await state('sh -c "echo RAW-EXPIRED"');
			await sleep(1500);
			await refused('sh -c "echo RAW-EXPIRED"', { requestState: st, ...ALLOW }, /has expired/);
			// A command too long to show in full is not asked about: refused.
			await refused('sh', { arguments: { keys: ['API_KEY'], command: 'sh',
				args: ['-c', 'echo RAW-LONG', ...Array(80).fill('y'.repeat(1000))] } }, /too long to show the person/);
			// Malformed params are -32602.
			for (const bad of [{ requestState: 7 }, { requestState: 'x'.repeat(200) }, { inputResponses: [] },
				{ requestState: st, inputResponses: { approval: { action: 'yes' } } },
				{ requestState: st, inputResponses: { approval: 'allow' } }]) {
				r = await srv.call('sh -c "echo RAW-MALFORMED"', bad);
				assert.equal(r.error?.code, -32602, JSON.stringify(r));
			}
		} finally {
			await srv.close();
		}
		for (const cmd of ['RAW-FORGED', 'RAW-ALTERED', 'RAW-B', 'RAW-NOANSWER', 'RAW-NOSTATE', 'RAW-EXPIRED', 'RAW-MALFORMED', 'RAW-LONG'])
			assert.equal(runsOf(cmd).length, 0, `${cmd} did not run`);
		assert.equal(runsOf('RAW-OK').length, 1, 'the replay did not run it twice');
		for (const cmd of ['RAW-OK', 'RAW-FORGED', 'RAW-ALTERED', 'RAW-B', 'RAW-NOANSWER', 'RAW-NOSTATE', 'RAW-EXPIRED'])
			assert.ok(deniedOf(cmd).length >= 1, `${cmd} refusal audited`);
	});
});

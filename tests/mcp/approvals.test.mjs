// SPDX-License-Identifier: Apache-2.0
// Approvals of MCP runs through the session agent, under each official client (none of them
// answering elicitation): a secret_run the policy wants approved waits; `secretctl approvals`
// (another process) shows the exact command, keys and sandbox with source "mcp"; `secretctl
// approve --session ID` (with the password) lets it run and, for approval: session, later runs
// of that session; a new session asks again; `secretctl deny ID` makes the call a tool error,
// audited secret.run_denied with the reason; a grant (`secretctl grant`) lets runs through
// without asking until it is revoked; nothing secret reaches the client.
// Run: tests/mcp/node --test tests/mcp/approvals.test.mjs   (tests/mcp/approvals.bats does)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, text } from './lib/clients.mjs';
import { BIN, auditLog, findLeaks, haystacks, makeVault, sleep, wire, writePolicy } from './lib/harness.mjs';

const run = promisify(execFile);
const VALUE = 'approval-test-value-8c1d5e2f7a';
let vault;

/** secretctl in another process, without a terminal; with the password when pw. */
async function sc(args, { pw = false, input } = {}) {
	const env = { PATH: process.env.PATH, HOME: process.env.HOME, SECRETCTL_VAULT_DIR: vault.vaultDir };
	if (pw) env.SECRETCTL_PASSWORD = vault.password;
	const p = run('setsid', ['-w', BIN, ...args], { env, encoding: 'utf8' });
	if (input !== undefined) p.child.stdin.end(input);
	return (await p).stdout;
}

/** The approvals waiting, once at least n are there (up to 15 s). */
async function waiting(n = 1) {
	for (let i = 0; i < 75; i++) {
		const list = JSON.parse(await sc(['approvals', '--json']));
		if (list.length >= n) return list;
		await sleep(200);
	}
	throw new Error('no approval came');
}

before(async () => {
	vault = makeVault([{ key: 'API_KEY', value: VALUE }]);
	writePolicy(vault, 'version: 1\nallowed_commands: [sh]\ncommands:\n  - match: sh\n    approval: session\n');
	await sc(['unlock', '--password-stdin'], { input: `${vault.password}\n` });
});
after(async () => {
	await sc(['lock']).catch(() => {});
	vault?.cleanup();
});

const ENV = () => ({ SECRETCTL_VAULT_DIR: vault.vaultDir }); // no password: the agent serves

for (const [name, c] of Object.entries(CLIENTS)) {
	describe(`${c.label}: approvals through the session agent`, () => {
		test('approve --session: the run goes on, and later runs of this session do not ask', async () => {
			const s = await c.connect({ env: ENV(), cwd: vault.dir });
			try {
				const pending = s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo first=$API_KEY"' });
				const [w] = await waiting();
				assert.equal(w.source, 'mcp');
				assert.deepEqual(w.argv, ['sh', '-c', 'echo first=$API_KEY']);
				assert.deepEqual(w.keys, ['API_KEY']);
				assert.equal(w.profile, 'standard');
				assert.equal(w.approval, 'session');
				await sc(['approve', '--session', String(w.id)], { pw: true });
				let r = await pending;
				assert.equal(r.isError, undefined, text(r));
				assert.equal(r.structuredContent.stdout, 'first=[REDACTED:API_KEY]\n');
				// The same program with the same keys and sandbox: no question this session.
				r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo second"' });
				assert.equal(r.isError, undefined, text(r));
				assert.equal(r.structuredContent.stdout, 'second\n');
				assert.deepEqual(JSON.parse(await sc(['approvals', '--json'])), []);
			} finally {
				await s.close();
			}
		});

		test('a new session asks again; deny is a tool error, audited secret.run_denied', async () => {
			const s = await c.connect({ env: ENV(), cwd: vault.dir });
			try {
				const pending = s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo $API_KEY"' });
				const [w] = await waiting();
				await sc(['deny', String(w.id)]);
				const r = await pending;
				assert.equal(r.isError, true);
				assert.match(text(r), /not approved: denied by the person \(secretctl deny \d+\)/);
				assert.equal(r.structuredContent?.stdout, undefined);
			} finally {
				await s.close();
			}
			const denied = auditLog(vault).filter(e => e.action === 'secret.run_denied' && e.source === 'mcp');
			assert.match(denied.at(-1).error, /denied by the person/);
			assert.deepEqual(denied.at(-1).keys, ['API_KEY']);
			assert.equal(denied.at(-1).detail.via, 'agent');
			assert.deepEqual(findLeaks([{ label: 'API_KEY', value: VALUE }, { label: 'password', value: vault.password }],
				haystacks(wire.procs)), []);
		});

		test('a grant lets runs go on without asking, until revoked', async () => {
			const out = await sc(['grant', '--json', '--runs', '5', 'API_*'], { pw: true });
			const { id } = JSON.parse(out);
			const s = await c.connect({ env: ENV(), cwd: vault.dir });
			try {
				let r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo granted"' });
				assert.equal(r.isError, undefined, text(r));
				assert.equal(r.structuredContent.stdout, 'granted\n');
				const [g] = JSON.parse(await sc(['grants', '--json']));
				assert.equal(g.used, 1);
				assert.equal(g.runs_left, 4);
				await sc(['revoke', String(id)]);
				const pending = s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo asks"' });
				const [w] = await waiting();
				await sc(['deny', String(w.id)]);
				r = await pending;
				assert.equal(r.isError, true);
			} finally {
				await s.close();
			}
		});
	});
}

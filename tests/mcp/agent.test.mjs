// SPDX-License-Identifier: Apache-2.0
// `secretctl mcp-server` through the session agent, under each official client: no password in
// the server's environment (the configuration `mcp-config` prints while an agent runs); tools
// and runs work; locking makes every call a tool error "vault locked: run 'secretctl unlock'";
// unlocking again serves the same session; without an agent and a password the server fails to
// start with a message that says to unlock; several sessions at once; nothing secret reaches
// the client.
// Run: tests/mcp/node --test tests/mcp/agent.test.mjs   (tests/mcp/agent.bats does)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, text } from './lib/clients.mjs';
import { BIN, auditLog, checkWire, findLeaks, haystacks, makeVault, waitFor, wire, writePolicy } from './lib/harness.mjs';

const VALUE = 'agent-test-value-4f2a9c7e1b';
let vault;

/** secretctl without a password (and without a terminal): what the agent serves. */
function bare(args, input = '') {
	return spawnSync('setsid', ['-w', BIN, ...args], {
		input, encoding: 'utf8',
		env: { PATH: process.env.PATH, HOME: process.env.HOME, SECRETCTL_VAULT_DIR: vault.vaultDir },
	});
}

const unlock = () => {
	const r = bare(['unlock', '--password-stdin'], `${vault.password}\n`);
	assert.equal(r.status, 0, r.stderr);
};
const lock = () => assert.equal(bare(['lock']).status, 0);
/** The environment the password-free block gives the server (mcp-config --json). */
function configEnv() {
	const r = bare(['mcp-config', '--json']);
	assert.equal(r.status, 0, r.stderr);
	const env = JSON.parse(r.stdout).mcpServers.secretctl.env;
	assert.equal(env.SECRETCTL_PASSWORD, undefined, 'the block holds no password');
	return env;
}

before(() => {
	vault = makeVault([{ key: 'API_KEY', value: VALUE }]);
	writePolicy(vault, 'version: 1\nallowed_commands: [sh]\n');
});
after(() => {
	bare(['lock']);
	vault?.cleanup();
});

for (const [name, c] of Object.entries(CLIENTS)) {
	describe(`${c.label}: through the session agent`, () => {
		test('no password anywhere: tools and runs work, a lock answers "vault locked", unlock serves again', async () => {
			unlock();
			const env = configEnv();
			const s = await c.connect({ env, cwd: vault.dir });
			try {
				const environ = fs.readFileSync(`/proc/${s.pid}/environ`, 'utf8');
				assert.ok(!environ.includes('SECRETCTL_PASSWORD'), 'the server got no password');
				let r = await s.call('secret_list');
				assert.equal(r.isError, undefined, text(r));
				assert.deepEqual(r.structuredContent.secrets.map(x => x.key), ['API_KEY']);
				r = await s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "echo v=$API_KEY"' });
				assert.equal(r.structuredContent.stdout, 'v=[REDACTED:API_KEY]\n');
				lock();
				r = await s.call('secret_list');
				assert.equal(r.isError, true);
				assert.match(text(r), /^vault locked: run 'secretctl unlock'/);
				r = await s.call('secret_get_masked', { key: 'API_KEY' });
				assert.match(text(r), /^vault locked/);
				unlock();
				r = await s.call('secret_get_masked', { key: 'API_KEY' });
				assert.equal(r.isError, undefined, text(r));
				assert.match(r.structuredContent.masked_value, /\*+/);
			} finally {
				await s.close();
			}
			lock();
			const mine = wire.procs.filter(p => p.pid === s.pid);
			assert.deepEqual(mine.flatMap(checkWire), []);
			assert.deepEqual(findLeaks([{ label: 'API_KEY', value: VALUE }, { label: 'password', value: vault.password }],
				haystacks(wire.procs)), []);
			const runs = auditLog(vault).filter(e => e.action === 'secret.run' && e.source === 'mcp');
			assert.ok(runs.length >= 1 && runs.at(-1).detail.via === 'agent', JSON.stringify(runs.at(-1)));
		});
	});
}

describe('without an agent', () => {
	test('no agent and no password: the server does not start and says to unlock', async () => {
		bare(['lock']);
		await assert.rejects(CLIENTS.v1.connect({ env: { SECRETCTL_VAULT_DIR: vault.vaultDir }, cwd: vault.dir }));
		const rec = wire.procs.at(-1);
		// the client gives up when stdout ends; stderr may still be on its way
		assert.ok(await waitFor(() => rec.closed, 10000) >= 0, 'the server\'s stderr never ended');
		assert.match(Buffer.concat(rec.err).toString(), /no master password and no session agent: run 'secretctl unlock'/);
	});

	test('three sessions at once share one agent', async () => {
		unlock();
		const env = configEnv();
		const sessions = await Promise.all(['v1', 'v2-pin', 'v2-legacy'].map(n => CLIENTS[n].connect({ env, cwd: vault.dir })));
		try {
			const results = await Promise.all(sessions.flatMap(s => [
				s.call('secret_run', { keys: ['API_KEY'], command: 'sh -c "sleep 0.3; echo $API_KEY"' }),
				s.call('secret_exists', { key: 'API_KEY' }),
			]));
			for (const r of results) assert.equal(r.isError, undefined, text(r));
			const st = JSON.parse(bare(['status', '--json']).stdout);
			assert.equal(st.state, 'unlocked');
		} finally {
			await Promise.all(sessions.map(s => s.close()));
			lock();
		}
	});
});

// SPDX-License-Identifier: Apache-2.0
// The tests every MCP client runs against the real `secretctl mcp-server` (node:test). A client
// adapter (tests/mcp/v1-client.test.mjs, v2-client.test.mjs) connects and normalises calls; this
// file holds the vault, the policy and the assertions, so both SDKs and both negotiation modes
// are held to exactly the same expectations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
	BIN, alive, auditLog, checkWire, cli, compileSchema, descendants, findLeaks, haystacks, leakForms,
	makeVault, pidsWith, rand, schemaErrors, sha256, sleep, waitFor, wire, writePolicy,
} from './harness.mjs';

export const TOOL_NAMES = [
	'secret_list', 'secret_exists', 'secret_get_masked', 'secret_run', 'secret_list_fields',
	'secret_get_field', 'secret_run_with_bindings', 'security_score', 'policy_check',
	'folder_list',
];
// Listed only when the policy sets mcp_folder_writes: true.
export const FOLDER_WRITE_TOOLS = ['folder_create', 'folder_move_secret'];

// The suite's policy: what the tests need, nothing more. sh is allowed so a run can build a
// process tree or hash a value (its -c is otherwise a built-in deny).
const POLICY = `version: 1
default_action: deny
allowed_commands:
  - echo
  - printf
  - sleep
  - sh
denied_commands:
  - rm
denied_keys: ["private/*"]
commands:
  - match: printf
    keys: ["scoped/*"]
max_concurrent_runs: 8
env_aliases:
  staging:
    - pattern: "db/*"
      target: "staging/db/*"
`;

/** The vault: every value random, strong, unique and dated (a healthy vault for security_score). */
function suiteSecrets() {
	const exp = ['--expires', '1y'];
	return [
		{ key: 'GITHUB_TOKEN', value: `ghp_${rand(27)}`, opts: [...exp, '--tags', 'github,ci', '--notes', 'CI token'] },
		{ key: 'API_KEY', value: `sk-${rand(24)}`, opts: [...exp, '--tags', 'api'] },
		{ key: 'aws/access_key', value: `AKIA${rand(15).toUpperCase()}x9`, opts: exp },
		{ key: 'aws/secret_key', value: rand(30), opts: exp },
		{ key: 'db/password', value: `dev-${rand(20)}`, opts: exp },
		{ key: 'staging/db/password', value: `stg-${rand(20)}`, opts: exp },
		{ key: 'private/ssh_key', value: `ssh-${rand(30)}`, opts: exp },
		{ key: 'scoped/token', value: `scp-${rand(24)}`, opts: exp },
		{ key: 'db/prod', opts: exp, bindings: ['PGHOST=host', 'PGPASSWORD=password'],
			fields: { host: [`db-${rand(9).toLowerCase().replace(/[^a-z0-9]/g, 'q')}.example.test`, false],
				password: [`pgpw-${rand(22)}`, true] } },
	];
}

/**
 * adapter: { label, era: 'legacy'|'modern', processesPerConnect,
 *   connect(env, cwd) -> { call(name, args, {signal, onprogress}), listTools(), close(), pid, info() },
 *   isProtocolError(e, code) }
 */
export function clientSuite(adapter) {
	describe(adapter.label, () => {
		let vault, S, tools, first;
		const mine = () => wire.procs.slice(first); // the server processes this suite started
		const validators = new Map(); // tool name -> { input, output }
		const value = key => vault.secrets.find(s => s.key === key).value;

		before(() => {
			first = wire.procs.length;
			vault = makeVault(suiteSecrets());
			writePolicy(vault, POLICY);
			cli(vault, ['folder', 'create', 'ci', '--color', '#112233']);
			cli(vault, ['set', 'GITHUB_TOKEN', '--folder', 'ci'], value('GITHUB_TOKEN'));
		});
		after(async () => {
			await S?.close().catch(() => {});
			vault?.cleanup();
		});

		/** A call whose result must validate against the tool's outputSchema (when it has one). */
		async function call(name, args, opts) {
			const r = await S.call(name, args, opts);
			checkResult(name, r);
			return r;
		}
		function checkResult(name, r) {
			assert.ok(Array.isArray(r.content) && r.content.length > 0, `${name}: content is a non-empty array`);
			assert.equal(r.content[0].type, 'text');
			if (r.structuredContent !== undefined) {
				const v = validators.get(name);
				assert.ok(v, `${name}: listed before being called`);
				assert.equal(schemaErrors(v.output, r.structuredContent), '', `${name}: structuredContent matches outputSchema`);
			} else {
				assert.equal(r.isError, true, `${name}: a successful result carries structuredContent`);
			}
		}
		/** A call that must fail as a tool (isError: true) with text matching re. */
		async function toolError(name, args, re) {
			const r = await call(name, args);
			assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} must be isError, got ${JSON.stringify(r).slice(0, 300)}`);
			assert.match(r.content[0].text, re);
			return r;
		}
		/** A call that must be refused as JSON-RPC -32602 (invalid arguments), which the tool's own
		 *  inputSchema must refuse as well. */
		async function invalidParams(name, args, re) {
			assert.notEqual(schemaErrors(validators.get(name).input, args), '', `inputSchema of ${name} refuses ${JSON.stringify(args)}`);
			await assert.rejects(S.call(name, args), e => {
				assert.ok(adapter.isProtocolError(e, -32602), `${name} ${JSON.stringify(args)}: expected JSON-RPC -32602, got ${e}`);
				assert.match(e.message, re);
				return true;
			});
		}
		function valid(name, args) {
			assert.equal(schemaErrors(validators.get(name).input, args), '', `inputSchema of ${name} accepts ${JSON.stringify(args)}`);
			return args;
		}

		test('connects and negotiates the expected era', { timeout: 30000 }, async () => {
			const before = wire.procs.length;
			S = await adapter.connect(vault.env, vault.dir);
			const started = wire.procs.slice(before);
			const info = S.info();
			assert.equal(info.serverName, 'secretctl');
			assert.equal(info.era, adapter.era);
			assert.equal(started.length, adapter.processesPerConnect, 'server processes started by connect');
			if (adapter.era === 'modern') {
				assert.equal(info.version, '2026-07-28');
				// The probe process got exactly one server/discover; the session never sees one.
				assert.deepEqual(started[0].sent.map(m => m.method), ['server/discover']);
				assert.ok(!started[1].sent.some(m => m.method === 'server/discover' || m.method === 'initialize'));
			} else {
				assert.equal(info.version, '2025-11-25');
				assert.deepEqual(started[0].sent.slice(0, 2).map(m => m.method), ['initialize', 'notifications/initialized']);
			}
		});

		test('tools/list: ten tools, each with title, schemas (root type object) and annotations', async () => {
			({ tools } = await S.listTools());
			assert.deepEqual(tools.map(t => t.name).sort(), [...TOOL_NAMES].sort());
			for (const t of tools) {
				assert.equal(typeof t.title, 'string', `${t.name}: title`);
				assert.ok(t.title.length > 0 && t.description.length > 0, `${t.name}: title and description`);
				assert.equal(t.inputSchema?.type, 'object', `${t.name}: inputSchema root is an object`);
				assert.equal(t.outputSchema?.type, 'object', `${t.name}: outputSchema root is an object`);
				assert.equal(t.annotations?.title, t.title, `${t.name}: annotations.title`);
				for (const h of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'])
					assert.equal(typeof t.annotations[h], 'boolean', `${t.name}: annotations.${h}`);
				validators.set(t.name, {
					input: compileSchema(t.inputSchema, `${t.name} inputSchema`),
					output: compileSchema(t.outputSchema, `${t.name} outputSchema`),
				});
			}
			const ro = Object.fromEntries(tools.map(t => [t.name, t.annotations.readOnlyHint]));
			assert.equal(ro.secret_run, false);
			assert.equal(ro.secret_run_with_bindings, false);
			assert.equal(ro.secret_list, true);
		});

		test('folder_list: folders with counts; the folder-changing tools are not offered by default', async () => {
			let r = await call('folder_list', valid('folder_list', {}));
			assert.equal(r.structuredContent.folders.length, 1);
			const f = r.structuredContent.folders[0];
			assert.deepEqual([f.path, f.name, f.parent_id, f.color, f.icon, f.secret_count, f.folder_count],
				['ci', 'ci', null, '#112233', null, 1, 0]);
			assert.match(f.id, /^[0-9a-f]{32}$/);
			r = await call('folder_list', valid('folder_list', { parent: 'ci' }));
			assert.deepEqual(r.structuredContent.folders, []);
			await toolError('folder_list', valid('folder_list', { parent: 'nope' }), /no folder named nope/);
			await invalidParams('folder_list', { parent: 'a*b' }, /parent/);
			for (const name of FOLDER_WRITE_TOOLS) {
				assert.ok(!tools.some(t => t.name === name), `${name} is not listed`);
				await assert.rejects(S.call(name, { name: 'x', key: 'API_KEY', folder: 'ci' }), e => {
					assert.ok(adapter.isProtocolError(e, -32602), `${name}: expected -32602, got ${e}`);
					assert.match(e.message, new RegExp(`Unknown tool: ${name}`));
					return true;
				});
			}
			const log = auditLog(vault);
			assert.ok(log.some(e => e.source === 'mcp' && e.action === 'folder.list' && e.success));
			assert.ok(!log.some(e => e.source === 'mcp' && e.action === 'folder.create'), 'nothing reached the vault');
		});

		test('folder_create and folder_move_secret with mcp_folder_writes: true, audited as mcp', { timeout: 30000 }, async () => {
			const V = makeVault([{ key: 'app/token', value: `tok-${rand(20)}` }]);
			writePolicy(V, 'version: 1\ndefault_action: deny\nmcp_folder_writes: true\n');
			const C = await adapter.connect(V.env, V.dir);
			try {
				const { tools: listed } = await C.listTools();
				assert.deepEqual(listed.map(t => t.name).sort(), [...TOOL_NAMES, ...FOLDER_WRITE_TOOLS].sort());
				const v = new Map(listed.map(t => [t.name, {
					input: compileSchema(t.inputSchema, `${t.name} inputSchema`),
					output: compileSchema(t.outputSchema, `${t.name} outputSchema`) }]));
				const ok = async (name, args) => {
					assert.equal(schemaErrors(v.get(name).input, args), '', `inputSchema of ${name} accepts ${JSON.stringify(args)}`);
					const r = await C.call(name, args);
					assert.ok(!r.isError, `${name} ${JSON.stringify(args)}: ${JSON.stringify(r).slice(0, 300)}`);
					assert.equal(schemaErrors(v.get(name).output, r.structuredContent), '', `${name}: structuredContent matches outputSchema`);
					return r.structuredContent;
				};
				const w = await ok('folder_create', { name: 'work', icon: '🔑', color: '#A1B2C3' });
				assert.deepEqual([w.folder.path, w.folder.icon, w.folder.color], ['work', '🔑', '#A1B2C3']);
				const aws = await ok('folder_create', { name: 'aws', parent: 'work' });
				assert.equal(aws.folder.path, 'work/aws');
				assert.equal(aws.folder.parent_id, w.folder.id);
				let r = await C.call('folder_create', { name: 'aws', parent: 'work' });
				assert.equal(r.isError, true);
				assert.match(r.content[0].text, /already exists/);
				assert.deepEqual(await ok('folder_move_secret', { key: 'app/token', folder: 'work/aws' }),
					{ key: 'app/token', folder: 'work/aws' });
				const l = await ok('folder_list', { parent: 'work' });
				assert.deepEqual(l.folders.map(f => [f.path, f.secret_count]), [['work/aws', 1]]);
				assert.deepEqual(JSON.parse(cli(V, ['folder', 'info', 'work/aws', '--json'])).secrets, ['app/token']);
				r = await C.call('folder_move_secret', { key: 'app/missing', folder: 'work' });
				assert.equal(r.isError, true);
				assert.match(r.content[0].text, /no secret named app\/missing/);
				assert.deepEqual(await ok('folder_move_secret', { key: 'app/token', folder: '' }),
					{ key: 'app/token', folder: null });
				const log = auditLog(V).filter(e => e.source === 'mcp');
				const count = (action, success) => log.filter(e => e.action === action && e.success === success).length;
				assert.deepEqual([count('folder.create', true), count('folder.create', false),
					count('secret.move', true), count('secret.move', false)], [2, 1, 2, 1]);
				assert.deepEqual(findLeaks(V.values, [{ where: 'audit log', text: JSON.stringify(log) }]), []);
				cli(V, ['audit', 'verify']);
			} finally {
				await C.close().catch(() => {});
				V.cleanup();
			}
		});

		test('secret_list: every key, a tag filter, metadata only; bad arguments are -32602', async () => {
			let r = await call('secret_list', valid('secret_list', {}));
			assert.deepEqual(r.structuredContent.secrets.map(s => s.key), vault.secrets.map(s => s.key).sort());
			const gh = r.structuredContent.secrets.find(s => s.key === 'GITHUB_TOKEN');
			assert.equal(gh.value_length, value('GITHUB_TOKEN').length);
			assert.deepEqual(gh.tags, ['github', 'ci']);
			r = await call('secret_list', valid('secret_list', { tag: 'api' }));
			assert.deepEqual(r.structuredContent.secrets.map(s => s.key), ['API_KEY']);
			r = await call('secret_list', valid('secret_list', { expiring_within: '7d' }));
			assert.deepEqual(r.structuredContent.secrets, []);
			await invalidParams('secret_list', { expiring_within: 'soon' }, /expiring_within/);
			await invalidParams('secret_list', { tag: 5 }, /tag/);
			await invalidParams('secret_list', { nope: true }, /nope/);
		});

		test('secret_exists: exact key, glob, missing key; a key with bad characters is -32602', async () => {
			let r = await call('secret_exists', valid('secret_exists', { key: 'GITHUB_TOKEN' }));
			assert.equal(r.structuredContent.exists, true);
			r = await call('secret_exists', valid('secret_exists', { key: 'aws/*' }));
			assert.deepEqual([r.structuredContent.exists, r.structuredContent.matches], [true, ['aws/access_key', 'aws/secret_key']]);
			r = await call('secret_exists', valid('secret_exists', { key: 'nope/*' }));
			assert.equal(r.structuredContent.exists, false);
			r = await call('secret_exists', valid('secret_exists', { key: 'NOPE' }));
			assert.equal(r.structuredContent.exists, false);
			await invalidParams('secret_exists', { key: 'a b' }, /key/);
			await invalidParams('secret_exists', {}, /key/);
		});

		test('secret_get_masked: masked value shows at most the last 4; a missing key is a tool error', async () => {
			const v = value('GITHUB_TOKEN');
			let r = await call('secret_get_masked', valid('secret_get_masked', { key: 'GITHUB_TOKEN' }));
			const sc = r.structuredContent;
			assert.equal(sc.value_length, v.length);
			assert.equal(sc.masked_value.slice(-4), v.slice(-4));
			assert.match(sc.masked_value.slice(0, -4), /^\*+$/);
			assert.equal(sc.notes, 'CI token');
			r = await call('secret_get_masked', { key: 'db/prod' });
			const pw = r.structuredContent.fields.find(f => f.name === 'password');
			assert.equal(pw.value, undefined);
			assert.match(pw.masked_value, /^\*+.{4}$/);
			await toolError('secret_get_masked', valid('secret_get_masked', { key: 'missing' }), /not found/);
			await invalidParams('secret_get_masked', { key: ['GITHUB_TOKEN'] }, /key/);
		});

		test('secret_list_fields and secret_get_field: non-sensitive in clear, sensitive refused', async () => {
			const prod = vault.secrets.find(s => s.key === 'db/prod');
			let r = await call('secret_list_fields', valid('secret_list_fields', { key: 'db/prod' }));
			assert.deepEqual(r.structuredContent.fields.map(f => [f.name, f.sensitive, f.value_length]),
				[['host', false, prod.fields.host[0].length], ['password', true, prod.fields.password[0].length]]);
			await toolError('secret_list_fields', { key: 'nope' }, /not found/);
			r = await call('secret_get_field', valid('secret_get_field', { key: 'db/prod', field: 'host' }));
			assert.deepEqual(r.structuredContent, { key: 'db/prod', field: 'host', value: prod.fields.host[0], sensitive: false });
			await toolError('secret_get_field', { key: 'db/prod', field: 'password' }, /sensitive/);
			await toolError('secret_get_field', { key: 'db/prod', field: 'nope' }, /no field/);
			await invalidParams('secret_get_field', { key: 'db/prod' }, /field/);
		});

		test('secret_run: injected and redacted; sanitized flag; bad arguments are -32602', async () => {
			let r = await call('secret_run', valid('secret_run', { keys: ['GITHUB_TOKEN'], command: 'echo token=$GITHUB_TOKEN' }));
			assert.equal(r.isError, undefined);
			assert.deepEqual([r.structuredContent.exit_code, r.structuredContent.stdout, r.structuredContent.sanitized],
				[0, 'token=[REDACTED:GITHUB_TOKEN]\n', true]);
			// args are appended as they are; the value reaches the command (checked by its hash)
			r = await call('secret_run', valid('secret_run', { keys: ['API_KEY'], command: 'sh', args: ['-c', 'printf %s "$API_KEY" | sha256sum'] }));
			assert.equal(r.structuredContent.stdout.split(' ')[0], sha256(value('API_KEY')));
			r = await call('secret_run', { keys: ['aws/*'], command: 'sh -c \'echo "$AWS_ACCESS_KEY $AWS_SECRET_KEY" >&2; exit 3\'' });
			assert.equal(r.structuredContent.exit_code, 3);
			assert.equal(r.structuredContent.stderr, '[REDACTED:AWS_ACCESS_KEY] [REDACTED:AWS_SECRET_KEY]\n');
			await invalidParams('secret_run', { keys: [], command: 'echo x' }, /keys/);
			await invalidParams('secret_run', { keys: ['GITHUB_TOKEN'] }, /command/);
			await invalidParams('secret_run', { keys: ['GITHUB_TOKEN'], command: 'echo', timeout: 'soon' }, /timeout/);
			await invalidParams('secret_run', { keys: ['GITHUB_TOKEN'], command: 'echo', shell: true }, /shell/);
		});

		test('secret_run: denied, built-in, unknown and shell-syntax commands and missing keys are tool errors', async () => {
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'rm -rf /tmp/nothing-here' }, /denied_commands: 'rm'/);
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'env' }, /built-in/);
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'cat /etc/hostname' }, /default_action: deny/);
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'no-such-command-here' }, /not found/);
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'echo a | sh' }, /pipe/);
			await toolError('secret_run', { keys: ['NO_SUCH_KEY'], command: 'echo x' }, /NO_SUCH_KEY/);
		});

		test('secret_run: a denied key (denied_keys) is refused, alone or through a glob', async () => {
			await toolError('secret_run', { keys: ['private/ssh_key'], command: 'echo x' }, /denied_keys 'private\/\*'/);
			await toolError('secret_run', { keys: ['private/*'], command: 'echo x' }, /private\/ssh_key/);
		});

		test('secret_run: per-command key scope (commands: [{match: printf, keys: [scoped/*]}])', async () => {
			let r = await call('secret_run', { keys: ['scoped/token'], command: 'printf %s $SCOPED_TOKEN' });
			assert.deepEqual([r.isError, r.structuredContent.stdout], [undefined, '[REDACTED:SCOPED_TOKEN]']);
			await toolError('secret_run', { keys: ['scoped/token'], command: 'echo $SCOPED_TOKEN' }, /reserved for commands entry 'printf'/);
			await toolError('secret_run', { keys: ['GITHUB_TOKEN'], command: 'printf %s $GITHUB_TOKEN' }, /not in the keys of commands entry 'printf'/);
		});

		test('secret_run: timeout "1s" on a longer sleep is isError with timed_out and exit 124; its process is gone', { timeout: 30000 }, async () => {
			const tok = `5.${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;
			const t0 = Date.now();
			const r = await call('secret_run', { keys: ['API_KEY'], command: `sleep ${tok}`, timeout: '1s' });
			const took = Date.now() - t0;
			assert.equal(r.isError, true);
			assert.equal(r.structuredContent?.timed_out, true);
			assert.equal(r.structuredContent.exit_code, 124);
			assert.ok(r.structuredContent.duration_ms >= 1000 && r.structuredContent.duration_ms < 2500, `duration_ms ${r.structuredContent.duration_ms}`);
			assert.ok(took < 4000, `answered after ${took} ms`);
			assert.match(r.content[0].text, /timed out/);
			assert.ok(await waitFor(() => pidsWith(`sleep ${tok}`).length === 0, 2000) >= 0, 'the timed-out sleep is gone');
		});

		test('secret_run: env alias "staging" reads staging/db/* under the same variable names', async () => {
			const hash = 'sh -c \'printf %s "$DB_PASSWORD" | sha256sum\'';
			let r = await call('secret_run', valid('secret_run', { keys: ['db/*'], command: hash, env: 'staging' }));
			assert.equal(r.structuredContent.stdout.split(' ')[0], sha256(value('staging/db/password')));
			r = await call('secret_run', { keys: ['db/*'], command: hash });
			assert.equal(r.structuredContent.stdout.split(' ')[0], sha256(value('db/password')));
			await toolError('secret_run', { keys: ['db/*'], command: 'echo x', env: 'nope' }, /alias 'nope'/);
			await invalidParams('secret_run', { keys: ['db/*'], command: 'echo x', env: 'no pe' }, /env/);
		});

		test('secret_run_with_bindings: bindings become the variables; no bindings and denied commands are tool errors', async () => {
			const pw = vault.secrets.find(s => s.key === 'db/prod').fields.password[0];
			const r = await call('secret_run_with_bindings', valid('secret_run_with_bindings', {
				key: 'db/prod', command: 'sh -c \'echo "PGPASSWORD=$PGPASSWORD"; printf %s "$PGPASSWORD" | sha256sum; echo ${#PGHOST}\'',
			}));
			const out = r.structuredContent.stdout.split('\n');
			assert.equal(out[0], 'PGPASSWORD=[REDACTED:PGPASSWORD]');
			assert.equal(out[1].split(' ')[0], sha256(pw));
			assert.equal(out[2], String(vault.secrets.find(s => s.key === 'db/prod').fields.host[0].length));
			assert.equal(r.structuredContent.sanitized, true);
			await toolError('secret_run_with_bindings', { key: 'GITHUB_TOKEN', command: 'echo x' }, /no bindings/);
			await toolError('secret_run_with_bindings', { key: 'db/prod', command: 'rm x' }, /denied_commands/);
			await toolError('secret_run_with_bindings', { key: 'missing', command: 'echo x' }, /missing/);
			await invalidParams('secret_run_with_bindings', { key: 'db/prod', command: 'echo', keys: ['x'] }, /keys/);
		});

		test('policy_check: the decision, its rule, the keys and the sandbox, without running', async () => {
			let r = await call('policy_check', valid('policy_check', { keys: ['GITHUB_TOKEN'], command: 'echo $GITHUB_TOKEN' }));
			let sc = r.structuredContent;
			assert.deepEqual([sc.allowed, sc.kind, sc.argv], [true, 'allowed_commands', ['echo', '$GITHUB_TOKEN']]);
			assert.deepEqual(sc.keys, [{ pattern: 'GITHUB_TOKEN', matches: ['GITHUB_TOKEN'], allowed: true, reason: null }]);
			assert.equal(sc.sandbox.profile, 'standard');
			r = await call('policy_check', { keys: ['aws/*'], command: 'rm -rf x' });
			sc = r.structuredContent;
			assert.deepEqual([sc.allowed, sc.kind], [false, 'denied_commands']);
			assert.match(sc.rule, /denied_commands: 'rm'/);
			r = await call('policy_check', { keys: ['scoped/*', 'private/ssh_key'], command: 'echo x' });
			sc = r.structuredContent;
			assert.equal(sc.allowed, false);
			assert.match(sc.keys[0].reason, /reserved for commands entry 'printf'/);
			assert.match(sc.keys[1].reason, /denied_keys/);
			r = await call('policy_check', { keys: [], command: 'sleep 1' });
			assert.equal(r.structuredContent.allowed, true);
			await invalidParams('policy_check', { keys: ['db/*'] }, /command/);
		});

		test('security_score: a healthy vault scores 100 with empty arrays (never null)', async () => {
			for (const include_keys of [true, false]) {
				const r = await call('security_score', valid('security_score', { include_keys }));
				const sc = r.structuredContent;
				assert.equal(sc.total_secrets, vault.secrets.length);
				assert.equal(sc.score, 100, JSON.stringify(sc));
				for (const k of ['weak', 'duplicates', 'expired', 'expiring_soon', 'suggestions'])
					assert.deepEqual(sc[k], [], `${k} is [] (include_keys ${include_keys})`);
				assert.deepEqual(Object.values(sc.counts), [0, 0, 0, 0, 0]);
			}
			await call('security_score', {});
			await invalidParams('security_score', { include_keys: 'yes' }, /include_keys/);
		});

		test('progress: a 3 s run reports increasing progress before its result', { timeout: 30000 }, async () => {
			const seen = [];
			const r = await call('secret_run', { keys: ['API_KEY'], command: 'sleep 3' }, { onprogress: p => seen.push({ ...p, at: Date.now() }) });
			const done = Date.now();
			assert.equal(r.structuredContent.exit_code, 0);
			assert.ok(seen.length >= 3, `progress notifications: ${JSON.stringify(seen)}`);
			for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, 'progress increases');
			assert.ok(seen.every(p => p.at <= done && typeof p.total === 'number' && typeof p.message === 'string'));
		});

		test('cancel: aborting a running secret_run kills its whole process tree within 2 s', { timeout: 30000 }, async () => {
			const tok = `${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;
			const before = new Set(descendants(S.pid));
			const ac = new AbortController();
			const t0 = Date.now();
			const p = S.call('secret_run', { keys: ['API_KEY'], command: `sh -c 'sleep 1000.${tok} & sleep 1001.${tok}; wait'` }, { signal: ac.signal });
			p.catch(() => {});
			assert.ok(await waitFor(() => pidsWith(`.${tok}`).length >= 3, 5000) >= 0, 'sh and both sleeps started');
			const tree = descendants(S.pid).filter(x => !before.has(x));
			for (const x of pidsWith(`.${tok}`)) assert.ok(tree.includes(x), `pid ${x} is in the server's tree`);
			ac.abort('the test cancels');
			await assert.rejects(p);
			const gone = await waitFor(() => tree.every(x => !alive(x)), 2000);
			assert.ok(gone >= 0, `still alive 2 s after cancel: ${tree.filter(alive).join(' ')}`);
			assert.ok(Date.now() - t0 < 10000);
			// The server goes on: a read and a new run answer.
			const r = await call('secret_run', { keys: ['API_KEY'], command: 'echo still here' });
			assert.equal(r.structuredContent.stdout, 'still here\n');
		});

		test('concurrency: 8 x "sleep 1" at once take about 1 s; a 9th beyond the limit fails at once', { timeout: 60000 }, async () => {
			// A connection of its own: a failure here must not take the shared session down.
			const C = await adapter.connect(vault.env, vault.dir);
			const rec = wire.procs.find(r => r.pid === C.pid);
			const server = () => (rec?.exit ? ` (the server process had exited: ${JSON.stringify(rec.exit)})` : '');
			try {
				const started = new Set();
				const t0 = Date.now();
				const runs = Array.from({ length: 8 }, (_, i) => C.call('secret_run', { keys: ['API_KEY'], command: 'sleep 1' },
					{ onprogress: () => started.add(i) }).then(r => ({ r, at: Date.now() - t0 })));
				runs.forEach(p => p.catch(() => {}));
				const allStarted = await waitFor(() => started.size === 8 || rec?.exit, 2500, 5);
				assert.ok(allStarted >= 0 && started.size === 8, `all 8 runs reported progress (started: ${started.size})${server()}`);
				const t9 = Date.now();
				const ninth = await C.call('secret_run', { keys: ['API_KEY'], command: 'sleep 1' }).catch(e => e);
				const t9took = Date.now() - t9;
				const res = await Promise.allSettled(runs);
				const wall = Date.now() - t0;
				assert.ok(!(ninth instanceof Error), `the 9th call threw ${ninth}${server()}`);
				assert.equal(ninth.isError, true, `9th run: ${JSON.stringify(ninth).slice(0, 300)}`);
				assert.match(ninth.content[0].text, /too many runs in flight \(max_concurrent_runs is 8/);
				assert.ok(t9took < 700, `the 9th was refused after ${t9took} ms`);
				for (const s of res) {
					assert.equal(s.status, 'fulfilled', `a run failed: ${s.reason}${server()}`);
					const { r } = s.value;
					checkResult('secret_run', r);
					assert.equal(r.structuredContent.exit_code, 0);
					assert.ok(r.structuredContent.duration_ms >= 990 && r.structuredContent.duration_ms < 2000,
						`a run took ${r.structuredContent.duration_ms} ms`);
				}
				assert.ok(wall < 3000, `8 concurrent 1 s runs took ${wall} ms`);
			} finally {
				await C.close().catch(() => {});
			}
		});

		test('every line the server wrote is one JSON-RPC message valid under the spec schema of its era', () => {
			assert.ok(mine().length >= adapter.processesPerConnect);
			const problems = mine().flatMap(checkWire);
			assert.deepEqual(problems, []);
			const stray = mine().filter(r => r.exit && r.exit.signal && !['SIGTERM', 'SIGKILL'].includes(r.exit.signal));
			assert.deepEqual(stray.map(r => [r.pid, r.exit]), [], 'no server process died of a signal it was not sent');
		});

		test('leak check self-test: the scan finds a value the client did receive (a non-sensitive field)', async () => {
			const host = vault.shown[0];
			assert.ok(host && host.value.length >= 16);
			await call('secret_get_field', { key: 'db/prod', field: 'host' });
			const hits = findLeaks([host], haystacks(mine()));
			assert.ok(hits.some(h => h.form === 'raw' && /stdout bytes/.test(h.where)), `scan found ${JSON.stringify(hits)}`);
			// Each encoded form is found when present (a pass-through that encoded the value).
			const forms = [...leakForms(host.value)];
			for (const [form, s] of forms) {
				const fake = [{ where: 'synthetic', text: `{"text":"xx${s}yy"}` }];
				assert.ok(findLeaks([host], fake).some(h => h.form === form), `form ${form} is detected`);
			}
			for (let i = 0; i < 3; i++) {
				const b64 = Buffer.concat([Buffer.from('abc'.slice(0, i)), Buffer.from(host.value), Buffer.from('tail')]).toString('base64');
				assert.ok(findLeaks([host], [{ where: 'b64', text: b64 }]).length > 0, `base64 at offset ${i}`);
			}
		});

		test('no secret value (raw, hex, base64, escaped) appears in any byte the client received', async () => {
			await S.close();
			S = null;
			assert.ok(mine().length >= adapter.processesPerConnect + 1);
			assert.ok(mine().reduce((n, r) => n + r.out.length, 0) > 0, 'bytes were recorded');
			const hits = findLeaks(vault.values, haystacks(mine()));
			assert.deepEqual(hits, []);
			// The runs are in the audit log, the cancelled one as such, with no value in it.
			const log = auditLog(vault);
			const runs = log.filter(e => e.source === 'mcp' && e.action === 'secret.run');
			assert.ok(runs.some(e => e.error === 'cancelled'), 'the cancelled run is audited as cancelled');
			assert.deepEqual(findLeaks(vault.values, [{ where: 'audit log', text: JSON.stringify(log) }]), []);
		});
	});
}

export { BIN };

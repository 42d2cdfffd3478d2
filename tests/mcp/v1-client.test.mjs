// SPDX-License-Identifier: Apache-2.0
// The v1 TypeScript SDK client (@modelcontextprotocol/sdk, 2025-11-25 handshake) against the real
// `secretctl mcp-server`: every tool on success and error paths, schemas checked with ajv,
// progress, cancellation, concurrency, and no secret in any byte received (lib/client-suite.mjs).
// Run: tests/mcp/node --test tests/mcp/v1-client.test.mjs   (tests/mcp/clients.bats does)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { clientSuite } from './lib/client-suite.mjs';
import { BIN, messagesOf, recordTransport, wire } from './lib/harness.mjs';

recordTransport(StdioClientTransport);

clientSuite({
	label: 'v1 SDK client (@modelcontextprotocol/sdk 1.x), 2025-11-25',
	era: 'legacy',
	processesPerConnect: 1,
	async connect(env, cwd) {
		// The SDK passes only HOME LOGNAME PATH SHELL TERM USER on: SECRETCTL_* go in env.
		const transport = new StdioClientTransport({ command: BIN, args: ['mcp-server'], env, cwd, stderr: 'pipe' });
		const client = new Client({ name: 'secretctl-tests', version: '1.0.0' }, { capabilities: {} });
		await client.connect(transport);
		const rec = wire.procs.find(r => r.pid === transport.pid);
		return {
			pid: transport.pid,
			call: (name, args, opts = {}) => client.callTool({ name, arguments: args }, undefined, opts),
			listTools: () => client.listTools(),
			close: () => client.close(),
			info() {
				const init = rec.sent.find(m => m.method === 'initialize');
				const res = messagesOf(rec).find(m => m.id === init.id);
				return { serverName: client.getServerVersion()?.name, era: 'legacy', version: res?.result?.protocolVersion };
			},
		};
	},
	isProtocolError: (e, code) => e instanceof McpError && e.code === code,
});

// SPDX-License-Identifier: Apache-2.0
// The v2 client (@modelcontextprotocol/client 2.x) against the real `secretctl mcp-server`, with
// version negotiation 'auto' and pinned to 2026-07-28: both start the server twice (a
// server/discover probe, then the session) and speak the stateless 2026-07-28 revision. Same
// expectations as the v1 client (lib/client-suite.mjs).
// Run: tests/mcp/node --test tests/mcp/v2-client.test.mjs; MCP_V2_MODES=auto|pin runs one mode.
import { Client, ProtocolError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { clientSuite } from './lib/client-suite.mjs';
import { BIN, recordTransport } from './lib/harness.mjs';

recordTransport(StdioClientTransport);

const MODES = {
	auto: { label: "negotiation 'auto'", versionNegotiation: { mode: 'auto' } },
	pin: { label: 'pinned to 2026-07-28', versionNegotiation: { mode: { pin: '2026-07-28' } } },
};

for (const name of (process.env.MCP_V2_MODES || 'auto,pin').split(',')) {
	const mode = MODES[name];
	if (!mode) throw new Error(`MCP_V2_MODES: unknown mode ${name} (auto, pin)`);
	clientSuite({
		label: `v2 client (@modelcontextprotocol/client 2.x), ${mode.label}`,
		era: 'modern',
		processesPerConnect: 2,
		async connect(env, cwd) {
			const transport = new StdioClientTransport({ command: BIN, args: ['mcp-server'], env, cwd, stderr: 'pipe' });
			const client = new Client({ name: 'secretctl-tests', version: '1.0.0' },
				{ capabilities: {}, versionNegotiation: mode.versionNegotiation });
			await client.connect(transport);
			return {
				pid: transport.pid,
				call: (tool, args, opts = {}) => client.callTool({ name: tool, arguments: args }, opts),
				listTools: () => client.listTools(),
				close: () => client.close(),
				info: () => ({
					serverName: client.getServerVersion()?.name,
					era: client.getProtocolEra(),
					version: client.getNegotiatedProtocolVersion(),
				}),
			};
		},
		isProtocolError: (e, code) => e instanceof ProtocolError && e.code === code,
	});
}

// SPDX-License-Identifier: Apache-2.0
// One way to start `secretctl mcp-server` under each official client (the v1 SDK, the v2 client
// negotiating 'auto' and pinned to 2026-07-28), with optional client capabilities and an
// elicitation handler, for the suites that need the same steps under every client
// (agent.test.mjs, consent.test.mjs).
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Transport } from '@modelcontextprotocol/client/stdio';
import { BIN, recordTransport } from './harness.mjs';

recordTransport(V1Transport);
recordTransport(V2Transport);

/** name -> how to connect. opts: {env, cwd, elicit: async (params) => ElicitResult, stderr}. */
export const CLIENTS = {
	v1: {
		label: 'v1 SDK (2025-11-25)',
		era: 'legacy',
		async connect({ env, cwd, elicit }) {
			const transport = new V1Transport({ command: BIN, args: ['mcp-server'], env, cwd, stderr: 'pipe' });
			const client = new V1Client({ name: 'secretctl-tests', version: '1.0.0' },
				{ capabilities: elicit ? { elicitation: { form: {} } } : {} });
			if (elicit) client.setRequestHandler(ElicitRequestSchema, req => elicit(req.params));
			await client.connect(transport);
			return wrap(transport, client, (name, args, o) => client.callTool({ name, arguments: args }, undefined, o));
		},
	},
	'v2-pin': {
		label: 'v2 client pinned to 2026-07-28',
		era: 'modern',
		connect: opts => v2(opts, { mode: { pin: '2026-07-28' } }),
	},
	'v2-legacy': {
		label: "v2 client, 'legacy' (2025-11-25)",
		era: 'legacy',
		connect: opts => v2(opts, { mode: 'legacy' }),
	},
};

async function v2({ env, cwd, elicit }, versionNegotiation) {
	const transport = new V2Transport({ command: BIN, args: ['mcp-server'], env, cwd, stderr: 'pipe' });
	const client = new V2Client({ name: 'secretctl-tests', version: '1.0.0' },
		{ capabilities: elicit ? { elicitation: { form: {} } } : {}, versionNegotiation });
	if (elicit) client.setRequestHandler('elicitation/create', req => elicit(req.params));
	await client.connect(transport);
	return wrap(transport, client, (name, args, o) => client.callTool({ name, arguments: args }, o));
}

function wrap(transport, client, call) {
	return {
		pid: transport.pid,
		stderr: () => transport.__sctlRec ? Buffer.concat(transport.__sctlRec.err).toString() : '',
		call: (name, args = {}, o = {}) => call(name, args, o),
		close: () => client.close(),
	};
}

/** The text of a CallToolResult's first block. */
export const text = r => r?.content?.[0]?.text ?? '';

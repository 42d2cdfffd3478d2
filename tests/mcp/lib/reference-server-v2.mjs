#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The same conformance fixtures as reference-server.mjs on the v2 SDK (@modelcontextprotocol/server),
// which also speaks the 2026-07-28 stateless revision over stdio: the known-good server for the
// bridge's stateless path. Only fixtures that need no client input (no sampling/elicitation), and
// none that must fail with a protocol error from inside a tool (McpServer turns those into isError).
import { McpServer, ResourceTemplate, completable } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const text = s => ({ type: 'text', text: s });
const none = z.object({});

// serveStdio picks the era from the opening message (initialize or a request with the 2026 _meta)
// and pins one server from this factory for the connection.
serveStdio(() => {
const server = new McpServer(
	{ name: 'secretctl-reference-server-v2', version: '1.0.0' },
	{
		capabilities: { tools: { listChanged: true }, resources: {}, prompts: {}, logging: {}, completions: {} },
	},
);

server.registerTool('test_simple_text', { description: 'Returns simple text', inputSchema: none },
	async () => ({ content: [text('This is a simple text response for testing.')] }));
server.registerTool('test_image_content', { description: 'Returns an image', inputSchema: none },
	async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }));
server.registerTool('test_audio_content', { description: 'Returns audio', inputSchema: none },
	async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }));
server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource', inputSchema: none },
	async () => ({ content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] }));
server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource', inputSchema: none },
	async () => ({ content: [
		text('Multiple content types test:'),
		{ type: 'image', data: PNG, mimeType: 'image/png' },
		{ type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
	] }));
server.registerTool('test_error_handling', { description: 'Always fails', inputSchema: none },
	async () => ({ isError: true, content: [text('This tool intentionally returns an error for testing')] }));
server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100 of 100', inputSchema: none },
	async (_args, ctx) => {
		const token = ctx.mcpReq._meta?.progressToken;
		for (const [i, progress] of [0, 50, 100].entries()) {
			if (i) await sleep(50);
			if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
		}
		return { content: [text(String(token ?? 'no progress token'))] };
	});
server.registerTool('test_logging_tool', { description: 'Logs (only when the request asked for a log level)', inputSchema: none },
	async (_args, ctx) => { await ctx.mcpReq.log('info', 'logging tool ran'); return { content: [text('logged')] }; });
let extra = 0;
server.registerTool('test_trigger_tool_change', { description: 'Adds a tool (tools/list_changed)', inputSchema: none },
	async () => {
		server.registerTool(`test_added_tool_${++extra}`, { description: 'Added at run time', inputSchema: none }, async () => ({ content: [text('added')] }));
		return { content: [text('tool list changed')] };
	});

server.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' },
	async uri => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }));
server.registerResource('static-binary', 'test://static-binary', { description: 'A static binary resource', mimeType: 'image/png' },
	async uri => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }));
server.registerResource('template', new ResourceTemplate('test://template/{id}/data', { list: undefined }),
	{ description: 'A resource template', mimeType: 'application/json' },
	async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] }));

server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' },
	() => ({ messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] }));
server.registerPrompt('test_prompt_with_arguments', { description: 'A prompt with arguments', argsSchema: z.object({ arg1: completable(z.string(), v => ['paris', 'park', 'party'].filter(x => x.startsWith(v))), arg2: z.string() }) },
	({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }] }));
server.registerPrompt('test_prompt_with_embedded_resource', { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string() }) },
	({ resourceUri }) => ({ messages: [
		{ role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
		{ role: 'user', content: text('Please process the embedded resource above.') }] }));
server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' },
	() => ({ messages: [
		{ role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
		{ role: 'user', content: text('Please analyze the image above.') }] }));

return server;
});

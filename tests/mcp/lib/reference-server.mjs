#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A stdio MCP server built on the v1 SDK (McpServer + StdioServerTransport) that implements the
// fixtures the conformance suite's server scenarios call (test_simple_text, test://static-text,
// test_simple_prompt, ...). It is the known-good server that proves bridge.mjs: run through the
// bridge, it should pass what the SDK implements. 2025 handshake era only (the v1 SDK has no other).
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ElicitResultSchema, CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

// 1x1 red PNG and a 44-byte silent WAV header with one sample.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = Buffer.from('UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==', 'base64').toString('base64');
const sleep = ms => new Promise(r => setTimeout(r, ms));
const text = s => ({ type: 'text', text: s });

const server = new McpServer(
	{ name: 'secretctl-reference-server', version: '1.0.0' },
	{ capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} } },
);

server.registerTool('test_simple_text', { description: 'Returns simple text' },
	async () => ({ content: [text('This is a simple text response for testing.')] }));
server.registerTool('test_image_content', { description: 'Returns an image' },
	async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }));
server.registerTool('test_audio_content', { description: 'Returns audio' },
	async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] }));
server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' },
	async () => ({ content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] }));
server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource' },
	async () => ({ content: [
		text('Multiple content types test:'),
		{ type: 'image', data: PNG, mimeType: 'image/png' },
		{ type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
	] }));
server.registerTool('test_tool_with_logging', { description: 'Sends three log messages', inputSchema: {} },
	async (_args, extra) => {
		for (const [i, data] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
			if (i) await sleep(50);
			await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data } });
		}
		return { content: [text('Tool with logging executed successfully')] };
	});
server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100 of 100', inputSchema: {} },
	async (_args, extra) => {
		const token = extra._meta?.progressToken;
		for (const [i, progress] of [0, 50, 100].entries()) {
			if (i) await sleep(50);
			if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
		}
		return { content: [text(String(token ?? 'no progress token'))] };
	});
server.registerTool('test_error_handling', { description: 'Always fails' },
	async () => ({ isError: true, content: [text('This tool intentionally returns an error for testing')] }));
server.registerTool('test_sampling', { description: 'Asks the client for a completion', inputSchema: { prompt: z.string() } },
	async ({ prompt }, extra) => {
		const r = await extra.sendRequest({ method: 'sampling/createMessage', params: {
			messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 } }, CreateMessageResultSchema);
		const t = r.content?.type === 'text' ? r.content.text : JSON.stringify(r.content);
		return { content: [text(`LLM response: ${t}`)] };
	});
server.registerTool('test_elicitation', { description: 'Asks the user for input', inputSchema: { message: z.string() } },
	async ({ message }, extra) => {
		const r = await extra.sendRequest({ method: 'elicitation/create', params: { message, requestedSchema: {
			type: 'object', required: ['username', 'email'], properties: {
				username: { type: 'string', description: "User's response" },
				email: { type: 'string', description: "User's email address" } } } } }, ElicitResultSchema);
		return { content: [text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`)] };
	});
server.registerTool('test_elicitation_sep1034_defaults', { description: 'Elicitation with defaults', inputSchema: {} },
	async (_args, extra) => {
		const r = await extra.sendRequest({ method: 'elicitation/create', params: { message: 'Please review and update the form fields with defaults', requestedSchema: {
			type: 'object', properties: {
				name: { type: 'string', description: 'User name', default: 'John Doe' },
				age: { type: 'integer', description: 'User age', default: 30 },
				score: { type: 'number', description: 'User score', default: 95.5 },
				status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
				verified: { type: 'boolean', description: 'Verification status', default: true } } } } }, ElicitResultSchema);
		return { content: [text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`)] };
	});
server.registerTool('test_elicitation_sep1330_enums', { description: 'Elicitation with every enum form', inputSchema: {} },
	async (_args, extra) => {
		const r = await extra.sendRequest({ method: 'elicitation/create', params: { message: 'Please select options from the enum fields', requestedSchema: {
			type: 'object', properties: {
				untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
				titledSingle: { type: 'string', description: 'Titled single-select', oneOf: [
					{ const: 'value1', title: 'First Option' }, { const: 'value2', title: 'Second Option' }, { const: 'value3', title: 'Third Option' }] },
				legacyEnum: { type: 'string', description: 'Legacy titled', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
				untitledMulti: { type: 'array', description: 'Untitled multi-select', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
				titledMulti: { type: 'array', description: 'Titled multi-select', items: { anyOf: [
					{ const: 'value1', title: 'First Choice' }, { const: 'value2', title: 'Second Choice' }, { const: 'value3', title: 'Third Choice' }] } },
			} } } }, ElicitResultSchema);
		return { content: [text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`)] };
	});

server.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' },
	async uri => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }));
server.registerResource('static-binary', 'test://static-binary', { description: 'A static binary resource', mimeType: 'image/png' },
	async uri => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }));
server.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource to subscribe to', mimeType: 'text/plain' },
	async uri => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }));
server.registerResource('template', new ResourceTemplate('test://template/{id}/data', { list: undefined }),
	{ description: 'A resource template', mimeType: 'application/json' },
	async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] }));

server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' },
	() => ({ messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] }));
server.registerPrompt('test_prompt_with_arguments', { description: 'A prompt with arguments', argsSchema: { arg1: z.string(), arg2: z.string() } },
	({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }] }));
server.registerPrompt('test_prompt_with_embedded_resource', { description: 'A prompt embedding a resource', argsSchema: { resourceUri: z.string() } },
	({ resourceUri }) => ({ messages: [
		{ role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
		{ role: 'user', content: text('Please process the embedded resource above.') }] }));
server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' },
	() => ({ messages: [
		{ role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
		{ role: 'user', content: text('Please analyze the image above.') }] }));

// The SDK registers no handlers for these; the scenarios only need them answered.
const subscriptions = new Set();
const methodSchema = m => z.object({ method: z.literal(m) }).passthrough();
server.server.setRequestHandler(methodSchema('resources/subscribe'), async req => { subscriptions.add(req.params?.uri); return {}; });
server.server.setRequestHandler(methodSchema('resources/unsubscribe'), async req => { subscriptions.delete(req.params?.uri); return {}; });
server.server.setRequestHandler(methodSchema('logging/setLevel'), async () => ({}));
server.server.setRequestHandler(methodSchema('completion/complete'), async () => ({ completion: { values: [], total: 0, hasMore: false } }));

await server.connect(new StdioServerTransport());

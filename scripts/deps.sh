#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages secretctl needs to build and test; does nothing when all are present.
# Without arguments (`make deps`) it then installs tests/mcp's npm packages (scripts/deps-node.sh).
# Usage: scripts/deps.sh [extra-package...]   (root runs apt-get directly, others go through sudo)
set -euo pipefail
here=$(dirname "$0")
# postgresql, curl, nodejs/npm: the real services of tests/lib/services.bash and the MCP tests;
# tmux, screen: real host services the escape suite tries to reach from inside the sandbox;
# xxd, openssl: the leak corpus prints secrets with the real tools (xxd -p, openssl base64).
# zsh, fish: the completion scripts are loaded in the real shells (tests/e2e/completion.bats).
# strace: the e2e check that each message is one write(2).
pkgs=(build-essential pkg-config libsodium-dev libsqlite3-dev libcjson-dev libyaml-dev libseccomp-dev
	libcap-dev zlib1g-dev libzxcvbn-dev libunistring-dev check bats jq sqlite3 time python3 binutils
	procps util-linux passwd psmisc postgresql curl ca-certificates tmux screen xxd openssl zsh fish
	strace "$@")
# Any node >= 18 with its npm bootstraps tests/mcp (which brings its own node 22); Debian's only
# when there is none (a node from another repository would conflict with Debian's npm).
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' 2>/dev/null &&
	command -v npm >/dev/null || pkgs+=(nodejs npm)
node_step() { [ $# -gt 0 ] || "$here/deps-node.sh"; }
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == *"install ok installed"* ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then node_step "$@"; exit; fi
echo "deps: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); else
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
	|| { echo "deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
node_step "$@"

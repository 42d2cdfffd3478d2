#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages secretctl needs to build and test; does nothing when all are present.
# Usage: scripts/deps.sh [extra-package...]   (root runs apt-get directly, others go through sudo)
set -euo pipefail
pkgs=(build-essential pkg-config libsodium-dev libsqlite3-dev libcjson-dev libyaml-dev libseccomp-dev
	libcap-dev zlib1g-dev check bats jq sqlite3 time python3 binutils procps util-linux passwd psmisc "$@")
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == *"install ok installed"* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); else
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
	|| { echo "deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench`: run every bench/[0-9]*.sh in order; each prints its own table section with
# ratios against peer tools measured in the same invocation.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRETCTL_BIN=${SECRETCTL_BIN:-$(realpath build/secretctl)}
echo "# secretctl benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, kernel $(uname -r)"
for b in bench/[0-9]*.sh; do
	[ -x "$b" ] || continue
	echo
	"$b"
done

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The security suites must be able to fail. This runs the escape suite with every case's sandbox
# replaced by --sandbox off (ESCAPE_WEAKEN=off) and checks that each case whose header says
# "about: sandbox" then FAILS, in every mode it runs in: a case that still passes without the
# sandbox proves nothing about it. Prints TAP. Root only (the escape suite's root pass).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
if [ "$(id -u)" -ne 0 ]; then
	notok "selfcheck: needs root (the escape suite's root pass); CI runs it as root"
	echo "1..$n"
	exit 1
fi
log=$(mktemp /tmp/sctl-selfcheck.XXXXXX)
trap 'rm -f "$log"' EXIT
ESCAPE_WEAKEN=off ESCAPE_USERS=root "$root/tests/security/escape/run.sh" >"$log" 2>&1
for case in "$root"/tests/security/escape/cases/[0-9]*.sh; do
	name=$(basename "$case" .sh)
	grep -q '^# about: sandbox' "$case" || continue
	lines=$(grep -aE "^(ok|not ok) [0-9]+ - root [a-z]+ $name[ :]" "$log")
	if [ -z "$lines" ]; then
		notok "selfcheck: $name did not run under --sandbox off"
		continue
	fi
	while IFS= read -r l; do
		mode=$(awk '{print ($1 == "ok") ? $5 : $6}' <<<"$l")
		if [[ $l == ok* ]]; then
			notok "selfcheck: $name ($mode) passes without the sandbox: it does not test it"
		else
			ok "selfcheck: $name ($mode) fails under --sandbox off"
		fi
	done <<<"$lines"
done
echo "1..$n"

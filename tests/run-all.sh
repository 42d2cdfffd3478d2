#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run every test layer and end with one line "N passed, N failed".
#   unit:  every Check binary under $BUILD/tests/unit/
#   TAP:   every bats file under tests/ (e2e, security, mcp, ...) and every executable
#          tests/**/run.sh (data-driven suites: leak corpus, escape suite, fuzz replay), which print
#          TAP. tests/mcp/node_modules (the npm MCP toolchain) is never scanned.
# Env: BUILD (build dir, default build), SECRETCTL_ASAN=1 for the sanitizer build,
#      TESTS_FILTER=regex to run only matching test files.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export SECRETCTL_BIN
SECRETCTL_BIN=$(realpath "$BUILD/secretctl")
export SECRETCTL_BUILD
SECRETCTL_BUILD=$(realpath "$BUILD")
[ -x "$SECRETCTL_BIN" ] || { echo "run-all: $SECRETCTL_BIN not built"; echo "0 passed, 1 failed"; exit 1; }
filter=${TESTS_FILTER:-.}
passed=0 failed=0 skipped=0
failures=() skips=()
logdir=$(mktemp -d /tmp/secretctl-tests.XXXXXX)

count_tap() { # file label
	local ok nok skip
	ok=$(grep -cE '^ok ' "$1" || true)
	nok=$(grep -cE '^not ok ' "$1" || true)
	# A skip is not a pass: counted apart and listed loudly at the end.
	skip=$(grep -ciE '^ok .* # skip' "$1" || true)
	ok=$((ok - skip))
	passed=$((passed + ok)); failed=$((failed + nok)); skipped=$((skipped + skip))
	[ "$skip" -gt 0 ] && skips+=("$2: $skip skipped: $(grep -iE '^ok .* # skip' "$1" | head -1 | sed 's/.*# skip *//I')")
	[ "$nok" -gt 0 ] && failures+=("$2: $(grep -E '^not ok ' "$1" | head -5 | tr '\n' ';')")
	echo "$2: $ok passed, $nok failed"
}

# Unit tests (Check). CK_FORK stays on: each test runs in its own process.
while IFS= read -r t; do
	[[ $t =~ $filter ]] || continue
	name=${t#"$BUILD/"}
	log="$logdir/$(echo "$name" | tr / _).log"
	"$t" </dev/null >"$log" 2>&1; rc=$?
	line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -1)
	if [[ $line =~ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
		n=${BASH_REMATCH[1]}; f=$((BASH_REMATCH[2] + BASH_REMATCH[3]))
		passed=$((passed + n - f)); failed=$((failed + f))
		if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
			[ "$f" -gt 0 ] || failed=$((failed + 1))
			failures+=("$name: $(grep -E ':[EF]:' "$log" | head -5 | tr '\n' ';')")
		fi
		echo "$name: $line"
		if grep -q '^# skip' "$log"; then
			skipped=$((skipped + 1))
			skips+=("$name: $(grep -m1 '^# skip' "$log" | sed 's/^# skip *//')")
		fi
	else
		failed=$((failed + 1)); failures+=("$name: no Check summary (exit $rc), see $log")
		echo "$name: FAILED to run (exit $rc)"; tail -20 "$log"
	fi
done < <(find "$BUILD/tests/unit" -type f -perm -u+x 2>/dev/null | sort)

# bats suites.
command -v bats >/dev/null || { echo "run-all: bats missing (run make deps)"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
while IFS= read -r f; do
	[[ $f =~ $filter ]] || continue
	log="$logdir/$(echo "$f" | tr / _).tap"
	bats --tap "$f" </dev/null >"$log" 2>&1
	count_tap "$log" "$f"
	if ! grep -qE '^(ok|not ok) ' "$log"; then
		failed=$((failed + 1)); failures+=("$f: produced no results"); tail -20 "$log"
	fi
done < <(find tests -path tests/mcp/node_modules -prune -o -name '*.bats' -type f -print | sort)

# Data-driven suites printing TAP.
while IFS= read -r f; do
	[[ $f =~ $filter ]] || continue
	log="$logdir/$(echo "$f" | tr / _).tap"
	"$f" </dev/null >"$log" 2>&1; rc=$?
	count_tap "$log" "$f"
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
		failed=$((failed + 1)); failures+=("$f: exit $rc"); tail -20 "$log"
	fi
done < <(find tests -path tests/mcp/node_modules -prune -o -name 'run.sh' -type f -perm -u+x -print | sort)

if [ ${#failures[@]} -gt 0 ]; then
	echo "--- failures (logs in $logdir):"
	printf '  %s\n' "${failures[@]}"
fi
if [ ${#skips[@]} -gt 0 ]; then
	echo "--- WARNING: $skipped tests SKIPPED (not counted as passed; MUST_WORK=1 makes them fail):"
	printf '  %s\n' "${skips[@]}"
fi
total=$((passed + failed))
if [ $total -eq 0 ]; then echo "run-all: no tests ran"; failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# redact as a pipeline stage: large input byte for byte, secrets across read boundaries, a
# progress line shown while the input is quiet, a reader that leaves (| head -1), a failing
# output while the input is silent, an unreadable input, --count.

load helpers

setup() {
	e2e_setup
	cd "$BATS_TEST_TMPDIR" || return 1
	export TOK=Zq8vLmP3xR7tK2wN9cF4hJ6bD1gS5yEu
}

# 8 MiB of log lines with the token on every 997th line, and the expected output.
make_log() {
	awk -v t="$TOK" 'BEGIN { for (i = 1; i <= 200000; i++) {
		if (i % 997 == 0) printf "%08d token=%s served\n", i, t;
		else printf "%08d INFO request served in %d ms by worker %d\n", i, i % 97, i % 7 } }' >log
	sed "s/$TOK/[REDACTED:TOK]/g" log >want
}

@test "a large input comes out byte for byte, every secret redacted, --count counts them" {
	make_log
	run -0 --separate-stderr sh -c 'cat log | "$0" redact --from-env TOK --count >out' "$BIN"
	cmp out want
	[ "$stderr" = "TOK 200" ]
	# a regular file as stdin, and one write per line (many small reads)
	run -0 sh -c '"$0" redact --from-env TOK <log >out2' "$BIN"
	cmp out2 want
	run -0 sh -c 'while IFS= read -r l; do printf "%s\n" "$l"; done <log | head -3000 |
		"$0" redact --from-env TOK >out3' "$BIN"
	cmp out3 <(head -3000 want)
}

@test "a progress line shows while the input is quiet; a secret split across writes does not" {
	(
		printf 'token=%s' "${TOK:0:12}"
		sleep 0.3
		printf '%s done\nprogress 10%%' "${TOK:12}"
		sleep 3
		printf '\n'
	) | "$BIN" redact --from-env TOK >out &
	sleep 1.5
	# before the end of input: the line without its end is out, the secret never was
	[ "$(cat out)" = "$(printf 'token=[REDACTED:TOK] done\nprogress 10%%')" ]
	wait
	[ "$(cat out)" = "$(printf 'token=[REDACTED:TOK] done\nprogress 10%%')" ]
}

@test "| head -1: redact ends at once, as cat(1) does, when its reader leaves" {
	start=$SECONDS
	run -0 bash -c 'yes "line with $TOK in it" | "$0" redact --from-env TOK | head -1;
		echo "rc=${PIPESTATUS[1]}"; yes | cat | head -1 >/dev/null; echo "cat=${PIPESTATUS[1]}"' "$BIN"
	[ "${lines[0]}" = "line with [REDACTED:TOK] in it" ]
	[ "${lines[1]#rc=}" = "${lines[2]#cat=}" ] # 141 (SIGPIPE), or 0 where it is ignored
	[ $((SECONDS - start)) -lt 10 ]
}

@test "a failing output ends redact with an error even while its input is silent" {
	mkfifo in
	sleep 60 >in & # holds the input open without writing
	writer=$!
	exec 7<in
	# an escape's start: held until the idle flush, so the write that fails comes when redact
	# waits in read(2) for more input
	printf '%%4' >in
	s=$(date +%s%N)
	run -5 --separate-stderr sh -c 'exec "$0" redact --from-env TOK >/dev/full' "$BIN" <&7
	took=$((($(date +%s%N) - s) / 1000000))
	exec 7<&-
	kill "$writer" 2>/dev/null || true
	[[ $stderr == *"redact: writing the output failed: No space left on device"* ]]
	[ "$took" -lt 5000 ]
}

@test "an unreadable input is an error with its reason" {
	mkdir d
	run -5 --separate-stderr sh -c '"$0" redact --from-env TOK <d' "$BIN"
	[[ $stderr == *"redact: reading the input failed: Is a directory"* ]]
}

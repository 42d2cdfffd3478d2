#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# secretctl run|exec end to end: every flag and exit code, mostly with --from-env (no vault),
# a few with a real vault (secret.run audit events). Runs as whoever runs bats (CI: root and,
# through .ci/run, the unprivileged user sctltest).

load helpers

# As root without any process bound (kernel older than 6.14 and no writable pids cgroup, e.g. a
# chroot without /sys) every run warns on stderr that the process count is unbounded (tested on
# its own below); tests comparing exact output drop that one line.
drop_nproc_warning() {
	local w='^secretctl: warning: run: running as root without a process bound'
	output=$(grep -v "$w" <<<"$output")
	[ -z "${stderr+x}" ] || stderr=$(grep -v "$w" <<<"$stderr")
	mapfile -t lines <<<"$output"
}

setup() {
	e2e_setup
	need_sandbox
	export TOK='e2e-token-value-0123456789'
	cd "$BATS_TEST_TMPDIR" || return 1
}

@test "run --help and exec --help" {
	run -0 "$BIN" run --help
	[[ $output == *"--from-env"* ]]
	[[ $output == *"--sandbox"* ]]
	run -0 "$BIN" exec --help
}

@test "injects --from-env and redacts stdout and stderr separately" {
	run --separate-stderr -0 sc_nopw exec --from-env TOK -- sh -c 'echo "out $TOK"; echo "err $TOK" >&2'
	drop_nproc_warning
	[ "$output" = "out [REDACTED:TOK]" ]
	[ "$stderr" = "err [REDACTED:TOK]" ]
}

@test "redacts encoded forms (base64)" {
	run -0 sc_nopw exec --from-env TOK -- sh -c 'printf %s "$TOK" | base64'
	[[ $output != *"$(printf %s "$TOK" | base64)"* ]]
	[[ $output == *REDACTED* ]]
}

@test "exit codes: child code, 128+signal, 127, 126, 125 usage" {
	run -7 sc_nopw exec -- sh -c 'exit 7'
	run -143 sc_nopw exec -- sh -c 'kill -TERM $$'
	run -127 sc_nopw exec -- no-such-command-xyz
	[[ $output == *"cannot execute"* ]]
	run -126 sc_nopw exec -- /etc/passwd
	run -125 sc_nopw exec
	run -125 sc_nopw exec --sandbox bogus -- true
	run -125 sc_nopw exec --network maybe -- true
	run -125 sc_nopw exec --timeout nonsense -- true
}

@test "--timeout: exit 124, the tree is killed" {
	run -124 sc_nopw exec -t 500ms -- sh -c 'trap "" TERM; sleep 30'
	[[ $output == *"timed out"* ]]
	run -124 sc_nopw exec --timeout 1s -- sleep 30
}

@test "environment is clean: no LD_PRELOAD, BASH_ENV, SECRETCTL_PASSWORD, random vars" {
	run -0 env BASH_ENV=/x NODE_OPTIONS=--y RANDOM_VAR=1 SECRETCTL_PASSWORD=pw-pw-pw-pw \
		setsid -w "$BIN" exec -- env
	[[ $output == *PATH=* ]]
	[[ $output != *BASH_ENV* && $output != *NODE_OPTIONS* && $output != *RANDOM_VAR* ]]
	[[ $output != *SECRETCTL_PASSWORD* && $output != *pw-pw-pw-pw* ]]
}

@test "--env-prefix renames injected vault variables; --from-env keeps its name" {
	init_vault
	put db/password 'prefix-test-value-0123456789'
	run -0 sc exec -k db/password --env-prefix APP_ -- \
		sh -c 'echo "prefixed=${APP_DB_PASSWORD:-unset} plain=${DB_PASSWORD:-unset}"'
	[ "$output" = "prefixed=[REDACTED:APP_DB_PASSWORD] plain=unset" ]
	# --from-env keeps the caller's name (see secretctl-run(1))
	run -0 sc_nopw exec --from-env TOK --env-prefix APP_ -- sh -c 'echo "${TOK:-unset} ${APP_TOK:-unset}"'
	[ "$output" = "[REDACTED:TOK] unset" ]
}

@test "--no-sanitize warns loudly and passes output through" {
	run --separate-stderr -0 sc_nopw exec --from-env TOK --no-sanitize -- sh -c 'echo "$TOK"'
	[ "$output" = "$TOK" ]
	[[ $stderr == *"WARNING"*"NOT redacted"* ]]
}

@test "--sandbox off warns and still redacts" {
	run --separate-stderr -0 sc_nopw exec --from-env TOK --sandbox off -- sh -c 'echo "$TOK"; grep Seccomp: /proc/self/status'
	[[ $output == *"[REDACTED:TOK]"* ]]
	[[ $output == *"Seccomp:	0"* ]]
	[[ $stderr == *"WITHOUT the sandbox"* ]]
	run -125 sc_nopw exec --sandbox off --network deny -- true
}

@test "--sandbox standard: no caps, no_new_privs, seccomp, own pid namespace" {
	run -0 sc_nopw exec -- sh -c 'echo pid=$$; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	[[ $output == *"pid=2"* ]]
	[[ $output == *"CapEff:	0000000000000000"* ]]
	[[ $output == *"NoNewPrivs:	1"* ]]
	[[ $output == *"Seccomp:	2"* ]]
}

@test "--sandbox strict: read-only root, writable cwd, private /tmp, --writable" {
	mkdir -p "$BATS_TEST_TMPDIR/extra"
	run -0 sc_nopw exec --sandbox strict --writable "$BATS_TEST_TMPDIR/extra" -- sh -c \
		'echo a > ./in-cwd && echo b > /tmp/private-x && echo c > '"$BATS_TEST_TMPDIR/extra/e"' && ! (echo d > /etc/strict-x) 2>/dev/null && echo fine'
	[[ $output == *fine* ]]
	[ -e "$BATS_TEST_TMPDIR/in-cwd" ]
	[ -e "$BATS_TEST_TMPDIR/extra/e" ]
	[ ! -e /tmp/private-x ] || [[ $BATS_TEST_TMPDIR == /tmp/* ]]
	run -125 sc_nopw exec --sandbox off --writable /tmp -- true
}

@test "standard: nothing written outside cwd, --writable and a private /tmp survives the run" {
	mkdir -p "$BATS_TEST_TMPDIR/keep" "$BATS_TEST_TMPDIR/home" "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	# $HOME writes work (caches) and vanish; cwd and --writable persist; /etc is read-only.
	run -0 env HOME="$BATS_TEST_TMPDIR/home" "$BIN" exec --writable "$BATS_TEST_TMPDIR/keep" -- sh -c \
		'echo x > "$HOME/.bashrc" && cat "$HOME/.bashrc" && mkdir -p "$HOME/.cache/t" &&
		 echo y > ./in-cwd && echo z > '"$BATS_TEST_TMPDIR/keep/k"' &&
		 ! (echo w > /etc/secretctl-persist-test) 2>/dev/null && echo fine'
	drop_nproc_warning
	[ "${lines[0]}" = x ]
	[[ $output == *fine* ]]
	[ ! -e "$BATS_TEST_TMPDIR/home/.bashrc" ]
	[ ! -e "$BATS_TEST_TMPDIR/home/.cache" ]
	[ -e "$BATS_TEST_TMPDIR/work/in-cwd" ]
	[ -e "$BATS_TEST_TMPDIR/keep/k" ]
	[ ! -e /etc/secretctl-persist-test ]
	# strict: $HOME is read-only instead
	run -0 env HOME="$BATS_TEST_TMPDIR/home" "$BIN" exec --sandbox strict -- sh -c \
		'! (echo x > "$HOME/.bashrc") 2>/dev/null && echo ro'
	[[ $output == *ro* ]]
}

@test "--network deny: only loopback; allow: the host's interfaces" {
	run -0 sc_nopw exec --network deny -- cat /proc/net/dev
	drop_nproc_warning
	[[ $output == *"lo:"* ]]
	[ "$(grep -c ':' <<<"$output")" -eq 1 ]
}

@test "--pty gives a terminal, --no-pty pipes" {
	run -0 sc_nopw exec --pty -- sh -c 'tty'
	[[ $output == */dev/pts/* ]]
	run -1 sc_nopw exec --no-pty -- sh -c 'tty'
	[[ $output == *"not a tty"* ]]
	# PTY output is redacted too (CRLF from the terminal)
	run -0 sc_nopw exec --pty --from-env TOK -- sh -c 'echo "$TOK"'
	[[ $output == *"[REDACTED:TOK]"* ]]
	[[ $output != *"$TOK"* ]]
}

@test "stdin is forwarded in pipe and PTY mode" {
	run -0 bash -c 'echo hello-stdin | setsid -w "$0" exec -- cat' "$BIN"
	drop_nproc_warning
	[ "$output" = hello-stdin ]
	run -0 bash -c 'echo hello-pty | setsid -w "$0" exec --pty -t 5s -- head -n1' "$BIN"
	drop_nproc_warning
	[[ $output == *hello-pty* ]]
}

@test "--limit sets rlimits with hard = soft" {
	run -0 sc_nopw exec --limit nofile=100 --limit fsize=1M -- sh -c 'ulimit -n; ulimit -Hn; ulimit -f; ulimit -Hc'
	drop_nproc_warning
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 100 ]
	[ "${lines[2]}" = 2048 ]
	[ "${lines[3]}" = 0 ]
	run -125 sc_nopw exec --limit bogus=1 -- true
}

@test "a secret shorter than the redaction minimum is refused" {
	run -125 env SHORT=abc setsid -w "$BIN" exec --from-env SHORT -- true
	[[ $output == *"cannot be redacted"* ]]
}

@test "vault: a short field that is not sensitive is injected as is; a sensitive one is named" {
	init_vault
	sc set db/prod --field user=app --field host=db.internal --field port=5432 \
		--field password=Sup3r-S3cret-Passw0rd --sensitive password </dev/null >/dev/null 2>&1
	run -0 --separate-stderr sc exec -k db/prod -- \
		sh -c 'echo "$DB_PROD_USER $DB_PROD_PORT $DB_PROD_HOST $DB_PROD_PASSWORD"'
	drop_nproc_warning
	# Long plain fields are still redacted as a precaution; short ones are configuration.
	[ "$output" = "app 5432 [REDACTED:DB_PROD_HOST] [REDACTED:DB_PROD_PASSWORD]" ]
	sc set db/pin --field user=app --field pin --sensitive pin < <(printf '123') >/dev/null 2>&1
	run -125 --separate-stderr sc exec -k db/pin -- true
	[[ $stderr == *"secret db/pin field pin is 3 bytes and cannot be redacted reliably"* ]]
	[[ $stderr == *"secretctl edit db/pin --not-sensitive pin"* ]]
	sc edit db/pin --not-sensitive pin >/dev/null
	run -0 --separate-stderr sc exec -k db/pin -- sh -c 'echo "$DB_PIN_PIN"'
	drop_nproc_warning
	[ "$output" = 123 ]
	put short 'abc'
	run -125 --separate-stderr sc exec -k short -- true
	[[ $stderr == *"secret short is 3 bytes and cannot be redacted reliably"* ]]
}

@test "--from-env values are wiped from secretctl's environment block and its init's" {
	local fifo="$BATS_TEST_TMPDIR/go"
	mkfifo "$fifo"
	# The command blocks on the fifo, so the processes stay up while we look at them (at most
	# 10 s: a failed assertion below must not leave it waiting).
	TOK="$TOK" "$BIN" exec -t 10s --from-env TOK -- sh -c "read x < '$fifo'" >/dev/null 2>&1 &
	local sup=$! init=""
	for _ in $(seq 100); do
		init=$(pgrep -P "$sup" | head -1)
		[ -n "$init" ] && [ -n "$(pgrep -P "$init")" ] && break
		sleep 0.05
	done
	[ -n "$init" ]
	for p in "$sup" "$init"; do
		if [ "$(id -u)" -eq 0 ]; then
			# root may read a non-dumpable process's environment: the value must be gone.
			run -0 bash -c "tr '\\0' '\\n' < /proc/$p/environ"
			[[ $output != *"$TOK"* ]]
		else
			# Anyone else, the same user included, may not read it at all.
			run ! cat "/proc/$p/environ"
		fi
	done
	echo go >"$fifo"
	wait "$sup"
}

@test "--from-env of an unset variable fails before running" {
	run -125 sc_nopw exec --from-env NOT_SET_ANYWHERE_XYZ -- true
}

@test "vault: -k injects, redacts, and records secret.run with sanitized argv" {
	init_vault
	put api/key 'vault-value-abcdef-123456'
	run --separate-stderr -0 sc exec -k 'api/*' -- sh -c 'echo "v=$API_KEY"; exit 0' vault-value-abcdef-123456
	[ "$output" = "v=[REDACTED:API_KEY]" ]
	run -0 sc audit list --json
	ev=$(jq -c '[.[] | select(.action == "secret.run")] | last' <<<"$output")
	[ "$(jq -r '.keys | join(",")' <<<"$ev")" = api/key ]
	[[ $ev != *vault-value-abcdef* ]]
	[[ $(jq -r .command <<<"$ev") == *"[REDACTED:API_KEY]"* ]]
	[ "$(jq -r '.detail.exit' <<<"$ev")" = 0 ]
	[ "$(jq -r '.detail.sandbox' <<<"$ev")" = standard ]
	[ "$(jq -r '.detail.redactions.API_KEY' <<<"$ev")" = 1 ]
	# The protections in force are named, not a bit mask.
	[ "$(jq -r '.detail.protections | map(type) | unique | join(",")' <<<"$ev")" = string ]
	jq -e '.detail.protections | index("seccomp filter") != null and index("no_new_privs") != null' <<<"$ev"
}

@test "vault: the command cannot read the vault directory" {
	init_vault
	put api/key 'vault-value-abcdef-123456'
	run -0 sc exec -k api/key -- sh -c 'cat "$0"/vault.db >/dev/null 2>&1 && echo READ || echo hidden' "$SECRETCTL_VAULT_DIR"
	drop_nproc_warning
	[ "$output" = hidden ]
}

@test "vault: a failed run and a timeout are audited" {
	init_vault
	put api/key 'vault-value-abcdef-123456'
	run -124 sc exec -k api/key -t 300ms -- sleep 10
	run -127 sc exec -k api/key -- no-such-command-xyz
	run -0 sc audit list --json
	n=$(jq '[.[] | select(.action == "secret.run" and .success == false)] | length' <<<"$output")
	[ "$n" -ge 2 ]
}

@test "doctor reports each profile" {
	run -0 "$BIN" doctor
	[[ $output == *"standard"*"OK"* ]]
	[[ $output == *"strict"* ]]
	[[ $output == *"seccomp filter"* ]]
}

@test "process-count bound: RLIMIT_NPROC unprivileged; root: pid_max, else pids cgroup, else refused" {
	if [ "$(id -u)" -ne 0 ]; then
		# The unprivileged path: RLIMIT_NPROC inside the user namespace, always available.
		run -0 "$BIN" doctor
		[[ $output == *"process limit: RLIMIT_NPROC"* ]]
		X=abcdefgh1234 run -0 "$BIN" exec --from-env X --limit nproc=10 -- true
		return
	fi
	run -0 "$BIN" doctor
	pidmax=no
	[[ $output != *"process limit: pid_max"* ]] || pidmax=yes
	# Hide the pids cgroup in a private mount namespace: the machine-independent way to reach
	# the path a container or chroot without /sys takes.
	# (Where the directory does not exist, e.g. a root without /sys, we are on that path already.)
	run -0 unshare -m sh -c '[ ! -d /sys/fs/cgroup/pids ] || mount -t tmpfs -o ro none /sys/fs/cgroup/pids
		X=abcdefgh1234 "$0" exec --from-env X --limit nproc=10 -- true; echo "rc=$?"
		X=abcdefgh1234 "$0" exec --from-env X -- sh -c "echo ran"; echo "rc=$?"
		X=abcdefgh1234 "$0" exec --from-env X --limit nproc=300 -- sh -c "cat /proc/sys/kernel/pid_max"; echo "rc=$?"
		"$0" doctor' "$BIN"
	# Below 300 processes only a pids cgroup can bound root: refused without one.
	[[ $output == *"cannot enforce a limit of 10 processes"* ]]
	[[ ${lines[*]} == *"rc=125"* ]]
	[[ $output == *ran*rc=0* ]]
	if [ "$pidmax" = yes ]; then
		# The pid namespace's own pid_max bounds the default and any limit from 300 up: no
		# warning, and the command sees pids 1..300.
		[[ $output != *"NOT bounded"* ]]
		[[ $output == *$'\n301\nrc=0'* ]]
		[[ $output == *"process limit: pid_max"* ]]
		[[ $output == *"process limit (--limit nproc below 300): NONE"* ]]
	else
		[[ $output == *"process count is NOT bounded"* ]]
		[[ $output == *"process limit: NONE for root runs"* ]]
	fi
}

@test "vault: refused runs are audited (expired secret, no match, too short to redact, bad --env-prefix)" {
	init_vault
	put api/key 'vault-value-abcdef-123456'
	put api/old 'vault-value-expired-12345' --expires 1s
	put api/tiny 'abc'
	sleep 2
	run -125 sc exec -k api/old -- true
	run -125 sc exec -k 'nothing/*' -- true
	run -125 sc exec -k api/tiny -- true
	run -125 sc exec -k api/key --env-prefix 'bad-prefix' -- true
	run -0 sc audit export
	[ "$(jq -c '[.[] | select(.action == "secret.run") | [.success, .keys[0]]]' <<<"$output")" = \
		'[[false,"api/old"],[false,"nothing/*"],[false,"api/tiny"],[false,"api/key"]]' ]
	jq -e '[.[] | select(.action == "secret.run")] | (.[0].error | test("expired")) and (.[1].error | test("no secret")) and (.[2].error | test("cannot be redacted")) and (.[3].error | test("env prefix"))' <<<"$output"
}

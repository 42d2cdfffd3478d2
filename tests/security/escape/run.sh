#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Escape suite: every cases/NN-name.sh runs INSIDE `secretctl exec` and tries one way out; its
# header says what must happen. Printed as TAP. Each case runs as root and as the unprivileged
# user sctltest (created when we are root and it is missing), in pipe mode and in PTY mode
# (through `script -qec`). Header fields (one per line, "# field: value"):
#   args:        extra secretctl options (e.g. --sandbox strict, -t 2s, --limit nproc=64)
#   expect:      exit=N (secretctl's exit code), or exit=any
#   NAME@root-nocgroup: overrides NAME for root passes on machines where `secretctl doctor`
#                reports no process bound for small limits (no writable pids cgroup), where
#                `--limit nproc` below 300 is refused (125)
#   NAME@nolandlock: overrides NAME where the kernel has no Landlock scopes (see below)
#   expect-out:  an extended regex the output must match
#   modes:       pipe, pty or "pipe pty" (default)
#   max-seconds: wall-clock bound for the run (default 15)
#   after:       a host-side shell check run after the case (exit 0 = pass; $UDIR is the
#                case's directory, its tmp/ is the case's $3)
#   output:      "discard" sends the output to /dev/null (huge outputs); checks then skip it
#   sample-hwm:  "yes" samples the supervisor's VmHWM (kB) into $UDIR/hwm while it runs
#   host-listen: "yes" starts host unix-socket listeners for the case: $UDIR/agent.sock (also
#                passed to secretctl as SSH_AUTH_SOCK), a socket in /run/user/<uid> whose path is
#                in $UDIR/run-user-sock, and an abstract socket whose name is in
#                $UDIR/abstract-name, each first checked to be reachable from outside the sandbox
#   host-services: "yes" starts, as the case's user, the host services an attacker would drive
#                through their sockets: a tmux server (default socket, /tmp/tmux-<uid>), a tmux
#                server at a socket in $HOME, a GNU screen session, a listener at an ssh
#                ControlMaster path (~/.ssh/cm-*) and listeners at random paths under $HOME and
#                /var/tmp; each is checked reachable from outside first; their socket paths are
#                listed in $UDIR/host-sockets
#   reader:      "slow" reads the output only after 6 s ((sleep 6; cat)), "head" through
#                `head -1` (pipe mode only)
#   cleanup:     a host-side shell command run after the case and its after-check, whatever
#                happened (removes what an escape would have left, e.g. under --sandbox off)
# Cases get: $1 supervisor pid, $2 vault dir, $3 a host-visible writable dir, $4 helper bin dir.
# The case runs in $UDIR (its working directory: writable and kept); its $HOME is $UDIR.home,
# outside it (the standard profile's throwaway $HOME layer applies there).
# Everywhere: the output must not contain the secret, nor the word ESCAPED.
# Env: SECRETCTL_BIN (default build/secretctl), ESCAPE_FILTER=regex on case names,
#      ESCAPE_USERS="root sctltest" to choose the passes, ESCAPE_WEAKEN=off to run every case
#      with --sandbox off instead of its own sandbox options (the self-check: every case whose
#      header says "about: sandbox" must then fail; tests/security/selfcheck/run.sh).
#   about:       "sandbox" for a case the sandbox itself must stop (it fails under
#                ESCAPE_WEAKEN=off); cases about the supervisor (timeouts, limits, the clean
#                environment) hold without the sandbox too
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BIN=${SECRETCTL_BIN:-$root/build/secretctl}
BIN=$(realpath "$BIN")
filter=${ESCAPE_FILTER:-.}
# Where the sandbox cannot work at all, one loud skip instead of a hundred failures (a
# failure with MUST_WORK=1, which CI sets): tests/lib/sandbox.bash.
if ! "$BIN" doctor >/dev/null 2>&1; then
	if [ "${MUST_WORK:-}" = 1 ]; then
		echo "not ok 1 - the sandbox does not work on this host ('secretctl doctor') and MUST_WORK=1"
	else
		echo "ok 1 - escape suite # skip SANDBOX UNAVAILABLE on this host (see 'secretctl doctor'); MUST_WORK=1 makes this a failure"
	fi
	echo "1..1"
	exit 0
fi
SECRET="sk-escape-suite-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

users=()
if [ -n "${ESCAPE_USERS:-}" ]; then
	read -ra users <<<"$ESCAPE_USERS"
elif [ "$(id -u)" -eq 0 ]; then
	id sctltest >/dev/null 2>&1 || useradd -m sctltest >/dev/null 2>&1 || true
	users=(root sctltest)
else
	users=("$(id -un)")
fi

# Work dir outside /tmp and /var/tmp, which are private inside the sandbox, so the helpers stay
# visible to the cases; reachable by both users. (A non-root run uses its $HOME: readable
# inside, through the throwaway layer.)
if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /var/lib/sctl-escape.XXXXXX)
else
	work=$(mktemp -d "$HOME/.sctl-escape.XXXXXX")
fi
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/bin"
if ! cc -O2 -o "$work/bin/probe" "$here/helpers/probe.c" 2>"$work/cc.log"; then
	notok "compile helpers/probe.c: $(head -3 "$work/cc.log" | tr '\n' ' ')"
fi
# The unprivileged user runs its own copy of the binary: the checkout may sit under a directory
# it cannot enter (e.g. /root).
cp "$BIN" "$work/bin/secretctl" && BIN=$work/bin/secretctl
chmod 755 "$work/bin" "$work/bin/probe" "$work/bin/secretctl" 2>/dev/null

# Root runs are bounded by their pid namespace's pid_max (Linux >= 6.14, limits of 300 and up)
# or a pids cgroup; where neither applies (no /sys, read-only cgroupfs) secretctl refuses
# `--limit nproc` as root. Cases state that path's outcome as NAME@root-nocgroup.
nocgroup=no
if [ "$(id -u)" -eq 0 ] && "$BIN" doctor 2>/dev/null | grep -q '^process limit.*: NONE'; then
	nocgroup=yes
	echo "# NOTE: no writable pids cgroup here: root passes test the fail-closed path (@root-nocgroup)"
fi
# Landlock scopes (Linux >= 6.12) keep abstract unix sockets out of reach without a network
# namespace; where `secretctl doctor` does not list them, cases state the fallback as
# NAME@nolandlock. ESCAPE_VARIANT=nolandlock forces that path here, to test it too.
nolandlock=no
if [ "${ESCAPE_VARIANT:-}" = nolandlock ] || ! "$BIN" doctor 2>/dev/null | grep -q 'landlock scopes'; then
	nolandlock=yes
	echo "# NOTE: no Landlock scopes (or ESCAPE_VARIANT=nolandlock): cases use their @nolandlock lines"
fi
variants=()

field() { # file name; the line of the first variant of this pass that has one wins
	local v="" var
	for var in "${variants[@]}"; do
		[ -n "$v" ] || v=$(sed -n "s/^# $2@$var: //p" "$1" | head -1)
	done
	[ -n "$v" ] || v=$(sed -n "s/^# $2: //p" "$1" | head -1)
	printf '%s\n' "$v"
}

# Host services for host-services cases, started as the case's user. Each socket must first be
# reachable from outside the sandbox (probe connect "escapes"), or the case would prove nothing.
# Pids go to the array named by $3; socket paths to $2/host-sockets.
start_services() { # user udir pids-array-name
	local user=$1 udir=$2 home="$2.home" rnd sock log="$2/services.log"
	local -n pids=$3
	local as=()
	[ "$user" = root ] || as=(runuser -u "$user" --)
	rnd=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	: >"$udir/host-sockets"
	local socks=("$home/.ssh/cm-escape-$rnd" "$home/.escape-$rnd/svc.sock" "/var/tmp/sctl-escape-$rnd.sock")
	mkdir -p "$home/.escape-$rnd" && chown "$user" "$home/.escape-$rnd"
	for sock in "${socks[@]}"; do
		"${as[@]}" python3 -c 'import os, socket, sys, time
p = sys.argv[1]; s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(8); time.sleep(120)' "$sock" >>"$log" 2>&1 &
		pids+=($!)
	done
	# A real tmux server on its default socket, and one on a socket in $HOME; a GNU screen
	# session (its socket in /run/screen/S-<user>).
	"${as[@]}" env HOME="$home" tmux -L "escape-$rnd" new-session -d -s esc sleep 120 >>"$log" 2>&1 || return 1
	socks+=("/tmp/tmux-$(id -u "$user")/escape-$rnd")
	"${as[@]}" env HOME="$home" tmux -S "$home/.tmux-$rnd" new-session -d -s esc sleep 120 >>"$log" 2>&1 || return 1
	socks+=("$home/.tmux-$rnd")
	"${as[@]}" env HOME="$home" screen -dmS "escape-$rnd" sleep 120 >>"$log" 2>&1 || return 1
	for _ in $(seq 100); do
		sock=$(ls -d /run/screen/S-"$user"/*."escape-$rnd" 2>/dev/null | head -1)
		[ -n "$sock" ] && break
		sleep 0.05
	done
	[ -n "$sock" ] || { echo "screen socket not found" >>"$log"; return 1; }
	socks+=("$sock")
	echo "escape-$rnd" >"$udir/service-name"
	for sock in "${socks[@]}"; do
		for _ in $(seq 100); do
			[ -S "$sock" ] && break
			sleep 0.05
		done
		local reach
		reach=$("${as[@]}" "$work/bin/probe" connect "$sock" 2>&1)
		[[ $reach == *ESCAPED* ]] || { echo "$sock not reachable from outside: $reach" >>"$log"; return 1; }
		echo "$sock" >>"$udir/host-sockets"
	done
	return 0
}

stop_services() { # user udir pids...
	local user=$1 udir=$2 name
	shift 2
	name=$(cat "$udir/service-name" 2>/dev/null)
	local as=()
	[ "$user" = root ] || as=(runuser -u "$user" --)
	if [ -n "$name" ]; then
		"${as[@]}" env HOME="$udir.home" tmux -L "$name" kill-server 2>/dev/null
		"${as[@]}" env HOME="$udir.home" tmux -S "$udir.home/.tmux-${name#escape-}" kill-server 2>/dev/null
		"${as[@]}" env HOME="$udir.home" screen -S "$name" -X quit 2>/dev/null
	fi
	[ $# -eq 0 ] || kill "$@" 2>/dev/null
	[ $# -eq 0 ] || wait "$@" 2>/dev/null
	grep '^/var/tmp/' "$udir/host-sockets" 2>/dev/null | xargs -r rm -f
	return 0
}

# Run one case as user $1 in mode $2. Sets the TAP line.
run_case() {
	local user=$1 mode=$2 case=$3 name args expect expect_out maxs after
	name=$(basename "$case" .sh)
	variants=()
	[ "$user" = root ] && [ "$nocgroup" = yes ] && variants+=(root-nocgroup)
	[ "$nolandlock" = yes ] && variants+=(nolandlock)
	args=$(field "$case" args)
	if [ "${ESCAPE_WEAKEN:-}" = off ]; then
		# Keep the supervisor's options (timeouts, limits), drop the sandbox's.
		args=$(sed -E 's/--sandbox [a-z]+//g; s/--network [a-z]+//g; s/--(writable|allow-socket) [^ ]+//g' <<<"$args")
		args="$args --sandbox off"
	fi
	expect=$(field "$case" expect)
	expect_out=$(field "$case" expect-out)
	maxs=$(field "$case" max-seconds)
	after=$(field "$case" after)
	: "${expect:=exit=0}" "${maxs:=15}"
	local udir="$work/$user-$mode-$name"
	mkdir -p "$udir/vault" "$udir/tmp"
	printf 'SQLite format 3\0 %s\n' "$SECRET" >"$udir/vault/vault.db"
	chmod 700 "$udir/vault"
	chmod 600 "$udir/vault/vault.db"
	chmod 777 "$udir/tmp"
	[ "$user" = root ] || chown -R "$user" "$udir/vault"
	cp "$case" "$udir/case.sh"
	chmod 777 "$udir"
	chmod 755 "$udir/case.sh"
	local inner
	# `exec` keeps the pid: $$ of this sh is the supervisor's pid, passed to the case as $1.
	# fd 7 is the vault file, opened by the caller: the command must not inherit it.
	# shellcheck disable=SC2016
	inner=$(printf 'echo $$ > sup.pid && cd %q && exec 7<%q && exec %q exec --from-env SCTL_SECRET %s -- sh ./case.sh "$$" %q %q %q' \
		"$udir" "$udir/vault/vault.db" "$BIN" "$args" "$udir/vault" "$udir/tmp" "$work/bin")
	mkdir -p "$udir.home/.ssh"
	[ "$user" = root ] || chown -R "$user" "$udir.home"
	chmod 700 "$udir.home"
	local envs=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$udir.home" LANG=C.UTF-8
		SCTL_SECRET="$SECRET" SECRETCTL_VAULT_DIR="$udir/vault" ESC_BIN="$work/bin"
		SECRETCTL_PASSWORD=leaked-password-xyz BASH_ENV=/nonexistent NODE_OPTIONS=--inspect
		TERM=xterm)
	local cmd=()
	[ "$user" = root ] || cmd=(runuser -u "$user" --)
	local start end rc out="$udir/out" sink="$udir/out" sampler=""
	[ "$(field "$case" output)" = discard ] && sink=/dev/null
	: >"$out"
	inner="cd $(printf %q "$udir") && $inner"
	if [ "$(field "$case" sample-hwm)" = yes ]; then
		(
			for _ in $(seq 600); do
				pid=$(cat "$udir/sup.pid" 2>/dev/null) && [ -n "$pid" ] && break
				sleep 0.05
			done
			while h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null) && [ -n "$h" ]; do
				echo "$h" >"$udir/hwm"
				sleep 0.2
			done
		) &
		sampler=$!
	fi
	local listeners=() made_run_user=""
	if [ "$(field "$case" host-listen)" = yes ]; then
		local uid ru sock
		uid=$(id -u "$user")
		ru=/run/user/$uid
		if [ ! -d "$ru" ]; then
			mkdir -p "$ru" && chown "$user" "$ru" && chmod 700 "$ru" && made_run_user=$ru
		fi
		for sock in "$udir/agent.sock" "$ru/secretctl-escape-$$-$n.sock" "@secretctl-escape-$$-$n"; do
			python3 -c 'import os, socket, sys, time
p = sys.argv[1]; s = socket.socket(socket.AF_UNIX)
if p[0] == "@": s.bind("\0" + p[1:])
else: s.bind(p); os.chmod(p, 0o777)
s.listen(8); time.sleep(120)' "$sock" &
			listeners+=($!)
			for _ in $(seq 100); do
				[ -S "$sock" ] && break
				[[ $sock == @* ]] && grep -q " @${sock#@}$" /proc/net/unix && break
				sleep 0.05
			done
			# The case is only meaningful if the service is reachable without the sandbox.
			# (probe exits 1 on a successful connect: capture first, pipefail is on.)
			local reach
			reach=$("${cmd[@]}" "$work/bin/probe" connect "$sock" 2>&1)
			if [[ $reach != *ESCAPED* ]]; then
				notok "$user $mode $name: test listener $sock not reachable from outside"
				kill "${listeners[@]}" 2>/dev/null
				rm -f "$ru/secretctl-escape-$$-$n.sock"
				[ -z "$made_run_user" ] || rmdir "$made_run_user" 2>/dev/null
				return
			fi
		done
		envs+=(SSH_AUTH_SOCK="$udir/agent.sock")
		echo "@secretctl-escape-$$-$n" >"$udir/abstract-name"
		echo "$ru/secretctl-escape-$$-$n.sock" >"$udir/run-user-sock"
	fi
	local services=()
	if [ "$(field "$case" host-services)" = yes ]; then
		if ! start_services "$user" "$udir" services; then
			notok "$user $mode $name: a host service could not be started or reached: $(cat "$udir/services.log" 2>/dev/null | head -3 | tr '\n' ' ')"
			stop_services "$user" "$udir" "${services[@]}"
			return
		fi
	fi
	local reader rcmd=""
	reader=$(field "$case" reader)
	case $reader in
	slow) rcmd='(sleep 6; cat)' ;;
	head) rcmd='head -1' ;;
	esac
	if [ -n "$rcmd" ]; then
		# The supervisor's exit status, not the reader's: through a file.
		# shellcheck disable=SC2016
		inner=$(printf 'cd %q && exec 7<%q && { %q exec --from-env SCTL_SECRET %s -- sh ./case.sh "$$" %q %q %q; echo $? > rc; } | %s; exit $(cat rc)' \
			"$udir" "$udir/vault/vault.db" "$BIN" "$args" "$udir/vault" "$udir/tmp" "$work/bin" "$rcmd")
	fi
	start=$(date +%s%N)
	if [ "$mode" = pty ]; then
		"${cmd[@]}" "${envs[@]}" timeout -k 5 "$((maxs + 10))" script -qec "$inner" /dev/null \
			</dev/null >"$sink" 2>&1
		rc=$?
	else
		"${cmd[@]}" "${envs[@]}" timeout -k 5 "$((maxs + 10))" sh -c "$inner" </dev/null >"$sink" 2>&1
		rc=$?
	fi
	end=$(date +%s%N)
	if [ ${#listeners[@]} -gt 0 ]; then
		kill "${listeners[@]}" 2>/dev/null
		wait "${listeners[@]}" 2>/dev/null
		rm -f "/run/user/$(id -u "$user")/secretctl-escape-$$-$n.sock"
		# Only if empty: another test run on the machine may be using it too.
		[ -z "$made_run_user" ] || rmdir "$made_run_user" 2>/dev/null
	fi
	[ -n "$sampler" ] && wait "$sampler"
	[ ${#services[@]} -eq 0 ] || stop_services "$user" "$udir" "${services[@]}"
	local ms=$(((end - start) / 1000000)) why=""
	if [ "$expect" != "exit=any" ] && [ "$expect" != "exit=$rc" ]; then
		why="exit $rc, expected ${expect#exit=}"
	fi
	if grep -qa "ESCAPED" "$out"; then why="$why; $(grep -a ESCAPED "$out" | head -2 | tr '\r\n' '  ')"; fi
	if grep -qaF "$SECRET" "$out"; then why="$why; secret appeared in the output"; fi
	if [ -n "$expect_out" ] && ! tr -d '\r' <"$out" | grep -qaE -- "$expect_out"; then
		why="$why; output does not match /$expect_out/"
	fi
	if [ "$ms" -gt $((maxs * 1000)) ]; then why="$why; took ${ms} ms (max ${maxs}s)"; fi
	if [ -n "$after" ]; then
		if ! (cd "$udir" && SECRET="$SECRET" UDIR="$udir" bash -c "$after") >"$udir/after" 2>&1; then
			why="$why; after-check failed: $(head -3 "$udir/after" | tr '\n' ' ')"
		fi
	fi
	local cleanup
	cleanup=$(field "$case" cleanup)
	[ -z "$cleanup" ] || (cd "$udir" && UDIR="$udir" bash -c "$cleanup") >/dev/null 2>&1
	if [ -z "$why" ]; then
		ok "$user $mode $name (${ms} ms)"
		[ -s "$udir/after" ] && sed 's/^/# /' "$udir/after"
	else
		notok "$user $mode $name: ${why#; }"
		sed 's/^/#   /' "$out" | tr -d '\r' | head -20
	fi
}

for user in "${users[@]}"; do
	if ! id "$user" >/dev/null 2>&1; then
		notok "unprivileged pass: user $user does not exist and could not be created (as root: useradd -m $user)"
		continue
	fi
	if [ "$user" != root ] && ! runuser -u "$user" -- test -x "$BIN" 2>/dev/null; then
		notok "$user cannot execute $BIN: make the build directory readable (chmod o+rx on its parents)"
		continue
	fi
	for case in "$here"/cases/[0-9]*.sh; do
		name=$(basename "$case" .sh)
		[[ $name =~ $filter ]] || continue
		modes=$(field "$case" modes)
		for mode in ${modes:-pipe pty}; do
			run_case "$user" "$mode" "$case"
		done
	done
done
if [ "$(id -u)" -ne 0 ] && [ -z "${ESCAPE_USERS:-}" ]; then
	echo "# not started as root: the root pass did not run"
fi
echo "1..$n"

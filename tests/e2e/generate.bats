#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# generate: lengths, counts, classes, exclusions, every enabled class in every password,
# statistical uniformity (chi-square, thresholds with a false-failure probability below 1e-6
# each), and --copy through stand-in clipboard tools.

load helpers

setup() {
	e2e_setup
	cd "$BATS_TEST_TMPDIR" || return 1
}

SYMBOLS='!@#$%^&*()_+-=[]{}|;:,.<>?'

@test "generate: one password of 24 from all four classes by default; -l and -n bound" {
	run -0 sc_nopw generate
	[ "${#lines[@]}" = 1 ]
	[ "${#output}" = 24 ]
	[[ $output =~ [a-z] && $output =~ [A-Z] && $output =~ [0-9] && $output =~ [^a-zA-Z0-9] ]]
	run -0 sc_nopw generate -l 8 -n 100
	[ "${#lines[@]}" = 100 ]
	for l in "${lines[@]}"; do [ "${#l}" = 8 ]; done
	run -0 sc_nopw generate --length 256 --count 2
	[ "${#lines[1]}" = 256 ]
	for bad in "-l 7" "-l 257" "-l x" "-n 0" "-n 101" "-l 8 -l 9"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr sc_nopw generate $bad
		[ -z "$output" ]
	done
	run -1 --separate-stderr sc_nopw generate -l 7
	[[ $stderr == *"--length must be a number from 8 to 256"* ]]
	run -1 sc_nopw generate extra
}

@test "generate: every enabled class in every password, nothing else, --exclude honoured" {
	# Length 8 with four classes: a plain uniform draw misses a class a third of the time.
	run -0 sc_nopw generate -l 8 -n 100
	for l in "${lines[@]}"; do
		[[ $l =~ [a-z] && $l =~ [A-Z] && $l =~ [0-9] && $l =~ [^a-zA-Z0-9] ]]
	done
	run -0 sc_nopw generate -l 64 -n 20 --no-symbols --no-uppercase
	for l in "${lines[@]}"; do [[ $l =~ ^[a-z0-9]+$ && $l =~ [a-z] && $l =~ [0-9] ]]; done
	run -0 sc_nopw generate -l 8 --no-symbols --no-uppercase --no-lowercase
	[[ $output =~ ^[0-9]{8}$ ]]
	run -0 sc_nopw generate -l 200 -n 20 --exclude '0O1lI$'
	[[ $output != *[0O1lI\$]* ]]
	# Excluding a whole class turns it off.
	run -0 sc_nopw generate -l 100 -n 5 --exclude 0123456789
	[[ $output != *[0-9]* ]]
	run -1 --separate-stderr sc_nopw generate --no-symbols --no-numbers --no-uppercase --no-lowercase
	[[ $stderr == *"the character set is empty"* ]]
	run -1 --separate-stderr sc_nopw generate --no-symbols --no-numbers --no-uppercase \
		--exclude abcdefghijklmnopqrstuvwxyz
	[[ $stderr == *"the character set is empty"* ]]
	run -1 sc_nopw generate --exclude $'\t'
}

@test "generate: characters uniform within each class, classes uniform over positions" {
	for _ in $(seq 1 40); do sc_nopw generate -l 256 -n 100; done >sample
	run -0 python3 - sample "$SYMBOLS" <<'PY'
import math, string, sys
lines = open(sys.argv[1]).read().split()
assert len(lines) == 4000 and all(len(l) == 256 for l in lines)
classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, sys.argv[2]]
def crit(df, z=4.7534):  # one-sided p = 1e-6, Wilson-Hilferty
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
counts = {}
for l in lines:
    for c in l:
        counts[c] = counts.get(c, 0) + 1
assert set(counts) == set(''.join(classes)), sorted(set(counts) ^ set(''.join(classes)))
for cls in classes:
    n = sum(counts[c] for c in cls)
    e = n / len(cls)
    chi = sum((counts[c] - e) ** 2 / e for c in cls)
    print(f"class {cls[:3]}... chi2={chi:.1f} df={len(cls)-1} crit={crit(len(cls)-1):.1f}")
    assert chi < crit(len(cls) - 1), cls
# Positions: the class of the character at each of the 256 positions is independent of it.
klass = {c: i for i, cls in enumerate(classes) for c in cls}
table = [[0] * 4 for _ in range(256)]
for l in lines:
    for p, c in enumerate(l):
        table[p][klass[c]] += 1
tot = [sum(table[p][k] for p in range(256)) for k in range(4)]
N = sum(tot)
chi = sum((table[p][k] - 4000 * tot[k] / N) ** 2 / (4000 * tot[k] / N)
          for p in range(256) for k in range(4))
df = 255 * 3
print(f"positions chi2={chi:.1f} df={df} crit={crit(df):.1f}")
assert chi < crit(df)
PY
	echo "$output"
}

# Stand-in clipboard tools: the clipboard is a file.
fake_tools() { # wayland|x11
	mkdir -p bin
	export FAKE_CLIP="$BATS_TEST_TMPDIR/clip" PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	: >"$FAKE_CLIP"
	if [ "$1" = wayland ]; then
		printf '#!/bin/sh\nif [ "$1" = --clear ]; then : >"$FAKE_CLIP"; else cat >"$FAKE_CLIP"; fi\n' >bin/wl-copy
		printf '#!/bin/sh\ncat "$FAKE_CLIP"\n' >bin/wl-paste
		export WAYLAND_DISPLAY=wayland-test
		unset DISPLAY
	else
		printf '#!/bin/sh\nfor a; do [ "$a" = -o ] && exec cat "$FAKE_CLIP"; done\ncat >"$FAKE_CLIP"\n' >bin/xclip
		export DISPLAY=:99
		unset WAYLAND_DISPLAY
	fi
	chmod +x bin/*
}

wait_for() { # seconds condition...
	local n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

clip_empty() { [ ! -s "$FAKE_CLIP" ]; }

@test "generate --copy: the first password goes to the clipboard, cleared after the delay" {
	fake_tools wayland
	export SECRETCTL_CLIPBOARD_SECONDS=1
	run -0 --separate-stderr sc_nopw generate -n 3 -c
	[ "${#lines[@]}" = 3 ]
	[ "$(cat "$FAKE_CLIP")" = "${lines[0]}" ]
	wait_for 10 clip_empty
	# X11 through xclip; the value never appears on a command line (the tools read stdin).
	fake_tools x11
	run -0 sc_nopw generate --copy
	[ "$(cat "$FAKE_CLIP")" = "$output" ]
	wait_for 10 clip_empty
}

@test "generate --copy leaves the clipboard alone when it changed meanwhile" {
	fake_tools wayland
	export SECRETCTL_CLIPBOARD_SECONDS=1
	run -0 sc_nopw generate -c
	printf 'something the user copied' >"$FAKE_CLIP"
	sleep 2.5
	[ "$(cat "$FAKE_CLIP")" = 'something the user copied' ]
}

@test "generate --copy without a clipboard tool says so, after printing the passwords" {
	unset WAYLAND_DISPLAY DISPLAY
	run -1 --separate-stderr sc_nopw generate -c
	[ "${#output}" = 24 ]
	[[ $stderr == *"--copy: no clipboard tool for this session (install wl-clipboard on Wayland, xclip or xsel on X11); nothing was copied"* ]]
}

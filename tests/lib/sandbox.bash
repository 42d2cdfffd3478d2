# SPDX-License-Identifier: Apache-2.0
# need_sandbox: skip (loudly) or fail a test that needs the sandbox on a host where it cannot work.

# For tests that run commands in the sandbox: on a host where it cannot work (no user
# namespaces for this user, seccomp missing; `secretctl doctor` exits non-zero) the test is
# skipped with a loud reason and tests/run-all.sh reports every skip. With MUST_WORK=1 (CI sets
# it) the same condition fails the test instead. SANDBOX_PROBE replaces the probe (tests of this
# switch use `false`).
need_sandbox() {
	local probe=${SANDBOX_PROBE:-"${BIN:-$SECRETCTL_BIN} doctor"}
	if [ -z "${SCTL_SANDBOX_OK:-}" ]; then
		if $probe >/dev/null 2>&1; then SCTL_SANDBOX_OK=yes; else SCTL_SANDBOX_OK=no; fi
		export SCTL_SANDBOX_OK
	fi
	[ "$SCTL_SANDBOX_OK" = yes ] && return 0
	if [ "${MUST_WORK:-}" = 1 ]; then
		echo "the sandbox does not work on this host ('secretctl doctor' says why) and MUST_WORK=1" >&2
		return 1
	fi
	skip "SANDBOX UNAVAILABLE on this host (see 'secretctl doctor'); MUST_WORK=1 makes this a failure"
}


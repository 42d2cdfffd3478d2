#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# secretctl policy validate|check end to end: file location and checks, schema errors with
# line:column, every match form (bare name, leading arguments, ./relative, absolute, symlinks),
# the built-in denies, key scopes and the sandbox shown. Fake executables in a scratch PATH.

load helpers

setup() {
	e2e_setup
	unset SECRETCTL_POLICY
	T=$BATS_TEST_TMPDIR
	POL="$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	mkdir -p -m 700 "$SECRETCTL_VAULT_DIR"
	mkdir -p "$T/bin" "$T/bin2" "$T/work/sub" "$T/other"
	for f in npm node python3.11 psql rm env printenv bash dash busybox nice cat git ls \
		secretctl; do
		fake "$T/bin/$f"
	done
	fake "$T/bin2/npm"
	fake "$T/work/deploy.sh"
	ln -s python3.11 "$T/bin/python"
	ln -s python3.11 "$T/bin/python3"
	ln -s bash "$T/bin/sh"
	ln -s env "$T/bin/foo"
	ln -s ../bin/bash "$T/work/npm"
	cd "$T/work" || return 1
}

fake() { printf '#!/bin/sh\nexit 0\n' >"$1" && chmod 755 "$1"; }

# Write the policy (stdin) to the vault directory's mcp-policy.yaml, mode 0600.
pol() { cat >"$POL" && chmod 600 "$POL"; }

# secretctl policy check with the scratch PATH.
chk() { PATH="$T/bin:$T/bin2" "$BIN" policy check "$@"; }

@test "policy --help, validate --help, check --help; usage errors" {
	run -0 --separate-stderr "$BIN" policy --help
	[[ $output == "usage: secretctl policy validate"* ]]
	[ -z "$stderr" ]
	run -0 "$BIN" policy validate --help
	[[ $output == "usage: secretctl policy validate [--policy FILE]"* ]]
	[[ $output == *"2 no policy file"* ]]
	run -0 "$BIN" policy check -h
	[[ $output == "usage: secretctl policy check"* ]]
	[[ $output == *"0 the command and every -k key are allowed; 1 something is denied"* ]]
	run -0 "$BIN" --help
	[[ $output == *"  policy "* ]]
	run -1 --separate-stderr "$BIN" policy
	[[ $stderr == "usage: secretctl policy"* ]]
	run -1 --separate-stderr "$BIN" policy frobnicate
	[[ $stderr == *"unknown subcommand 'frobnicate'"* ]]
	run -1 "$BIN" policy validate extra
	run -1 --separate-stderr "$BIN" policy validate --nope
	[[ $stderr == *"usage: secretctl policy validate"* ]]
	run -2 --separate-stderr "$BIN" policy check
	[[ $stderr == *"no command given"* ]]
	run -2 "$BIN" policy check --nope -- ls
}

@test "validate: the user guide's example, verbatim" {
	pol <<'EOF'
# ~/.secretctl/mcp-policy.yaml
version: 1
default_action: deny

# Commands the AI can execute with secrets
allowed_commands:
  - npm
  - node
  - python
  - go
  - cargo
  - aws
  - gcloud
  - kubectl
  - curl
  - ./deploy.sh
  - ./test.sh

# Commands never allowed
denied_commands:
  - rm
  - sudo
  - chmod
  - chown

# Environment aliases
env_aliases:
  dev:
    - pattern: "db/*"
      target: "dev/db/*"
  prod:
    - pattern: "db/*"
      target: "prod/db/*"
EOF
	run -0 --separate-stderr "$BIN" policy validate
	[ "$output" = "$POL: ok (11 allowed, 4 denied commands, 0 command rules, allowed keys: any, 0 denied keys, 2 env aliases, default_action deny, max_concurrent_runs 4)" ]
	[ -z "$stderr" ]
}

@test "validate: the shipped example config is valid" {
	install -m 0600 "$BATS_TEST_DIRNAME/../../configs/mcp-policy.example.yaml" "$T/example.yaml"
	run -0 "$BIN" policy validate --policy "$T/example.yaml"
	[[ $output == "$T/example.yaml: ok ("*"3 command rules, allowed keys: 6, 3 denied keys"* ]]
}

@test "location: missing file, --policy, SECRETCTL_POLICY, the legacy policy.yaml" {
	run -2 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"no policy file: create $POL"*"and run 'chmod 600 $POL'"* ]]
	run -2 --separate-stderr "$BIN" policy check -- ls
	[[ $stderr == *"create $POL"* ]]
	run -2 --separate-stderr "$BIN" policy validate --policy "$T/nope.yaml"
	[[ $stderr == *"$T/nope.yaml (from --policy): no such policy file"* ]]
	# the older name is read when mcp-policy.yaml is absent
	printf 'version: 1\nallowed_commands: [git]\n' >"$SECRETCTL_VAULT_DIR/policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/policy.yaml"
	run -0 "$BIN" policy validate
	[[ $output == "$SECRETCTL_VAULT_DIR/policy.yaml: ok (1 allowed"* ]]
	# mcp-policy.yaml wins
	printf 'version: 1\nallowed_commands: [git, ls]\n' | pol
	run -0 "$BIN" policy validate
	[[ $output == "$POL: ok (2 allowed"* ]]
	# $SECRETCTL_POLICY wins over the vault directory, --policy over both
	printf 'version: 1\ndenied_commands: [rm]\n' >"$T/env.yaml"
	chmod 600 "$T/env.yaml"
	run -0 env SECRETCTL_POLICY="$T/env.yaml" "$BIN" policy validate
	[[ $output == "$T/env.yaml: ok (0 allowed, 1 denied"* ]]
	run -0 env SECRETCTL_POLICY="$T/env.yaml" "$BIN" policy validate --policy "$POL"
	[[ $output == "$POL: ok"* ]]
	run -2 --separate-stderr env SECRETCTL_POLICY="$T/none.yaml" "$BIN" policy validate
	[[ $stderr == *"(from \$SECRETCTL_POLICY): no such policy file"* ]]
}

@test "file checks: mode 0644 refused with the chmod hint; 0600 and 0400 fine" {
	printf 'version: 1\n' | pol
	chmod 644 "$POL"
	run -1 --separate-stderr "$BIN" policy validate
	[ "$stderr" = "secretctl: policy: $POL: policy is readable by group or others (mode 0644; it must be 0600 or stricter): run 'chmod 600 $POL'" ]
	[ -z "$output" ]
	run -2 --separate-stderr chk -- ls
	[[ $stderr == *"chmod 600 $POL"* ]]
	chmod 640 "$POL"
	run -1 "$BIN" policy validate
	chmod 620 "$POL"
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"writable by group or others (mode 0620"* ]]
	chmod 600 "$POL"
	run -0 "$BIN" policy validate
	chmod 400 "$POL"
	run -0 "$BIN" policy validate
}

@test "file checks: a symbolic link is refused, even to a good file; so is a directory" {
	printf 'version: 1\n' >"$T/real.yaml"
	chmod 600 "$T/real.yaml"
	ln -s "$T/real.yaml" "$POL"
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"$POL: is a symbolic link; refusing it"* ]]
	run -1 --separate-stderr "$BIN" policy validate --policy "$T"
	[[ $stderr == *"not a regular file"* ]]
}

@test "schema errors name the line and column" {
	printf 'version: 1\nallowed_commands: [npm]\nallowed_command: [node]\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == "secretctl: policy: $POL:3:1: unknown key 'allowed_command' (known keys: version, default_action,"* ]]
	printf 'version: 1\ncommands:\n  - match: npm test\n    keyz: [A]\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"$POL:4:5: unknown key 'keyz' in a 'commands' entry"* ]]
	printf 'version: 1\nallowed_commands: npm\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"$POL:2:19: 'allowed_commands' must be a list, not a scalar"* ]]
	printf 'version: 1\nallowed_commands:\n  - "*"\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *"$POL:3:5: allowed_commands entry '*': '*' is not allowed"* ]]
	printf "version: 1\ndenied_commands: [\"psql -c 'x'\"]\n" | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":2:19: denied_commands entry"*"not shell syntax"* ]]
	printf 'version: 1\ndenied_commands: [rm, "", ls]\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":2:23: denied_commands entry an empty entry"* ]]
	printf 'version: 1\ndenied_commands: [rm, ls, rm]\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":2:27: duplicate entry 'rm' in denied_commands (first at line 2)"* ]]
	printf 'version: 1\nallowed_commands: [rm]\ndenied_commands: [rm]\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":3:19: 'rm' is in both allowed_commands (line 2) and denied_commands (line 3)"* ]]
	printf 'version: 1\nsandbox: {timeout: forever}\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":2:20: 'timeout' must be a duration"* ]]
	printf 'version: 1\nmax_concurrent_runs: 65\n' | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":2:22: 'max_concurrent_runs' must be a number from 1 to 64"* ]]
	{ printf 'version: 1\nallowed_commands:\n'; for i in $(seq 0 1024); do echo "  - c$i"; done; } | pol
	run -1 --separate-stderr "$BIN" policy validate
	[[ $stderr == *":3:3: 'allowed_commands' has more than 1024 entries"* ]]
}

@test "check: a bare name, with and without leading arguments" {
	printf 'version: 1\nallowed_commands:\n  - npm test\n  - node\n' | pol
	run -0 --separate-stderr chk -- npm test --watch
	[ "${lines[0]}" = "verdict:     allow" ]
	[ "${lines[1]}" = "rule:        allowed_commands: 'npm test' (line 3)" ]
	[ "${lines[2]}" = "command:     $T/bin/npm" ]
	[ -z "$stderr" ]
	run -1 chk -- npm run test
	[ "${lines[0]}" = "verdict:     deny" ]
	[ "${lines[1]}" = "rule:        default_action: deny (no allowed_commands entry matches '$T/bin/npm run')" ]
	run -1 chk -- npm
	run -0 chk -- node -e 1
	[ "${lines[1]}" = "rule:        allowed_commands: 'node' (line 4)" ]
	# any file called npm, here the one in bin2
	run -0 chk -- "$T/bin2/npm" test
	[ "${lines[2]}" = "command:     $T/bin2/npm" ]
	# not found
	run -1 chk -- nosuch
	[ "${lines[1]}" = "rule:        not found: no executable 'nosuch' in PATH" ]
	[ "${lines[2]}" = "command:     -" ]
}

@test "check: ./relative and absolute entries, --cwd" {
	printf 'version: 1\nallowed_commands:\n  - ./deploy.sh\n  - %s/bin/psql\n' "$T" | pol
	run -0 chk -- ./deploy.sh prod
	[ "${lines[1]}" = "rule:        allowed_commands: './deploy.sh' (line 3)" ]
	[ "${lines[2]}" = "command:     $T/work/deploy.sh" ]
	run -0 chk -- "$T/work/deploy.sh"
	# relative entries resolve in the run's directory: from sub/, ./deploy.sh is sub/deploy.sh
	run -1 chk --cwd "$T/work/sub" -- ../deploy.sh
	[ "${lines[0]}" = "verdict:     deny" ]
	[ "${lines[2]}" = "command:     $T/work/deploy.sh" ]
	run -1 chk --cwd "$T/other" -- ../work/deploy.sh
	# an absolute entry matches however the file is reached
	run -0 chk -- psql -c 'select 1'
	[ "${lines[1]}" = "rule:        allowed_commands: '$T/bin/psql' (line 4)" ]
	run -2 --separate-stderr chk --cwd "$T/nope" -- ls
	[[ $stderr == *"--cwd $T/nope: No such file or directory"* ]]
	run -2 --separate-stderr chk --cwd "$T/work/deploy.sh" -- ls
	[[ $stderr == *"not a directory"* ]]
}

@test "check: symlink tricks (python -> python3.11, a local npm that is bash, foo -> env)" {
	printf 'version: 1\nallowed_commands: [python, npm]\n' | pol
	run -0 chk -- python3 -m pytest
	[ "${lines[1]}" = "rule:        allowed_commands: 'python' (line 2)" ]
	[ "${lines[2]}" = "command:     $T/bin/python3.11" ]
	run -0 chk -- python3.11 -V
	run -1 chk -- ./npm test
	[ "${lines[2]}" = "command:     $T/bin/bash" ]
	[[ ${lines[1]} == "rule:        default_action: deny"* ]]
	run -1 chk -- foo
	[ "${lines[1]}" = "rule:        built-in: 'foo' (the file is $T/bin/env) prints the environment" ]
}

@test "check: built-in denies" {
	printf 'version: 1\ndefault_action: allow\nallowed_commands: [env]\n' | pol
	run -1 chk -- env
	[ "${lines[1]}" = "rule:        built-in: 'env' prints the environment" ]
	run -1 chk -- printenv HOME
	run -1 chk -- busybox env
	[ "${lines[1]}" = "rule:        built-in: 'env' (run by 'busybox') prints the environment" ]
	run -1 chk -- nice -n 5 env
	[ "${lines[1]}" = "rule:        built-in: 'env' (run by 'nice') prints the environment" ]
	for c in "bash -c id" "bash -xc id" "sh -c id" "$T/bin/sh -c id" "dash -ec id" \
		"busybox sh -c id"; do
		# shellcheck disable=SC2086
		run -1 chk -- $c
		[[ ${lines[1]} == *"with -c runs a command line"* ]]
	done
	run -1 chk -- cat /proc/self/environ
	[ "${lines[1]}" = "rule:        built-in: argument '/proc/self/environ' reads a process's environment or memory" ]
	run -1 chk -- cat /proc/1/environ
	run -1 chk -- secretctl get k
	[[ ${lines[1]} == *"is secretctl itself"* ]]
	run -0 chk -- bash build.sh
	run -0 chk -- ls -c
	# listing the shell allows its -c
	printf 'version: 1\nallowed_commands: [bash]\n' | pol
	run -0 chk -- bash -c id
	[ "${lines[1]}" = "rule:        allowed_commands: 'bash' (line 2)" ]
	run -0 chk -- sh -c id
	run -1 chk -- dash -c id
}

@test "check: key scopes (global lists and per-command keys), text and JSON" {
	pol <<'EOF'
version: 1
allowed_commands: [npm test, node, ./deploy.sh]
allowed_keys: ["TEST_*", "app/*", DEPLOY_KEY]
denied_keys: [app/admin]
commands:
  - match: npm test
    keys: ["TEST_*"]
  - match: ./deploy.sh
    keys: [DEPLOY_KEY]
EOF
	run -0 chk -k TEST_DB -- npm test
	[ "${lines[4]}" = "key TEST_DB: allowed" ]
	[ "${lines[3]}" = "commands:    'npm test' (line 6)" ]
	run -1 chk -k TEST_DB -k app/x -- npm test
	[ "${lines[5]}" = "key app/x: refused: key 'app/x' is not in the keys of commands entry 'npm test' (line 6)" ]
	run -1 chk -k TEST_DB -- node
	[ "${lines[3]}" = "key TEST_DB: refused: key 'TEST_DB' is reserved for commands entry 'npm test' (line 6) by its keys entry 'TEST_*'" ]
	run -0 chk -k app/x -- node
	run -1 chk -k app/admin -- node
	[ "${lines[3]}" = "key app/admin: refused: key 'app/admin' is refused by denied_keys 'app/admin' (line 4)" ]
	run -1 chk -k OTHER -- node
	[[ ${lines[3]} == *"is not in allowed_keys (line 3)" ]]
	run -0 chk -k DEPLOY_KEY -- ./deploy.sh
	run -1 chk -k DEPLOY_KEY -- node
	# JSON
	run -1 --separate-stderr chk --json -k TEST_A -k app/x -- npm test
	[ -z "$stderr" ]
	[ "$(jq -r .verdict <<<"$output")" = allow ]
	[ "$(jq -r .allowed <<<"$output")" = false ]
	[ "$(jq -r .kind <<<"$output")" = allowed_commands ]
	[ "$(jq -r .command_index <<<"$output")" = 0 ]
	[ "$(jq -r .command_match <<<"$output")" = "npm test" ]
	[ "$(jq -c '[.keys[].allowed]' <<<"$output")" = '[true,false]' ]
	[ "$(jq -r '.keys[1].reason' <<<"$output")" = "key 'app/x' is not in the keys of commands entry 'npm test' (line 6)" ]
	[ "$(jq -r .resolved <<<"$output")" = "$T/bin/npm" ]
	[ "$(jq -r .policy <<<"$output")" = "$POL" ]
	run -1 chk --json -- nosuch
	[ "$(jq -r .resolved <<<"$output")" = null ]
	[ "$(jq -r .kind <<<"$output")" = "not found" ]
}

@test "check: the sandbox, with the MCP defaults and per-command overrides" {
	pol <<'EOF'
version: 1
default_action: allow
sandbox:
  timeout: 2m
  writable: [/tmp/a]
commands:
  - match: npm test
    profile: strict
    max_output: 512K
    memory: 1G
    allow_sockets: [/run/pg.sock]
    writable: []
EOF
	run -0 chk -- node
	[ "${lines[3]}" = "profile:     standard (default)" ]
	[ "${lines[4]}" = "network:     allow (default)" ]
	[ "${lines[5]}" = "timeout:     2m" ]
	[ "${lines[6]}" = "max_output:  1M (default)" ]
	[ "${lines[7]}" = "memory:      unlimited (default)" ]
	[ "${lines[8]}" = "writable:    /tmp/a" ]
	[ "${lines[9]}" = "sockets:     -" ]
	[ "${lines[10]}" = "approval:    never" ]
	[ "${lines[11]}" = "policy:      $POL" ]
	run -0 chk -- npm test
	[ "${lines[4]}" = "profile:     strict" ]
	[ "${lines[5]}" = "network:     deny (default)" ]
	[ "${lines[6]}" = "timeout:     2m" ]
	[ "${lines[7]}" = "max_output:  512K" ]
	[ "${lines[8]}" = "memory:      1G" ]
	[ "${lines[9]}" = "writable:    -" ]
	[ "${lines[10]}" = "sockets:     /run/pg.sock" ]
	run -0 chk --json -- npm test
	[ "$(jq -c .sandbox <<<"$output")" = '{"profile":"strict","network":"deny","timeout_ms":120000,"max_output":524288,"memory":1073741824,"writable":[],"allow_sockets":["/run/pg.sock"],"defaults":["network"]}' ]
	run -0 chk --json -- node
	[ "$(jq -c .sandbox.defaults <<<"$output")" = '["profile","network","max_output"]' ]
	[ "$(jq -r .command_index <<<"$output")" = null ]
}

@test "check: an approved command says who is asked (approval_channel)" {
	pol <<'EOF2'
version: 1
default_action: allow
commands:
  - match: psql
    approval: session
EOF2
	run -0 chk -- psql
	[[ $output == *"approval:    session (commands entry 'psql' (line 5): approval session)"* ]]
	[[ $output == *"asked via:   the MCP client's elicitation when it offers one, else the session agent (approval_channel: client)"* ]]
	run -0 chk --json -- psql
	[ "$(jq -r .approval_channel <<<"$output")" = client ]
	run -0 chk -- node
	[[ $output != *"asked via:"* ]]
	printf 'approval_channel: agent\n' >>"$POL"
	run -0 chk -- psql
	[[ $output == *"asked via:   the session agent (approval_channel: agent)"* ]]
	run -0 chk --json -- psql
	[ "$(jq -r .approval_channel <<<"$output")" = agent ]
	sed -i 's/^approval_channel: agent$/approval_channel: nobody/' "$POL"
	run chk -- psql
	[ "$status" -ne 0 ]
	[[ $output == *"'approval_channel' must be client or agent, not 'nobody'"* ]]
}

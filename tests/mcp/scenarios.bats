#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The user guide's "Practical Scenarios" (AI Agent Integration) as an agent performs them:
# through MCP (the v1 SDK client, lib/mcp-call.mjs) against the real `secretctl mcp-server`,
# with the guide's policy file and real services (tests/lib/services.bash): psql counting users
# in a throwaway PostgreSQL, curl with a bearer token against a local API, the fixture npm
# project's tests, and an `aws` stand-in for "Deploying to AWS". Every call's raw bytes are
# scanned for every secret value (MCP_CALL_FORBID).

source "$BATS_TEST_DIRNAME/../lib/services.bash"
# shellcheck source=tests/lib/sandbox.bash
source "$BATS_TEST_DIRNAME/../lib/sandbox.bash"

# The user guide's mcp-policy.yaml, verbatim, plus what these tests need: psql (the "Database
# Queries" scenario runs it) and the guide's staging alias from its "Environment Aliases" section.
GUIDE_POLICY='version: 1
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
  - psql            # added: the "Database Queries" scenario

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
  staging:          # added: from the guide'"'"'s "Environment Aliases" section
    - pattern: "db/*"
      target: "staging/db/*"'

setup_file() {
	pg_start 42 || return 1
	http_bearer_start || { pg_stop; return 1; }
}

teardown_file() {
	services_cleanup
}

setup() {
	MCP=$BATS_TEST_DIRNAME
	BIN=${SECRETCTL_BIN:-$(realpath "$MCP/../../build/secretctl")}
	export SECRETCTL_BIN=$BIN
	need_sandbox
	cd "$BATS_TEST_TMPDIR" || return 1
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/vault
	export SECRETCTL_PASSWORD="master-$(services_random 12)"
	unset SECRETCTL_POLICY
	setsid -w "$BIN" init --kdf test >/dev/null 2>&1 || { echo "init failed" >&2; return 1; }
	printf '%s\n' "$GUIDE_POLICY" >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	"$BIN" policy validate >/dev/null
	# Every value stored, and the master password: none may reach the client.
	MCP_CALL_FORBID=$SECRETCTL_PASSWORD
	export MCP_CALL_FORBID
}

put() { # key value
	printf '%s' "$2" | setsid -w "$BIN" set "$1" >/dev/null 2>&1 || { echo "set $1 failed" >&2; return 1; }
	MCP_CALL_FORBID+=$'\n'"$2"
}

# mcp CALLS-JSON [mcp-call options]: one MCP session; its lines in $output, raw bytes in raw.bin
mcp() {
	local calls=$1
	shift
	run --separate-stderr "$MCP/node" "$MCP/lib/mcp-call.mjs" --raw "$BATS_TEST_TMPDIR/raw.bin" "$@" -- "$calls"
	echo "$output"
	echo "$stderr" >&2
	[ "$status" -eq 0 ] # 3: a secret value reached the client
}

# The Nth call's result (0-based) as JSON.
res() { sed -n "$(($1 + 1))p" <<<"$output" | jq -c '.result'; }
sc() { res "$1" | jq -r ".structuredContent$2"; }

@test "Database Queries: psql \$DATABASE_URL counts users; the URL and password never reach the agent" {
	put DATABASE_URL "$DATABASE_URL"
	# The guide's call, verbatim; then one that makes psql print the URL, to see it redacted.
	mcp "$(jq -nc '[
		{tool: "secret_run", args: {keys: ["DATABASE_URL"], command: "psql $DATABASE_URL -c '"'"'SELECT COUNT(*) FROM users'"'"'"}},
		{tool: "secret_run", args: {keys: ["DATABASE_URL"], command: "psql $DATABASE_URL -At -c \"SELECT '"'"'url='"'"' || '"'"'$DATABASE_URL'"'"'\""}}]')"
	[ "$(res 0 | jq '.isError')" = null ]
	[ "$(sc 0 .exit_code)" = 0 ]
	[[ $(sc 0 .stdout) == *" count "*"-------"*" $PG_USERS"*"(1 row)"* ]]
	[ "$(sc 1 .stdout)" = "url=[REDACTED:DATABASE_URL]" ]
	[ "$(sc 1 .sanitized)" = true ]
	! grep -qF "$PG_PASSWORD" raw.bin
	! grep -qF "$DATABASE_URL" raw.bin
}

@test "API Calls: curl -H 'Authorization: Bearer \$GITHUB_TOKEN' gets the repo list; the server saw the token" {
	put GITHUB_TOKEN "$BEARER_TOKEN"
	: >"$BEARER_LOG"
	# The guide's command string, with the local API's URL in place of api.github.com.
	mcp "$(jq -nc --arg url "$BEARER_URL" '[{tool: "secret_run",
		args: {keys: ["GITHUB_TOKEN"], command: ("curl -H '"'"'Authorization: Bearer $GITHUB_TOKEN'"'"' " + $url)}}]')"
	[ "$(sc 0 .exit_code)" = 0 ]
	[ "$(sc 0 .stdout | jq -r '.[].full_name' | paste -sd,)" = example/secretctl,example/dotfiles,example/website ]
	want=$(printf %s "$BEARER_TOKEN" | sha256sum | cut -d' ' -f1)
	[ "$(jq -r '[.auth, .token_sha256] | join(" ")' "$BEARER_LOG")" = "ok $want" ]
	! grep -qF "$BEARER_TOKEN" raw.bin
}

@test "Running Tests: secret_list finds TEST_API_KEY and TEST_DATABASE_URL; npm run test:integration passes, redacted" {
	cp -r "$MCP/../fixtures/npm-app" app
	key="sk-test-$(services_random 18)"
	put TEST_API_KEY "$key"
	put TEST_DATABASE_URL "$DATABASE_URL"
	sum=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
	mcp "$(jq -nc --arg sum "$sum" --arg len "${#key}" '[
		{tool: "secret_list", args: {}},
		{tool: "secret_run", args: {keys: ["TEST_API_KEY", "TEST_DATABASE_URL"], command: "npm run test:integration"}},
		{tool: "secret_run", args: {keys: ["TEST_API_KEY"], command: ("npm test -- --sha256=" + $sum + " --length=" + $len)}},
		{tool: "secret_run", args: {keys: ["TEST_DATABASE_URL"], command: "npm test"}}]')" --cwd "$BATS_TEST_TMPDIR/app"
	[ "$(sc 0 '.secrets | map(.key) | join(",")')" = TEST_API_KEY,TEST_DATABASE_URL ]
	out=$(sc 1 .stdout)
	[ "$(sc 1 .exit_code)" = 0 ]
	[[ $out == *"ok - TEST_API_KEY is set"* && $out == *"ok - TEST_DATABASE_URL is a postgresql:// URL"* ]]
	[[ $out == *"debug: calling the API with key [REDACTED:TEST_API_KEY]"* ]]
	[[ $out == *"# database at 127.0.0.1:$PG_PORT/appdb"* && $out == *"all passed"* ]]
	out=$(sc 2 .stdout)
	[[ $out == *"ok - TEST_API_KEY has the expected SHA-256"* && $out == *"ok - TEST_API_KEY has ${#key} characters"* ]]
	# Without the key the project's tests fail, and the agent sees why (exit code and output).
	[ "$(sc 3 .exit_code)" = 1 ]
	[[ $(sc 3 .stdout) == *"not ok - TEST_API_KEY is set"* ]]
	! grep -qF "$key" raw.bin
	! grep -qF "$PG_PASSWORD" raw.bin
}

@test "Deploying to AWS: secret_exists(aws/*), then aws with keys [aws/*] gets both credentials, redacted" {
	mkdir -p bin dist
	# A stand-in for the AWS CLI (not installed here), found on PATH like the real one.
	cat >bin/aws <<-'EOF'
	#!/bin/sh
	# stand-in for the AWS CLI: says which credentials it got, and carelessly prints one
	echo "aws $*"
	for v in AWS_ACCESS_KEY AWS_SECRET_KEY; do
		eval "val=\${$v}"
		if [ -n "$val" ]; then echo "$v is set (${#val} characters)"; else echo "$v is NOT set"; fi
	done
	echo "debug: signing with $AWS_ACCESS_KEY"
	EOF
	chmod 755 bin/aws
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	ak="AKIA$(services_random 12 | tr a-z- A-ZX)"
	sk=$(services_random 30)
	put aws/access_key "$ak"
	put aws/secret_key "$sk"
	mcp "$(jq -nc '[
		{tool: "secret_exists", args: {key: "aws/*"}},
		{tool: "secret_run", args: {keys: ["aws/*"], command: "aws s3 sync ./dist s3://my-bucket"}},
		{tool: "policy_check", args: {keys: ["aws/*"], command: "aws s3 sync ./dist s3://my-bucket"}},
		{tool: "secret_run", args: {keys: ["aws/*"], command: "rm -rf ./dist"}}]')" --cwd "$BATS_TEST_TMPDIR"
	[ "$(sc 0 .exists)" = true ]
	[ "$(sc 0 '.matches | join(",")')" = aws/access_key,aws/secret_key ]
	[ "$(sc 1 .exit_code)" = 0 ]
	[ "$(sc 1 .stdout)" = "aws s3 sync ./dist s3://my-bucket
AWS_ACCESS_KEY is set (${#ak} characters)
AWS_SECRET_KEY is set (${#sk} characters)
debug: signing with [REDACTED:AWS_ACCESS_KEY]" ]
	[ "$(sc 2 .resolved_command)" = "$BATS_TEST_TMPDIR/bin/aws" ]
	[ "$(sc 2 .rule)" = "allowed_commands: 'aws' (line 11)" ]
	[ "$(res 3 | jq .isError)" = true ]
	[[ $(res 3 | jq -r '.content[0].text') == *"denied_commands: 'rm'"* ]]
	[ -d dist ]
	! grep -qF "$ak" raw.bin
	! grep -qF "$sk" raw.bin
}

@test "Environment aliases: keys [db/*] with env staging reach the command as DB_PASSWORD from staging/db/*" {
	dev="dev-$(services_random 15)" stg="stg-$(services_random 15)" prod="prod-$(services_random 15)"
	put dev/db/password "$dev"
	put staging/db/password "$stg"
	put prod/db/password "$prod"
	hash='node -e "console.log(require('"'"'crypto'"'"').createHash('"'"'sha256'"'"').update(process.env.DB_PASSWORD).digest('"'"'hex'"'"'))"'
	mcp "$(jq -nc --arg c "$hash" '[
		{tool: "secret_run", args: {keys: ["db/*"], command: $c, env: "staging"}},
		{tool: "secret_run", args: {keys: ["db/*"], command: $c, env: "prod"}},
		{tool: "secret_run", args: {keys: ["db/*"], command: $c, env: "dev"}},
		{tool: "secret_run", args: {keys: ["db/*"], command: $c}}]')"
	[ "$(sc 0 .stdout)" = "$(printf %s "$stg" | sha256sum | cut -d' ' -f1)" ]
	[ "$(sc 1 .stdout)" = "$(printf %s "$prod" | sha256sum | cut -d' ' -f1)" ]
	[ "$(sc 2 .stdout)" = "$(printf %s "$dev" | sha256sum | cut -d' ' -f1)" ]
	# Without an alias db/* matches nothing (the stored keys are dev/db/..., staging/db/...).
	[ "$(res 3 | jq .isError)" = true ]
}

@test "the leak scan of these tests catches a value that does reach the client" {
	# A non-sensitive field is returned in clear by design: listing it as forbidden must fail.
	host="db-$(services_random 12 | tr A-Z_- a-zxx).example.test"
	printf 'pw-%s' "$(services_random 18)" | setsid -w "$BIN" set db/creds --field "host=$host" \
		--field password --sensitive password >/dev/null 2>&1
	MCP_CALL_FORBID+=$'\n'"$host"
	run "$MCP/node" "$MCP/lib/mcp-call.mjs" -- '[{"tool":"secret_get_field","args":{"key":"db/creds","field":"host"}}]'
	[ "$status" -eq 3 ]
	[[ $output == *'"form":"raw"'* && $output == *"stdout bytes"* ]]
}

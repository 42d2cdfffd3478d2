#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The user guide's scenarios against real services (tests/lib/services.bash), driven through the
# existing CLI: psql counting users with DATABASE_URL injected, curl with a bearer token, and an
# npm project's tests with TEST_API_KEY. Each secret's value must reach the command and never
# its output. Also proves the fixtures themselves: they start, work, and stop without leftovers.

load helpers
source "$BATS_TEST_DIRNAME/../lib/services.bash"

setup_file() {
	pg_start 42 || return 1
	http_bearer_start || { pg_stop; return 1; }
	echo "# pg_start ${PG_START_MS} ms" >&3
}

teardown_file() {
	services_cleanup
}

setup() {
	e2e_setup
	need_sandbox
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
}

# Nothing of the value may appear in what the command printed.
refute_leak() { # value
	[[ $output != *"$1"* ]] || { echo "secret value leaked into the output" >&2; return 1; }
}

@test "fixture: pg_start gives a scram-only cluster with appdb.users" {
	[[ $DATABASE_URL == "postgresql://app:$PG_PASSWORD@127.0.0.1:$PG_PORT/appdb" ]]
	run -0 psql -X -At "$DATABASE_URL" -c 'SELECT count(*) FROM users'
	[ "$output" = "$PG_USERS" ]
	run ! env PGPASSWORD=wrong-password psql -X -At -h 127.0.0.1 -p "$PG_PORT" -U app -d appdb -c 'SELECT 1'
	[[ $output == *"password authentication failed"* ]]
	run -0 psql -X -At "$DATABASE_URL" -c 'SHOW password_encryption'
	[ "$output" = scram-sha-256 ]
}

@test "run: psql counts users with DATABASE_URL injected; the URL and password are redacted" {
	put DATABASE_URL "$DATABASE_URL"
	# The user guide's command, verbatim inside sh -c: the variable exists only in the sandbox.
	run -0 env -u DATABASE_URL SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" run -k DATABASE_URL -- \
		sh -c "psql \$DATABASE_URL -c 'SELECT COUNT(*) FROM users'"
	[[ $output == *" count "* && $output == *" $PG_USERS"* && $output == *"(1 row)"* ]]
	# A command that prints the URL: redacted whole, so neither it nor the password shows.
	run -0 env -u DATABASE_URL SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" run -k DATABASE_URL -- \
		sh -c 'echo "connecting to $DATABASE_URL"; psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM users"'
	[[ $output == *"connecting to [REDACTED:DATABASE_URL]"* ]]
	[[ $output == *$'\n'"$PG_USERS"* ]]
	refute_leak "$PG_PASSWORD"
	run -0 sc audit list --json
	ev=$(jq -c '[.[] | select(.action == "secret.run")] | last' <<<"$output")
	[ "$(jq -r '.keys | join(",")' <<<"$ev")" = DATABASE_URL ]
	[[ $ev != *"$PG_PASSWORD"* ]]
}

@test "run: curl with the bearer token gets 200 and the repo list; without it 401" {
	put GITHUB_TOKEN "$BEARER_TOKEN"
	: >"$BEARER_LOG"
	run -0 env -u BEARER_TOKEN SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" run -k GITHUB_TOKEN -- \
		sh -c "curl -sS -H \"Authorization: Bearer \$GITHUB_TOKEN\" -w 'http=%{http_code}\n' '$BEARER_URL'; echo \"sent \$GITHUB_TOKEN\""
	[[ $output == *'"full_name": "example/secretctl"'* ]]
	[[ $output == *"http=200"* ]]
	[[ $output == *"sent [REDACTED:GITHUB_TOKEN]"* ]]
	refute_leak "$BEARER_TOKEN"
	# The server saw exactly that token (its log holds the SHA-256, not the token).
	want=$(printf %s "$BEARER_TOKEN" | sha256sum | cut -d' ' -f1)
	run -0 jq -r 'select(.auth == "ok") | .token_sha256' "$BEARER_LOG"
	[ "$output" = "$want" ]
	# Without the header (and with a wrong token) the API refuses.
	run -0 sc_nopw run -- curl -sS -o /dev/null -w 'http=%{http_code}\n' "$BEARER_URL"
	[[ $output == *"http=401"* ]]
	run -0 sc_nopw run -- curl -sS -o /dev/null -w 'http=%{http_code}\n' -H 'Authorization: Bearer wrong' "$BEARER_URL"
	[[ $output == *"http=401"* ]]
	[ "$(jq -r .auth "$BEARER_LOG" | sort | paste -sd,)" = none,ok,wrong ]
}

@test "run: npm test sees TEST_API_KEY (by hash and length) and its printed value is redacted" {
	command -v npm >/dev/null || { echo "npm missing: run make deps" >&2; return 1; }
	cp -r "$BATS_TEST_DIRNAME/../fixtures/npm-app" app
	cd app
	key='sk-test-4f9a1c2e7b3d5a6f8e0c1b2a'
	put TEST_API_KEY "$key"
	sum=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
	run -0 sc run -k TEST_API_KEY -- npm test -- --sha256="$sum" --length="${#key}"
	[[ $output == *"ok - TEST_API_KEY has the expected SHA-256"* ]]
	[[ $output == *"ok - TEST_API_KEY has ${#key} characters"* ]]
	[[ $output == *"debug: calling the API with key [REDACTED:TEST_API_KEY]"* ]]
	[[ $output == *"all passed"* ]]
	refute_leak "$key"
	# Without the key the suite fails, and says why.
	run -1 sc_nopw run -- npm test
	[[ $output == *"not ok - TEST_API_KEY is set"* ]]
}

@test "run: npm run test:integration gets both keys (the user guide's 'Running Tests')" {
	cp -r "$BATS_TEST_DIRNAME/../fixtures/npm-app" app
	cd app
	put TEST_API_KEY 'sk-test-integration-0123456789'
	put TEST_DATABASE_URL "$DATABASE_URL"
	run -0 sc run -k TEST_API_KEY -k TEST_DATABASE_URL -- npm run test:integration
	[[ $output == *"ok - TEST_DATABASE_URL is a postgresql:// URL"* ]]
	[[ $output == *"# database at 127.0.0.1:$PG_PORT/appdb"* ]]
	[[ $output == *"all passed"* ]]
	refute_leak 'sk-test-integration-0123456789'
	refute_leak "$PG_PASSWORD"
}

@test "fixture: pg and bearer stop without leftovers; a second cluster runs beside the first" {
	local dir bdir ms
	# In a subshell, so the file-level services stay untouched.
	(
		unset PG_DIR BEARER_DIR
		trap services_cleanup EXIT
		pg_start 3 || exit 1
		dir=$PG_DIR
		[ "$(psql -X -At "$DATABASE_URL" -c 'SELECT count(*) FROM users')" = 3 ] || exit 1
		ms=$(services_ms)
		pg_stop
		echo "# second pg_start ${PG_START_MS} ms, pg_stop $(($(services_ms) - ms)) ms" >&3
		[ ! -e "$dir" ] || { echo "left $dir" >&2; exit 1; }
		! pgrep -f "postgres -D $dir/data" >/dev/null || { echo "postmaster still running" >&2; exit 1; }
		http_bearer_start || exit 1
		bdir=$BEARER_DIR pid=$BEARER_PID
		http_bearer_stop
		[ ! -e "$bdir" ] && ! kill -0 "$pid" 2>/dev/null
	)
	# The file-level cluster is still serving.
	run -0 psql -X -At "$DATABASE_URL" -c 'SELECT count(*) FROM users'
	[ "$output" = "$PG_USERS" ]
}

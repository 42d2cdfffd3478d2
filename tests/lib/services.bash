# SPDX-License-Identifier: Apache-2.0
# Real services for tests of the user guide's scenarios, started on 127.0.0.1 and free ports and
# torn down without leftovers. Source this file from a bats file or a bash script:
#
#   pg_start [ROWS]      a throwaway PostgreSQL 15 cluster (scram-sha-256, random password) with
#                        database appdb, owner app, and a table users holding ROWS rows (default
#                        42). Exports DATABASE_URL=postgresql://app:PASSWORD@127.0.0.1:PORT/appdb,
#                        PG_PASSWORD, PG_PORT, PG_USERS (the row count), PG_DIR; sets
#                        PG_START_MS (how long the start took; ≈ 1 s).
#   pg_stop              stops it (immediate shutdown) and removes its directory.
#   http_bearer_start    a JSON API on 127.0.0.1 that answers 200 with a repository list only for
#                        "Authorization: Bearer $BEARER_TOKEN", else 401 (tests/lib/bearer-server.py).
#                        Exports BEARER_URL (…/user/repos), BEARER_TOKEN (random), BEARER_LOG (one
#                        JSON line per request: auth ok|wrong|none and the token's SHA-256).
#   http_bearer_stop     stops it and removes its directory.
#   services_cleanup     stops whatever is still running; call it from teardown/teardown_file,
#                        or `trap services_cleanup EXIT` in a script, so a failing test leaves
#                        nothing behind.
# Each *_start fails loudly (non-zero, message on stderr) when it cannot start: tests never skip.
# Safe under `set -e` (bats runs tests that way).
# As root the cluster runs as the postgres user (initdb refuses root); otherwise as the caller.

SERVICES_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# A port the kernel just handed out on 127.0.0.1 (free now; a start retries if it is taken).
services_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# URL-safe random text: passwords and tokens must survive a URL and a shell word unquoted.
services_random() { # bytes
	head -c "${1:-18}" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

services_ms() { date +%s%3N; }

# Run a command as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() { # [rows]
	local rows=${1:-42} t0 try out
	t0=$(services_ms)
	[ -z "${PG_DIR:-}" ] || { echo "pg_start: a cluster is already running in $PG_DIR" >&2; return 1; }
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		{ echo "pg_start: PostgreSQL 15 is not installed ($PG_BIN/initdb): run make deps" >&2; return 1; }
	command -v psql >/dev/null || { echo "pg_start: psql missing: run make deps" >&2; return 1; }
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "pg_start: no postgres user (the Debian postgresql package creates it): run make deps" >&2
		return 1
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sctl-pg.XXXXXX") || return 1
	# The owner needs to reach the directory; a bats temp dir under root's 0700 tree would not do.
	[ "$(id -u)" -ne 0 ] || chown postgres: "$PG_DIR"
	PG_PASSWORD=$(services_random 18)
	# initdb reads the password from a file the owner can open (a <(...) pipe is not).
	(umask 077 && printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pw")
	[ "$(id -u)" -ne 0 ] || chown postgres: "$PG_DIR/pw"
	if ! out=$(pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A scram-sha-256 --pwfile="$PG_DIR/pw" \
		-U app -E UTF8 --locale=C --no-sync 2>&1); then
		echo "pg_start: initdb failed:" >&2; echo "$out" >&2
		rm -rf "$PG_DIR"; unset PG_DIR PG_PASSWORD; return 1
	fi
	rm -f "$PG_DIR/pw"
	for try in 1 2 3; do
		PG_PORT=$(services_free_port)
		# fsync off: a throwaway cluster; the unix socket goes in PG_DIR, never /var/run/postgresql.
		if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
			-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
			start >/dev/null 2>&1; then
			break
		fi
		if [ "$try" -eq 3 ]; then
			echo "pg_start: pg_ctl start failed; server log:" >&2; tail -20 "$PG_DIR/log" >&2
			rm -rf "$PG_DIR"; unset PG_DIR PG_PASSWORD PG_PORT; return 1
		fi
	done
	DATABASE_URL="postgresql://app:$PG_PASSWORD@127.0.0.1:$PG_PORT/appdb"
	if ! out=$(PGPASSWORD=$PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U app -d postgres \
		-c 'CREATE DATABASE appdb' 2>&1) ||
		! out=$(psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "
			CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE);
			INSERT INTO users (name, email)
				SELECT 'user' || i, 'user' || i || '@example.test' FROM generate_series(1, $rows) AS i;" 2>&1); then
		echo "pg_start: creating appdb failed:" >&2; echo "$out" >&2
		pg_stop; return 1
	fi
	PG_USERS=$rows
	export DATABASE_URL PG_PASSWORD PG_PORT PG_USERS PG_DIR
	# shellcheck disable=SC2034 # read by the caller
	PG_START_MS=$(($(services_ms) - t0))
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	local dir=$PG_DIR
	unset PG_DIR DATABASE_URL PG_PASSWORD PG_PORT PG_USERS
	if [ -f "$dir/data/postmaster.pid" ]; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1 ||
			{ # pg_ctl failed: end the postmaster by its pid (first line of postmaster.pid)
				local pid
				pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null)
				[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
			}
	fi
	rm -rf "$dir"
}

http_bearer_start() {
	[ -z "${BEARER_DIR:-}" ] || { echo "http_bearer_start: already running in $BEARER_DIR" >&2; return 1; }
	command -v python3 >/dev/null || { echo "http_bearer_start: python3 missing: run make deps" >&2; return 1; }
	BEARER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sctl-bearer.XXXXXX") || return 1
	BEARER_TOKEN="ghp_$(services_random 27)"
	(umask 077 && printf '%s\n' "$BEARER_TOKEN" >"$BEARER_DIR/token")
	BEARER_LOG=$BEARER_DIR/requests.jsonl
	: >"$BEARER_LOG"
	python3 "$SERVICES_LIB_DIR/bearer-server.py" --token-file "$BEARER_DIR/token" --log "$BEARER_LOG" \
		--port-file "$BEARER_DIR/port" </dev/null >"$BEARER_DIR/stderr" 2>&1 &
	BEARER_PID=$!
	for _ in $(seq 100); do
		[ -s "$BEARER_DIR/port" ] && break
		kill -0 "$BEARER_PID" 2>/dev/null || break
		sleep 0.02
	done
	if [ ! -s "$BEARER_DIR/port" ]; then
		echo "http_bearer_start: the server did not start:" >&2; cat "$BEARER_DIR/stderr" >&2
		http_bearer_stop; return 1
	fi
	BEARER_PORT=$(cat "$BEARER_DIR/port")
	BEARER_URL="http://127.0.0.1:$BEARER_PORT/user/repos"
	export BEARER_URL BEARER_TOKEN BEARER_LOG BEARER_PORT BEARER_PID BEARER_DIR
}

http_bearer_stop() {
	[ -n "${BEARER_DIR:-}" ] || return 0
	if [ -n "${BEARER_PID:-}" ] && kill "$BEARER_PID" 2>/dev/null; then
		wait "$BEARER_PID" 2>/dev/null || true # 143: it ended by our SIGTERM
	fi
	rm -rf "$BEARER_DIR"
	unset BEARER_DIR BEARER_PID BEARER_URL BEARER_TOKEN BEARER_LOG BEARER_PORT
}

services_cleanup() {
	pg_stop
	http_bearer_stop
}

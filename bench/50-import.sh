#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Import benchmark: `secretctl import` of 10 000 .env entries and of a 10 000-item Bitwarden
# JSON export (target < 2 s each, into an empty test-KDF vault, unlock included), against
# the ways one could do without it in this run: `secretctl set` one secret at a time (timed on
# a sample, extrapolated), and the floor of a plain `sqlite3` insert of as many rows of the
# same size in one transaction with the same durability (synchronous=FULL, rollback journal).
# Also the dry run and `export` of the imported vault. Prints a markdown table.
# Env: IMPORT_BENCH_N (entries, default 10000), IMPORT_BENCH_SET_SAMPLE (default 100),
#      IMPORT_BENCH_DIR (parent of the temp dir, default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${SECRETCTL_BIN:-build/secretctl}")
N=${IMPORT_BENCH_N:-10000}
SAMPLE=${IMPORT_BENCH_SET_SAMPLE:-100}
TARGET=2.0
[ -x "$BIN" ] || { echo "50-import: $BIN not built"; exit 1; }
for t in python3 sqlite3; do
	command -v "$t" >/dev/null || { echo "50-import: $t missing (make deps)"; exit 1; }
done
tmp=$(mktemp -d "${IMPORT_BENCH_DIR:-/var/tmp}/sctl-import-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SECRETCTL_PASSWORD='bench password for import'

python3 - "$tmp" "$N" <<'PY'
import json, os, random, sys, uuid
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
def value(k):
    return ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') for _ in range(k))
with open(os.path.join(d, 'big.env'), 'w') as f:
    for i in range(n):
        # A mix of bare, quoted and multi-line values, as real .env files have.
        v = value(32)
        if i % 10 == 1:
            v = '"' + v[:16] + ' with spaces $ \\" ' + v[16:] + '"'
        elif i % 10 == 2:
            v = "'" + v[:16] + "\n" + v[16:] + "'"
        f.write(f"APP_SECRET_{i:05d}={v}\n")
folders = [{"id": str(uuid.UUID(int=rnd.getrandbits(128))), "name": f"Team {t}"} for t in range(20)]
items = []
for i in range(n):
    items.append({
        "passwordHistory": None, "revisionDate": "2024-03-05T09:15:30.123Z",
        "creationDate": "2023-11-20T08:00:00.000Z", "deletedDate": None,
        "id": str(uuid.UUID(int=rnd.getrandbits(128))), "organizationId": None,
        "folderId": folders[i % 20]["id"], "type": 1, "reprompt": 0,
        "name": f"Service {i} login", "notes": "rotated quarterly" if i % 3 == 0 else None,
        "favorite": False,
        "fields": [{"name": "API token", "value": value(40), "type": 1, "linkedId": None}],
        "login": {"fido2Credentials": [], "uris": [{"match": None, "uri": f"https://svc{i}.example.com/login"}],
                  "username": f"user{i}@example.com", "password": value(24), "totp": None},
        "collectionIds": None})
json.dump({"encrypted": False, "folders": folders, "items": items},
          open(os.path.join(d, 'bitwarden.json'), 'w'), indent=2)
# The SQL floor: n rows of random blobs the size of an encrypted secret row (~ 200 bytes).
with open(os.path.join(d, 'floor.sql'), 'w') as f:
    f.write("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;\n")
    f.write("CREATE TABLE secrets(id BLOB PRIMARY KEY, version INTEGER, meta_nonce BLOB, meta BLOB, value_nonce BLOB, value BLOB);\n")
    f.write("BEGIN IMMEDIATE;\n")
    for i in range(n):
        f.write("INSERT INTO secrets VALUES (randomblob(32), 1, randomblob(24), randomblob(120), randomblob(24), randomblob(60));\n")
    f.write("COMMIT;\n")
PY

fresh() { # dir: an empty test-KDF vault
	rm -rf "$1"
	SECRETCTL_VAULT_DIR=$1 "$BIN" init --kdf test >/dev/null 2>&1
}

secs() { # command...: wall seconds of one run (output discarded)
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}

best() { # runs command...: the best of runs
	local runs=$1 b=999999 t
	shift
	for ((r = 0; r < runs; r++)); do
		t=$("$@")
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$b"
}

import_once() { # file
	fresh "$tmp/v"
	secs env SECRETCTL_VAULT_DIR="$tmp/v" "$BIN" import "$1"
}

t_env=$(best 3 import_once "$tmp/big.env")
t_bw=$(best 3 import_once "$tmp/bitwarden.json")
SECRETCTL_VAULT_DIR="$tmp/v" "$BIN" import "$tmp/big.env" --on-conflict skip >/dev/null 2>&1 || true
t_dry=$(secs env SECRETCTL_VAULT_DIR="$tmp/v" "$BIN" import "$tmp/big.env" --dry-run --on-conflict overwrite)
t_export=$(secs env SECRETCTL_VAULT_DIR="$tmp/v" "$BIN" export -o "$tmp/out.env")

fresh "$tmp/s"
head -n "$SAMPLE" "$tmp/big.env" | grep -v "^'" | cut -d= -f1 | grep -v '^$' >"$tmp/keys"
set_loop() {
	local k
	while read -r k; do
		printf 'value-for-%s-0123456789abcdef' "$k" | SECRETCTL_VAULT_DIR="$tmp/s" "$BIN" set "$k" >/dev/null 2>&1
	done <"$tmp/keys"
}
ns=$(wc -l <"$tmp/keys")
t_set=$(secs set_loop)
t_set_n=$(awk -v t="$t_set" -v s="$ns" -v n="$N" 'BEGIN { printf "%.1f", t / s * n }')
rm -f "$tmp/floor.db"
t_floor=$(secs sqlite3 "$tmp/floor.db" ".read $tmp/floor.sql")

verdict() { awk -v t="$1" -v g="$TARGET" 'BEGIN { print (t < g) ? "meets < " g " s" : "MISSES < " g " s" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
rate() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.0f/s", n / t }'; }

echo "## import ($N entries into an empty test-KDF vault; unlock included; best of 3)"
echo
echo "| operation | n | time | rate | compared |"
echo "| --- | --- | --- | --- | --- |"
echo "| import .env | $N | $t_env s | $(rate "$t_env" "$N") | $(verdict "$t_env") |"
echo "| import Bitwarden JSON | $N | $t_bw s | $(rate "$t_bw" "$N") | $(verdict "$t_bw") |"
echo "| import --dry-run (all updates, rolled back) | $N | $t_dry s | $(rate "$t_dry" "$N") | |"
echo "| export -o (.env) | $N | $t_export s | $(rate "$t_export" "$N") | |"
echo "| secretctl set, one at a time | $N (from $ns) | $t_set_n s | $(rate "$t_set_n" "$N") | import .env is $(ratio "$t_set_n" "$t_env") faster |"
echo "| sqlite3: $N plain inserts, one transaction | $N | $t_floor s | $(rate "$t_floor" "$N") | import .env costs $(ratio "$t_env" "$t_floor") the floor |"

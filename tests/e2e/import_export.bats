#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# import and export: round trips (export -> import gives an identical vault), hostile values,
# every importer's malformed input (line number, exit code, vault unchanged), the competitor
# exports under tests/fixtures/import/, conflicts, dry runs, files written 0600 and whole.

load helpers

FIX="$BATS_TEST_DIRNAME/../fixtures/import"

setup() {
	e2e_setup
	init_vault
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Store bytes given as a printf format, byte for byte.
putb() { # key printf-format
	# shellcheck disable=SC2059
	printf "$2" | sc set "$1" --binary >/dev/null 2>&1 || { echo "set $1 failed" >&2; return 1; }
}

# The whole vault as JSON, metadata and dates included: two vaults are identical when these are.
snapshot() { sc export -f json --with-metadata 2>/dev/null; }

# The vault's state: the snapshot plus the audit chain length (proves nothing was written).
state() { snapshot; sc audit verify 2>/dev/null | sed 's/[0-9]* entries/N entries/'; }

hostile_values() {
	putb SPACES 'with  spaces and\ttab'
	putb QUOTES "single ' and double \" quotes"
	putb HASH '# not a comment, a #b'
	putb DOLLAR '$HOME ${PATH} $(id) `id`'
	putb BACKSLASH 'C:\\path\\n\\'
	putb NEWLINES 'line one\nline two\n\n'
	putb CRLF 'windows\r\nline\r\n'
	putb UNICODE 'caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91'
	putb EQUALS '=a=b='
	putb LEAD_SPACE '  padded  '
	putb MIXED "it's \$HOME \`id\` \\\\ \"q\" #x\nnext"
}

@test "export -f env: a shell sourcing the file gets every hostile value back exactly" {
	hostile_values
	run -0 sc export -o out.env
	[ "$output" = "exported 11 secrets to out.env" ]
	[ "$(file_mode out.env)" = 600 ]
	for k in SPACES QUOTES HASH DOLLAR BACKSLASH NEWLINES CRLF UNICODE EQUALS LEAD_SPACE MIXED; do
		sc get "$k" >"want.$k"
		# shellcheck disable=SC1091
		(set -a && . ./out.env && printf '%s' "${!k}") >"got.$k"
		cmp "want.$k" "got.$k"
	done
}

@test "export -> import round trip (.env and JSON) gives an identical vault" {
	hostile_values
	putb BINARY '\x00\xff\xfe\x01 raw'
	run -0 sc set db/prod --field host=db.internal --field password=pg-pass-1 \
		--sensitive password --binding PGHOST=host --binding PGPASSWORD=password \
		--tags prod,db --notes $'two\nlines' --url https://db.example.com --expires 30d </dev/null
	sleep 1 # a re-import must keep dates, not stamp new ones
	snapshot >before.json
	run -0 sc export -f json --with-metadata -o all.json
	# A fresh vault restored from the JSON equals the first, dates and metadata included.
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault2"
	init_vault
	run -0 sc import all.json
	[[ $output == "imported 13 secrets from all.json: 13 created, 0 updated, 0 skipped" ]]
	snapshot >after.json
	cmp before.json after.json
	# .env: the env-named secrets round-trip byte for byte (a key like db/prod becomes the
	# variables run would inject, and NUL bytes cannot be carried: those stay out of it).
	keys=(SPACES QUOTES HASH DOLLAR BACKSLASH NEWLINES CRLF UNICODE EQUALS LEAD_SPACE MIXED)
	run -0 sc export "${keys[@]/#/-k}" -o plain.env
	run -1 --separate-stderr sc export -k BINARY
	[[ $stderr == *"BINARY holds a NUL byte"*"-f json"* ]]
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault3"
	init_vault
	run -0 sc import plain.env
	for k in SPACES QUOTES HASH DOLLAR BACKSLASH NEWLINES CRLF UNICODE EQUALS LEAD_SPACE MIXED; do
		cmp <(SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault" sc get "$k") <(sc get "$k")
	done
}

@test "export -f json without metadata: plain strings, objects for fields and raw bytes" {
	put API_KEY 'sk-test-0123456789'
	putb RAW '\xff\xfe'
	run -0 sc set multi/x --field a=1 </dev/null
	run -0 sc export -f json
	[ "$(jq -r .API_KEY <<<"$output")" = sk-test-0123456789 ]
	[ "$(jq -r .RAW.value_base64 <<<"$output")" = '//4=' ]
	[ "$(jq -c '.["multi/x"].fields' <<<"$output")" = '[{"name":"a","value":"1","sensitive":false}]' ]
	[ "$(jq -r 'has("created_at")' <<<"$(jq .API_KEY <<<"$output")")" = false ] ||
		[ "$(jq -r '.API_KEY | type' <<<"$output")" = string ]
}

@test "export: -k selects (each pattern must match), FILE is never replaced without --force" {
	put aws/a 'value-aaaaaaaaaa'
	put aws/b 'value-bbbbbbbbbb'
	put other 'value-cccccccccc'
	run -0 sc export -k 'aws/*'
	[ "$(grep -c = <<<"$output")" = 2 ]
	run -2 --separate-stderr sc export -k 'aws/*' -k nomatch
	[[ $stderr == *"-k 'nomatch' matches no secret"* ]]
	[ -z "$output" ]
	echo keep >existing.env
	run -1 --separate-stderr sc export -o existing.env
	[[ $stderr == *"existing.env exists (add --force to replace it)"* ]]
	[ "$(cat existing.env)" = keep ]
	run -0 sc export -o existing.env --force
	grep -q '^OTHER=value-cccccccccc$' existing.env
	[ "$(file_mode existing.env)" = 600 ]
	# No temporary file is left behind.
	[ "$(find . -name '.existing.env.*' | wc -l)" = 0 ]
	run -1 sc export --with-metadata
	run -1 sc export -f yaml
	run -1 sc export stray-operand
}

@test "export: two secrets giving one variable name or a reserved one are refused, nothing written" {
	put a/b 'value-one-000000'
	put A_B 'value-two-000000'
	run -1 --separate-stderr sc export -o clash.env
	[[ $stderr == *"two secrets both give A_B"* ]]
	[ ! -e clash.env ]
	run -1 --separate-stderr sc export -k a/b -k A_B
	[ -z "$output" ]
	sc delete a/b --yes >/dev/null
	put path 'value-path-0000'
	run -1 --separate-stderr sc export
	[[ $stderr == *"would set PATH, which is reserved"* ]]
	[ -z "$output" ]
}

@test "export is audited before the plaintext leaves; a terminal gets a warning" {
	put K1 'value-one-000000'
	put K2 'value-two-000000'
	sc export >/dev/null
	run -0 sc audit list --json
	[ "$(jq -r '[.[] | select(.action == "secret.export")][0].keys | join(",")' <<<"$output")" = K1,K2 ]
	[ "$(jq -c '[.[] | select(.action == "secret.export")][0].detail' <<<"$output")" = \
		'{"format":"env","count":2,"to":"stdout"}' ]
	# On a terminal (script(1) gives one) the user is told plaintext is being written.
	run -0 env SECRETCTL_PASSWORD="$PW" script -qec "$BIN export -o tty.env" /dev/null
	[[ $output == *"writing secrets in plaintext to tty.env"* ]]
	run -0 --separate-stderr sc export -o notty.env
	[ -z "$stderr" ]
}

@test "import .env: comments, export prefix, quotes, escapes, multi-line values" {
	cat >in.env <<'EOF'
# deploy settings
export DB_HOST=db.internal   # inline comment
DB_PASS="p@ss \"quoted\" \$HOME\nnext"
SINGLE='literal $x \n kept'
MULTI="-----BEGIN-----
abc
-----END-----"
EMPTY=
EOF
	run -0 --separate-stderr sc import in.env
	[ "$output" = "imported 4 secrets from in.env: 4 created, 0 updated, 0 skipped" ]
	[[ $stderr == *"line 8: EMPTY has an empty value: skipped"* ]]
	[ "$(sc get DB_HOST)" = db.internal ]
	sc get DB_PASS >got
	assert_bytes got 'p@ss "quoted" $HOME\nnext'
	sc get SINGLE >got
	assert_bytes got 'literal $x \\n kept'
	sc get MULTI >got
	cmp got <(printf -- '-----BEGIN-----\nabc\n-----END-----')
}

@test "import: a malformed line of any format is named, exits 1, and the vault is unchanged" {
	put EXISTING 'value-existing-0'
	state >before
	printf 'A=1\nB="open\nC=3\n' >bad.env
	printf '{\n  "A": "1",\n  "B": [2]\n}\n' >bad.json
	printf '{"encrypted": false, "items": [\n {"type": 1, "name": "x",\n  "login": {"password": [1]}}]}\n' >bad-bw.json
	printf 'Title,Url,Username,Password\nA,u,n,p\nB,u,n,"unclosed\n' >bad-1p.csv
	printf 'url,username,password,extra,name,grouping\nu,n,"p"x,e,N,g\n' >bad-lp.csv
	run -1 --separate-stderr sc import bad.env
	[[ $stderr == *"bad.env: line 2: the double-quoted value is not closed"*"nothing was imported"* ]]
	run -1 --separate-stderr sc import bad.json
	[[ $stderr == *"bad.json: line 3: B: an array is not a secret"* ]]
	run -1 --separate-stderr sc import bad-bw.json
	[[ $stderr == *"bad-bw.json: line 3: \"password\" must be a string"* ]]
	run -1 --separate-stderr sc import bad-1p.csv
	[[ $stderr == *"bad-1p.csv: line 3: a quoted field is not closed"* ]]
	run -1 --separate-stderr sc import bad-lp.csv --from lastpass
	[[ $stderr == *"bad-lp.csv: line 2: text after the closing quote"* ]]
	printf 'A=1\nB=2\nA=3\n' >dup.env
	run -1 --separate-stderr sc import dup.env
	[[ $stderr == *"line 3: A is given twice (first on line 1)"* ]]
	# A value the vault refuses (a notes field with a control character) is named by line.
	printf '{"OK": "fine-value",\n "NOTES": {"value": "v", "notes": "bell\\u0007"}}' >refused.json
	run -1 --separate-stderr sc import refused.json
	[[ $stderr == *"refused.json: line 2: NOTES: notes contain control characters; nothing was imported"* ]]
	state >after
	cmp before after
}

@test "import: conflicts (error by default, skip, overwrite), dry run changes nothing" {
	put A 'stored-value-aaaa'
	printf 'A=new-value-aaaa\nB=new-value-bbbb\n' >in.env
	state >before
	run -1 --separate-stderr sc import in.env
	[[ $stderr == *"A (line 1) exists in the vault; nothing was imported (use --on-conflict skip or overwrite)"* ]]
	run -0 sc import in.env --dry-run --on-conflict overwrite
	[ "${lines[0]}" = "would update A" ]
	[ "${lines[1]}" = "would create B" ]
	[[ ${lines[2]} == "dry run: would import 2 secrets from in.env: 1 created, 1 updated, 0 skipped; nothing was written" ]]
	# A dry run reports the conflict the real import would meet.
	run -1 sc import in.env --dry-run
	state >after
	cmp before after
	run -0 sc import in.env --conflict skip --json
	[ "$(jq -c '[.created, .skipped]' <<<"$output")" = '[["B"],["A"]]' ]
	[ "$(sc get A)" = stored-value-aaaa ]
	run -0 sc import in.env --on-conflict overwrite
	[ "$(sc get A)" = new-value-aaaa ]
	run -1 sc import in.env --on-conflict sometimes
	run -1 sc import in.env --conflict skip --on-conflict overwrite
}

@test "import is one transaction and one audit entry listing the keys" {
	printf 'K1=value-1111\nK2=value-2222\nK3=value-3333\n' >in.env
	n0=$(sc audit list --json | jq length)
	run -0 sc import in.env
	run -0 sc audit list --json
	# import: one entry (it stands for its unlock too); audit list itself records nothing
	[ "$(jq length <<<"$output")" = $((n0 + 1)) ]
	[ "$(jq -r '.[-1].action' <<<"$output")" = secret.import ]
	[ "$(jq -r '.[-1].keys | join(",")' <<<"$output")" = K1,K2,K3 ]
	[ "$(jq -c '.[-1].detail' <<<"$output")" = '{"created":3,"updated":0,"skipped":0}' ]
	run -0 sc audit verify
}

@test "import -k, --tag, stdin, and the file's own safety checks" {
	printf 'AWS_A=value-aaaa\nAWS_B=value-bbbb\nDB=value-dddd\n' >in.env
	run -0 sc import in.env -k 'AWS_*' --tag imported
	[ "$(sc list | tr '\n' ' ')" = "AWS_A AWS_B " ]
	[ "$(sc get AWS_A --json | jq -c .tags)" = '["imported"]' ]
	run -2 --separate-stderr sc import in.env -k 'NOPE*'
	[[ $stderr == *"-k 'NOPE*' matches no key in in.env"* ]]
	run -1 sc import in.env --tag 'bad,tag'
	printf 'FROM_STDIN=value-ssss\n' | sc import - >/dev/null
	[ "$(sc get FROM_STDIN)" = value-ssss ]
	ln -s in.env link.env
	run -5 --separate-stderr sc import link.env
	[[ $stderr == *"symbolic link"* ]]
	run -2 sc import missing.env
	run -1 sc import
	run -1 sc import a b
	run -1 sc import in.env -f yaml
	run -1 sc import in.env -f env --from bitwarden
	run -1 sc import in.env --from keepass
	run -1 --separate-stderr sc import - --password-stdin </dev/null
	[[ $stderr == *"both want standard input"* ]]
}

@test "import --from 1password: the sample export's items, fields and names" {
	run -0 --separate-stderr sc import "$FIX/1password.csv" --dry-run
	[[ $output == *"would create github"* && $output == *"would create github-2"* ]]
	run -0 --separate-stderr sc import "$FIX/1password.csv"
	[[ $output == "imported 5 secrets from"* ]]
	[[ $stderr == *'"Empty Item" holds nothing to store: skipped'* ]]
	[ "$(sc list | tr '\n' ' ')" = "aws_console caf_bank github github-2 home_wi-fi " ]
	[ "$(sc get github --field password)" = 'gh-P@ss,word"quoted' ]
	[ "$(sc get github --show-metadata --json | jq -c '[.url, .tags]')" = '["https://github.com/login",["Work","Dev"]]' ]
	[ "$(sc get aws_console --field notes)" = $'Account ID: 123456789012\nRegion: eu-west-1' ]
	[ "$(sc get aws_console --show-metadata --json | jq -c '[.fields[] | select(.sensitive) | .name]')" = '["password","notes"]' ]
	[ "$(sc get caf_bank --show-metadata --json | jq -c .tags)" = '["Personal","archived"]' ]
}

@test "import --from bitwarden: folders, custom fields, cards, identities, SSH keys, dates" {
	run -0 sc import "$FIX/bitwarden.json"
	[ "$(sc list | tr '\n' ' ')" = "jane_doe personal/finance/visa_card server_notes work/deploy_key work/github work/github-2 " ]
	[ "$(sc get work/github --field api_token)" = ghp_16C7e42F292c6912E7710c838347Ae178B4a ]
	json=$(sc get work/github --show-metadata --json)
	[ "$(jq -r .created_at <<<"$json")" = 2023-11-20T08:00:00Z ]
	[ "$(jq -c '[.fields[] | select(.sensitive) | .name]' <<<"$json")" = '["password","totp","api_token","notes"]' ]
	[ "$(sc get personal/finance/visa_card --field number)" = 4111111111111111 ]
	[ "$(sc get work/deploy_key --field private_key | head -1)" = '-----BEGIN OPENSSH PRIVATE KEY-----' ]
	[ "$(sc get server_notes --field notes)" = $'root password: "s3rv3r-r00t"\nbackup key: AKIAEXAMPLE' ]
	# An encrypted export is refused with what to do.
	printf '{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.x|y", "items": []}' >enc.json
	run -1 --separate-stderr sc import enc.json
	[[ $stderr == *"this Bitwarden export is encrypted"* ]]
}

@test "import --from lastpass: secure notes, nested groups, repeated names" {
	run -0 sc import "$FIX/lastpass.csv" --preserve-case
	[ "$(sc list | tr '\n' ' ')" = "Email/Google Shop Shop-2 Work/Email/Work_Mail Work/Servers/Prod_DB_Server " ]
	[ "$(sc get Work/Servers/Prod_DB_Server --field notes | head -1)" = NoteType:Server ]
	[ "$(sc get Work/Email/Work_Mail --field totp)" = JBSWY3DPEHPK3PXP ]
	[ "$(sc get Shop --field username)" = 'jane, doe' ]
}

@test "import: the formats are detected from the content, whatever the file is called" {
	cp "$FIX/bitwarden.json" export.txt
	cp "$FIX/lastpass.csv" a.env
	run -0 --separate-stderr sc import export.txt --dry-run --json
	[ "$(jq -r .format <<<"$output")" = bitwarden ]
	run -0 --separate-stderr sc import a.env --dry-run --json
	[ "$(jq -r .format <<<"$output")" = lastpass ]
	run -0 --separate-stderr sc import "$FIX/1password.csv" --dry-run --json
	[ "$(jq -r .format <<<"$output")" = 1password ]
}

@test "import shows a progress bar on a terminal, nothing of it otherwise" {
	for i in $(seq 1 300); do echo "K$i=value-$i-abcdefgh"; done >many.env
	run -0 env SECRETCTL_PASSWORD="$PW" script -qec "$BIN import many.env" /dev/null
	[[ $output == *"import ["*"] 100% 300/300"* ]]
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault2"
	init_vault
	run -0 --separate-stderr sc import many.env
	[ -z "$stderr" ]
	[[ $output != *"["* ]]
}

#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# inject: references replaced by values and fields, other braces left alone, a missing secret
# or field or a malformed reference writes nothing, 0600 files, audit entries.

load helpers

setup() {
	e2e_setup
	init_vault
	cd "$BATS_TEST_TMPDIR" || return 1
	put API_KEY 'sk-live-0123456789'
	printf 'line1\nline2 "q" $x' | sc set db/prod --field password --field host=db.internal \
		--sensitive password >/dev/null
	cat >app.tmpl <<'EOF2'
# {{ .Values.keep }} stays as it is
api_key = "{{ secretctl "API_KEY" }}"
db_host = {{secretctl "db/prod" "host"}}
db_pass = {{	secretctl	"db/prod"	"password"	}}
again = {{ secretctl "API_KEY" }}
EOF2
}

@test "inject renders values and fields to stdout; other braces are text" {
	run -0 --separate-stderr sc inject -i app.tmpl
	cat >want <<'EOF2'
# {{ .Values.keep }} stays as it is
api_key = "sk-live-0123456789"
db_host = db.internal
db_pass = line1
line2 "q" $x
again = sk-live-0123456789
EOF2
	diff want <(printf '%s\n' "$output")
	[ -z "$stderr" ]
	# The template may come from stdin.
	run -0 sc inject <app.tmpl
	[[ $output == *'api_key = "sk-live-0123456789"'* ]]
}

@test "inject -o writes a 0600 file whole, never over one without --force" {
	run -0 sc inject -i app.tmpl -o app.conf
	[ "$(file_mode app.conf)" = 600 ]
	grep -q 'db_host = db.internal' app.conf
	echo keep >app.conf
	run -1 --separate-stderr sc inject -i app.tmpl -o app.conf
	[[ $stderr == *"app.conf exists (add --force to replace it)"* ]]
	[ "$(cat app.conf)" = keep ]
	run -0 sc inject -i app.tmpl -o app.conf -f
	grep -q 'again = sk-live-0123456789' app.conf
	[ "$(find . -name '.app.conf.*' | wc -l)" = 0 ]
}

@test "inject: a missing secret or field, or a malformed reference, writes nothing" {
	printf 'ok {{ secretctl "API_KEY" }}\nmissing {{ secretctl "NOPE" }}\n' >missing.tmpl
	run -2 --separate-stderr sc inject -i missing.tmpl -o out.conf
	[[ $stderr == *"missing.tmpl:2:9: no such secret"*"nothing was written"* ]]
	[ ! -e out.conf ]
	[ -z "$output" ]
	printf '{{ secretctl "db/prod" "port" }}\n' >nofield.tmpl
	run -2 --separate-stderr sc inject -i nofield.tmpl
	[[ $stderr == *"db/prod has no field 'port'"* ]]
	[ -z "$output" ]
	printf '{{ secretctl "db/prod" }}\n' >novalue.tmpl
	run -2 --separate-stderr sc inject -i novalue.tmpl
	[[ $stderr == *"db/prod has no value (name one of its fields)"* ]]
	printf 'x\n  {{ secretctl API_KEY }}\n' >bad.tmpl
	run -1 --separate-stderr sc inject -i bad.tmpl -o out.conf
	[[ $stderr == *"bad.tmpl: line 2, column 16: expected a string in double quotes"* ]]
	[ ! -e out.conf ]
	run -2 sc inject -i no-such.tmpl
	run -1 sc inject -i app.tmpl extra
	run -1 --separate-stderr sc inject --password-stdin </dev/null
	[[ $stderr == *"--password-stdin needs the template from -i FILE"* ]]
}

@test "inject is audited with the keys it read; a terminal is warned" {
	sc inject -i app.tmpl >/dev/null
	run -0 sc audit list --json
	[ "$(jq -c '[.[] | select(.action == "secret.inject")][0] | [.keys, .detail]' <<<"$output")" = \
		'[["API_KEY","db/prod"],{"references":4,"to":"stdout"}]' ]
	run -0 env SECRETCTL_PASSWORD="$PW" script -qec "$BIN inject -i app.tmpl -o tty.conf" /dev/null
	[[ $output == *"writing secrets in plaintext to tty.conf"* ]]
}

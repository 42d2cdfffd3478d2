#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# history / rollback / rename / copy: saved versions (never values shown), rollback round trips,
# the keep setting, atomic renames and copies with their audit events.

load helpers

setup() {
	e2e_setup
	init_vault
}

@test "history lists previous versions without values; rollback round trip" {
	put db/pw 'first-value-0001'
	put db/pw 'second-value-00002'
	put db/pw 'third-value-000003'
	run -0 --separate-stderr sc history db/pw
	[[ ${lines[0]} == "VERSION"*"REPLACED"*"BY"*"SIZE" ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[1]} == *" cli "*" 18" ]]
	[[ ${lines[2]} == *" cli "*" 16" ]]
	[[ $output != *value-0* ]]
	json=$(sc history db/pw --json)
	[ "$(jq -r '.versions | length' <<<"$json")" = 2 ]
	[ "$(jq -r .keep <<<"$json")" = 5 ]
	[ "$(jq -c '[.versions[].size]' <<<"$json")" = '[18,16]' ]
	[[ $json != *value-0* ]]
	# The default is the newest saved version.
	run -0 sc rollback db/pw
	[ "$(sc get db/pw)" = second-value-00002 ]
	# An explicit older version; the value just replaced is itself saved.
	first=$(jq -r '.versions[1].version' <<<"$json")
	run -0 sc rollback db/pw --version "$first"
	[ "$output" = "rolled back db/pw to version $first" ]
	[ "$(sc get db/pw)" = first-value-0001 ]
	prev=$(sc history db/pw --json | jq -r '.versions[0].version')
	sc rollback db/pw --version "$prev" >/dev/null
	[ "$(sc get db/pw)" = second-value-00002 ]
	run -0 sc audit verify
	[ "$(sc audit list --json | jq '[.[] | select(.action == "secret.rollback")] | length')" = 3 ]
}

@test "rollback restores the fields and metadata the version had" {
	sc set app/db --notes 'old notes' --field user=alice --field pass=pw-one-1234567890 </dev/null
	sc set app/db --notes 'new notes' --field user=bob --field pass=pw-two-1234567890 </dev/null
	sc rollback app/db >/dev/null
	json=$(sc get app/db --json --show-metadata)
	[ "$(jq -r .notes <<<"$json")" = 'old notes' ]
	[ "$(sc get app/db --field user)" = alice ]
}

@test "rollback and history errors: unknown key, unknown version, nothing saved" {
	run -2 --separate-stderr sc history nope
	[[ $stderr == *"no secret named 'nope'"* ]]
	put one 'only-value-123456'
	run -2 --separate-stderr sc rollback one
	[[ $stderr == *"one has no saved version to roll back to"* ]]
	put one 'other-value-12345'
	run -2 --separate-stderr sc rollback one --version 999999
	[[ $stderr == *"no saved version 999999"* ]]
	[ "$(sc get one)" = other-value-12345 ]
	run -1 --separate-stderr sc rollback one --version zero
	run -1 --separate-stderr sc history
	run -1 --separate-stderr sc history one --keep 3
}

@test "history --keep bounds the saved versions, 0 keeps none; delete forgets them" {
	for i in 1 2 3 4 5 6 7 8; do put k "value-number-$i-abcdef"; done
	[ "$(sc history k --json | jq '.versions | length')" = 5 ]
	run -0 sc history --keep 2
	[ "$(sc history k --json | jq '.versions | length')" = 2 ]
	[ "$(sc history k --json | jq -r .keep)" = 2 ]
	put k 'value-number-9-abcdef'
	[ "$(sc history k --json | jq '.versions | length')" = 2 ]
	sc history --keep 0 >/dev/null
	[ "$(sc history k --json | jq '.versions | length')" = 0 ]
	sc history --keep 5 >/dev/null
	put k 'value-number-10-abcdef'
	sc delete k --yes >/dev/null
	put k 'value-number-11-abcdef'
	[ "$(sc history k --json | jq '.versions | length')" = 0 ]
	# The saved values are gone from the file too, not only from the listing.
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM history')" = 0 ]
	run -1 sc history --keep 101
}

@test "saved versions are encrypted and authenticated" {
	put s 'plain-marker-value-A'
	put s 'plain-marker-value-B'
	! grep -a -q plain-marker "$DB"
	cp "$DB" "$BATS_TEST_TMPDIR/orig.db"
	sqlite3 "$DB" "UPDATE history SET info = zeroblob(length(info))"
	run -4 --separate-stderr sc history s
	[[ $stderr == *"does not authenticate"* ]]
	# A saved value altered, or one moved to another secret, is refused and nothing changes.
	cp "$BATS_TEST_TMPDIR/orig.db" "$DB"
	sqlite3 "$DB" "UPDATE history SET value = zeroblob(length(value))"
	run -4 --separate-stderr sc rollback s
	[[ $stderr == *"does not authenticate"* ]]
	[ "$(sc get s)" = plain-marker-value-B ]
	cp "$BATS_TEST_TMPDIR/orig.db" "$DB"
	put t 'other-secret-value-1'
	sqlite3 "$DB" "UPDATE history SET id = (SELECT id FROM secrets WHERE id != history.id LIMIT 1)"
	run -4 --separate-stderr sc rollback t
	[ "$(sc get t)" = other-secret-value-1 ]
}

@test "rename moves a secret atomically and audits it; copy keeps the source" {
	put old/name 'rename-value-123456' --notes 'n1' --tags a,b
	run -0 sc rename old/name new/name
	[ "$output" = "renamed old/name to new/name" ]
	[ "$(sc get new/name)" = rename-value-123456 ]
	[ "$(sc get new/name --json --show-metadata | jq -c '[.notes,.tags]')" = '["n1",["a","b"]]' ]
	run -2 sc get old/name
	run -0 sc copy new/name copy/name
	[ "$(sc get copy/name)" = rename-value-123456 ]
	[ "$(sc get new/name)" = rename-value-123456 ]
	run -0 sc list
	[ "$output" = $'copy/name\nnew/name' ]
	run -0 sc audit verify
	json=$(sc audit list --json)
	[ "$(jq -r '.[] | select(.action == "secret.rename") | .keys | join(",")' <<<"$json")" = old/name,new/name ]
	[ "$(jq -r '.[] | select(.action == "secret.copy") | .keys | join(",")' <<<"$json")" = new/name,copy/name ]
}

@test "rename carries the saved versions (re-encrypted for the new name); copy starts none" {
	put old/pw 'carry-value-one-0001'
	put old/pw 'carry-value-two-00002'
	put old/pw 'carry-value-three-000003'
	before=$(sc history old/pw --json | jq -c '[.versions[] | [.version, .size, .source]]')
	[ "$(jq length <<<"$before")" = 2 ]
	run -0 sc rename old/pw new/pw
	# Same versions, sizes and sources under the new name; the old name has none left.
	[ "$(sc history new/pw --json | jq -c '[.versions[] | [.version, .size, .source]]')" = "$before" ]
	run -2 sc history old/pw
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM history')" = 2 ]
	# They are bound to the new name: rollback works there.
	run -0 sc rollback new/pw
	[ "$(sc get new/pw)" = carry-value-two-00002 ]
	first=$(jq -r '.[1][0]' <<<"$before")
	run -0 sc rollback new/pw --version "$first"
	[ "$(sc get new/pw)" = carry-value-one-0001 ]
	# A second rename carries them again; a copy starts with none.
	sc rename new/pw third/pw >/dev/null
	[ "$(sc history third/pw --json | jq '.versions | length')" = 4 ]
	sc copy third/pw copied/pw >/dev/null
	[ "$(sc history copied/pw --json | jq '.versions | length')" = 0 ]
	! grep -a -q carry-value "$DB"
	run -0 sc audit verify
	# A saved version that does not authenticate stops the rename: nothing changes.
	sqlite3 "$DB" "UPDATE history SET value = zeroblob(length(value)) WHERE n = (SELECT min(n) FROM history)"
	run -4 --separate-stderr sc rename third/pw fourth/pw
	[[ $stderr == *"does not authenticate"* ]]
	[ "$(sc get third/pw)" = carry-value-one-0001 ]
	run -2 sc get fourth/pw
}

@test "rename and copy refuse an existing target, a missing source, bad names" {
	put a 'value-a-1234567890'
	put b 'value-b-1234567890'
	run -1 --separate-stderr sc rename a b
	[[ $stderr == *"a secret named 'b' already exists"* ]]
	[ "$(sc get a)" = value-a-1234567890 ]
	[ "$(sc get b)" = value-b-1234567890 ]
	run -1 --separate-stderr sc copy a b
	[ "$(sc get b)" = value-b-1234567890 ]
	run -2 --separate-stderr sc rename missing c
	[[ $stderr == *"no secret named 'missing'"* ]]
	run -1 --separate-stderr sc rename a 'bad name'
	run -1 --separate-stderr sc rename a a
	run -1 --separate-stderr sc rename a
	run -1 --separate-stderr sc copy a b c
	# Failed attempts are audited too.
	[ "$(sc audit list --json | jq '[.[] | select(.action == "secret.rename" and .success == false)] | length')" = 2 ]
}

@test "rename leaves a vault that unlocks and verifies (manifest updated)" {
	for i in 1 2 3; do put "k$i" "value-$i-1234567890"; done
	sc rename k2 k9 >/dev/null
	sc copy k1 k8 >/dev/null
	run -0 sc list
	[ "$output" = $'k1\nk3\nk8\nk9' ]
	run -0 sc audit verify
}

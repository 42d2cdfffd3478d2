#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# folder create/list/info/rename/move/delete, set --folder, list --folder: the tree, the errors,
# nothing lost (secrets survive their folder), encryption and audit.

load helpers

setup() {
	e2e_setup
	init_vault
}

@test "folder create (top, --parent, icon, colour, --json) and list" {
	run -0 sc folder create work --icon '🔑' --color '#FF8800'
	[ "$output" = "created folder work" ]
	run -0 sc folder create aws --parent work --json
	[ "$(jq -r .path <<<"$output")" = work/aws ]
	[ "$(jq -r .name <<<"$output")" = aws ]
	parent=$(jq -r .parent_id <<<"$output")
	run -0 sc folder create personal
	run -0 --separate-stderr sc folder list
	[ "${lines[0]}" = "PATH      SECRETS  FOLDERS  COLOR    ICON" ]
	[[ ${lines[1]} == "personal "* ]]
	[[ ${lines[2]} == "work "*"1  #FF8800  🔑" ]]
	[[ ${lines[3]} == "work/aws "* ]]
	json=$(sc folder list --json)
	[ "$(jq -c '[.[].path]' <<<"$json")" = '["personal","work","work/aws"]' ]
	[ "$(jq -r '.[] | select(.path == "work") | .id' <<<"$json")" = "$parent" ]
	[ "$(jq -r '.[] | select(.path == "work") | [.icon, .color, .folder_count] | join(" ")' <<<"$json")" = '🔑 #FF8800 1' ]
	[ "$(sc folder list work --json | jq -c '[.[].path]')" = '["work/aws"]' ]
	run -0 sc folder list personal
	[ -z "$output" ]
}

@test "folder create refuses bad names, colours, icons, duplicates and a missing parent" {
	sc folder create work >/dev/null
	run -1 --separate-stderr sc folder create work
	[[ $stderr == *"a folder named work already exists"* ]]
	run -1 --separate-stderr sc folder create 'a/b'
	[[ $stderr == *"invalid character"* ]]
	run -1 sc folder create ..
	run -1 sc folder create ' lead'
	run -1 --separate-stderr sc folder create x --color red
	[[ $stderr == *"#RRGGBB"* ]]
	run -1 sc folder create x --color '#12345G'
	run -1 sc folder create x --icon "$(printf 'a\tb')"
	run -2 --separate-stderr sc folder create x --parent nope
	[[ $stderr == *"no folder named nope"* ]]
	run -1 sc folder create
	[ "$(sc folder list --json | jq length)" = 1 ]
}

@test "set --folder files a secret; list --folder and folder info show it; '' takes it out" {
	sc folder create work >/dev/null
	sc folder create aws --parent work >/dev/null
	put aws/key 'folder-value-1234567' --folder work/aws
	put other 'folder-value-7654321'
	run -0 sc list --folder work/aws
	[ "$output" = aws/key ]
	run -0 sc list --folder work
	[ -z "$output" ]
	run -0 sc folder info work/aws
	[[ $output == *"secrets:   1"* ]]
	[[ ${lines[-1]} == "  aws/key" ]]
	[ "$(sc folder info work/aws --json | jq -c .secrets)" = '["aws/key"]' ]
	[ "$(sc folder info work/aws --json | jq .folder.secret_count)" = 1 ]
	# A missing folder: nothing stored.
	run -2 --separate-stderr sc set new/key --folder nope < <(printf 'never-stored-value-1')
	[[ $stderr == *"no folder named nope"* ]]
	run -2 sc get new/key
	put aws/key 'folder-value-1234567' --folder ''
	run -0 sc list --folder work/aws
	[ -z "$output" ]
	run -2 --separate-stderr sc list --folder nope
	run -1 sc list --folder 'bad*path'
}

@test "edit --folder moves a secret without its value; atomic with other edits; audited" {
	sc folder create work >/dev/null
	sc folder create ops >/dev/null
	put db/url 'folder-edit-value-12345' --folder work
	run -0 sc edit db/url --folder ops
	[ "$output" = "edited db/url: folder" ]
	[ "$(sc list --folder ops)" = db/url ]
	[ -z "$(sc list --folder work)" ]
	# The value is untouched and no new version was made for a move alone.
	[ "$(sc get db/url)" = folder-edit-value-12345 ]
	[ "$(sc history db/url --json | jq ".versions | length")" = 0 ]
	# Already there: nothing changes.
	run -0 sc edit db/url --folder ops
	[ "$output" = "unchanged db/url (it already had these settings)" ]
	# With another change, in the same transaction and audit entry.
	run -0 sc edit db/url --folder '' --notes 'moved out'
	[ "$output" = "edited db/url: notes, folder" ]
	[ -z "$(sc list --folder ops)" ]
	entry=$(sc audit list --json | jq -c '[.[] | select(.action == "secret.edit")] | last')
	[ "$(jq -c .detail.changed <<<"$entry")" = '["notes","folder"]' ]
	[ "$(jq -r .detail.folder <<<"$entry")" = "" ]
	# A missing folder: nothing changes, not even the other options.
	run -2 --separate-stderr sc edit db/url --folder nope --notes 'never stored'
	[[ $stderr == *"no folder named nope"* ]]
	[ "$(sc get db/url --show-metadata --json | jq -r .notes)" = 'moved out' ]
	run -1 --separate-stderr sc edit db/url --folder 'bad*path'
	[[ $stderr == *"invalid --folder"* ]]
	run -2 sc edit no/such --folder work
	run -0 sc audit verify
}

@test "folder rename and move keep what is inside; no cycles, no clashes" {
	sc folder create work >/dev/null
	sc folder create aws --parent work >/dev/null
	sc folder create aws >/dev/null
	put k 'inside-value-1234567' --folder work/aws
	run -1 --separate-stderr sc folder move work/aws /
	[[ $stderr == *"already exists"* ]]
	run -0 sc folder rename work/aws cloud
	[ "$output" = "renamed folder work/aws to cloud" ]
	[ "$(sc list --folder work/cloud)" = k ]
	run -1 --separate-stderr sc folder move work work/cloud
	[[ $stderr == *"into itself"* ]]
	run -1 sc folder move work work
	run -0 sc folder move work aws
	[ "$output" = "moved folder work to aws" ]
	[ "$(sc folder list --json | jq -c '[.[].path]')" = '["aws","aws/work","aws/work/cloud"]' ]
	[ "$(sc list --folder aws/work/cloud)" = k ]
	run -0 sc folder move aws/work /
	[ "$(sc folder list --json | jq -c '[.[].path]')" = '["aws","work","work/cloud"]' ]
	sc folder move work aws >/dev/null
	run -0 sc folder move aws/work ''
	[ "$output" = "moved folder aws/work to the top" ]
	run -2 sc folder rename nope x
	run -1 sc folder rename work 'a/b'
	run -0 sc audit verify
}

@test "folders nest at most 8 levels" {
	p=''
	for i in 1 2 3 4 5 6 7 8; do
		sc folder create "l$i" ${p:+--parent "$p"} >/dev/null
		p=${p:+$p/}l$i
	done
	run -1 --separate-stderr sc folder create l9 --parent "$p"
	sc folder create top >/dev/null
	sc folder create a --parent top >/dev/null
	run -1 --separate-stderr sc folder move top "l1/l2/l3/l4/l5/l6/l7"
	[[ $stderr == *"at most 8 levels"* ]]
}

@test "folder delete: empty at once; not empty only with -f, and the secrets are kept" {
	sc folder create empty >/dev/null
	run -0 sc folder delete empty
	[ "$output" = "deleted folder empty" ]
	sc folder create work >/dev/null
	sc folder create sub --parent work >/dev/null
	put a 'kept-value-a-12345678' --folder work
	put b 'kept-value-b-12345678' --folder work/sub
	run -1 --separate-stderr sc folder delete work
	[[ $stderr == *"holds 1 secret(s) and 1 folder(s)"* ]]
	run -0 sc folder delete work -f
	[ "$output" = "deleted folder work (2 secrets kept, now in no folder)" ]
	[ "$(sc folder list --json)" = '[]' ]
	[ "$(sc get a)" = kept-value-a-12345678 ]
	[ "$(sc get b)" = kept-value-b-12345678 ]
	run -2 sc folder delete work
	[ "$(sc audit list --json | jq -c '[.[] | select(.action == "folder.delete") | .success]')" = '[true,false,true,false]' ]
}

@test "rename, copy and delete of a secret carry or drop its folder" {
	sc folder create f >/dev/null
	put x 'carry-value-12345678' --folder f
	sc rename x y >/dev/null
	sc copy y z >/dev/null
	[ "$(sc list --folder f | tr '\n' ' ')" = 'y z ' ]
	sc delete y --yes >/dev/null
	[ "$(sc list --folder f)" = z ]
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM folder_items')" = 1 ]
}

@test "folder names are encrypted and authenticated" {
	sc folder create 'PlainFolderMarker' --icon 'IconMarker' >/dev/null
	! grep -a -q -e PlainFolderMarker -e IconMarker "$DB"
	sqlite3 "$DB" "UPDATE folders SET data = zeroblob(length(data))"
	run -4 --separate-stderr sc folder list
	[[ $stderr == *"does not authenticate"* ]]
}

@test "folder --help, subcommand help, usage errors" {
	run -0 sc_nopw folder --help
	for s in create list info rename move delete; do [[ $output == *"  $s "* ]]; done
	for s in create list info rename move delete; do
		run -0 sc_nopw folder "$s" --help
		[[ $output == "usage: secretctl folder $s"* ]]
	done
	run -1 sc_nopw folder frobnicate
	run -1 sc_nopw folder info
	run -1 sc_nopw folder rename a
	run -1 sc_nopw folder move a b c
}

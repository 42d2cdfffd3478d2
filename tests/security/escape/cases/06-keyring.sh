# SPDX-License-Identifier: Apache-2.0
# Kernel keyrings (the user's and the session keyring) are out of reach.
# about: sandbox
# expect: exit=0
# expect-out: denied keyctl read @u
$4/probe keyctl || exit 1

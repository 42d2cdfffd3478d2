# SPDX-License-Identifier: Apache-2.0
# Signals cannot reach the supervisor (another pid namespace) and kill -1 only reaches the sandbox.
# about: sandbox
# expect: exit=0
# expect-out: denied kill supervisor
$4/probe kill "$1" || exit 1

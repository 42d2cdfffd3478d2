# SPDX-License-Identifier: Apache-2.0
# A memory bomb is stopped by the address-space limit.
# args: --limit as=256M -t 10s
# expect: exit=0
# expect-out: denied memory bomb
$4/probe membomb

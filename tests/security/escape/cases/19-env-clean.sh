# SPDX-License-Identifier: Apache-2.0
# Loader/shell start-up variables and the master password never reach the command, while the
# injected secret does (and is redacted when printed).
# expect: exit=0
# expect-out: \[REDACTED:SCTL_SECRET\]
env | grep -E '^(LD_|BASH_ENV|NODE_OPTIONS|SECRETCTL_PASSWORD|ESC_BIN)' && { echo "ESCAPED env leaked"; exit 1; }
echo "secret is $SCTL_SECRET"

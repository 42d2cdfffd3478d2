# SPDX-License-Identifier: Apache-2.0
# A crash with the secret in memory leaves no core file (hard RLIMIT_CORE 0 cannot be raised).
# expect: exit=0
# expect-out: no-core
# after: ! ls "$UDIR"/core* "$UDIR"/tmp/core* 2>/dev/null | grep -q .
cd "$3" || exit 1
SCTL_SECRET=$(cat /proc/self/environ 2>/dev/null | tr '\0' '\n' | sed -n 's/^SCTL_SECRET=//p') \
	"$4/probe" coredump
ls core* 2>/dev/null && { echo "ESCAPED core file written"; exit 1; }
echo no-core

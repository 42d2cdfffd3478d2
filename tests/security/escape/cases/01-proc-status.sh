# SPDX-License-Identifier: Apache-2.0
# The command runs with no capabilities, no_new_privs and a seccomp filter.
# about: sandbox
# expect: exit=0
# expect-out: all-protections-present
s=$(cat /proc/self/status)
echo "$s" | grep -qE '^CapEff:\s+0+$' || { echo "ESCAPED CapEff non-zero"; exit 1; }
echo "$s" | grep -qE '^CapPrm:\s+0+$' || { echo "ESCAPED CapPrm non-zero"; exit 1; }
echo "$s" | grep -qE '^CapBnd:\s+0+$' || { echo "ESCAPED CapBnd non-zero"; exit 1; }
echo "$s" | grep -qE '^CapAmb:\s+0+$' || { echo "ESCAPED CapAmb non-zero"; exit 1; }
echo "$s" | grep -qE '^NoNewPrivs:\s+1$' || { echo "ESCAPED NoNewPrivs not set"; exit 1; }
echo "$s" | grep -qE '^Seccomp:\s+2$' || { echo "ESCAPED Seccomp not in filter mode"; exit 1; }
[ "$(ulimit -H -c)" = 0 ] || { echo "ESCAPED core hard limit $(ulimit -H -c)"; exit 1; }
echo all-protections-present

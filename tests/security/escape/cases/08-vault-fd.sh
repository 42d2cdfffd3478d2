# SPDX-License-Identifier: Apache-2.0
# The caller had the vault file open on fd 7: only 0, 1 and 2 reach the command.
# expect: exit=0
# expect-out: only-stdio
if (cat <&7) 2>/dev/null; then echo "ESCAPED read inherited fd 7"; exit 1; fi
# ls itself holds one directory fd (3) while listing.
fds=$(ls /proc/self/fd | tr '\n' ' ')
[ "$fds" = "0 1 2 3 " ] || { echo "ESCAPED extra fds: $fds"; exit 1; }
echo only-stdio

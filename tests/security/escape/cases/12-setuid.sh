# SPDX-License-Identifier: Apache-2.0
# setuid binaries gain nothing under no_new_privs and an empty bounding set.
# about: sandbox
# expect: exit=0
# expect-out: setuid-nothing
if mount -t tmpfs sctl /mnt 2>/dev/null; then echo "ESCAPED setuid mount worked"; exit 1; fi
if su -c true root </dev/null >/dev/null 2>&1; then echo "ESCAPED su worked"; exit 1; fi
echo setuid-nothing

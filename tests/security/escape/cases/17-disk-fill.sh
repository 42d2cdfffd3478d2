# SPDX-License-Identifier: Apache-2.0
# Filling the disk stops at the file-size limit (SIGXFSZ / EFBIG).
# args: --limit fsize=8M
# expect: exit=0
# expect-out: disk-capped
dd if=/dev/zero of="$3/fill" bs=1M count=64 2>/dev/null
size=$(stat -c %s "$3/fill")
rm -f "$3/fill"
[ "$size" -le $((8 * 1024 * 1024)) ] || { echo "ESCAPED wrote $size bytes"; exit 1; }
echo "disk-capped at $size"

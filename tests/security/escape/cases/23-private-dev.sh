# SPDX-License-Identifier: Apache-2.0
# /dev is the sandbox's own: the harmless character devices work, no disk, memory or other
# device is there to open (uid 0 could read a disk under every hidden path), /dev/shm is private,
# and terminals, the command's own in PTY mode included, come from the sandbox's own devpts.
# about: sandbox
# expect: exit=0
# expect-out: private dev ok
# after: [ ! -e /dev/shm/sctl-escape-shm-probe ]
set -u
for d in null zero full random urandom tty; do
	[ -c "/dev/$d" ] || { echo "missing /dev/$d"; exit 1; }
done
echo probe >/dev/null && head -c 1 /dev/zero >/dev/null && head -c 8 /dev/urandom >/dev/null ||
	{ echo "device nodes unusable"; exit 1; }
blk=$(find /dev -xdev -type b 2>/dev/null | head -3)
[ -z "$blk" ] || { echo "ESCAPED block devices visible: $blk"; exit 1; }
for d in /dev/mem /dev/kmem /dev/port /dev/sda /dev/vda /dev/nvme0n1 /dev/kmsg /dev/console; do
	[ ! -e "$d" ] || { echo "ESCAPED $d present"; exit 1; }
done
echo x >/dev/shm/sctl-escape-shm-probe || { echo "/dev/shm not writable"; exit 1; }
# The sandbox's own devpts lists no terminal but the ones made inside: none in pipe mode, the
# command's own (/dev/pts/0) in PTY mode.
n=$(ls /dev/pts | grep -c '^[0-9]')
if [ -t 0 ]; then
	[ "$(tty)" = /dev/pts/0 ] || { echo "PTY mode: tty says $(tty)"; exit 1; }
	[ "$n" -eq 1 ] || { echo "ESCAPED other terminals visible in /dev/pts: $(ls /dev/pts | tr '\n' ' ')"; exit 1; }
else
	[ "$n" -eq 0 ] || { echo "ESCAPED host terminals visible in /dev/pts: $(ls /dev/pts | tr '\n' ' ')"; exit 1; }
fi
echo "private dev ok"

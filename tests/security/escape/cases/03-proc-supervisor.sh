# SPDX-License-Identifier: Apache-2.0
# The supervisor is invisible in the sandbox's /proc: not its environ, not its memory, and the
# init (pid 1) shows neither.
# about: sandbox
# expect: exit=0
# expect-out: supervisor-invisible
sup=$1
[ -e "/proc/$sup" ] && [ "$sup" != 1 ] && [ "$sup" != 2 ] && { echo "ESCAPED /proc/$sup exists"; }
for f in environ mem cmdline maps; do
	if cat "/proc/$sup/$f" >/dev/null 2>&1 && [ "$sup" -gt 3 ]; then echo "ESCAPED read /proc/$sup/$f"; fi
	if head -c 64 "/proc/1/$f" >/dev/null 2>&1 && [ "$f" != cmdline ] && [ "$f" != maps ]; then
		echo "ESCAPED read /proc/1/$f"
	fi
done
n=$(ls /proc | grep -c '^[0-9]')
[ "$n" -le 6 ] || echo "ESCAPED /proc shows $n processes"
echo supervisor-invisible

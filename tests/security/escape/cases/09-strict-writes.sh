# SPDX-License-Identifier: Apache-2.0
# strict: the filesystem is read-only except the working directory; /tmp is private.
# args: --sandbox strict
# about: sandbox
# expect: exit=0
# cleanup: rm -f /tmp/sctl-escape-private /etc/sctl-escape /usr/sctl-escape /var/lib/sctl-escape /opt/sctl-escape
# expect-out: strict-ok
# after: test -e "$UDIR/cwd-file" && test ! -e /tmp/sctl-escape-private && test ! -e /etc/sctl-escape
for f in /etc/sctl-escape /usr/sctl-escape /var/lib/sctl-escape /opt/sctl-escape; do
	if (echo x >"$f") 2>/dev/null; then echo "ESCAPED wrote $f"; rm -f "$f"; fi
done
echo x >/tmp/sctl-escape-private || { echo "private /tmp not writable"; exit 1; }
echo x >./cwd-file || { echo "cwd not writable"; exit 1; }
echo strict-ok

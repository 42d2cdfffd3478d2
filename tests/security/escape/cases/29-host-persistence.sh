# SPDX-License-Identifier: Apache-2.0
# Nothing written outside the working directory, a private /tmp and --writable paths survives
# the run (default profile): code that would run on the host later, outside any sandbox.
# As root: /etc/cron.d and /etc are read-only. As any user: ~/.bashrc, ~/.ssh/authorized_keys,
# ~/.config/systemd/user/ and another repository's git hook may be written (tools write their
# caches under $HOME) but land in a throwaway layer; the host-side check finds none of them.
# about: sandbox
# expect: exit=0
# cleanup: rm -f /etc/cron.d/sctl-escape-persist /etc/sctl-escape-persist
# expect-out: persistence-attempts-done
# after: ! grep -qs ESCAPE-PERSIST "$UDIR.home/.bashrc" "$UDIR.home/.ssh/authorized_keys" && test ! -e "$UDIR.home/.config/systemd/user/escape.service" && test ! -e "$UDIR.home/other-repo/.git/hooks/pre-commit" && test ! -e /etc/cron.d/sctl-escape-persist && test ! -e /etc/sctl-escape-persist && test -e "$UDIR/tmp/kept"
echo "echo ESCAPE-PERSIST" >>"$HOME/.bashrc"
echo "ssh-ed25519 AAAA ESCAPE-PERSIST" >>"$HOME/.ssh/authorized_keys"
mkdir -p "$HOME/.config/systemd/user" && echo "[Service]" >"$HOME/.config/systemd/user/escape.service"
mkdir -p "$HOME/other-repo/.git/hooks" && echo "#!/bin/sh" >"$HOME/other-repo/.git/hooks/pre-commit"
(echo "# ESCAPE-PERSIST" >/etc/cron.d/sctl-escape-persist) 2>/dev/null && echo "ESCAPED wrote /etc/cron.d"
(echo x >/etc/sctl-escape-persist) 2>/dev/null && echo "ESCAPED wrote /etc"
# The working directory is the command's to keep.
echo kept >"$3/kept"
echo persistence-attempts-done

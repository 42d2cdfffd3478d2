# SPDX-License-Identifier: Apache-2.0
# A double-forked, setsid'd daemon must not outlive the run: it would write a marker later.
# about: sandbox
# expect: exit=0
# max-seconds: 5
# after: sleep 2.5; test ! -e "$UDIR/tmp/daemon-alive"
setsid sh -c "(sleep 2; echo alive > '$3/daemon-alive') &" </dev/null >/dev/null 2>&1 &
sleep 0.2
echo parent-exits

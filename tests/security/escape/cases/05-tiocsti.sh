# SPDX-License-Identifier: Apache-2.0
# TIOCSTI (push input into the terminal), also with a high bit set in the request.
# about: sandbox
# modes: pty
# expect: exit=0
# expect-out: denied TIOCSTI on fd 0
$4/probe tiocsti || exit 1
$4/probe tiocsti_hi || exit 1

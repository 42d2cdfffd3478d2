# SPDX-License-Identifier: Apache-2.0
# A process that never stops printing is still killed at the timeout.
# args: -t 1s
# expect: exit=124
# modes: pipe
# max-seconds: 6
exec yes sctl-flood

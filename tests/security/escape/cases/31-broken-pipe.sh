# SPDX-License-Identifier: Apache-2.0
# A reader that leaves (`| head -1`) ends the command as in a pipeline: its next write meets
# SIGPIPE and secretctl exits as env(1) would (141), quickly, without an error of its own.
# modes: pipe
# reader: head
# expect: exit=141
# max-seconds: 5
while :; do echo line; done

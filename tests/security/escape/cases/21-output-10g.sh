# SPDX-License-Identifier: Apache-2.0
# 10 GiB of output: the supervisor's peak RSS (VmHWM, sampled on the host while this runs)
# stays flat (< 64 MiB).
# expect: exit=0
# modes: pipe
# output: discard
# sample-hwm: yes
# max-seconds: 120
# after: h=$(cat "$UDIR/hwm" 2>/dev/null || echo 0); echo "VmHWM ${h} kB"; test "$h" -gt 0 && test "$h" -lt 65536
head -c 10737418240 /dev/zero

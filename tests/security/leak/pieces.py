#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Write FILE to stdout in pieces with a pause between them: `pieces.py FILE PAUSE K` writes two
# pieces split at byte K; `pieces.py FILE PAUSE` writes one byte at a time.
import os
import sys
import time

data = open(sys.argv[1], "rb").read()
pause = float(sys.argv[2])
cuts = [int(sys.argv[3])] if len(sys.argv) > 3 else range(1, len(data))
start = 0
for cut in list(cuts) + [len(data)]:
    if start:
        time.sleep(pause)
    os.write(1, data[start:cut])
    start = cut

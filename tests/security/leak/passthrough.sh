#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The redactor that redacts nothing, for the leak suite's self-check (LEAK_PASSTHROUGH=1):
# `redact` copies its input, `run` and `exec` run with --no-sanitize, everything else is the
# real binary ($LEAK_REAL_BIN). Against it every leak case must fail.
real=${LEAK_REAL_BIN:?LEAK_REAL_BIN is not set}
case ${1-} in
redact) exec cat ;;
run | exec)
	cmd=$1
	shift
	exec "$real" "$cmd" --no-sanitize "$@" ;;
*) exec "$real" "$@" ;;
esac

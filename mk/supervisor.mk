# SPDX-License-Identifier: Apache-2.0
# Supervisor extras. `make check-unpriv` (as root): the supervisor unit tests and the run/exec
# end-to-end tests again as the unprivileged user sctltest, created when missing. The escape
# suite runs its root and unprivileged passes by itself under `make check`.
.PHONY: check-unpriv
check-unpriv: all tests
	.ci/run unpriv $(BUILD)

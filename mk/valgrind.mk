# SPDX-License-Identifier: Apache-2.0
# `make check-valgrind`: every unit test binary under valgrind memcheck, one line per binary
# (clean or not) and the usual last line "N passed, N failed" counting binaries.
#  - CK_FORK=no: in Check's fork mode every test runs in a child that exits without freeing
#    the suite, so leak reports would be noise (and valgrind would only see the parent).
#  - Definite leaks and memory errors fail a binary (exit 99); "possibly lost" is reported in
#    the log only. tests/valgrind.supp holds the documented third-party suppressions.
#  - A binary whose tests valgrind cannot emulate (sandboxes: new namespaces, seccomp filters,
#    which valgrind's own syscalls would trip over) is reported as skipped with valgrind's
#    reason, never silently passed. VALGRIND_SKIP names more binaries to skip (paths under the
#    build dir, make patterns allowed: tests/unit/supervisor/%), with VALGRIND_SKIP_REASON.
# Uses the normal (release) build: ASan and valgrind cannot be combined.
VALGRIND         ?= valgrind
VALGRIND_TIMEOUT ?= 900
VALGRIND_SKIP    ?=
VALGRIND_SKIP_REASON ?= listed in VALGRIND_SKIP
VALGRIND_SKIP_BINS = $(filter $(addprefix $(BUILD)/,$(VALGRIND_SKIP)),$(UNIT_TESTS))
VALGRIND_FLAGS := --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--num-callers=30 --suppressions=tests/valgrind.supp

# Messages with which valgrind says it cannot run what the program asked for.
# (valgrind 3.19 does not implement seccomp(2), syscall 317, so a sandbox cannot be set up.)
VALGRIND_UNSUPPORTED := Unsupported clone\(\) flags|unhandled [a-z0-9-]+ syscall|\
	terminating with default action of signal 31 \(SIGSYS\)

# First lines of the reports worth showing inline for a binary that is not clean.
VALGRIND_REPORTS := definitely lost in|Invalid (read|write)|uninitialised|Mismatched free|Invalid free

.PHONY: check-valgrind
check-valgrind: deps ## unit tests and the CLI under valgrind
	@scripts/deps.sh valgrind
	@if [ "$(VARIANT)" = asan ]; then \
		echo "check-valgrind: use the normal build, not VARIANT=asan"; exit 2; fi
	$(MAKE) --no-print-directory all tests
	$(Q)logdir=$$(mktemp -d /tmp/secretctl-valgrind.XXXXXX); passed=0; failed=0; skipped=0; \
	for t in $(sort $(UNIT_TESTS)); do \
		name=$${t#$(BUILD)/}; log=$$logdir/$$(echo "$$name" | tr / _); \
		case " $(VALGRIND_SKIP_BINS) " in *" $$t "*) \
			echo "$$name: skipped ($(VALGRIND_SKIP_REASON))"; \
			skipped=$$((skipped + 1)); continue;; \
		esac; \
		CK_FORK=no nice timeout -k 10 $(VALGRIND_TIMEOUT) $(VALGRIND) $(VALGRIND_FLAGS) \
			--log-file="$$log.vg" "$$t" >"$$log.out" 2>&1; rc=$$?; \
		checks=$$(grep -E '^[0-9]+%: Checks: ' "$$log.out" | tail -1); \
		why=$$(grep -m1 -E '$(VALGRIND_UNSUPPORTED)' "$$log.vg" | sed 's/^[=-]*[0-9]*[=-]* *//'); \
		errs=$$(grep -E 'ERROR SUMMARY: [0-9]+ errors' "$$log.vg" | tail -1 | \
			sed 's/^==[0-9]*== *//'); \
		if [ -n "$$why" ]; then \
			echo "$$name: skipped (valgrind cannot run its sandbox: $$why;" \
				"its tests run in make check and check-asan)"; \
			skipped=$$((skipped + 1)); \
		elif [ $$rc -eq 0 ] && [ -n "$$checks" ]; then \
			echo "$$name: clean ($$checks; $$errs)"; passed=$$((passed + 1)); \
		else \
			case $$rc in \
			99) what="valgrind found errors";; \
			124) what="timed out after $(VALGRIND_TIMEOUT)s";; \
			*) what="exit $$rc";; \
			esac; \
			echo "$$name: NOT clean ($$what; $${checks:-no Check summary};" \
				"$${errs:-no valgrind summary}), see $$log.vg"; \
			grep -E -A12 "$(VALGRIND_REPORTS)" "$$log.vg" | head -40 | sed 's/^/    /'; \
			failed=$$((failed + 1)); \
		fi; \
	done; \
	[ $$skipped -eq 0 ] || echo "check-valgrind: $$skipped binaries skipped (see above)"; \
	echo "logs in $$logdir"; \
	echo "$$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

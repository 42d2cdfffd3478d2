# SPDX-License-Identifier: Apache-2.0
# Supervisor extras. `make check-unpriv` (as root): the supervisor unit tests and the run/exec
# end-to-end tests again as the unprivileged user sctltest, created when missing. The escape
# suite runs its root and unprivileged passes by itself under `make check`.
.PHONY: check-unpriv
check-unpriv: all tests ## supervisor and run tests again as an unprivileged user
	.ci/run unpriv $(BUILD)

# The seccomp filter is generated at build time: supervisor/seccomp.c compiled with
# -DSUP_SECCOMP_GEN builds the rules with libseccomp and prints the BPF, which the library's
# seccomp.o includes as a constant program (no libseccomp at run time).
SECCOMP_GEN := $(BUILD)/supervisor/seccomp-gen
SECCOMP_INC := $(BUILD)/supervisor/seccomp-bpf.inc
SECCOMP_CONFINE_INC := $(BUILD)/supervisor/seccomp-confine-bpf.inc
COMMON_OBJS := $(filter $(BUILD)/common/%,$(LIB_OBJS))

$(SECCOMP_GEN): supervisor/seccomp.c supervisor/supervisor-internal.h $(COMMON_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CPPFLAGS) -DSUP_SECCOMP_GEN $(CFLAGS) -MF $@.d $(LDFLAGS) -o $@ $< \
		$(COMMON_OBJS) $(SECCOMP_LIBS) $(LDLIBS)

$(SECCOMP_INC): $(SECCOMP_GEN)
	@echo "  GEN     $@"
	$(Q)$(SECCOMP_GEN) sandbox >$@.tmp && mv $@.tmp $@

$(SECCOMP_CONFINE_INC): $(SECCOMP_GEN)
	@echo "  GEN     $@"
	$(Q)$(SECCOMP_GEN) confine >$@.tmp && mv $@.tmp $@

$(BUILD)/supervisor/seccomp.o: $(SECCOMP_INC) $(SECCOMP_CONFINE_INC)
$(BUILD)/supervisor/seccomp.o: CPPFLAGS += -I$(BUILD)/supervisor

# bench/30-supervisor.sh: the pipe-throughput floor.
BENCH_PROGS += $(BUILD)/bench/pipe_drain

$(BUILD)/bench/pipe_drain: $(BUILD)/bench/pipe_drain.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

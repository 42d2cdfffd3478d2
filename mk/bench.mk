# SPDX-License-Identifier: Apache-2.0
# `make bench`: benchmark tools are installed on demand (peers: ripgrep, bubblewrap, hyperfine).
BENCH_PROGS :=
.PHONY: bench
bench: deps ## run the benchmarks against peer tools (bench/run.sh)
	@scripts/deps.sh ripgrep bubblewrap hyperfine
	$(MAKE) --no-print-directory all $(BENCH_PROGS)
	bench/run.sh

# bench/40-mcp.sh: fills its 10 000-secret vault through the library (`set` one by one is minutes).
BENCH_PROGS += $(BUILD)/bench/mcp_vault

$(BUILD)/bench/mcp_vault: $(BUILD)/bench/mcp_vault.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

-include $(patsubst %,%.d,$(BENCH_PROGS))

# SPDX-License-Identifier: Apache-2.0
# vault benchmark program (bench/10-vault.sh runs it).
BENCH_PROGS += $(BUILD)/bench/vault_bench

$(BUILD)/bench/vault_bench: $(BUILD)/bench/vault_bench.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

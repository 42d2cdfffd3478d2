# SPDX-License-Identifier: Apache-2.0
# Sanitizer extras: the benchmark input generator and the measurements that need the library,
# used by bench/20-sanitizer.sh. (The module and its unit tests are built by the main Makefile
# rules.)
BENCH_PROGS += $(BUILD)/bench/san_gen $(BUILD)/bench/san_bench

$(BUILD)/bench/san_gen: $(BUILD)/bench/san_gen.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/san_bench: $(BUILD)/bench/san_bench.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# SPDX-License-Identifier: Apache-2.0
# Fuzz targets: every tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput.
#  - `make check` builds $(BUILD)/tests/fuzz/replay_<name> with the normal compiler (the target
#    linked with tests/fuzz/replay.c) and tests/fuzz/run.sh replays tests/fuzz/corpus/<name>/*.
#  - `make fuzz` builds each target with clang + libFuzzer + ASan/UBSan into build-fuzz/ and runs
#    it for FUZZ_SECONDS on a scratch copy of its corpus (new inputs stay out of the tree;
#    copy the interesting ones into tests/fuzz/corpus/<name>/ by hand).
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
REPLAY_BINS  := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all

.PHONY: fuzz fuzz-build

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/fuzz_$*.o \
		$(LIB) $(LDLIBS)

test-extras: $(REPLAY_BINS)

fuzz-build: ## build the libFuzzer targets (clang)
	@scripts/deps.sh clang libclang-rt-14-dev
	@mkdir -p $(FUZZ_DIR)
	$(Q)for n in $(FUZZ_NAMES); do \
		echo "  FUZZCC  fuzz_$$n"; \
		$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(PKG_CFLAGS) $(LIB_SRCS) tests/fuzz/fuzz_$$n.c \
			-o $(FUZZ_DIR)/fuzz_$$n $(PKG_LIBS) || exit 1; \
	done

fuzz: fuzz-build ## run every fuzz target for a while
	$(Q)for n in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_DIR)/corpus-$$n; mkdir -p $(FUZZ_DIR)/corpus-$$n $(FUZZ_DIR)/crash-$$n; \
		cp -r tests/fuzz/corpus/$$n/. $(FUZZ_DIR)/corpus-$$n/ 2>/dev/null || true; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		nice $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$n/ $(FUZZ_DIR)/corpus-$$n \
			|| { echo "fuzz: $$n failed, inputs in $(FUZZ_DIR)/crash-$$n/"; exit 1; }; \
	done

# Seed corpora of the vault codec targets, written by the product's own encoders. Run once after
# a codec change (`make fuzz-corpus`), review the diff under tests/fuzz/corpus/, keep the files.
.PHONY: fuzz-corpus
$(BUILD)/tests/fuzz/gen_corpus: $(BUILD)/tests/fuzz/gen_corpus.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzz-corpus: $(BUILD)/tests/fuzz/gen_corpus ## regenerate the seed corpora
	$(BUILD)/tests/fuzz/gen_corpus tests/fuzz/corpus

# Header dependencies of the fuzz objects (the main Makefile includes only the library's, the
# CLI's and the unit tests'): a changed header rebuilds the replay binaries.
-include $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.d) $(BUILD)/tests/fuzz/replay.d

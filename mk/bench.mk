# SPDX-License-Identifier: Apache-2.0
# `make bench`: benchmark tools are installed on demand (peers: ripgrep, bubblewrap, hyperfine).
BENCH_PROGS :=
.PHONY: bench
bench: deps
	@scripts/deps.sh ripgrep bubblewrap hyperfine
	$(MAKE) --no-print-directory all $(BENCH_PROGS)
	bench/run.sh

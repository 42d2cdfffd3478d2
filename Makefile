# SPDX-License-Identifier: Apache-2.0
# secretctl build: `make` builds build/secretctl; see `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := all

PREFIX  ?= /usr/local
DESTDIR ?=
VARIANT ?= release
BUILD   ?= build
ifeq ($(VARIANT),asan)
BUILD   := build-asan
endif
ifeq ($(VARIANT),tsan)
BUILD   := build-tsan
endif

CC      ?= cc
Q       := $(if $(V),,@)
PKGS    := libsodium sqlite3 libcjson yaml-0.1 libseccomp libcap
# Linked statically into the binary: each shared library costs every start (every `exec` run) a
# load, relocations and symbol binding under -z now. cJSON stays shared (Debian ships no
# libcjson.a); libseccomp is a build-time dependency only (mk/supervisor.mk generates the BPF).
STATIC_PKGS := libsodium sqlite3 yaml-0.1 libcap
SHARED_PKGS := libcjson
# Libraries named by the static packages' private dependencies that stay shared (libc's parts;
# --as-needed drops any the static archives do not actually use, e.g. zlib for SQLite).
SYSTEM_LIBS := -lm -lz -lpthread -ldl -lrt
# Debian ships no pkg-config file for libunistring (vault/: the master password's Unicode NFC):
# linked statically. libzxcvbn (its strength) is not linked at all: vault/strength.c loads the
# shared library when a password is rated (its archive is not position-independent, and
# linking the shared one would cost every start of the binary a library load).
EXTRA_STATIC_LIBS := -lunistring
EXTRA_SHARED_LIBS :=
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wconversion -Wsign-conversion -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -Wimplicit-fallthrough -Wnull-dereference \
	-Wduplicated-cond -Wlogical-op -Wformat-truncation=2 -Werror
HARDEN := -fstack-protector-strong -fstack-clash-protection -fcf-protection=full -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now,-z,noexecstack

ifeq ($(VARIANT),asan)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPT_LD := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
OPT_LD := -fsanitize=thread
else
OPT := -O2 -g -D_FORTIFY_SOURCE=3
OPT_LD :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
STATIC_PKG_LIBS = $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null)
STATIC_ARCHIVES = $(filter-out $(SYSTEM_LIBS),$(filter -l%,$(STATIC_PKG_LIBS)))
PKG_LIBS   = -Wl,-Bstatic $(STATIC_ARCHIVES) $(EXTRA_STATIC_LIBS) -Wl,-Bdynamic -Wl,--as-needed \
	$(filter-out $(STATIC_ARCHIVES),$(STATIC_PKG_LIBS)) \
	$(shell pkg-config --libs $(SHARED_PKGS) 2>/dev/null) $(EXTRA_SHARED_LIBS) \
	-Wl,--no-as-needed
SECCOMP_LIBS = $(shell pkg-config --libs libseccomp 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

CPPFLAGS += -I. -D_GNU_SOURCE -DSECRETCTL_VERSION='"$(VERSION)"'
CFLAGS   += -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(OPT_LD) $(HARDEN_LD)
LDLIBS   += $(PKG_LIBS)

# Library modules, in dependency order (no arrow back): see DESIGN.md.
LIB_MODULES := common sanitizer supervisor policy vault interchange broker agent mcp
LIB_SRCS := $(foreach m,$(LIB_MODULES),$(wildcard $(m)/*.c))
CLI_SRCS := $(wildcard cli/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libsecretctl.a
BIN      := $(BUILD)/secretctl

UNIT_SRCS := $(wildcard tests/unit/*/*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
# Helpers shared by unit tests (tests/unit/<module>/*-util.c are not tests).
UNIT_TESTS := $(filter-out %-util,$(UNIT_BINS))
UNIT_UTIL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter %-util.c,$(UNIT_SRCS)))
# The one main of every unit test (tests/unit/unit.h).
UNIT_MAIN_OBJ := $(BUILD)/tests/unit/unit-main.o

.PHONY: all deps demo check check-asan check-tsan test tests test-extras install uninstall clean help analyze \
	format format-check headers-check

all: $(BIN) ## build build/secretctl (VARIANT=asan: build-asan/, ASan+UBSan)

# `make help`: every target with a "## what it does" comment, from this file and mk/*.mk.
help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | awk -F'\t' '{ printf "  %-16s %s\n", $$1, $$2 }'

deps: ## install the missing Debian packages and tests/mcp's npm packages
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

# A test links the *-util.o helpers of its own module directory only.
unit_utils = $(filter $(dir $(1))%,$(UNIT_UTIL_OBJS))
.SECONDEXPANSION:
$(UNIT_TESTS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $$(call unit_utils,$$@) $(UNIT_MAIN_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call unit_utils,$@) $(UNIT_MAIN_OBJ) $(LIB) $(LDLIBS) $(CHECK_LIBS)

tests: $(UNIT_TESTS) ## build the unit test binaries

# `make check`: install what is missing, build, run every test layer, one summary line.
check: deps ## install what is missing, build, run every test layer
	$(MAKE) --no-print-directory all tests test-extras
	BUILD=$(BUILD) tests/run-all.sh

check-asan: deps ## make check on the ASan+UBSan build
	$(MAKE) --no-print-directory VARIANT=asan all tests test-extras
	BUILD=build-asan SECRETCTL_ASAN=1 tests/run-all.sh

# `make check-tsan`: the code that runs threads (redact's reader thread, broker/redact.c) under
# ThreadSanitizer: its unit test and the end-to-end redact suite on a -fsanitize=thread build.
check-tsan: deps ## the multithreaded code's tests on a ThreadSanitizer build
	$(MAKE) --no-print-directory VARIANT=tsan all build-tsan/tests/unit/broker/test_redact
	BUILD=build-tsan TSAN_OPTIONS='halt_on_error=1 exitcode=66' TESTS_FILTER='unit/broker/test_redact$$|e2e/redact\.bats$$' \
		tests/run-all.sh

test-extras:

# `make test [T=REGEX]`: the quick loop: build and run the test files whose path matches REGEX
# (default: all), installing nothing.
test: ## build and run the tests matching T=REGEX (default all), installing nothing
	$(MAKE) --no-print-directory all tests test-extras
	BUILD=$(BUILD) TESTS_FILTER='$(or $(T),.)' tests/run-all.sh

demo: deps ## build and run the main job on a throwaway vault
	$(MAKE) --no-print-directory all
	scripts/demo.sh $(BIN)

headers-check: ## every header compiles on its own and has an include guard
	@scripts/headers-check.sh

analyze: ## gcc -fanalyzer over the tree; fails on a finding not in scripts/analyze-known.txt
	@scripts/analyze.sh

# The C sources and headers clang-format owns (.clang-format); fixtures and generated files excluded.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' ':!tests/lint/fixtures' 2>/dev/null)
format: ## reformat every C file with clang-format
	clang-format -i $(FORMAT_FILES)

format-check: ## fail when a C file differs from clang-format's output (make format fixes it)
	@scripts/deps.sh clang-format
	@out=$$(clang-format --dry-run -Werror $(FORMAT_FILES) 2>&1) && echo "format-check: ok" || \
		{ echo "$$out" | grep -oE '^[^: ]+\.[ch]' | sort -u | sed 's/^/format-check: not formatted: /'; \
		  echo "format-check: run 'make format'"; exit 1; }

install: $(BIN) ## install the binary and man pages under PREFIX (/usr/local)
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/secretctl
	install -m 0644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall: ## remove what install installed
	rm -f $(DESTDIR)$(PREFIX)/bin/secretctl $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(wildcard docs/*.1)))

clean: ## remove the build directories
	rm -rf build build-asan build-tsan build-fuzz

# Per-area extras (fuzz, bench, ...) live in mk/*.mk so areas do not edit one file.
-include $(sort $(wildcard mk/*.mk))

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d) $(UNIT_SRCS:%.c=$(BUILD)/%.d)

# SPDX-License-Identifier: GPL-2.0
#
# nfx top-level build. `make` builds everything; `make check` runs the
# selftests; `make demo` runs nfx on a throw-away three-namespace topology.

BUILD      ?= build
CLANG      ?= $(shell command -v clang-19 || command -v clang)
CC         ?= gcc
BPFTOOL    ?= bpftool
PKG_CONFIG ?= pkg-config
V          ?= 0

ifeq ($(V),0)
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
else
Q =
msg =
endif

ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
LIBS_PC    := libbpf libxdp libmnl
PC_CFLAGS   = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS     = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow \
	      -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
SAN        ?=
CFLAGS     ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN) -D_GNU_SOURCE -fno-strict-aliasing \
	      -Iinclude -Iloader/lib -Ibpf -I$(BUILD) $(PC_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LDLIBS_ALL  = $(PC_LIBS) -lelf -lz -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf -Iinclude \
	      -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	      -Wno-unused-function -MMD -MP

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LIB_SRCS   := $(wildcard loader/lib/*.c)
LIB_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIBNFX     := $(BUILD)/libnfx.a
CLI_SRCS   := $(wildcard loader/cli/*.c)
CLI_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
LOADER     := $(BUILD)/nfx-loader

TEST_LIB_SRCS := $(wildcard selftests/lib/*.c)
TEST_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_LIB_SRCS))
UNIT_SRCS  := $(wildcard selftests/unit/test_*.c)
UNIT_BINS  := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
BPFT_SRCS  := $(wildcard selftests/bpf/test_*.c)
BPFT_BINS  := $(patsubst %.c,$(BUILD)/%,$(BPFT_SRCS))
TOOL_SRCS  := $(wildcard scripts/tools/*.c)
TOOL_BINS  := $(patsubst scripts/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

# libFuzzer targets: fuzz/fuzz_<name>.c -> build-fuzz/fuzz/fuzz_<name>, linked
# with a fuzz build of libnfx and of the CLI (without its main); extra
# libraries for one target via FUZZ_LDLIBS_fuzz_<name>.
# UBSan's alignment check is off: the datapath reads headers where the frame
# puts them (the IPv4 header after a 14-byte Ethernet header is 2 bytes off a
# 4-byte boundary, in XDP too), relying on unaligned loads, which BPF allows
# on every architecture with efficient unaligned access and x86 does natively.
FUZZ_CC    ?= $(shell command -v clang-19 || command -v clang)
FUZZ_BUILD := build-fuzz
FUZZ_SAN   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	      -fno-sanitize=alignment -fno-omit-frame-pointer
FUZZ_SRCS  := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60
LIBNFXCLI  := $(BUILD)/libnfxcli.a

# Extra libraries of the tools in scripts/tools/.
TOOL_LDLIBS_nfgrep-test = -lpcap
TOOL_LDLIBS_ndpi-driver = -lndpi -lpcap -lgcrypt

PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all bpf loader tests tools check check-unit asan demo bench vmlinux \
	clean install deps help lint format fuzz fuzz-build fuzz-bins
.DEFAULT_GOAL := all

all: bpf loader tests tools

bpf: $(BPF_OBJS) $(SKELS)
loader: $(LOADER)
tests: $(UNIT_BINS) $(BPFT_BINS)
tools: $(TOOL_BINS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBNFX): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LOADER): $(CLI_OBJS) $(LIBNFX)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBNFX) $(LDLIBS_ALL)

$(UNIT_BINS) $(BPFT_BINS): %: %.o $(TEST_LIB_OBJS) $(LIBNFX)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_LIB_OBJS) $(LIBNFX) $(LDLIBS_ALL)

# Tools (benchmarks, helpers) may use the selftest library's packet builder.
$(TOOL_BINS): $(BUILD)/tools/%: $(BUILD)/scripts/tools/%.o $(TEST_LIB_OBJS) $(LIBNFX)
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_LIB_OBJS) $(LIBNFX) $(LDLIBS_ALL) $(TOOL_LDLIBS_$*)

$(BUILD):
	@mkdir -p $@

$(LIBNFXCLI): $(filter-out $(BUILD)/loader/cli/main.o,$(CLI_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(BUILD)/fuzz/%: fuzz/%.c $(LIBNFXCLI) $(LIBNFX)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Ifuzz -Iloader/cli -o $@ $< \
		$(LIBNFXCLI) $(LIBNFX) $(LDLIBS_ALL) $(FUZZ_LDLIBS_$*)

fuzz-bins: $(FUZZ_BINS)

# Regenerate the CO-RE header from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h.tmp
	mv vmlinux.h.tmp vmlinux.h

deps:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh

# The README's two commands.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)selftests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# User-space unit tests again under ASan+UBSan (LeakSanitizer included), in a
# build tree of their own. No alignment check, for the reason given at FUZZ_SAN.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-sanitize=alignment -fno-omit-frame-pointer" \
		CFLAGS="-O1 -g" tests

# Format, static analysis and semantic patches: selftests/lint/test_*.sh.
lint: bpf
	$(Q)selftests/run.sh lint

# Fuzz targets, built with clang's libFuzzer + ASan + UBSan in their own tree.
fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC="$(FUZZ_CC)" SAN="$(FUZZ_SAN)" \
		CFLAGS="-O1 -g" fuzz-bins

# Every target for FUZZ_SECONDS each, from its seed corpus fuzz/corpus/<name>/.
fuzz: fuzz-build
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS)

# Rewrite what `make lint` reports as misformatted (only the lines that differ).
format:
	$(Q)scripts/lint/format-check.sh --fix

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh

# Installed files; others add theirs (INSTALL_SBIN/INSTALL_BIN += ...).
# DESTDIR stages everything under a directory: nothing outside it is
# touched (no systemctl, no daemon-reload).
INSTALL_SBIN   += $(LOADER)
INSTALL_BIN    +=
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MAN_PAGES      := $(wildcard man/*.[1-8])

install: all
	$(Q)for f in $(INSTALL_SBIN); do \
		install -D -m 0755 $$f $(DESTDIR)$(PREFIX)/sbin/$$(basename $$f) || exit 1; done
	$(Q)for f in $(INSTALL_BIN); do \
		install -D -m 0755 $$f $(DESTDIR)$(PREFIX)/bin/$$(basename $$f) || exit 1; done
	$(Q)for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/$$(basename $$m) \
		|| exit 1; done
	$(Q)if [ -d filters ]; then \
		mkdir -p $(DESTDIR)$(PREFIX)/share/nfx && \
		cp -R filters $(DESTDIR)$(PREFIX)/share/nfx/ && \
		chmod -R u=rwX,go=rX $(DESTDIR)$(PREFIX)/share/nfx/filters; fi
	$(Q)mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' scripts/systemd/nfx@.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/nfx@.service
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/nfx@.service
	$(Q)install -D -m 0644 scripts/systemd/nfx.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/nfx/IFNAME.conf.example

clean:
	rm -rf build build-asan build-fuzz
	-$(MAKE) -C kmod clean >/dev/null 2>&1 || true

help:
	@echo "make            build BPF objects, skeletons, nfx-loader and tests"
	@echo "make check      build and run every selftest (TAP 13)"
	@echo "make demo       run nfx on a throw-away netns topology (KEEP=1 keeps it)"
	@echo "make bench      benchmarks, printed as ratios against peers"
	@echo "make vmlinux    regenerate vmlinux.h from /sys/kernel/btf/vmlinux"
	@echo "make clean      remove build products"

-include scripts/vm/vm.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# SPDX-License-Identifier: GPL-2.0
#
# Kernel modules and VM tests; included by the top-level Makefile and usable
# alone: make -f scripts/vm/vm.mk vmtest
#
#   make kmod                    build kmod/*.ko for VM_KERNEL's headers
#   make nfx-kct                 build $(BUILD)/nfx-kct
#   make vmtest                  boot VM_KERNEL, run selftests/run.sh $(VMTEST_SUITES)
#   make vmtest VM_KERNEL=6.12   the same on 6.12
#   make vmshell-run CMD='...'   run one command in the VM
#
# VM_KERNEL: a series (6.1, 6.12) or a full release under /boot.

BUILD         ?= build
CC            ?= gcc
VM_KERNEL     ?= 6.1
VMTEST_SUITES ?= vm bpf e2e
VM_KVER        = $(shell scripts/vm/kver.sh $(VM_KERNEL))
VM_KDIR        = /usr/src/linux-headers-$(VM_KVER)

# nfx-kct is one of the top-level tools (scripts/tools/nfx-kct.c on libnfx).
NFX_KCT     := $(BUILD)/tools/nfx-kct

.PHONY: kmod kmod-clean nfx-kct vmtest vmshell-run

kmod:
	$(MAKE) -C kmod KDIR=$(VM_KDIR)

kmod-clean:
	$(MAKE) -C kmod clean

nfx-kct: $(NFX_KCT)

# Inside the top-level Makefile (which defines LOADER), the bpf and e2e
# suites need everything built.
ifneq ($(LOADER),)
VMTEST_EXTRA_DEPS ?= all
endif

# The VM runs the suites from this tree (shared read-only); build first.
vmtest: kmod $(NFX_KCT) $(VMTEST_EXTRA_DEPS)
	scripts/vm/run.sh --kernel $(VM_KERNEL) -- env NFX_BUILD=$(abspath $(BUILD)) \
		selftests/run.sh $(VMTEST_SUITES)

vmshell-run: kmod $(NFX_KCT)
	scripts/vm/run.sh --kernel $(VM_KERNEL) -- sh -c '$(CMD)'

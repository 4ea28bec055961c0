#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of the VM suites: builds the kernel modules and nfx-kct, boots
# the test VM (scripts/vm/run.sh) and runs selftests/run.sh there. Skips
# when this machine cannot boot it. The same as `make vmtest`.
#   NFX_VM_KERNEL (default 6.1), NFX_VMTEST_SUITES (default "vm bpf": the
#   module tests and the BPF datapath on the guest kernel; add e2e for the
#   namespace tests too, which take several minutes more under TCG)
set -u
cd "$(dirname "$0")/.."
kernel=${NFX_VM_KERNEL:-6.1}
suites=${NFX_VMTEST_SUITES:-vm bpf verify}
build=${NFX_BUILD:-$PWD/build}

skip() { echo "# SKIP $*"; exit 4; }
[ "${NFX_IN_VM:-0}" = 1 ] && skip "already inside the test VM"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86 not installed"
kver=$(scripts/vm/kver.sh "$kernel" 2>/dev/null) || skip "no Debian $kernel kernel installed"
[ -r /boot/vmlinuz-"$kver" ] || skip "cannot read /boot/vmlinuz-$kver"
[ -d /usr/src/linux-headers-"$kver" ] || skip "linux-headers-$kver not installed"
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || skip "busybox-static not installed"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! make --no-print-directory BUILD="$build" VM_KERNEL="$kernel" kmod nfx-kct >"$log" 2>&1; then
	cat "$log"
	echo "vmtest: building the modules or nfx-kct failed"
	exit 1
fi
# shellcheck disable=SC2086
scripts/vm/run.sh --kernel "$kernel" --timeout "${NFX_VM_TIMEOUT:-540}" -- \
	env NFX_BUILD="$build" selftests/run.sh $suites
rc=$?
# The verifier matrix: every BPF program also on Debian's 6.12, if installed.
if [ -z "${NFX_VM_KERNEL:-}" ] && k12=$(scripts/vm/kver.sh 6.12 2>/dev/null); then
	echo "# verifier matrix on $k12"
	scripts/vm/run.sh --kernel 6.12 --timeout 300 -- \
		env NFX_BUILD="$build" selftests/run.sh verify || rc=1
else
	echo "# verifier matrix: no Debian 6.12 kernel installed, 6.1 only"
fi
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--kernel 6.1|6.12|KVER] [--timeout SECS] [--mem MB] [--smp N] -- CMD [ARGS...]
#
# Boots a throw-away VM on a stock Debian kernel (KVM when usable, else TCG),
# shares the host's /usr and /etc and the work tree read-only, runs CMD in
# the guest from the current directory (as root, NFX_IN_VM=1), streams its
# output here and exits with its status. A panic, oops or hang fails with
# the tail of the console log. Exit 124 on timeout.
#
# Environment: NFX_VM_KERNEL, NFX_VM_TIMEOUT, NFX_VM_MEM, NFX_VM_SMP,
# NFX_VM_ACCEL (kvm or tcg), NFX_VM_KEEP=1 (keep the console log and
# exchange dir), NFX_VM_CACHE (default build/vm).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kernel=${NFX_VM_KERNEL:-6.1}
tmo=${NFX_VM_TIMEOUT:-600}
mem=${NFX_VM_MEM:-1024}
smp=${NFX_VM_SMP:-1}
cache=${NFX_VM_CACHE:-$root/build/vm}

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage

kver=$("$here"/kver.sh "$kernel") || exit 2
vmlinuz=/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || { echo "run.sh: cannot read $vmlinuz" >&2; exit 2; }
qemu=$(command -v qemu-system-x86_64) || { echo "run.sh: need qemu-system-x86" >&2; exit 2; }

# The initramfs depends only on the kernel and this harness: cache it.
mkdir -p "$cache"
initrd=$cache/initramfs-$kver.cpio.gz
if [ ! -s "$initrd" ] || [ "$here"/mkinitramfs.sh -nt "$initrd" ]; then
	"$here"/mkinitramfs.sh "$kver" "$initrd" || exit 2
fi

xfer=$(mktemp -d "${TMPDIR:-/tmp}/nfx-vm.XXXXXX")
log=$xfer/console.log
cleanup() {
	[ -n "${qpid:-}" ] && { pkill -TERM -P "$qpid" 2>/dev/null; kill "$qpid" 2>/dev/null; }
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null
	if [ "${NFX_VM_KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $xfer" >&2
	else
		rm -rf "$xfer"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	echo "set -o pipefail 2>/dev/null"
	for v in V NFX_BUILD NFX_LOADER NFX_TEST_TIMEOUT NFX_KEEP; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf '%q ' "$@"
	echo
} >"$xfer"/cmd
case $PWD/ in "$root"/*) echo "$PWD" >"$xfer"/cwd ;; esac
: >"$xfer"/out

# KVM when it works here, else TCG. A KVM that aborts before the guest
# prints anything is remembered as broken (in the cache) and TCG used.
boot() {
	: >"$log"
	# shellcheck disable=SC2086
	( timeout -k 5 "$tmo" "$qemu" -nodefaults -no-reboot -display none \
		-accel "$1" -cpu max -smp "$smp" -m "$mem" \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 quiet loglevel=5 panic=-1 oops=panic nfx.work=$root" \
		-serial "file:$log" \
		-virtfs local,path=/usr,mount_tag=usr,security_model=none,readonly=on \
		-virtfs local,path=/etc,mount_tag=etc,security_model=none,readonly=on \
		-virtfs "local,path=$root,mount_tag=work,security_model=none,readonly=on" \
		-virtfs "local,path=$xfer,mount_tag=xfer,security_model=none" \
		</dev/null >"$xfer"/qemu.out 2>&1; exit $? ) 2>>"$xfer"/qemu.out &
	qpid=$!
	tail -n +1 -f --pid="$qpid" "$xfer"/out 2>/dev/null &
	tpid=$!
	wait "$qpid"
	qrc=$?
	qpid=
	wait "$tpid" 2>/dev/null
	tpid=
}

accel=${NFX_VM_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg,thread=multi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "$(cat "$cache"/kvm.state 2>/dev/null)" != broken ]; then
		accel=kvm
	fi
fi
start=$(date +%s.%N)
boot "$accel"
if [ "$accel" = kvm ] && [ ! -s "$xfer"/rc ] && [ ! -s "$log" ]; then
	echo "run.sh: KVM is not usable here ($(tail -n1 "$xfer"/qemu.out)); using TCG" >&2
	echo broken >"$cache"/kvm.state
	accel=tcg,thread=multi
	start=$(date +%s.%N)
	boot "$accel"
fi
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")

if [ -s "$xfer"/rc ]; then
	rc=$(cat "$xfer"/rc)
	if grep -qE 'Kernel panic|BUG:|Oops|WARNING:|general protection|KASAN|UBSAN' "$log"; then
		echo "run.sh: the guest kernel complained; console tail:" >&2
		tail -n 60 "$log" >&2
		[ "$rc" = 0 ] && rc=1
	fi
	[ -n "${NFX_VM_VERBOSE:-}" ] && cat "$xfer"/boot.log 2>/dev/null >&2
	echo "run.sh: $kver (${accel%%,*}): exit $rc in ${secs}s" >&2
	exit "$rc"
fi
if [ $qrc -eq 124 ]; then
	echo "run.sh: $kver: timed out after ${tmo}s; console tail:" >&2
else
	echo "run.sh: $kver: the guest died (qemu exit $qrc) before the command finished; console tail:" >&2
fi
tail -n 60 "$log" >&2
cat "$xfer"/qemu.out >&2
[ $qrc -eq 124 ] && exit 124
exit 1

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot another kernel (default: Debian 12's 6.1 in /boot) under qemu with a
# throw-away initramfs holding nfgrep-test, test_nfgrep, the filter library
# and the test pcaps, and run them there: the verifier of that kernel must
# accept the pipeline and the matcher, and the results must be the same.
#   scripts/nfgrep-vm-check.sh [/boot/vmlinuz-...]
# Exit 0 when both pass in the guest, 1 otherwise, 4 when it cannot run.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${NFX_BUILD:-$ROOT/build}
K=${1:-$(ls /boot/vmlinuz-6.1.* 2>/dev/null | head -1)}
[ -n "$K" ] && [ -r "$K" ] || { echo "# SKIP no kernel image (give one)"; exit 4; }
command -v qemu-system-x86_64 >/dev/null && command -v busybox >/dev/null ||
	{ echo "# SKIP needs qemu-system-x86_64 and busybox"; exit 4; }
[ -x "$B/tools/nfgrep-test" ] && [ -x "$B/selftests/bpf/test_nfgrep" ] ||
	{ echo "# SKIP build first (make)"; exit 4; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r"/{bin,proc,sys,dev,t}
cp "$(command -v busybox)" "$r/bin/"
for b in "$B/tools/nfgrep-test" "$B/selftests/bpf/test_nfgrep" $(ls "$B/tools/nfx-verify" 2>/dev/null); do
	cp "$b" "$r/t/"
	for l in $(ldd "$b" | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$r$(dirname "$l")"
		cp -L "$l" "$r$l"
	done
done
cp -r "$ROOT/filters" "$ROOT/selftests/data/pcap" "$B/nfx_xdp.bpf.o" "$r/t/"
cat > "$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
cd /t
echo "kernel $(uname -r)"
./nfgrep-test -q -e pcap/expected.txt filters/all.nfg pcap/*.pcap > out.txt 2>&1
rc=$?
grep -v '^libbpf: map' out.txt | tail -30
echo "RESULT nfgrep-test $rc"
./test_nfgrep
echo "RESULT test_nfgrep $?"
# Each program of the object on its own: tells the matcher from the pipeline.
[ -x ./nfx-verify ] && ./nfx-verify nfx_xdp.bpf.o 2>&1 | grep -v '^libbpf'
echo "RESULT nfx-verify $?"
poweroff -f
INIT
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$tmp/initrd.gz"
# TCG: KVM cannot boot a stock kernel on these hosts; about 20 s.
out=$(timeout 600 qemu-system-x86_64 -m 2048 -smp 1 -nographic -no-reboot -kernel "$K" \
	-initrd "$tmp/initrd.gz" -append "console=ttyS0 quiet panic=-1" 2>&1 | tr -d '\r')
echo "$out" | sed -n '/kernel [0-9]/,/RESULT nfx-verify/p'
echo "$out" | grep -q "RESULT nfgrep-test 0" && echo "$out" | grep -q "RESULT test_nfgrep 0"

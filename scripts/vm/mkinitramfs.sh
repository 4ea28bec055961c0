#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT: a busybox-static initramfs for nfx's test VM.
#
# Stage 1 (/init, busybox): loads virtio_pci, 9pnet_virtio and 9p, mounts the
# host's /usr and /etc and the work tree read-only over 9p into a tmpfs root
# with /bin, /sbin, /lib linked to usr/, and switch_roots into it.
# Stage 2 (/stage2, host shell): mounts proc/sys/bpffs/debugfs/tmpfs, loads
# netfilter modules as available, inserts the nfx modules built for this
# kernel from <work>/kmod, runs the command the host left in the exchange
# share, records its status there and powers off.
set -eu
kver=$1
out=$2
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
file "$bb" 2>/dev/null | grep -q 'statically linked' || {
	echo "mkinitramfs: need busybox-static" >&2; exit 1; }
[ -d /lib/modules/"$kver" ] || { echo "mkinitramfs: no /lib/modules/$kver" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$bb" "$tmp"/bin/busybox
ln -s busybox "$tmp"/bin/sh

# Kernel modules for the 9p root, in dependency order, decompressed.
: >"$tmp"/modules.list
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko")
	case $name in
	*.ko.xz) xz -dc "$ko" >"$tmp/lib/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" >"$tmp/lib/modules/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz) gzip -dc "$ko" >"$tmp/lib/modules/${name%.gz}"; name=${name%.gz} ;;
	*) cp "$ko" "$tmp/lib/modules/$name" ;;
	esac
	echo "$name" >>"$tmp"/modules.list
done

cat >"$tmp"/init <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod /lib/modules/"$m" 2>/dev/null; done

work=
for w in $(cat /proc/cmdline); do
	case $w in nfx.work=*) work=${w#nfx.work=} ;; esac
done
o=trans=virtio,version=9p2000.L,msize=512000
# Read-only shares may be cached; the exchange dir may not.
ro=$o,ro,cache=loose
mount -t tmpfs -o size=70% root /newroot
mkdir -p /newroot/usr /newroot/etc /newroot/proc /newroot/sys /newroot/dev \
	/newroot/tmp /newroot/root /newroot/run /newroot/var/tmp /newroot/.nfx/xfer \
	/newroot/"$work"
fail() { echo "nfx-vm: $*"; poweroff -f; }
mount -t 9p -o $ro usr /newroot/usr || fail "cannot mount host /usr"
mount -t 9p -o $ro etc /newroot/etc || fail "cannot mount host /etc"
mount -t 9p -o $ro work /newroot/"$work" || fail "cannot mount the work tree"
mount -t 9p -o $o xfer /newroot/.nfx/xfer || fail "cannot mount the exchange dir"
for d in bin sbin lib lib64 lib32; do
	[ -e /newroot/usr/$d ] && ln -s usr/$d /newroot/$d
done
cp /bin/busybox /newroot/.nfx/busybox
cp /stage2 /newroot/.nfx/stage2
echo "$work" >/newroot/.nfx/work
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /.nfx/busybox sh /.nfx/stage2
INIT

cat >"$tmp"/stage2 <<'STAGE2'
#!/bin/sh
# Runs on the tmpfs root with the host's /usr and /etc.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 NFX_IN_VM=1
bb=/.nfx/busybox
x=/.nfx/xfer
work=$(cat /.nfx/work)
kver=$(uname -r)
# The root is a tmpfs already; a tmpfs of their own on /tmp and /run would
# hide a work tree that lives under them (a clone in /tmp).
case $work in
/tmp/* | /run/*) ;;
*)
	$bb mount -t tmpfs tmp /tmp
	$bb mount -t tmpfs run /run ;;
esac
$bb mount -t bpf bpf /sys/fs/bpf 2>/dev/null
$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$bb mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mkdir -p /dev/pts /dev/shm /run/netns
$bb mount -t devpts devpts /dev/pts 2>/dev/null
$bb mount -t tmpfs shm /dev/shm 2>/dev/null
ip link set lo up 2>/dev/null
hostname nfx-vm 2>/dev/null

{
	# One modprobe for all (each exec is slow under TCG); then report misses.
	mods="nf_conntrack nf_conntrack_netlink nf_tables nft_ct nf_nat nft_nat
		nft_chain_nat nf_flow_table nft_flow_offload iptable_filter iptable_nat
		ip6table_filter veth dummy sch_ingress cls_bpf act_bpf"
	modprobe -a -q $mods 2>/dev/null
	for m in $mods; do
		[ -d /sys/module/"$m" ] || echo "nfx-vm: no module $m"
	done
	# nfx's own modules, when built for this kernel.
	for ko in "$work"/kmod/*.ko; do
		[ -e "$ko" ] || continue
		vm=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		if [ "$vm" != "$kver" ]; then
			echo "nfx-vm: $(basename "$ko") is built for '$vm', not $kver: not loaded"
			continue
		fi
		insmod "$ko" && echo "nfx-vm: loaded $(basename "$ko")"
	done
} >/run/nfx-boot.log 2>&1
[ -s /run/nfx-boot.log ] && cat /run/nfx-boot.log >"$x"/boot.log

cd "$work" 2>/dev/null || cd /
[ -f "$x"/cwd ] && cd "$(cat "$x"/cwd)" 2>/dev/null
bash "$x"/cmd >"$x"/out 2>&1 </dev/null
echo $? >"$x"/rc
sync
$bb poweroff -f
STAGE2
chmod +x "$tmp"/init "$tmp"/stage2

(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"

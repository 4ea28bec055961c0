#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kmod nfx_nlmmap (VM only): `nfx-loader events --kernel` reads conntrack
# events from the module's memory-mapped ring instead of recvmsg(), sees
# every event of a burst, and turns ring overruns into an exact LOST count
# followed by a resync dump. Works on the initial namespace's conntrack
# table, which is why it runs in the VM only.
source "$(dirname "$0")/../lib/lib.sh"

nfx_require_root
KO=${NFX_KMOD_DIR:-$NFX_ROOT/kmod}/nfx_nlmmap.ko
[ -f "$KO" ] || nfx_skip "$KO not built (make -C kmod)"
command -v conntrack >/dev/null || nfx_skip "conntrack tool missing"
modprobe nf_conntrack_netlink 2>/dev/null
rmmod nfx_nlmmap 2>/dev/null
insmod "$KO" frame_nr=64 || nfx_skip "cannot load $KO"
out=/tmp/nfx-t$nfx_id
cleanup_vm() {
	[ -n "${ev_pid:-}" ] && kill "$ev_pid" 2>/dev/null
	wait 2>/dev/null
	conntrack -D -s 10.99.0.0/16 >/dev/null 2>&1
	rmmod nfx_nlmmap 2>/dev/null
	rm -f $out.*
}
trap cleanup_vm EXIT

t_plan 6

# start a reader, return once it listens
reader() {
	"$NFX_LOADER" -v -j events --kernel --filter "port 4242" "$@" >$out.ev 2>$out.err &
	ev_pid=$!
	for _ in $(seq 50); do grep -q listening $out.err 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
mk() {	# mk FIRST COUNT: UDP entries 10.99.0.FIRST.. -> 192.0.2.2:4242
	local i
	for i in $(seq "$1" $(($1 + $2 - 1))); do
		conntrack -I -p udp -s 10.99.$((i / 250)).$((i % 250 + 1)) -d 192.0.2.2 \
			--sport 1000 --dport 4242 -t 60 >/dev/null 2>&1
	done
}

reader --count 40 --timeout 90
t_check "reader uses the mapped ring" grep -q "nfx_nlmmap ring" $out.err
mk 0 20
conntrack -D -p udp --dport 4242 >/dev/null 2>&1
wait $ev_pid; ev_pid=
t_eq "20 new events" "$(grep -c '"type":"new"' $out.ev)" 20
t_eq "20 end events" "$(grep -c '"type":"end"' $out.ev)" 20
t_check "a second reader of the ring is refused" \
	bash -c "exec 3<>/dev/nfx_nlmmap; ! $NFX_LOADER events --kernel --timeout 1 2>/dev/null"

# overrun: a stopped reader, 200 events into 64 frames; then 64 new,
# one lost record (136) and the 200 entries of the resync dump
reader --timeout 40
kill -STOP $ev_pid
mk 1000 200
kill -CONT $ev_pid
wait $ev_pid; ev_pid=
lost=$(jq -r 'select(.type=="lost") | .lost' $out.ev | awk '{s += $1} END {print s + 0}')
t_eq "drops reported with their exact count" "$lost" 136
t_eq "resync dump delivered the table" "$(grep -c '"type":"sync"' $out.ev)" 200
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nfx on a throw-away topology:
#
#   nfx-client (nfx-c0) ---- (nfx-ra) nfx-router (nfx-rb) ---- (nfx-s0) nfx-server
#
# nfx is attached to both router links, some real traffic crosses it, and
# the flow table and counters are printed. KEEP=1 leaves it all up.
set -u
cd "$(dirname "$0")/.."
. selftests/lib/lib.sh

NS_C=nfx-client NS_R=nfx-router NS_S=nfx-server
IF_C=nfx-c0 IF_RA=nfx-ra IF_RB=nfx-rb IF_S=nfx-s0
export NFX_PIN_ROOT=${NFX_PIN_ROOT_DEMO:-/sys/fs/bpf/nfx}
KEEP=${KEEP:-0}
L="$NFX_LOADER -n $NS_R"

[ "$(id -u)" -eq 0 ] || { echo "make demo: needs root (network namespaces, XDP)"; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

demo_cleanup() {
	[ "$KEEP" = 1 ] && return
	$L detach $IF_RA >/dev/null 2>&1
	$L detach $IF_RB >/dev/null 2>&1
	nfx_cleanup
}

# A previous KEEP=1 run may still be up.
$L detach $IF_RA >/dev/null 2>&1; $L detach $IF_RB >/dev/null 2>&1
ip netns del $NS_C 2>/dev/null; ip netns del $NS_R 2>/dev/null; ip netns del $NS_S 2>/dev/null

step "topology: client $C4 / $C6 -- router -- server $S4 / $S6"
nfx_topology || { echo "demo: cannot build the topology"; exit 1; }
trap demo_cleanup EXIT

step "attach nfx to both router links (one shared flow table)"
run $L attach $IF_RA || exit 1
run $L attach $IF_RB || exit 1

step "traffic: ping, a TCP transfer, a DNS-like UDP exchange"
in_s socat -u TCP-LISTEN:8080,reuseaddr OPEN:/dev/null,creat >/dev/null 2>&1 &
in_s socat UDP6-RECVFROM:5353,fork SYSTEM:'cat' >/dev/null 2>&1 &
sleep 0.3
run in_c ping -c3 -i0.2 $S4 | tail -1
run in_c ping -6 -c3 -i0.2 $S6 | tail -1
echo "\$ head -c 4M /dev/urandom | socat - TCP:$S4:8080"
head -c 4M /dev/urandom | in_c socat -u - TCP:$S4:8080
echo "\$ echo 'query example.test A' | socat - UDP6:[$S6]:5353"
echo "query example.test A" | in_c socat -t1 - UDP6:[$S6]:5353

step "nfx-loader status"
run $L status
step "nfx-loader flows (one entry per connection, both directions in it)"
run $L flows
step "per-protocol counters"
printf '%-10s %10s %10s %14s\n' link proto packets bytes
for ifn in $IF_RA $IF_RB; do
	$L -j status $ifn | jq -r --arg l $ifn '.[0].counters | to_entries[] |
		select(.key|test("^(tcp|udp|icmp|icmpv6|other_l4|other_l3|malformed)$")) |
		select(.value.packets > 0) |
		"\($l)\t\(.key)\t\(.value.packets)\t\(.value.bytes)"' |
		awk -F'\t' '{ printf "%-10s %10s %10s %14s\n", $1, $2, $3, $4 }'
done
step "the pinned maps, readable with bpftool"
run ls $NFX_PIN_ROOT/$IF_RA
echo "\$ bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_flows | head -30"
bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_flows | head -30

if [ "$KEEP" = 1 ]; then
	step "left up (KEEP=1): try"
	echo "  ip netns exec $NS_C ping $S4"
	echo "  $L flows"
	echo "  bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_flows"
	echo "  clean up: $L detach $IF_RA; $L detach $IF_RB; ip netns del $NS_C; ip netns del $NS_R; ip netns del $NS_S"
else
	step "detach and remove the topology"
	run $L detach $IF_RA
	run $L detach $IF_RB
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 NAT benchmark:
#  1. ns/packet of the XDP pipeline through BPF_PROG_TEST_RUN: no NAT
#     configured, NPTv6 translating every packet, NPTv6 on ICMPv6 errors
#     (outer and quoted header);
#  2. UDP packets/s through a router namespace: nfx NPTv6 against the
#     kernel's ip6tables SNPT, nfx NAT66 masquerade against nftables
#     masquerade, each measured in this run (kernel forwarding and XDP
#     redirect for nfx).
# Prints a table; appends JSON Lines to $NFX_BENCH_OUT when set.
#   NFX_BENCH_SECS   seconds per throughput run (default 2)
#   NFX_BENCH_TRIES  runs per throughput figure, the best is kept (default 3)
#   NFX_BENCH_REPEAT PROG_TEST_RUN repeat count (default 2000000)
set -u
cd "$(dirname "$0")/.."
. selftests/lib/lib.sh
TOOL=$NFX_BUILD/tools/bench_npt
SECS=${NFX_BENCH_SECS:-2}
TRIES=${NFX_BENCH_TRIES:-3}
REPEAT=${NFX_BENCH_REPEAT:-2000000}
OUT=${NFX_BENCH_OUT:-/dev/null}
[ "$(id -u)" -eq 0 ] || { echo "bench_npt: needs root" >&2; exit 4; }
[ -x "$TOOL" ] || { echo "bench_npt: $TOOL not built (make tools)" >&2; exit 1; }

emit() {	# metric unit nfx peer peer_value ratio note
	printf '{"bench":"npt","metric":"%s","unit":"%s","nfx":%s,"peer":"%s","peer_value":%s,"ratio":%s,"note":"%s"}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" >>"$OUT"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# ---- 1. PROG_TEST_RUN ----
eval "$("$TOOL" prog "$REPEAT" | awk '{ printf "%s=%s\n", $1, $2 }')"
echo "BPF_PROG_TEST_RUN, $REPEAT runs each (best of 5), ns/packet:"
printf '  %-44s %8.1f\n' "pipeline, IPv6 UDP, no NAT configured" "$base" \
	"NPTv6: source prefix translated" "$npt" \
	"NPTv6: ICMPv6 error, outer + quoted header" "$icmp"
printf '  %-44s %8.1f\n' "single runs: pipeline, no NAT configured" "$single" \
	"single runs: NAT66 masquerade, inside -> out" "$masq_out" \
	"single runs: NAT66 masquerade, reply" "$masq_in"
echo "  (single runs: one per call from a fresh packet, timer cost included)"
r=$(ratio "$base" "$npt")
emit "NPTv6 translation per packet (PROG_TEST_RUN)" "ns/pkt" "$npt" "nfx pipeline without NAT" "$base" "$r" \
	"cost of the whole pipeline with the NPTv6 stage translating; ratio < 1 is the stage's overhead"
emit "NPTv6 ICMPv6 error per packet (PROG_TEST_RUN)" "ns/pkt" "$icmp" "nfx pipeline without NAT" "$base" \
	"$(ratio "$base" "$icmp")" "outer and quoted header rewritten (ICMP errors skip the flow stage)"
emit "NAT66 masquerade outbound, established (PROG_TEST_RUN)" "ns/pkt" "$masq_out" "nfx pipeline without NAT" "$single" \
	"$(ratio "$single" "$masq_out")" "single runs; port probe (keyed hash, bpf_loop) + flow stage + checksum update"
emit "NAT66 masquerade reply (PROG_TEST_RUN)" "ns/pkt" "$masq_in" "nfx pipeline without NAT" "$single" \
	"$(ratio "$single" "$masq_in")" "single runs; the flow stage's lookup finds the entry, translated from it"

# ---- 2. throughput through a router namespace ----
nfx_topology >/dev/null 2>&1 || { echo "bench_npt: cannot build the topology" >&2; exit 1; }
trap nfx_cleanup EXIT
# Full checksums from the sender, as from a wire (see selftests/e2e/test_nat66.sh).
ip netns exec "$NS_C" /usr/bin/python3 - "$IF_C" <<'EOF'
import array, fcntl, socket, struct, sys
buf = array.array("B", struct.pack("II", 0x17, 0))
ifr = struct.pack("16sP", sys.argv[1].encode(), buf.buffer_info()[0])
sk = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
fcntl.ioctl(sk.fileno(), 0x8946, ifr)
EOF

rx() { in_s awk '$1 == "Ip6InReceives" { print $2 }' /proc/net/snmp6; }
# Packets/s received by the server, best of $TRIES runs: the CPUs are
# shared, and the least disturbed run is the closest to the real cost.
measure() {
	local a b i r best=0
	for i in $(seq "$TRIES"); do
		a=$(rx)
		in_c "$TOOL" flood $S6 9 "$SECS" >/dev/null
		sleep 0.2
		b=$(rx)
		r=$(( (b - a) / SECS ))
		[ "$r" -gt "$best" ] && best=$r
	done
	echo "$best"
}
nfx_on() { nfx_loader attach "$IF_RA" >/dev/null && nfx_loader attach "$IF_RB" >/dev/null; }
# The receiver's veth takes redirected frames only with an XDP program:
# the smallest there is (build/nfx_bench_pass.bpf.o), so it costs nothing.
peer_xdp() {
	if [ "$1" = on ]; then
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv obj "$NFX_BUILD/nfx_bench_pass.bpf.o" sec xdp
	else
		ip -n "$NS_S" link set dev "$IF_S" xdpdrv off
	fi
}
nfx_off() { nfx_loader detach "$IF_RA" >/dev/null; nfx_loader detach "$IF_RB" >/dev/null; }

plain=$(measure)

in_r ip6tables -t mangle -A POSTROUTING -o "$IF_RB" -j SNPT --src-pfx fd00:c::/64 --dst-pfx 2001:db8:c::/64 2>/dev/null &&
	in_r ip6tables -t mangle -A PREROUTING -i "$IF_RB" -j DNPT --src-pfx 2001:db8:c::/64 --dst-pfx fd00:c::/64 &&
	have_snpt=1 || have_snpt=0
k_npt=0
[ $have_snpt = 1 ] && k_npt=$(measure)
in_r ip6tables -t mangle -F POSTROUTING 2>/dev/null
in_r ip6tables -t mangle -F PREROUTING 2>/dev/null

nfx_on
nfx_loader npt add "$IF_RB" inside fd00:c::/64 outside 2001:db8:c::/64
n_npt=$(measure)
peer_xdp on
nfx_loader nat66 forward "$IF_RB" xdp
n_npt_xdp=$(measure)
nfx_loader nat66 forward "$IF_RB" kernel
peer_xdp off
nfx_loader npt del "$IF_RB" inside fd00:c::/64
nfx_off

in_r nft -f - <<EOF
table ip6 nfxbench {
	chain post { type nat hook postrouting priority srcnat; oifname "$IF_RB" masquerade; }
}
EOF
k_masq=$(measure)
in_r nft delete table ip6 nfxbench

nfx_on
nfx_loader nat66 add "$IF_RB" inside fd00:c::/64 to $RB6
n_masq=$(measure)
peer_xdp on
nfx_loader nat66 forward "$IF_RB" xdp
n_masq_xdp=$(measure)
peer_xdp off
nfx_off

echo
echo "UDP through the router namespace, packets/s received (best of $TRIES x $SECS s; one sender, veth):"
printf '  %-44s %10s\n' "kernel forwarding, no NAT" "$plain" \
	"kernel ip6tables SNPT/DNPT" "$([ $have_snpt = 1 ] && echo "$k_npt" || echo n/a)" \
	"nfx NPTv6, kernel forwarding" "$n_npt" \
	"nfx NPTv6, XDP redirect" "$n_npt_xdp" \
	"kernel nftables masquerade" "$k_masq" \
	"nfx NAT66 masquerade, kernel forwarding" "$n_masq" \
	"nfx NAT66 masquerade, XDP redirect" "$n_masq_xdp"
echo "ratios (nfx / kernel, > 1: nfx faster; one sender on shared CPUs: expect noise of tens of %):"
if [ $have_snpt = 1 ]; then
	printf '  %-44s %s\n' "NPTv6, kernel forwarding" "$(ratio "$n_npt" "$k_npt")" \
		"NPTv6, XDP redirect" "$(ratio "$n_npt_xdp" "$k_npt")"
	emit "NPTv6 forwarding, kernel forwarding" "pps" "$n_npt" "ip6tables SNPT/DNPT" "$k_npt" \
		"$(ratio "$n_npt" "$k_npt")" "throughput: ratio = nfx/peer, > 1 means nfx better; one UDP sender on veth"
	emit "NPTv6 forwarding, XDP redirect" "pps" "$n_npt_xdp" "ip6tables SNPT/DNPT" "$k_npt" \
		"$(ratio "$n_npt_xdp" "$k_npt")" "throughput: ratio = nfx/peer; receiver veth has an XDP_PASS program (needed for redirect)"
fi
printf '  %-44s %s\n' "NAT66 masquerade, kernel forwarding" "$(ratio "$n_masq" "$k_masq")" \
	"NAT66 masquerade, XDP redirect" "$(ratio "$n_masq_xdp" "$k_masq")"
emit "NAT66 masquerade, kernel forwarding" "pps" "$n_masq" "nftables masquerade" "$k_masq" \
	"$(ratio "$n_masq" "$k_masq")" "throughput: ratio = nfx/peer, > 1 means nfx better"
emit "NAT66 masquerade, XDP redirect" "pps" "$n_masq_xdp" "nftables masquerade" "$k_masq" \
	"$(ratio "$n_masq_xdp" "$k_masq")" "throughput: ratio = nfx/peer"

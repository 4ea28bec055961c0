#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Rules benchmark, all peers measured in this run:
#  1. time to load the same 80,000-rule set with nfx (rules load: parse,
#     compile, batched map fill, atomic switch), iptables-restore and
#     nft -f, each in a network namespace of its own;
#  2. per-packet cost at 10, 1,000, 10,000 and 80,000 rules: nfx through
#     BPF_PROG_TEST_RUN (a cached flow, and a packet classified from
#     scratch), nftables as the cost its forward chain adds per packet on a
#     veth router (UDP blast, delivered pps against an empty ruleset).
# Rule i everywhere: source 10.<i/65536+1>.<i/256%256>.<i%256>/32, UDP
# destination port 1000+i%5000, drop. The test traffic matches no rule,
# so every engine walks its whole ruleset (nft: linearly).
# Environment: NFX_BENCH_OUT (JSON Lines), RULES (default 80000),
# COUNT (packets per blast, default 100000).
set -u
cd "$(dirname "$0")/.."
. selftests/lib/lib.sh
B=$NFX_BUILD
OUT=${NFX_BENCH_OUT:-/dev/null}
N=${RULES:-80000}
COUNT=${COUNT:-100000}
nfx_require_root
T=/tmp/nfx-bench-rules.$$
mkdir -p $T

gen() {	# $1 = format: nfx | ipt | nft, $2 = count
	awk -v n="$2" -v f="$1" 'BEGIN {
		if (f == "ipt") print "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]";
		if (f == "nft") print "table inet nfxb {\n chain filt {\n  type filter hook forward priority 0; policy accept;";
		for (i = 0; i < n; i++) {
			a = sprintf("10.%d.%d.%d", int(i / 65536) + 1, int(i / 256) % 256, i % 256);
			p = 1000 + i % 5000;
			if (f == "nfx") printf "ip saddr %s udp dport %d drop\n", a, p;
			else if (f == "ipt") printf "-A FORWARD -s %s/32 -p udp --dport %d -j DROP\n", a, p;
			else printf "  ip saddr %s udp dport %d drop\n", a, p;
		}
		if (f == "ipt") print "COMMIT";
		if (f == "nft") print " }\n}";
	}'
}
now() { date +%s.%N; }
json() {	# printf: bc prints ".5", which JSON does not allow
	local r
	r=$(echo "scale=3; if ($3 > 0) $5/$3 else 0" | bc)
	printf '{"bench":"rules","metric":"%s","unit":"%s","nfx":%.4f,"peer":"%s","peer_value":%.4f,"ratio":%.3f,"note":"%s"}\n' \
		"$1" "$2" "$3" "$4" "$5" "$r" "$6" >>"$OUT"
}

gen nfx $N >$T/nfx.rules
gen ipt $N >$T/ipt.rules
gen nft $N >$T/nft.rules

# --- 1. load time -----------------------------------------------------------
nfx_topology >/dev/null || { echo "bench_rules: topology failed"; exit 1; }
nfx_loader attach $IF_RA >/dev/null || exit 1
t0=$(now)
nfx_loader -j rules load $T/nfx.rules >$T/nfx.json || exit 1
t1=$(now)
nfx_s=$(echo "$t1 - $t0" | bc)
read -r parse build sw <<<"$(jq -r '"\(.parse_ns/1e6) \(.build_ns/1e6) \(.switch_ns/1e6)"' $T/nfx.json)"
nfx_loader detach $IF_RA >/dev/null

ip netns add nfxb-ipt$$ && ip netns add nfxb-nft$$
ipt_bin=iptables-restore
t0=$(now); ip netns exec nfxb-ipt$$ $ipt_bin <$T/ipt.rules; ipt_rc=$?; t1=$(now)
ipt_s=$(echo "$t1 - $t0" | bc)
ipt_cnt=$(ip netns exec nfxb-ipt$$ iptables -S FORWARD 2>/dev/null | grep -c DROP)
t0=$(now); ip netns exec nfxb-nft$$ nft -f $T/nft.rules; nft_rc=$?; t1=$(now)
nft_s=$(echo "$t1 - $t0" | bc)
nft_cnt=$(ip netns exec nfxb-nft$$ nft -a list chain inet nfxb filt 2>/dev/null | grep -c drop)
ip netns del nfxb-ipt$$; ip netns del nfxb-nft$$

echo "load $N rules (wall clock, each in its own netns)"
printf '  %-28s %8.3f s   (parse %.0f ms, build+fill %.0f ms, switch %.3f ms)\n' "nfx-loader rules load" $nfx_s $parse $build $sw
printf '  %-28s %8.3f s   (%s rules in FORWARD, exit %s; %s backend)\n' "iptables-restore" $ipt_s $ipt_cnt $ipt_rc \
	"$(iptables -V | grep -o 'nf_tables\|legacy')"
printf '  %-28s %8.3f s   (%s rules in the chain, exit %s)\n' "nft -f" $nft_s $nft_cnt $nft_rc
printf '  ratios: iptables-restore/nfx %.2f, nft/nfx %.2f\n' \
	"$(echo "scale=3; $ipt_s/$nfx_s" | bc)" "$(echo "scale=3; $nft_s/$nfx_s" | bc)"
json load_80k_s s $nfx_s iptables-restore $ipt_s "$N rules, wall clock incl. parse; nfx switch ${sw} ms"
json load_80k_s s $nfx_s "nft -f" $nft_s "$N rules, wall clock incl. parse"

# --- 2. per packet ----------------------------------------------------------
in_s nft -f - <<'NFT'
table inet nfxsink {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		counter drop
	}
}
NFT
delivered() { in_s nft -j list chain inet nfxsink pre | jq '[.nftables[] | .rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add'; }
blast() {
	local r secs before
	before=$(delivered)
	r=$(in_c "$B/tools/nfx-blast" -d $S4 -p 9 -n $COUNT)
	sleep 0.2
	secs=$(echo "$r" | awk '{print $2}')
	echo "scale=0; ($(delivered) - $before)/$secs" | bc
}
best() { local b=0 v i; for i in 1 2; do v=$(blast); [ "${v%.*}" -gt "${b%.*}" ] && b=$v; done; echo $b; }
ns() { echo "scale=1; 1000000000/$1" | bc; }
pps0=$(best)
base=$("$B/tools/bench_rules" -n 0 2>/dev/null)
echo
echo "per packet (traffic matches no rule)"
printf '  %8s %14s %14s %16s %14s %8s\n' rules "nfx cached" "nfx classify" "nft added" "nft pps" ratio
for n in 10 1000 10000 $N; do
	read -r _ est cls _ _ <<<"$("$B/tools/bench_rules" -n $n 2>/dev/null)"
	gen nft $n | in_r nft -f -
	pps=$(best)
	in_r nft delete table inet nfxb
	added=$(echo "scale=1; $(ns $pps) - $(ns $pps0)" | bc)
	ratio=$(echo "scale=2; if ($cls > 0) $added/$cls else 0" | bc)
	printf '  %8s %11s ns %11s ns %13s ns %14s %8s\n' $n $est $cls $added $pps $ratio
	json "ns_per_pkt_${n}_rules" ns/pkt $cls "nftables forward chain (veth router, added)" $added \
		"nfx: PROG_TEST_RUN, packet classified from scratch (cached flow: $est ns whole pipeline)"
done
echo "  nfx cached: whole XDP pipeline for an established flow (verdict cached in the flow)"
echo "  nfx classify: whole pipeline for an untracked packet, classifier run every time"
echo "  nft added: delivered-pps cost of the forward chain over an empty ruleset"
rm -rf $T

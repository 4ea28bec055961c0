#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster benchmark:
#  1. ns/packet of the ownership check (bench_cluster, BPF_PROG_TEST_RUN):
#     the same pipeline and flow with the cluster stage off, and on;
#  2. failover time on the two-node netns cluster (selftests/lib/cluster.sh):
#     UDP flows at 1000 packets/s each; node 2 dies; for the flows it owned
#     the longest run of packets lost at the server (1 packet = 1 ms) is the
#     time from the last packet through node 2 to the first through node 1
#     (counted in packets, so a sender or sink short of CPU does not bias it). VRRP adverts every
#     ${CL_ADVERT:-0.1} s, so keepalived's master-down interval is the
#     floor: 3 x advert + skew;
#  3. established TCP connections surviving the failover, with the state
#     conntrackd replicated committed on takeover, against the same cluster
#     without it (strict conntrack on the nodes drops what it does not know).
set -u
cd "$(dirname "$0")/.."
. selftests/lib/lib.sh
B=$NFX_BUILD
OUT=${NFX_BENCH_OUT:-/dev/null}
PY=/usr/bin/python3
TRAFFIC=selftests/lib/cluster_traffic.py

# One failover run in a fresh cluster; prints a JSON summary.
failover_run() {
	. selftests/lib/cluster.sh
	cl_topology >/dev/null 2>&1 || { echo '{"error":"topology"}'; return 1; }
	cl_node_up 1 >/dev/null && cl_node_up 2 >/dev/null && cl_wait_alive "1 2" 15 ||
		{ echo '{"error":"cluster did not form"}'; return 1; }
	ip netns exec "$NS_C" ping -c1 -W1 $SRV4 >/dev/null 2>&1
	in_ns "$NS_S" socat TCP4-LISTEN:7000,reuseaddr,fork SYSTEM:cat >/dev/null 2>&1 &
	in_ns "$NS_S" $PY $TRAFFIC sink --bind "$SRV4:7100" --duration 12 --idle 2 >"$CL_DIR/sink.json" &
	local sink=$! t0 t1
	sleep 0.3
	in_ns "$NS_C" $PY $TRAFFIC tcp --connect "$SRV4:7000" -n 16 --duration 6 \
		--interval 0.05 >"$CL_DIR/tcp.json" 2>/dev/null &
	local tcp=$!
	in_ns "$NS_C" $PY $TRAFFIC udp --connect "$SRV4:7100" -n 8 --rate 1000 --duration 6 &
	local udp=$!
	sleep 2.5
	t0=$(date +%s.%N)
	cl_node_kill 2
	cl_wait_alive "1" 10
	t1=$(date +%s.%N)
	wait $udp $tcp
	wait $sink
	jq -c --argjson det "$(awk "BEGIN{print $t1 - $t0}")" \
		--slurpfile tcp "$CL_DIR/tcp.json" \
		'{flows: length,
		  failed_over: ([.[] | select(.longest_loss > 20)] | length),
		  failover_ms: ([.[] | .longest_loss] | max),
		  detect_s: $det,
		  tcp_total: $tcp[0].total, tcp_surviving: $tcp[0].surviving, losses: [.[] | .longest_loss]}' "$CL_DIR/sink.json"
}

if [ "${1:-}" = --failover-run ]; then
	failover_run
	exit
fi

"$B/tools/bench_cluster" || exit 1

nfx_require_root
for c in keepalived conntrackd nsenter jq socat; do
	command -v $c >/dev/null || { echo "bench_cluster: $c missing, failover part skipped"; exit 0; }
done
echo
echo "failover, two nodes in netns (VRRP advert ${CL_ADVERT:-0.1} s), node 2 killed"
with=$("$0" --failover-run)
without=$(CL_NO_COMMIT=1 "$0" --failover-run)
for v in "$with" "$without"; do
	echo "$v" | jq -e '.flows > 0 and .tcp_total > 0' >/dev/null 2>&1 || { echo "bench_cluster: failover run failed: $v"; exit 1; }
done
fo=$(echo "$with" | jq .failover_ms)
floor=$(awk "BEGIN{a=${CL_ADVERT:-0.1}; print (3 * a + (256 - 200) / 256 * a) * 1000}")
printf '  %-52s %8s ms  (%s of %s UDP flows moved)\n' "failover time (last packet via node 2 -> first via 1)" \
	"$fo" "$(echo "$with" | jq .failed_over)" "$(echo "$with" | jq .flows)"
printf '  %-52s %8s ms\n' "VRRP master-down interval (detection floor)" "$floor"
printf '  %-52s %8s s\n' "membership updated on the survivor after" "$(echo "$with" | jq '.detect_s * 100 | round / 100')"
printf '  %-52s %5s / %s\n' "TCP connections surviving, conntrackd state committed" \
	"$(echo "$with" | jq .tcp_surviving)" "$(echo "$with" | jq .tcp_total)"
printf '  %-52s %5s / %s\n' "TCP connections surviving, without replicated state" \
	"$(echo "$without" | jq .tcp_surviving)" "$(echo "$without" | jq .tcp_total)"
echo "{\"bench\":\"cluster\",\"metric\":\"failover_time\",\"unit\":\"ms\",\"nfx\":$fo,\"peer\":\"VRRP master-down interval\",\"peer_value\":$floor,\"ratio\":$(awk "BEGIN{printf \"%.3f\", $floor / ($fo > 0 ? $fo : 1)}"),\"note\":\"UDP flows at 1 kpps, longest loss run at the server for flows owned by the killed node; keepalived advert ${CL_ADVERT:-0.1} s\"}" >>"$OUT"
ws=$(echo "$with" | jq '.tcp_surviving / .tcp_total')
wo=$(echo "$without" | jq '.tcp_surviving / .tcp_total')
echo "{\"bench\":\"cluster\",\"metric\":\"tcp_surviving_fraction\",\"unit\":\"fraction\",\"nfx\":$ws,\"peer\":\"same cluster without conntrackd commit\",\"peer_value\":$wo,\"ratio\":$(awk "BEGIN{printf \"%.3f\", $wo / ($ws > 0 ? $ws : 1)}"),\"note\":\"16 established TCP connections, strict conntrack (tcp_loose=0) on the nodes; higher is better\"}" >>"$OUT"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# nfx-loader events end to end: a TCP connection through the router
# namespace shows up as new / state / end events from the datapath's
# per-CPU rings, and as kernel conntrack events with --kernel.
source "$(dirname "$0")/../lib/lib.sh"

nfx_require_root
command -v socat >/dev/null || nfx_skip "socat missing"
command -v jq >/dev/null || nfx_skip "jq missing"
nfx_topology || nfx_skip "cannot build the netns topology"

t_plan 17
out=/tmp/nfx-t$nfx_id

# Start `nfx-loader events ARGS` in the background; returns once it listens.
events_bg() {
	local tag=$1
	shift
	nfx_loader -v "$@" >"$out.$tag" 2>"$out.$tag.err" &
	local i
	for i in $(seq 50); do
		grep -q listening "$out.$tag.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# One short TCP connection client -> server:PORT, closed by both sides.
tcp_once() {
	in_s socat -T2 TCP-LISTEN:"$1",reuseaddr SYSTEM:'echo hello' &
	local srv=$!
	sleep 0.3
	in_c socat -T2 - TCP:$S4:"$1" </dev/null >/dev/null
	wait $srv 2>/dev/null
}

t_check "attach --event-ring rejects a size that is not a power of 2" \
	bash -c "! $NFX_LOADER -n $NS_R attach --event-ring 5000 $IF_RA 2>$out.bad"
t_check "the error names the ring size" grep -q "event ring size 5000" $out.bad
t_check "failed attach leaves no pins" bash -c "[ ! -e $NFX_PIN_ROOT/$IF_RA ]"
t_check "attach client side" nfx_loader attach $IF_RA
t_check "attach server side" nfx_loader attach $IF_RB

# --- datapath events -------------------------------------------------------
events_bg all -j events --filter "port 8080" --count 8 --timeout 15
all_pid=$!
nfx_loader events --timeout 1 >/dev/null 2>$out.second
t_eq "a second reader of the same rings is refused" \
	"$?:$(grep -c 'one consumer' $out.second)" "1:1"
tcp_once 8080
wait $all_pid
t_eq "events --count 8 got all events of the connection" "$?" 0
types=$(jq -r .type $out.all | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
t_eq "one new, six state changes, one end" "$types" "end:1 new:1 state:6 "
t_eq "new event: initiator is the client" \
	"$(jq -r 'select(.type=="new") | "\(.src) \(.dport) \(.state)"' $out.all)" "$C4 8080 SYN_SENT"
t_eq "states in order" \
	"$(jq -r 'select(.type=="state") | .state' $out.all | tr '\n' ' ')" \
	"SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT "
end_pk=$(jq -r 'select(.type=="end") | "\(.reason) \(.orig_packets > 2) \(.reply_packets > 2) \(.assured)"' $out.all)
t_eq "end event: closed, with final counters" "$end_pk" "close true true true"
events_bg ends events $IF_RA --filter "type end" proto tcp --count 1 --timeout 15
ends_pid=$!
tcp_once 8082
wait $ends_pid
t_eq "filtered listener saw exactly the end event" \
	"$(awk '{print $2, $3, $6}' $out.ends)" "end tcp $S4:8082"

nfx_loader -j status $IF_RA >$out.status
t_eq "status counts emitted events" "$(jq -r '.[0].events.emitted >= 8' $out.status)" true
t_eq "status: nothing dropped" "$(jq -r '.[0].events.dropped' $out.status)" 0

# --- kernel conntrack events -----------------------------------------------
# Conntrack only tracks a namespace that has a rule asking for it.
in_r nft -f - <<EOF
table inet nfxevt {
	chain forward_ct {
		type filter hook forward priority 0;
		ct state new,established,related accept
	}
}
EOF
modprobe nf_conntrack_netlink 2>/dev/null	# a module on distribution kernels
events_bg kern -j events --kernel --filter "port 8081" --timeout 120
kern_pid=$!
tcp_once 8081
# The entry would linger in TIME_WAIT: destroy it to see the end event.
in_r conntrack -D -p tcp --dport 8081 >/dev/null 2>&1
# Events are printed as they arrive; stop the reader once the last is due.
for _ in $(seq 100); do
	grep -q '"type":"end"' $out.kern 2>/dev/null && break
	sleep 0.1
done
kill -TERM $kern_pid
wait $kern_pid
types=$(jq -r .type $out.kern | sort -u | tr '\n' ' ')
t_eq "--kernel saw new, updates and the destroy" "$types" "end new state "
t_eq "kernel events come in the same format" \
	"$(jq -r 'select(.type=="new") | "\(.source) \(.src) \(.dport) \(.ct_id > 0)"' $out.kern)" \
	"kernel $C4 8081 true"
t_eq "kernel end event" "$(jq -r 'select(.type=="end") | .reason' $out.kern)" destroy

[ "${KEEP_OUT:-0}" = 1 ] && cp $out.* /tmp/evkeep/ 2>/dev/null
t_done

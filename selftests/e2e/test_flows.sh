#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Real traffic through the router: exactly one flow entry per connection,
# both directions counted in it, for TCP, UDP and ICMP over IPv4 and IPv6.
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
command -v socat >/dev/null || nfx_skip "socat missing"
nfx_topology || { echo "# topology failed"; exit 1; }

t_plan 16
t_check "attach client side" nfx_loader attach "$IF_RA"
t_check "attach server side (shares the table)" nfx_loader attach "$IF_RB"

in_s socat -u TCP4-LISTEN:8080,reuseaddr,fork OPEN:/dev/null,creat >/dev/null 2>&1 &
in_s socat -u TCP6-LISTEN:8086,reuseaddr,fork OPEN:/dev/null,creat >/dev/null 2>&1 &
in_s socat UDP4-RECVFROM:5353,fork SYSTEM:cat >/dev/null 2>&1 &
sleep 0.5

for i in 1 2 3; do
	head -c 200000 /dev/zero | in_c socat -u - TCP4:$S4:8080 || true
done
head -c 50000 /dev/zero | in_c socat -u - TCP6:[$S6]:8086 || true
echo ping | in_c socat -t1 - UDP4:$S4:5353 >/dev/null
in_c ping -c3 -i0.2 -W1 $S4 >/dev/null
in_c ping -6 -c3 -i0.2 -W1 $S6 >/dev/null
sleep 0.3

J=/tmp/nfx-t$nfx_id.flows
nfx_loader -j flows >"$J"
t_eq "three TCP/IPv4 connections, three entries" \
	"$(jq '[.[] | select(.proto=="tcp" and .family==4 and .dport==8080)] | length' "$J")" 3
t_eq "every TCP entry saw both directions" \
	"$(jq '[.[] | select(.proto=="tcp" and .dport==8080 and .orig_packets>0 and .reply_packets>0)] | length' "$J")" 3
t_eq "client is the initiator" \
	"$(jq -r '[.[] | select(.proto=="tcp" and .dport==8080)][0].src' "$J")" "$C4"
t_eq "TCP bytes from the client >= 200000" \
	"$(jq '[.[] | select(.proto=="tcp" and .dport==8080)][0].orig_bytes >= 200000' "$J")" true
t_check "TCP entries are assured and closing or closed" sh -c \
	"jq -e '[.[] | select(.proto==\"tcp\" and .dport==8080) | select(.assured and (.state==\"TIME_WAIT\" or .state==\"CLOSE\" or .state==\"LAST_ACK\" or .state==\"CLOSE_WAIT\" or .state==\"FIN_WAIT\"))] | length == 3' $J"
t_eq "one TCP/IPv6 entry" \
	"$(jq '[.[] | select(.proto=="tcp" and .family==6 and .dport==8086)] | length' "$J")" 1
t_eq "one UDP entry, assured (reply seen)" \
	"$(jq '[.[] | select(.proto=="udp" and .dport==5353 and .assured)] | length' "$J")" 1
t_eq "one ICMP echo entry with 3 requests and 3 replies" \
	"$(jq '[.[] | select(.proto=="icmp" and .orig_packets==3 and .reply_packets==3)] | length' "$J")" 1
t_eq "one ICMPv6 echo entry" \
	"$(jq '[.[] | select(.proto=="icmpv6" and .orig_packets==3)] | length' "$J")" 1
t_eq "flows --count agrees with the listing" \
	"$(nfx_loader flows --count)" "$(jq 'length' "$J")"
t_eq "filter: proto tcp port 8080" \
	"$(nfx_loader -j flows proto tcp port 8080 | jq length)" 3
t_check "table output has a header and rows" sh -c "nfx_loader() { $NFX_LOADER -n $NS_R \"\$@\"; }; nfx_loader flows | grep -q '^tcp '"
t_check "detach both" sh -c "$NFX_LOADER -n $NS_R detach $IF_RA && $NFX_LOADER -n $NS_R detach $IF_RB"
t_check "no pins left" sh -c "! test -e $NFX_PIN_ROOT"
t_done

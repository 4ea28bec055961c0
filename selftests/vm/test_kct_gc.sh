#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pressure-adaptive GC: with a small nf_conntrack_max and the table 90% full,
# remaining timeouts are capped at the protocol timeout times the scale
# (start 50%, end 100%: scale 0.2); at or past the end fill, unassured
# entries are dropped and the rest capped at the floor.
. "$(dirname "$0")"/kct_lib.sh
need_vm_module

tmp=$(mktemp -d)
max0=$(sysctl -n net.netfilter.nf_conntrack_max)
udp0=$(sysctl -n net.netfilter.nf_conntrack_udp_timeout)
cleanup() {
	"$KCT" gc set off >/dev/null 2>&1
	sysctl -qw net.netfilter.nf_conntrack_max="$max0"
	conntrack -F >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
mark_dmesg

conntrack -F >/dev/null 2>&1
sysctl -qw net.netfilter.nf_conntrack_max=1000
awk 'BEGIN {
	for (i = 0; i < 800; i++)
		printf "-I -s 10.9.%d.%d -d 10.8.0.1 -p udp --sport %d --dport 53 -t 120\n", i / 200, i % 200 + 1, 2000 + i
	for (i = 0; i < 100; i++)
		printf "-I -s 10.7.0.%d -d 10.8.0.2 -p tcp --sport %d --dport 443 --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 3000\n", i + 1, 3000 + i
}' >"$tmp"/load
conntrack -R "$tmp"/load >/dev/null 2>&1
check "900 entries with nf_conntrack_max 1000" test "$(conntrack -C)" -eq 900

# max_timeout PROTO: the largest remaining timeout among PROTO's entries.
max_timeout() { conntrack -L -p "$1" 2>/dev/null | awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }'; }
count() { conntrack -L -p "$1" 2>/dev/null | wc -l; }

out=$("$KCT" gc get)
echo "# before: $out"
check "gc off at load: nothing scaled yet" test "$(max_timeout udp)" -gt 100

"$KCT" gc set on start=50 end=100 interval=200 min_timeout=1
sleep 1
out=$("$KCT" gc get)
echo "# under pressure: $out"
check "gc get reports fill 90% and scale 0.2" \
	grep -q 'enabled=1 start=50 end=100 interval=200 min_timeout=1 fill=90.0% scale=0.200 count=900 max=1000' <<<"$out"
cap=$(( udp0 * 200 / 1000 ))
m=$(max_timeout udp)
check "UDP timeouts capped at ${udp0}s x 0.2 = ${cap}s (max now ${m}s)" test "$m" -le "$cap"
m=$(max_timeout tcp)
check "established TCP under its scaled cap is untouched (max ${m}s)" test "$m" -gt 2900
sh=$(sed -n 's/.*shortened=\([0-9]*\).*/\1/p' <<<"$out")
check "shortened counter counts the UDP entries ($sh)" test "${sh:-0}" -ge 800

# Past the end fill: unassured entries go, assured ones keep the floor.
"$KCT" gc set start=50 end=85 min_timeout=60
sleep 1
out=$("$KCT" gc get)
echo "# past the end: $out"
check "unassured UDP entries dropped" test "$(count udp)" -eq 0
check "assured TCP entries kept" test "$(count tcp)" -eq 100
m=$(max_timeout tcp)
check "assured TCP timeouts capped at the 60s floor (max ${m}s)" test "$m" -le 60
dr=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' <<<"$out")
check "dropped counter ($dr)" test "${dr:-0}" -ge 800

"$KCT" gc set off
check "gc off" grep -q 'enabled=0' <<<"$("$KCT" gc get)"
check "no kernel warnings" dmesg_clean
finish

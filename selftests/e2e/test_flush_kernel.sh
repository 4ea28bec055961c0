#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flush --kernel removes exactly the matching kernel conntrack entries of
# the namespace: through ctnetlink on the host, through the nfx_ct module
# where it is loaded (the test VM).
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
command -v conntrack >/dev/null || nfx_skip "conntrack tool missing"
trap nfx_cleanup EXIT
ip netns add "$NS_R" || exit 1
in_r conntrack -L >/dev/null 2>&1 || nfx_skip "no conntrack in network namespaces"

for i in $(seq 1 30); do
	in_r conntrack -I -p tcp -s 198.51.100.$i -d 203.0.113.1 --sport $((20000 + i)) \
		--dport 80 --state ESTABLISHED -t 300 -u ASSURED >/dev/null 2>&1
	in_r conntrack -I -p udp -s 198.51.100.$i -d 203.0.113.1 --sport $((20000 + i)) \
		--dport 53 -t 300 >/dev/null 2>&1
done
for i in $(seq 1 10); do
	in_r conntrack -I -p udp -s 192.0.2.$i -d 203.0.113.9 --sport 4000 --dport 4000 \
		-t 300 -m 7 >/dev/null 2>&1
done
total=$(in_r conntrack -L 2>/dev/null | wc -l)
[ "$total" -eq 70 ] || nfx_skip "could not create conntrack entries ($total of 70)"

t_plan 9
J=/tmp/nfx-t$nfx_id.json
"$NFX_LOADER" -n "$NS_R" -j flush --kernel --dry-run proto tcp >"$J"
t_eq "dry run counts the 30 TCP entries" "$(jq .matched "$J")" 30
t_eq "dry run removes nothing" "$(in_r conntrack -L 2>/dev/null | wc -l)" 70
want=ctnetlink
[ -d /sys/module/nfx_ct ] && want=module
t_eq "path reported ($want)" "$(jq -r .path "$J")" $want
"$NFX_LOADER" -n "$NS_R" -j flush --kernel proto tcp >"$J"
t_eq "removed the 30 TCP entries" "$(jq .removed "$J")" 30
t_eq "the 40 UDP entries remain" "$(in_r conntrack -L -p udp 2>/dev/null | wc -l)" 40
# A mark alone is a filter the kernel's own flush applies in one request.
"$NFX_LOADER" -n "$NS_R" -j flush --kernel mark 7 >"$J"
want=ctnetlink-filter
[ -d /sys/module/nfx_ct ] && want=module
t_eq "mark flush path ($want)" "$(jq -r .path "$J")" $want
t_eq "mark flush removed the 10 marked entries" "$(jq .removed "$J")" 10
t_eq "the other 30 UDP entries remain" "$(in_r conntrack -L -p udp 2>/dev/null | wc -l)" 30
"$NFX_LOADER" -n "$NS_R" flush --kernel prto tcp >/dev/null 2>&1
t_eq "a bad predicate is a usage error" "$?" 2
t_done

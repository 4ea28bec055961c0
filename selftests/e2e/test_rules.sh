#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Rules on a real router: a drop rule drops, a mark rule marks the flow,
# counters count, a bad file changes nothing, a delete takes effect.
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
nfx_topology || { echo "# topology failed"; exit 1; }

t_plan 16
t_check "attach client side" nfx_loader attach "$IF_RA"
R=/tmp/nfx-t$nfx_id.rules
cat >"$R" <<EOT
# drop pings to the server, mark UDP to port 5353, accept the rest
ip daddr $S4/32 meta l4proto icmp drop
udp dport 5353 meta mark set 0x2a
ip6 daddr $S6/128 meta l4proto icmpv6 count
EOT
t_check "rules load" nfx_loader rules load "$R"
if in_c ping -c2 -i0.2 -W1 $S4 >/dev/null 2>&1; then t_not_ok "ping is dropped"; else t_ok "ping is dropped"; fi
in_c ping -6 -c2 -i0.2 -W1 $S6 >/dev/null 2>&1
t_check "ping6 passes (count rule)" in_c ping -6 -c1 -W1 $S6
echo hi | in_c socat -t0.5 - UDP4:$S4:5353 >/dev/null 2>&1 || true
sleep 0.2
J=$(nfx_loader -j rules stats)
t_eq "drop rule counted the pings" "$(echo "$J" | jq '.[0].packets')" 2
t_eq "count rule counted the pings6" "$(echo "$J" | jq '.[2].packets')" 3
t_eq "mark rule matched" "$(echo "$J" | jq '.[1].packets >= 1')" true
t_eq "flow carries the mark" \
	"$(nfx_loader -j flows | jq '[.[] | select(.proto=="udp" and .dport==5353)][0].mark')" 42

BAD=/tmp/nfx-t$nfx_id.bad
printf 'accept\nip saddr 10.0.0.0/33 drop\n' >"$BAD"
out=$(nfx_loader rules load "$BAD" 2>&1)
t_eq "bad file names line and column" "$(echo "$out" | grep -o "$BAD:2:19:")" "$BAD:2:19:"
t_eq "bad file changed nothing" "$(nfx_loader -j rules list | jq length)" 3

H=$(nfx_loader -j rules list | jq '.[0].handle')
t_check "delete the drop rule" nfx_loader rules del "$H"
t_check "ping passes after the delete" in_c ping -c1 -W1 $S4
t_eq "two rules left" "$(nfx_loader -j rules list | jq length)" 2
t_eq "rules add is applied in place" "$(nfx_loader -j rules add ip daddr $S4 meta l4proto icmp drop | jq .incremental)" true
if in_c ping -c1 -W1 $S4 >/dev/null 2>&1; then t_not_ok "appended drop rule drops"; else t_ok "appended drop rule drops"; fi
t_check "detach" nfx_loader detach "$IF_RA"
rm -f "$R" "$BAD"
t_done

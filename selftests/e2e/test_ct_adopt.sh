#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A connection that existed before attach is adopted from the kernel's
# conntrack in its real state, instead of being picked up mid-stream.
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
command -v socat >/dev/null || nfx_skip "socat missing"
command -v nft >/dev/null || nfx_skip "nft missing"
nfx_topology || { echo "# topology failed"; exit 1; }

# Conntrack runs in a namespace only once a rule needs it.
in_r nft -f - <<'NFT' || nfx_skip "nftables conntrack expressions unavailable"
table inet nfxt {
	chain forward_filter {
		type filter hook forward priority 0; policy accept;
		ct state established,related accept
	}
}
NFT

t_plan 6
in_s socat -u TCP4-LISTEN:8081,reuseaddr OPEN:/dev/null,creat >/dev/null 2>&1 &
sleep 0.3
# Connect now, send data only after nfx is attached.
(sleep 2; head -c 100000 /dev/zero) | in_c socat -u - TCP4:$S4:8081 &
for i in $(seq 1 20); do
	in_r conntrack -L -p tcp --dport 8081 2>/dev/null | grep -q ESTABLISHED && break
	sleep 0.1
done
t_check "kernel conntrack knows the connection" sh -c \
	"ip netns exec $NS_R conntrack -L -p tcp --dport 8081 2>/dev/null | grep -q ESTABLISHED"
t_check "attach after the connection exists" nfx_loader attach "$IF_RA"
nfx_loader attach "$IF_RB" >/dev/null
J=/tmp/nfx-t$nfx_id.json
nfx_loader -j status "$IF_RA" >"$J"
if [ "$(jq '.[0].ct_adopt' "$J")" != true ]; then
	for i in 3 4 5 6; do t_skip "adoption check $i" "kernel has no conntrack kfuncs"; done
	t_done
fi
# The data follows 2 s after connecting; allow slow machines (TCG) time.
for i in $(seq 1 40); do
	nfx_loader -j flows proto tcp port 8081 >"$J"
	[ "$(jq length "$J")" -ge 1 ] && break
	sleep 0.25
done
t_eq "one entry" "$(jq length "$J")" 1
t_eq "adopted from kernel conntrack" "$(jq -r '.[0].adopted' "$J")" true
t_eq "initiator is the client" "$(jq -r '.[0].src' "$J")" "$C4"
t_check "state followed from ESTABLISHED (assured, not mid-stream)" sh -c \
	"jq -e '.[0].assured and (.[0].flags | test(\"M\") | not)' $J"
t_done

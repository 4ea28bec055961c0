#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Over veth: a long-lived TCP connection survives a spoofed SYN/UDP flood
# (the flood fills only the unassured tier, one /24 is held to its quota),
# a selective flush of UNREPLIED flows removes the flood and nothing else,
# and detach leaves no collector program behind.
source "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
/usr/bin/python3 -c 'import scapy' 2>/dev/null || nfx_skip "python3-scapy missing"
command -v socat >/dev/null || nfx_skip "socat missing"
command -v bpftool >/dev/null || nfx_skip "bpftool missing"
nfx_topology || nfx_skip "cannot build the topology"

t_plan 17
FLAG=/tmp/nfx-t$nfx_id.flag
CLOG=/tmp/nfx-t$nfx_id.client

t_check "attach $IF_RA" nfx_loader attach "$IF_RA"
t_check "attach $IF_RB" nfx_loader attach "$IF_RB"
t_check "gc set quota=32" nfx_loader gc set quota=32 quota.prefix4=24
t_eq "one collector for both links, running" "$(nfx_loader -j gc show | jq -c '[.[].running]')" "[true]"

in_s socat TCP-LISTEN:7000,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
sleep 0.5
# The client keeps one connection open across the flood and the flush.
in_c /usr/bin/python3 - "$S4" "$FLAG" >"$CLOG" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 7000), timeout=10)
def echo(msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        part = s.recv(100)
        if not part:
            break
        got += part
    return got == msg
print("round1", echo(b"before flood\n"), flush=True)
for n in (1, 2):
    for _ in range(600):
        if os.path.exists(sys.argv[2] + str(n)):
            break
        time.sleep(0.1)
    print("round%d" % (n + 1), echo(b"after step %d\n" % n), flush=True)
PY
CPID=$!
for _ in $(seq 50); do grep -q round1 "$CLOG" && break; sleep 0.1; done
t_check "connection up before the flood" grep -q "round1 True" "$CLOG"

RA_MAC=$(ip -n "$NS_R" -j link show "$IF_RA" | jq -r '.[0].address')
in_c /usr/bin/python3 - "$IF_C" "$RA_MAC" "$S4" <<'PY' >/dev/null 2>&1
import random, sys
from scapy.all import Ether, IP, TCP, UDP, sendp
iface, mac, dst = sys.argv[1:4]
random.seed(7)
pk = []
for i in range(1500):   # spoofed SYNs from everywhere
    src = "10.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))
    pk.append(Ether(dst=mac)/IP(src=src, dst=dst)/TCP(sport=random.randrange(1024, 65535), dport=7000, flags="S"))
for i in range(500):    # spoofed UDP
    src = "10.%d.%d.%d" % (random.randrange(256), random.randrange(256), random.randrange(1, 255))
    pk.append(Ether(dst=mac)/IP(src=src, dst=dst)/UDP(sport=random.randrange(1024, 65535), dport=9))
for i in range(400):    # one /24, over its quota of 32
    pk.append(Ether(dst=mac)/IP(src="100.64.1.%d" % (1 + i % 250), dst=dst)/TCP(sport=20000 + i, dport=7000, flags="S"))
sendp(pk, iface=iface, verbose=0)
PY

touch "${FLAG}1"
for _ in $(seq 100); do grep -q round2 "$CLOG" && break; sleep 0.1; done
t_check "long-lived connection works after the flood" grep -q "round2 True" "$CLOG"
assured=$(nfx_loader flows -c assured tcp port 7000)
t_check "its flow is still ASSURED ($assured)" test "$assured" -ge 1
quota=$(nfx_loader -j status "$IF_RA" | jq '.[0].counters.flow_quota.packets')
t_check "quota refusals counted ($quota)" test "$quota" -ge 300
unrep=$(nfx_loader flows -c unreplied)
dry=$(nfx_loader -j flush unreplied --dry-run | jq '[.[].matched] | add')
t_eq "dry run counts the unreplied flows" "$dry" "$unrep"
t_eq "dry run removes nothing" "$(nfx_loader flows -c unreplied)" "$unrep"
# Flush and collector removals are reported as END events, reason evicted.
EVLOG=/tmp/nfx-t$nfx_id.events
nfx_loader -v -j events --filter "type end" --count "$unrep" --timeout 10 >"$EVLOG" 2>"$EVLOG.err" &
EVPID=$!
for _ in $(seq 50); do grep -q listening "$EVLOG.err" 2>/dev/null && break; sleep 0.1; done
removed=$(nfx_loader -j flush unreplied | jq '[.[].removed] | add')
t_check "flush removed the flood ($removed of $unrep)" test "$removed" -ge 500 -a "$removed" -eq "$unrep"
wait $EVPID 2>/dev/null
evicted=$(jq -s '[.[] | select(.type == "end" and .reason == "evicted")] | length' "$EVLOG")
t_eq "one END evicted event per flushed flow" "$evicted" "$removed"
left=$(nfx_loader flows -c unreplied)
t_eq "no unreplied flow left" "$left" 0

touch "${FLAG}2"
for _ in $(seq 100); do grep -q round3 "$CLOG" && break; sleep 0.1; done
t_check "the connection still works after the flush" grep -q "round3 True" "$CLOG"
wait $CPID 2>/dev/null

# The collector expires a one-way UDP flow after udp.unreplied and says so.
nfx_loader gc set udp.unreplied=1s interval=100ms interval.max=200ms
nfx_loader -v -j events --filter "type end" proto udp --count 1 --timeout 10 >"$EVLOG.gc" 2>"$EVLOG.gc.err" &
EVPID=$!
for _ in $(seq 50); do grep -q listening "$EVLOG.gc.err" 2>/dev/null && break; sleep 0.1; done
echo probe | in_c socat -u - UDP:$S4:9,sourceport=5353 2>/dev/null
wait $EVPID
t_eq "collector removal reported (END evicted)" "$(jq -r .reason "$EVLOG.gc" 2>/dev/null)" evicted
t_eq "the UDP flow is gone" "$(nfx_loader flows -c udp port 5353)" 0
# The assured tier never overflowed its queue: one rescan, the first pass.
t_eq "assured tier collected from its queue" \
	"$(nfx_loader -j gc show "$IF_RA" | jq -c '.[0].state.queues.assured.rescans')" 1

gcmap=$(bpftool -j map show pinned "$NFX_PIN_ROOT/$IF_RA/nfx_gc" | jq '.id')
gcprog=$(bpftool -j prog show | jq --argjson m "$gcmap" \
	'[.[] | select(.name == "nfx_gc_start" and ((.map_ids // []) | index($m)))][0].id')
nfx_loader detach "$IF_RA" && nfx_loader detach "$IF_RB"
gone=no
for _ in $(seq 50); do
	bpftool prog show id "$gcprog" >/dev/null 2>&1 || { gone=yes; break; }
	sleep 0.1
done
t_eq "detach stops the collector (prog $gcprog)" "$gone" yes
t_done

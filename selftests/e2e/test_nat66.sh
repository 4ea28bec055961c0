#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 NAT through a router namespace running nfx on both links:
#  - NPTv6: ping and TCP from the inside host; the server sees the source
#    the RFC 6296 reference (selftests/lib/npt_ref.py) computes; ICMPv6
#    errors (port unreachable, time exceeded from a hop beyond) reach the
#    inside socket (quoted header mapped back); Packet Too
#    Big from the translator reaches the inside host; the outside prefix is
#    replaced at run time (follow) without losing the binding;
#  - forwarding by XDP_REDIRECT (kernel forwarding counter unchanged);
#  - NAT66 masquerade: the server sees the router's address and a port
#    from the configured range; replies and ICMPv6 errors come back.
. "$(dirname "$0")/../lib/lib.sh"

nfx_require_root
command -v socat >/dev/null || nfx_skip "socat missing"
[ -x /usr/bin/python3 ] || nfx_skip "/usr/bin/python3 missing"
REF="/usr/bin/python3 $NFX_ROOT/selftests/lib/npt_ref.py"
PEER_ROOT=$NFX_PIN_ROOT-peer

t_plan 35
nfx_topology || nfx_skip "cannot build the netns topology"

# The peers' programs are pinned under a root of their own (-n keeps the
# host's bpffs; `ip netns exec` would mount a private /sys).
peer_loader() { NFX_PIN_ROOT=$PEER_ROOT "$NFX_LOADER" "$@"; }
cleanup_all() {
	peer_loader -n "$NS_C" detach "$IF_C" >/dev/null 2>&1
	peer_loader -n "$NS_S" detach "$IF_S" >/dev/null 2>&1
	rm -rf "$PEER_ROOT"
	nfx_cleanup
}
trap cleanup_all EXIT

IN=fd00:c::/64
OUT=2001:db8:c::/64

# veth hands locally sent TCP/UDP over with the checksum left to "hardware"
# (CHECKSUM_PARTIAL). A frame XDP redirects loses that mark, and a masquerade
# rewrite cannot patch a checksum that is not there yet: have the hosts
# compute theirs, as packets from a real wire always have them
# (ETHTOOL_STXCSUM through SIOCETHTOOL; ethtool(8) may not be installed).
tx_csum_off() {
	ip netns exec "$1" /usr/bin/python3 - "$2" <<'EOF'
import array, fcntl, socket, struct, sys
buf = array.array("B", struct.pack("II", 0x17, 0))	# ETHTOOL_STXCSUM, off
ifr = struct.pack("16sP", sys.argv[1].encode(), buf.buffer_info()[0])
sk = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
fcntl.ioctl(sk.fileno(), 0x8946, ifr)	# SIOCETHTOOL
EOF
}
tx_csum_off "$NS_C" "$IF_C" && tx_csum_off "$NS_S" "$IF_S" || nfx_skip "cannot turn off veth TX checksum offload"

# What the server answers: the peer address and port socat saw (set -f:
# "[2001:db8::1]" is also a glob pattern, which a file named 0 or 1 would match).
in_s socat TCP6-LISTEN:8080,fork,reuseaddr SYSTEM:'set -f; echo $SOCAT_PEERADDR $SOCAT_PEERPORT' &
for _ in $(seq 50); do in_s ss -ltn | grep -q ':8080' && break; sleep 0.1; done
# "ADDRESS PORT" as the server saw them, the address in canonical form.
ask() {
	in_c socat -T 3 - "TCP6:[$S6]:8080,connect-timeout=3" </dev/null 2>/dev/null | tr -d '[]' |
		/usr/bin/python3 -c 'import ipaddress, sys
for l in sys.stdin:
    a, p = l.split()
    print(ipaddress.IPv6Address(a), p)'
}
fwd_count() { in_r awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6; }
npt_json() { nfx_loader -j npt list | jq -r "$1"; }

t_check "attach on the inside link" nfx_loader attach "$IF_RA"
t_check "attach on the outside link" nfx_loader attach "$IF_RB"
t_check "npt add" nfx_loader npt add "$IF_RB" inside $IN outside $OUT
t_check "translated packets forwarded by the kernel" nfx_loader nat66 forward "$IF_RB" kernel

t_check "bad prefix refused (host bits)" sh -c "! $NFX_LOADER -n $NS_R npt add $IF_RB inside fd00:c::1/64 outside 2001:db8:9::/64"
t_check "bad prefix refused (/80)" sh -c "! $NFX_LOADER -n $NS_R npt add $IF_RB inside fd00:c::/80 outside 2001:db8:9::/80"
t_eq "refusals changed nothing" "$(npt_json 'length')" 1
msg=$(nfx_loader npt add "$IF_RB" inside fd00:c::1/64 outside 2001:db8:9::/64 2>&1); rc=$?
t_eq "host bits: one clear line, exit 1" "$rc: $msg" \
	"1: nfx-loader: npt: inside prefix: 'fd00:c::1/64': host bits set after /64 (did you mean fd00:c::/64?)"
nfx_loader npt frob >/dev/null 2>&1
t_eq "unknown subcommand: usage error" "$?" 2

want=$($REF $C6 $IN $OUT)
t_check "ping through the translator" in_c ping -6 -c 3 -i 0.2 -W 2 $S6
read -r peer _ <<<"$(ask)"
t_eq "server sees the RFC 6296 translated source" "$peer" "$want"
# Both directions (translated on different links) met in ONE flow entry,
# keyed as the outside sees the connection.
t_eq "one flow entry, outside view" \
	"$(nfx_loader -j flows proto tcp port 8080 | jq -r '[.[] | .src] | join(",")')" "$want"
t_check "outbound packets counted" test "$(npt_json '.[0].out_packets')" -ge 3
t_check "inbound packets counted" test "$(npt_json '.[0].in_packets')" -ge 3

# Port unreachable from the server: the client kernel matches the error
# to its socket only if the quoted source is its own address again.
refused() {
	in_c /usr/bin/python3 - "$S6" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 9))
for _ in range(3):
    s.send(b"x")
    try:
        s.recv(16)
    except ConnectionRefusedError:
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
EOF
}
t_check "ICMPv6 port unreachable reaches the inside socket" refused
t_check "ICMPv6 error counted" test "$(npt_json '.[0].icmp_errors')" -ge 1

# Time Exceeded from a router beyond the translator (the server forwards
# towards 2001:db8:ffff::/48): traceroute's second hop. ping shows it only
# when the kernel matched the quoted echo request to its socket.
in_s sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$NS_S" route add 2001:db8:ffff::/48 dev "$IF_S"
ip -n "$NS_R" route add 2001:db8:ffff::/48 via $S6
t_check "ICMPv6 time exceeded from beyond the translator reaches ping" \
	sh -c "ip netns exec $NS_C ping -6 -c 1 -W 2 -t 2 2001:db8:ffff::1 | grep -qi 'time exceeded'"

# Packet Too Big from the translator itself: the router's outside link
# is smaller; the kernel's PTB must reach the inside host.
ip -n "$NS_R" link set "$IF_RB" mtu 1400
ip -n "$NS_S" link set "$IF_S" mtu 1400
in_c ping -6 -c 2 -W 1 -s 1420 -M do $S6 >/dev/null 2>&1
t_check "path MTU learnt through the translator" sh -c "ip netns exec $NS_C ip -6 route get $S6 | grep -q 'mtu 1400'"
t_check "ping at the learnt MTU" in_c ping -6 -c 1 -W 2 -s 1340 -M do $S6
ip -n "$NS_R" link set "$IF_RB" mtu 1500
ip -n "$NS_S" link set "$IF_S" mtu 1500

# XDP forwarding: the peers need an XDP program to receive redirected frames.
peer_loader -n "$NS_C" attach "$IF_C" && peer_loader -n "$NS_S" attach "$IF_S"
nfx_loader nat66 forward "$IF_RB" xdp
before=$(fwd_count)
read -r peer _ <<<"$(ask)"
t_eq "TCP with XDP_REDIRECT forwarding" "$peer" "$want"
in_c ping -6 -c 3 -i 0.2 -W 2 $S6 >/dev/null 2>&1
t_check "the kernel forwarded (almost) none of it" test $(( $(fwd_count) - before )) -le 2

# A delegated prefix changes: the binding follows, keeping its counters.
outb=$(npt_json '.[0].out_packets')
t_check "follow: new outside prefix" nfx_loader npt follow "$IF_RB" inside $IN outside 2001:db8:d::/64
read -r peer _ <<<"$(ask)"
t_eq "server sees the new prefix" "$peer" "$($REF $C6 $IN 2001:db8:d::/64)"
t_check "binding kept (id 0, counters kept)" test "$(npt_json '.[0].id')" = 0 -a "$(npt_json '.[0].out_packets')" -gt "$outb"
# an uplink that got a new delegated prefix (a veth: no dummy module here)
ip -n "$NS_R" link add wan$nfx_id type veth peer name wanp$nfx_id
ip -n "$NS_R" addr add 2001:db8:e:0:1::1/64 dev wan$nfx_id nodad
t_check "follow from an interface" nfx_loader npt follow "$IF_RB" inside $IN from wan$nfx_id
t_eq "outside prefix taken from the interface" "$(npt_json '.[0].outside')" 2001:db8:e::/64
# --watch: renumber the uplink, the binding follows by itself.
"$NFX_LOADER" -n "$NS_R" npt follow "$IF_RB" inside $IN from wan$nfx_id --watch >/dev/null &
watch_pid=$!
sleep 0.5
ip -n "$NS_R" addr del 2001:db8:e:0:1::1/64 dev wan$nfx_id
ip -n "$NS_R" addr add 2001:db8:f:0:1::1/64 dev wan$nfx_id nodad
for _ in $(seq 30); do [ "$(npt_json '.[0].outside')" = 2001:db8:f::/64 ] && break; sleep 0.1; done
t_eq "follow --watch applies a renumbering" "$(npt_json '.[0].outside')" 2001:db8:f::/64
kill "$watch_pid" 2>/dev/null
t_check "follow --watch ends on SIGTERM" timeout 3 sh -c "while kill -0 $watch_pid 2>/dev/null; do sleep 0.1; done"

# NAT66 masquerade instead.
nfx_loader npt del "$IF_RB" inside $IN
t_check "nat66 add" nfx_loader nat66 add "$IF_RB" inside $IN to $RB6 ports 20000-20099
read -r peer port <<<"$(ask)"
t_eq "masquerade: server sees the router's address" "$peer" "$RB6"
t_check "masquerade: port from the range" test "${port:-0}" -ge 20000 -a "${port:-0}" -le 20099
t_check "masquerade: ping" in_c ping -6 -c 2 -i 0.2 -W 2 $S6
t_check "masquerade: ICMPv6 port unreachable reaches the inside socket" refused
t_check "masquerade: ports allocated and counted" \
	test "$(nfx_loader -j nat66 list | jq -r '.rules[0].allocations')" -ge 2
nfx_loader nat66 forward "$IF_RB" kernel
read -r peer port <<<"$(ask)"
t_eq "masquerade, kernel forwarding: server sees the router's address" "$peer" "$RB6"
t_done

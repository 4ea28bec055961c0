#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential test: the same packets through the kernel's ip6tables SNPT
# target and through nfx's NPTv6, for /64 and /48 bindings and source
# addresses chosen to hit every branch (0xFFFF words, results that would
# be 0xFFFF, untranslatable addresses). The server records, for every
# packet, the original source (carried in the payload) and the source it
# saw; both runs must agree with each other and with the RFC 6296
# reference in selftests/lib/npt_ref.py. One known difference is printed
# rather than failed: the kernel's target translates a /48 subnet word of
# 0xFFFF, which RFC 6296 cannot map back and nfx drops.
. "$(dirname "$0")/../lib/lib.sh"

nfx_require_root
command -v ip6tables >/dev/null || nfx_skip "ip6tables missing"
[ -x /usr/bin/python3 ] || nfx_skip "/usr/bin/python3 missing"
REF="/usr/bin/python3 $NFX_ROOT/selftests/lib/npt_ref.py"

nfx_topology || nfx_skip "cannot build the netns topology"
err=$(in_r ip6tables -t mangle -A POSTROUTING -o "$IF_RB" -j SNPT \
	--src-pfx fd00:c::/64 --dst-pfx 2001:db8:c::/64 2>&1) ||
	nfx_skip "kernel has no ip6tables SNPT target: $err"
in_r ip6tables -t mangle -F POSTROUTING

# Source addresses on the client: random ones plus the edge cases.
addrs64=$(/usr/bin/python3 - <<'EOF'
import random
r = random.Random(6296)
out = ["fd00:c::ffff:1:2:3", "fd00:c::ffff:ffff:1:2", "fd00:c::ffff:ffff:ffff:ffff",
       "fd00:c::30b8:0:0:3", "fd00:c::ffff:30b8:0:4", "fd00:c::ffff:ffff:ffff:fffe"]
for _ in range(12):
    out.append("fd00:c::%x:%x:%x:%x" % tuple(r.randrange(0x10000) for _ in range(4)))
print(" ".join(out))
EOF
)
# /48: the subnet word takes the adjustment; 0xFFFF there is untranslatable,
# and 0x30ad is the subnet whose result would be 0xFFFF (written 0x0000).
addrs48="fd00:c:0:1::9 fd00:c:0:ffff::9 fd00:c:0:30ad::9 fd00:c:0:1234::77 fd00:c:0:0::5"

for a in $addrs64 $addrs48; do ip -n "$NS_C" addr add "$a"/128 dev "$IF_C" nodad; done
# The extra /48 sources are routed back to the client by the router.
ip -n "$NS_R" -6 route add fd00:c::/48 via $C6 dev "$IF_RA" 2>/dev/null

# Run: send one UDP datagram from every address, print "orig seen" lines.
run_round() {	# ADDRS...
	local out=/tmp/nfx-t$nfx_id.srv
	in_s /usr/bin/python3 - "$out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 9999))
s.settimeout(1.5)
with open(sys.argv[1], "w") as f:
    try:
        while True:
            data, peer = s.recvfrom(256)
            f.write("%s %s\n" % (data.decode(), peer[0]))
    except socket.timeout:
        pass
EOF
	local srv=$!
	sleep 0.3
	in_c /usr/bin/python3 - "$S6" "$@" <<'EOF'
import socket, sys
for a in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((a, 0))
    s.sendto(a.encode(), (sys.argv[1], 9999))
EOF
	wait $srv
	sort "$out"
	rm -f "$out"
}

# Expected from the reference: "orig translated" for translatable ones.
reference() {	# FROM TO ADDRS...
	local from=$1 to=$2 a t
	shift 2
	for a in "$@"; do
		t=$($REF "$a" "$from" "$to")
		[ "$t" = untranslatable ] || echo "$a $t"
	done | sort
}

t_plan 8
for round in 64 48; do
	if [ $round = 64 ]; then
		IN=fd00:c::/64 OUT=2001:db8:c::/64 A=$addrs64
	else
		IN=fd00:c::/48 OUT=2001:db8:1::/48 A=$addrs48
	fi
	# The client's sources are canonical already; the seen ones are too.
	in_r ip6tables -t mangle -A POSTROUTING -o "$IF_RB" -s $IN -j SNPT --src-pfx $IN --dst-pfx $OUT
	kern=$(run_round $A)
	in_r ip6tables -t mangle -F POSTROUTING
	nfx_loader attach "$IF_RA" >/dev/null && nfx_loader attach "$IF_RB" >/dev/null
	nfx_loader npt add "$IF_RB" inside $IN outside $OUT
	ours=$(run_round $A)
	dropped=$(nfx_loader -j npt list | jq -r '.[0].untranslatable')
	nfx_loader detach "$IF_RA" >/dev/null
	nfx_loader detach "$IF_RB" >/dev/null
	want=$(reference $IN $OUT $A)

	# The kernel's target does not refuse a /48 subnet word of 0xFFFF
	# (it only checks /49 and longer); compare where the RFC translates.
	kern_rfc=$(echo "$kern" | grep -F -f <(echo "$want" | awk '{ print $1 " " }'))
	echo "$kern" | grep -v -F -f <(echo "$want" | awk '{ print $1 " " }') |
		sed 's/^/# kernel SNPT translates what RFC 6296 refuses: /'
	t_check "/$round: some packets translated" test -n "$ours"
	t_eq "/$round: nfx agrees with ip6tables SNPT" "$ours" "$kern_rfc"
	t_eq "/$round: nfx agrees with the RFC 6296 reference" "$ours" "$want"
	n_all=$(echo $A | wc -w)
	n_seen=$(echo "$ours" | grep -c .)
	t_eq "/$round: untranslatable packets dropped and counted" "$dropped" $((n_all - n_seen))
done
t_done

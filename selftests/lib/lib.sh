# SPDX-License-Identifier: GPL-2.0
# Shared helpers for nfx shell selftests. Source it; it sets `set -u`.
#
# Every run gets its own namespaces, interface names and pin root, so two
# runs (or two suites) never collide, and everything is removed on exit.

set -u

NFX_ROOT=${NFX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NFX_BUILD=${NFX_BUILD:-$NFX_ROOT/build}
NFX_LOADER=${NFX_LOADER:-$NFX_BUILD/nfx-loader}

nfx_id=$(( ($$ * 7 + RANDOM) % 100000 ))
NS_C=nfxc$nfx_id
NS_R=nfxr$nfx_id
NS_S=nfxs$nfx_id
IF_C=c$nfx_id		# client end
IF_RA=ra$nfx_id		# router, client side
IF_RB=rb$nfx_id		# router, server side
IF_S=s$nfx_id		# server end
export NFX_PIN_ROOT=${NFX_PIN_ROOT_OVERRIDE:-/sys/fs/bpf/nfx-t$nfx_id}

# Documentation prefixes (RFC 5737, RFC 3849) and ULAs; only ever used
# inside the namespaces below.
C4=198.51.100.2; RA4=198.51.100.1; RB4=203.0.113.1; S4=203.0.113.2
C6=fd00:c::2; RA6=fd00:c::1; RB6=fd00:5::1; S6=fd00:5::2

t_num=0
t_fails=0
t_skips=0

t_plan() { echo "TAP version 13"; echo "1..$1"; }
t_ok() { t_num=$((t_num + 1)); echo "ok $t_num - $*"; }
t_not_ok() { t_num=$((t_num + 1)); t_fails=$((t_fails + 1)); echo "not ok $t_num - $*"; }
t_skip() { t_num=$((t_num + 1)); t_skips=$((t_skips + 1)); echo "ok $t_num - ${1} # SKIP ${2}"; }
# t_check "what" cmd args...: one TAP line from a command's status.
t_check() {
	local what=$1
	shift
	if "$@" >/tmp/nfx-t$nfx_id.out 2>&1; then
		t_ok "$what"
	else
		t_not_ok "$what"
		sed 's/^/#   /' /tmp/nfx-t$nfx_id.out | head -20
	fi
}
# t_eq "what" got want
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_not_ok "$1"; echo "#   got '$2', want '$3'"; fi
}
# Exit with kselftest semantics: 1 on any failure, 4 when all skipped.
t_done() {
	echo "# Totals: pass:$((t_num - t_fails - t_skips)) fail:$t_fails skip:$t_skips"
	[ "$t_fails" -eq 0 ] || exit 1
	[ "$t_num" -gt "$t_skips" ] || exit 4
	exit 0
}
nfx_skip() { echo "# SKIP $*"; exit 4; }

nfx_require_root() {
	[ "$(id -u)" -eq 0 ] || nfx_skip "needs root"
	command -v ip >/dev/null || nfx_skip "iproute2 missing"
	ip netns list >/dev/null 2>&1 || nfx_skip "no network namespace support"
	[ -x "$NFX_LOADER" ] || nfx_skip "$NFX_LOADER not built"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null ||
		nfx_skip "cannot mount bpffs"
}

nfx_loader() { "$NFX_LOADER" -n "$NS_R" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }
in_r() { ip netns exec "$NS_R" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# client --- router --- server, IPv4 and IPv6, router forwards.
nfx_topology() {
	trap nfx_cleanup EXIT
	ip netns add "$NS_C" && ip netns add "$NS_R" && ip netns add "$NS_S" || return 1
	ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_RA" netns "$NS_R" || return 1
	ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_RB" netns "$NS_R" || return 1
	ip -n "$NS_C" addr add $C4/24 dev "$IF_C"
	ip -n "$NS_C" addr add $C6/64 dev "$IF_C" nodad
	ip -n "$NS_R" addr add $RA4/24 dev "$IF_RA"
	ip -n "$NS_R" addr add $RA6/64 dev "$IF_RA" nodad
	ip -n "$NS_R" addr add $RB4/24 dev "$IF_RB"
	ip -n "$NS_R" addr add $RB6/64 dev "$IF_RB" nodad
	ip -n "$NS_S" addr add $S4/24 dev "$IF_S"
	ip -n "$NS_S" addr add $S6/64 dev "$IF_S" nodad
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_C" link set "$IF_C" up
	ip -n "$NS_S" link set "$IF_S" up
	ip -n "$NS_R" link set "$IF_RA" up
	ip -n "$NS_R" link set "$IF_RB" up
	ip -n "$NS_C" route add default via $RA4
	ip -n "$NS_C" -6 route add default via $RA6
	ip -n "$NS_S" route add default via $RB4
	ip -n "$NS_S" -6 route add default via $RB6
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
	# Native XDP on veth passes packets on only if the peer is up: wait.
	in_c ping -c1 -W2 $S4 >/dev/null 2>&1
	in_c ping -6 -c1 -W2 $S6 >/dev/null 2>&1
	return 0
}

nfx_cleanup() {
	local d
	for d in "$IF_RA" "$IF_RB"; do
		[ -d "$NFX_PIN_ROOT/$d" ] && "$NFX_LOADER" -n "$NS_R" detach "$d" >/dev/null 2>&1
	done
	# Only a per-run root is ours to remove whole.
	case $NFX_PIN_ROOT in
	/sys/fs/bpf/nfx-t*) rm -rf "$NFX_PIN_ROOT" ;;
	esac
	ip netns pids "$NS_S" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$NS_C" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -f /tmp/nfx-t$nfx_id.*
	return 0
}

# json_get JSON-FILE EXPR: evaluate a jq expression.
json_get() { jq -r "$2" "$1"; }

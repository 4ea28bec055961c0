# SPDX-License-Identifier: GPL-2.0
# Two-node active-active topology for the cluster test and benchmark.
# Source after lib.sh.
#
#   client --[brc]--+-- node A (nfx, id 1) --+--[brs]-- server
#                   +-- node B (nfx, id 2) --+
#                        A ==[bry]== sync ==[bry]== B   (VRRP + conntrackd)
#
# Both nodes carry the same virtual MAC and addresses on each side. The
# bridge ports of the nodes do not learn, so frames for the virtual MAC
# are flooded to both nodes, and are isolated from each other, so a node
# never hears its twin. nfx decides which node forwards each flow.

NS_A=nfxa$nfx_id
NS_B=nfxb$nfx_id
NS_W=nfxw$nfx_id
CL_DIR=/tmp/nfx-cl$nfx_id
VMAC_C=02:00:5e:10:01:01
VMAC_S=02:00:5e:10:02:01
VIP_C4=198.18.1.1; VIP_S4=198.18.2.1; CLI4=198.18.1.10; SRV4=198.18.2.10
VIP_C6=2001:db8:77:1::1; VIP_S6=2001:db8:77:2::1; CLI6=2001:db8:77:1::10; SRV6=2001:db8:77:2::10
SYNC_A=198.18.9.1; SYNC_B=198.18.9.2
CL_NOTIFY=$NFX_ROOT/scripts/cluster/nfx-cluster-notify

node_ns() { [ "$1" = 1 ] && echo "$NS_A" || echo "$NS_B"; }
node_tag() { [ "$1" = 1 ] && echo a || echo b; }
node_pins() { echo "$NFX_PIN_ROOT/$(node_tag "$1")"; }
# cl_nfx ID args...: nfx-loader on node ID
cl_nfx() { local n=$1; shift; "$NFX_LOADER" -n "$(node_ns "$n")" --pin-root "$(node_pins "$n")" "$@"; }
# Run in a namespace without remounting /sys (bpffs stays visible).
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

cl_bridge_port() {
	ip -n "$NS_W" link set "$1" master "$2"
	ip -n "$NS_W" link set "$1" up
	if [ "${3:-}" = node ]; then
		bridge -n "$NS_W" link set dev "$1" learning off isolated on
	fi
}

# cl_node_links ID: create node ID's links (down), addresses and sysctls.
cl_node_links() {
	local n=$1 ns t
	ns=$(node_ns "$n")
	t=$(node_tag "$n")
	ip link add "${t}c$nfx_id" netns "$ns" type veth peer name "w${t}c$nfx_id" netns "$NS_W" || return 1
	ip link add "${t}s$nfx_id" netns "$ns" type veth peer name "w${t}s$nfx_id" netns "$NS_W" || return 1
	cl_bridge_port "w${t}c$nfx_id" "brc$nfx_id" node
	cl_bridge_port "w${t}s$nfx_id" "brs$nfx_id" node
	# Same addresses and MAC on both nodes: no duplicate address detection.
	# Addresses stay through a link down/up, as a rebooted node's would be restored.
	in_ns "$ns" sysctl -qw net.ipv6.conf."${t}c$nfx_id".accept_dad=0 net.ipv6.conf."${t}s$nfx_id".accept_dad=0 \
		net.ipv6.conf."${t}c$nfx_id".keep_addr_on_down=1 net.ipv6.conf."${t}s$nfx_id".keep_addr_on_down=1 >/dev/null
	ip -n "$ns" link set "${t}c$nfx_id" address $VMAC_C
	ip -n "$ns" link set "${t}s$nfx_id" address $VMAC_S
	ip -n "$ns" addr add $VIP_C4/24 dev "${t}c$nfx_id"
	ip -n "$ns" addr add $VIP_S4/24 dev "${t}s$nfx_id"
	ip -n "$ns" addr add $VIP_C6/64 dev "${t}c$nfx_id" nodad
	ip -n "$ns" addr add $VIP_S6/64 dev "${t}s$nfx_id" nodad
}

cl_node_sysctl() {
	local ns
	ns=$(node_ns "$1")
	in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null
	# Strict conntrack: a TCP packet without kernel state is dropped, so a
	# takeover works only with the state conntrackd replicated.
	in_ns "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 >/dev/null 2>&1
	in_ns "$ns" nft -f - <<-'NFT'
	table inet nfxcluster {
		chain forward {
			type filter hook forward priority 0; policy drop;
			ct state established,related accept
			ct state new tcp flags & (syn | ack | fin | rst) == syn accept
			ct state new meta l4proto { udp, icmp, ipv6-icmp } accept
		}
	}
	NFT
}

cl_conntrackd_conf() {
	local n=$1 me peer
	[ "$n" = 1 ] && { me=$SYNC_A; peer=$SYNC_B; } || { me=$SYNC_B; peer=$SYNC_A; }
	cat >"$CL_DIR/conntrackd-$n.conf" <<-EOF2
	Sync {
		Mode FTFW {
			DisableExternalCache Off
		}
		UDP {
			IPv4_address $me
			IPv4_Destination_Address $peer
			Port 3780
			Interface $(node_tag "$n")y$nfx_id
			Checksum on
		}
	}
	General {
		HashSize 8192
		HashLimit 65536
		LogFile $CL_DIR/conntrackd-$n.log
		Syslog off
		LockFile $CL_DIR/conntrackd-$n.lock
		UNIX {
			Path $CL_DIR/conntrackd-$n.ctl
		}
		Filter From Userspace {
			Protocol Accept {
				TCP
				UDP
			}
			Address Ignore {
				IPv4_address 127.0.0.1
				IPv6_address ::1
				IPv4_address $SYNC_A
				IPv4_address $SYNC_B
			}
		}
	}
	EOF2
}

cl_keepalived_conf() {
	local n=$1 me peer i prio
	[ "$n" = 1 ] && { me=$SYNC_A; peer=$SYNC_B; } || { me=$SYNC_B; peer=$SYNC_A; }
	{
		echo "global_defs {"
		echo "	router_id nfx_node_$n"
		echo "	script_user root"
		echo "	enable_script_security"
		echo "	vrrp_version 3"
		echo "}"
		for i in 1 2; do
			[ "$i" = "$n" ] && prio=200 || prio=100
			cat <<-EOF2
			vrrp_instance nfx_node_$i {
				state BACKUP
				interface $(node_tag "$n")y$nfx_id
				virtual_router_id $((50 + i))
				priority $prio
				advert_int ${CL_ADVERT:-0.1}
				unicast_src_ip $me
				unicast_peer {
					$peer
				}
				# VRRP requires an address: node i's address on the sync link.
				virtual_ipaddress {
					198.18.9.$((10 + i))/32 dev $(node_tag "$n")y$nfx_id
				}
				notify "$CL_NOTIFY --self $n --loader $NFX_LOADER --pin-root $(node_pins "$n") --${CL_NO_COMMIT:+no-}conntrackd $CL_DIR/conntrackd-$n.conf --join-delay ${CL_JOIN_DELAY:-0.5} --log $CL_DIR/notify-$n.log"
			}
			EOF2
		done
	} >"$CL_DIR/keepalived-$n.conf"
}

# cl_node_up ID: links up, nfx attached, not yet a live member, daemons started.
cl_node_up() {
	local n=$1 ns t peer
	ns=$(node_ns "$n")
	t=$(node_tag "$n")
	[ "$n" = 1 ] && peer=2 || peer=1
	ip -n "$ns" link set "${t}c$nfx_id" up
	ip -n "$ns" link set "${t}s$nfx_id" up
	ip -n "$ns" link set "${t}y$nfx_id" up
	cl_nfx "$n" attach "${t}c$nfx_id" >/dev/null || return 1
	cl_nfx "$n" attach "${t}s$nfx_id" >/dev/null || return 1
	# Until keepalived says so, this node is not alive: it forwards nothing.
	cl_nfx "$n" cluster set-members --self "$n" --midstream kernel \
		--vips $VIP_C4,$VIP_S4,$VIP_C6,$VIP_S6 "$peer" >/dev/null || return 1
	cl_conntrackd_conf "$n"
	cl_keepalived_conf "$n"
	# Subshells: the daemons are not jobs of the test's shell.
	( in_ns "$ns" conntrackd -C "$CL_DIR/conntrackd-$n.conf" >/dev/null 2>&1 &
	  echo $! >"$CL_DIR/conntrackd-$n.pid" )
	( in_ns "$ns" keepalived -n -l -P -f "$CL_DIR/keepalived-$n.conf" \
		-p "$CL_DIR/keepalived-$n.pid" -r "$CL_DIR/vrrp-$n.pid" \
		>"$CL_DIR/keepalived-$n.log" 2>&1 &
	  echo $! >"$CL_DIR/keepalived-$n.launcher" )
	return 0
}

cl_pidfile_kill() {
	local f=$1 sig=${2:-TERM} p
	[ -f "$f" ] || return 0
	p=$(cat "$f")
	[ -n "$p" ] && kill -"$sig" "$p" 2>/dev/null
	rm -f "$f"
}

# cl_node_kill ID: the node dies: links down, daemons killed without
# goodbye, nfx gone, kernel conntrack table lost (as in a reboot).
cl_node_kill() {
	local n=$1 ns t
	ns=$(node_ns "$n")
	t=$(node_tag "$n")
	ip -n "$ns" link set "${t}c$nfx_id" down
	ip -n "$ns" link set "${t}s$nfx_id" down
	ip -n "$ns" link set "${t}y$nfx_id" down
	cl_pidfile_kill "$CL_DIR/vrrp-$n.pid" KILL
	cl_pidfile_kill "$CL_DIR/keepalived-$n.pid" KILL
	cl_pidfile_kill "$CL_DIR/keepalived-$n.launcher" KILL
	cl_pidfile_kill "$CL_DIR/conntrackd-$n.pid" KILL
	rm -f "$CL_DIR/conntrackd-$n.lock" "$CL_DIR/conntrackd-$n.ctl"
	cl_nfx "$n" detach "${t}c$nfx_id" >/dev/null 2>&1
	cl_nfx "$n" detach "${t}s$nfx_id" >/dev/null 2>&1
	in_ns "$ns" conntrack -F >/dev/null 2>&1
	return 0
}

cl_topology() {
	trap cl_cleanup EXIT
	mkdir -p "$CL_DIR" "$NFX_PIN_ROOT"
	local ns
	for ns in "$NS_C" "$NS_S" "$NS_A" "$NS_B" "$NS_W"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_W" link add "brc$nfx_id" type bridge mcast_snooping 0 || return 1
	ip -n "$NS_W" link add "brs$nfx_id" type bridge mcast_snooping 0 || return 1
	ip -n "$NS_W" link set "brc$nfx_id" up
	ip -n "$NS_W" link set "brs$nfx_id" up
	ip link add "c$nfx_id" netns "$NS_C" type veth peer name "wc$nfx_id" netns "$NS_W" || return 1
	ip link add "s$nfx_id" netns "$NS_S" type veth peer name "ws$nfx_id" netns "$NS_W" || return 1
	cl_bridge_port "wc$nfx_id" "brc$nfx_id"
	cl_bridge_port "ws$nfx_id" "brs$nfx_id"
	ip -n "$NS_C" addr add $CLI4/24 dev "c$nfx_id"
	ip -n "$NS_C" addr add $CLI6/64 dev "c$nfx_id" nodad
	ip -n "$NS_S" addr add $SRV4/24 dev "s$nfx_id"
	ip -n "$NS_S" addr add $SRV6/64 dev "s$nfx_id" nodad
	ip -n "$NS_C" link set "c$nfx_id" up
	ip -n "$NS_S" link set "s$nfx_id" up
	ip -n "$NS_C" route add default via $VIP_C4
	ip -n "$NS_C" -6 route add default via $VIP_C6
	ip -n "$NS_S" route add default via $VIP_S4
	ip -n "$NS_S" -6 route add default via $VIP_S6
	# The sync link goes through a switch too: a dead node's carrier loss
	# is not seen by the survivor, which must notice the missing adverts.
	ip -n "$NS_W" link add "bry$nfx_id" type bridge || return 1
	ip -n "$NS_W" link set "bry$nfx_id" up
	ip link add "ay$nfx_id" netns "$NS_A" type veth peer name "way$nfx_id" netns "$NS_W" || return 1
	ip link add "by$nfx_id" netns "$NS_B" type veth peer name "wby$nfx_id" netns "$NS_W" || return 1
	cl_bridge_port "way$nfx_id" "bry$nfx_id"
	cl_bridge_port "wby$nfx_id" "bry$nfx_id"
	ip -n "$NS_A" addr add $SYNC_A/24 dev "ay$nfx_id"
	ip -n "$NS_B" addr add $SYNC_B/24 dev "by$nfx_id"
	cl_node_sysctl 1 || return 1
	cl_node_sysctl 2 || return 1
	cl_node_links 1 || return 1
	cl_node_links 2 || return 1
	return 0
}

cl_cleanup() {
	local n
	for n in 1 2; do
		[ -d "$CL_DIR" ] && cl_node_kill "$n" >/dev/null 2>&1
	done
	case $NFX_PIN_ROOT in
	/sys/fs/bpf/nfx-t*) rm -rf "$NFX_PIN_ROOT" ;;
	esac
	for n in "$NS_C" "$NS_S" "$NS_A" "$NS_B" "$NS_W"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	for n in "$NS_C" "$NS_S" "$NS_A" "$NS_B" "$NS_W"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${CL_KEEP:-}" ] || rm -rf "$CL_DIR"
	rm -f /tmp/nfx-t$nfx_id.*
	return 0
}

# cl_alive ID: the ids node ID currently holds alive, e.g. "1 2".
cl_alive() {
	cl_nfx "$1" -j cluster status 2>/dev/null |
		jq -r '[.[0].members[] | select(.alive) | .id] | sort | map(tostring) | join(" ")'
}

# cl_wait_alive WANT SECONDS: both nodes (those up) agree on WANT.
cl_wait_alive() {
	local want=$1 t=0 limit=$(( $2 * 10 )) n ok
	while [ $t -lt $limit ]; do
		ok=1
		for n in $want; do
			[ "$(cl_alive "$n")" = "$want" ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

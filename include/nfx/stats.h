/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-CPU datapath counters (map nfx_stats), summed by user space. */
#ifndef NFX_STATS_H
#define NFX_STATS_H

#include "types.h"

enum nfx_stat {
	NFX_STAT_RX,		/* every packet the program saw */
	NFX_STAT_IPV4,
	NFX_STAT_IPV6,
	NFX_STAT_OTHER_L3,	/* ARP, LLDP, ... */
	NFX_STAT_TCP,
	NFX_STAT_UDP,
	NFX_STAT_ICMP,
	NFX_STAT_ICMPV6,
	NFX_STAT_OTHER_L4,
	NFX_STAT_VLAN,		/* carried at least one VLAN tag */
	NFX_STAT_FRAGMENT,	/* IP fragments (L4 not inspected past the first) */
	NFX_STAT_MALFORMED,	/* truncated or inconsistent headers */
	NFX_STAT_FLOW_NEW,	/* flow entries created */
	NFX_STAT_FLOW_HIT,	/* packets that found their flow */
	NFX_STAT_FLOW_FULL,	/* creations refused: table full */
	NFX_STAT_FLOW_ADOPTED,	/* created from an existing kernel conntrack entry */
	NFX_STAT_FLOW_COLLISION, /* 64-bit hash matched but the tuple did not */
	NFX_STAT_TCP_INVALID,	/* TCP packets that broke the state machine */
	NFX_STAT_FLOW_QUOTA,	/* creations refused: source prefix over its quota */
	NFX_STAT_MAX,
};

struct nfx_counter {
	__u64 packets;
	__u64 bytes;
};

#ifndef __bpf__
/* Names in enum order, for tables and JSON; packed by hand. */
/* clang-format off */
static const char *const nfx_stat_names[NFX_STAT_MAX] = {
	"rx", "ipv4", "ipv6", "other_l3", "tcp", "udp", "icmp", "icmpv6",
	"other_l4", "vlan", "fragment", "malformed", "flow_new", "flow_hit",
	"flow_full", "flow_adopted", "flow_collision", "tcp_invalid",
	"flow_quota",
};
/* clang-format on */
#endif

#endif /* NFX_STATS_H */

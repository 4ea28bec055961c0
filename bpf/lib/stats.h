/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-CPU packet/byte counters: no atomics on the hot path. */
#ifndef NFX_BPF_STATS_H
#define NFX_BPF_STATS_H

#include "compat.h"
#include "nfx/stats.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFX_STAT_MAX);
	__type(key, __u32);
	__type(value, struct nfx_counter);
} nfx_stats SEC(".maps");

static __always_inline void nfx_stat_add(__u32 idx, __u64 bytes)
{
	struct nfx_counter *c = bpf_map_lookup_elem(&nfx_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Count a parsed packet under its protocol rows. */
static __always_inline void nfx_stat_pkt(const struct nfx_pkt *pkt, int res)
{
	__u64 len = pkt->len;

	nfx_stat_add(NFX_STAT_RX, len);
	if (pkt->vlan_depth)
		nfx_stat_add(NFX_STAT_VLAN, len);
	if (res == NFX_PARSE_MALFORMED) {
		nfx_stat_add(NFX_STAT_MALFORMED, len);
		return;
	}
	if (res == NFX_PARSE_NOT_IP) {
		nfx_stat_add(NFX_STAT_OTHER_L3, len);
		return;
	}
	nfx_stat_add(pkt->family == NFX_AF_INET ? NFX_STAT_IPV4 : NFX_STAT_IPV6, len);
	if (pkt->frag)
		nfx_stat_add(NFX_STAT_FRAGMENT, len);
	if (res != NFX_PARSE_L4) {
		nfx_stat_add(NFX_STAT_OTHER_L4, len);
		return;
	}
	switch (pkt->l4proto) {
	case NFX_IPPROTO_TCP:
		nfx_stat_add(NFX_STAT_TCP, len);
		break;
	case NFX_IPPROTO_UDP:
		nfx_stat_add(NFX_STAT_UDP, len);
		break;
	case NFX_IPPROTO_ICMP:
		nfx_stat_add(NFX_STAT_ICMP, len);
		break;
	case NFX_IPPROTO_ICMPV6:
		nfx_stat_add(NFX_STAT_ICMPV6, len);
		break;
	default:
		nfx_stat_add(NFX_STAT_OTHER_L4, len);
	}
}

#endif /* NFX_BPF_STATS_H */

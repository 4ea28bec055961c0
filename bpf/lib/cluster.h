/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cluster stage: active-active ownership of flows (see nfx/cluster.h).
 *
 * Runs after the flow stage, which every node runs for every packet, so
 * each node's table follows every connection, owned or not; a node that
 * takes a flow over already knows its state.
 *
 *  - A flow's owner is decided when its entry has none (its first packet,
 *    the SYN for TCP) and kept while that node is alive, so membership
 *    changes never move established flows between live nodes.
 *  - A flow whose owner died is given to the live node HRW picks among the
 *    survivors; every survivor computes the same answer.
 *  - Packets without a flow (ICMP errors, later fragments, a full table),
 *    and ARP requests and IPv6 neighbour solicitations for the virtual
 *    addresses, are handled by one node only, the "neighbour slot": the
 *    live member with the lowest id. The others drop them, so the client
 *    sees exactly one reply.
 *
 * Cost for an established flow: one array lookup and a bit test.
 */
#ifndef NFX_BPF_CLUSTER_H
#define NFX_BPF_CLUSTER_H

#include "compat.h"
#include "parse.h"
#include "flow.h"
#include "nfx/cluster.h"
#include "nfx/hash.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_cluster);
} nfx_cluster SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFX_CL_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} nfx_cluster_stats SEC(".maps");

#define NFX_ETH_P_ARP 0x0806
#define NFX_ARPOP_REQUEST 1
#define NFX_ND_NEIGH_SOLICIT 135

static __always_inline void nfx_cluster_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&nfx_cluster_stats, &idx);

	if (v)
		*v += 1;	/* per-CPU: no atomic needed */
}

static __always_inline const struct nfx_cluster *nfx_cluster_get(void)
{
	__u32 zero = 0;
	const struct nfx_cluster *c = bpf_map_lookup_elem(&nfx_cluster, &zero);

	if (!c || !(c->flags & NFX_CLUSTER_F_ON))
		return NULL;
	return c;
}

/* The node that answers neighbour requests: the lowest live id. */
static __always_inline __u8 nfx_cluster_slot(const struct nfx_cluster *c)
{
	__u8 slot = 0;
	int i;

	NFX_UNROLL
	for (i = 0; i < NFX_CLUSTER_MAX; i++) {
		__u8 id = c->ids[i];

		if (i >= c->nmembers)
			break;
		if (nfx_cluster_is_live(c, id) && (!slot || id < slot))
			slot = id;
	}
	return slot;
}

/* Pass if this node holds the neighbour slot, else drop; counted. */
static __always_inline int nfx_cluster_slot_verdict(const struct nfx_cluster *c, __u32 pass_stat,
						    __u32 drop_stat)
{
	__u8 slot = nfx_cluster_slot(c);

	/* Nobody alive (a node that left keeps running): do not black-hole. */
	if (!slot || slot == c->self) {
		nfx_cluster_count(pass_stat);
		return XDP_PASS;
	}
	nfx_cluster_count(drop_stat);
	return XDP_DROP;
}

/* Is addr (16 bytes, v4 in the last word) one of the virtual addresses? */
static __always_inline bool nfx_cluster_is_vip(const struct nfx_cluster *c, __u8 family,
					       const __be32 *w)
{
	int i;

	if (!c->nvips)
		return true;	/* none listed: every address on the link is virtual */
	NFX_UNROLL
	for (i = 0; i < NFX_CLUSTER_VIPS; i++) {
		const union nfx_addr *v = &c->vips[i];

		if (i >= c->nvips)
			break;
		if (c->vip_family[i] != family)
			continue;
		if (family == NFX_AF_INET) {
			if (v->v4 == w[3])
				return true;
			continue;
		}
		if (v->v6w[0] == w[0] && v->v6w[1] == w[1] && v->v6w[2] == w[2] &&
		    v->v6w[3] == w[3])
			return true;
	}
	return false;
}

/*
 * Packets the flow stage never sees: ARP, IP without a transport header.
 * Subprograms from here on keep their locals out of the main frame, which
 * the verifier adds to the deepest call's frame (512 bytes in all).
 */
static __noinline int nfx_cluster_other(struct xdp_md *ctx, const struct nfx_pkt *pkt, int res)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct nfx_cluster *c;
	__u32 off = pkt->l3_off;
	__u8 *arp;
	__be32 w[4] = {};

	if (res == NFX_PARSE_MALFORMED)
		return XDP_PASS;
	c = nfx_cluster_get();
	if (!c)
		return XDP_PASS;
	if (res == NFX_PARSE_L3)
		return nfx_cluster_slot_verdict(c, NFX_CL_UNTRACKED_PASS, NFX_CL_UNTRACKED_DROP);
	if (pkt->eth_proto != NFX_ETH_P_ARP)
		return XDP_PASS;
	/* Bounded for the verifier: Ethernet plus at most NFX_VLAN_MAX tags. */
	if (off > 14 + 4 * NFX_VLAN_MAX)
		return XDP_PASS;
	arp = data + off;
	if ((void *)(arp + 28) > data_end)
		return XDP_PASS;
	/* Ethernet/IPv4 request (RFC 826): hrd 1, pro 0x0800, hln 6, pln 4, op 1 */
	if (arp[0] != 0 || arp[1] != 1 || arp[2] != 0x08 || arp[3] != 0 || arp[4] != 6 ||
	    arp[5] != 4 || arp[6] != 0 || arp[7] != NFX_ARPOP_REQUEST)
		return XDP_PASS;
	__builtin_memcpy(&w[3], arp + 24, 4);	/* target protocol address */
	if (!nfx_cluster_is_vip(c, NFX_AF_INET, w))
		return XDP_PASS;
	return nfx_cluster_slot_verdict(c, NFX_CL_NEIGH_ANSWER, NFX_CL_NEIGH_SILENT);
}

/* IPv6 neighbour solicitation (RFC 4861 4.3): target after 4 reserved bytes. */
static __noinline int nfx_cluster_ns(struct xdp_md *ctx, const struct nfx_cluster *c, __u32 off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *icmp;
	__be32 w[4];

	if (off > NFX_L4_OFF_MAX)
		return XDP_PASS;
	icmp = data + off;
	if ((void *)(icmp + 24) > data_end)
		return XDP_PASS;
	__builtin_memcpy(w, icmp + 8, 16);
	if (!nfx_cluster_is_vip(c, NFX_AF_INET6, w))
		return XDP_PASS;
	return nfx_cluster_slot_verdict(c, NFX_CL_NEIGH_ANSWER, NFX_CL_NEIGH_SILENT);
}

/*
 * Owner for a flow without a live one: its first packet, or its owner
 * died. Returns 0 when no member is alive. Only reached once per flow (and
 * once more per failover), never for an established flow's packet.
 */
static __noinline __u8 nfx_cluster_decide(const struct nfx_cluster *c, const struct flow_entry *e,
					  __u8 l4proto, __u8 tcp_flags)
{
	/* The zone is left out: it is a local setting two nodes need not share. */
	struct flow_key k = e->key;
	__u64 secret[2] = { c->key[0], c->key[1] };
	__u8 skip = 0, chosen;
	__u64 h;

	k.zone = 0;
	/*
	 * See NFX_CLUSTER_F_MIDSTREAM_KERNEL. The flow stage clears
	 * MIDSTREAM when it adopts a kernel entry, so "first packet not
	 * a SYN" is told from the packet itself.
	 */
	if (!e->owner && (c->flags & NFX_CLUSTER_F_MIDSTREAM_KERNEL) &&
	    l4proto == NFX_IPPROTO_TCP &&
	    (tcp_flags & (NFX_TCP_SYN | NFX_TCP_ACK)) != NFX_TCP_SYN &&
	    (e->flags & (FLOW_F_MIDSTREAM | FLOW_F_ADOPTED))) {
		if ((e->flags & FLOW_F_ADOPTED) && nfx_cluster_is_live(c, c->self))
			return c->self;
		skip = c->self;
	}
	h = nfx_flow_hash(&k, secret);
	chosen = nfx_cluster_hrw(c, h, skip);
	if (!chosen && skip)	/* nobody else alive */
		chosen = nfx_cluster_hrw(c, h, 0);
	return chosen;
}

/*
 * The ownership check for a packet that went through the flow stage
 * (e is its entry, NULL when it has none). Returns the XDP action.
 */
static __always_inline int nfx_cluster_stage(struct xdp_md *ctx, const struct nfx_pkt *pkt,
					     struct flow_entry *e)
{
	const struct nfx_cluster *c = nfx_cluster_get();
	__u8 owner, chosen;

	if (!c)
		return XDP_PASS;
	if (!e) {
		if (pkt->l4proto == NFX_IPPROTO_ICMPV6) {
			/* Router/neighbour discovery other than NS reaches every node. */
			if (pkt->icmp_type == NFX_ND_NEIGH_SOLICIT)
				return nfx_cluster_ns(ctx, c, pkt->l4_off);
			if (pkt->icmp_type >= 133 && pkt->icmp_type <= 137)
				return XDP_PASS;
		}
		return nfx_cluster_slot_verdict(c, NFX_CL_UNTRACKED_PASS, NFX_CL_UNTRACKED_DROP);
	}

	owner = e->owner;
	if (unlikely(!nfx_cluster_is_live(c, owner))) {
		chosen = nfx_cluster_decide(c, e, pkt->l4proto, pkt->tcp_flags);
		if (!chosen) {
			nfx_cluster_count(NFX_CL_NO_OWNER);
			return XDP_PASS;
		}
		if (owner) {
			nfx_cluster_count(NFX_CL_REOWNED);
			if (chosen == c->self)
				nfx_cluster_count(NFX_CL_TAKEN_OVER);
		} else {
			nfx_cluster_count(NFX_CL_DECIDED);
		}
		/* Racing CPUs compute the same value: a plain store is enough. */
		e->owner = chosen;
		owner = chosen;
	}
	if (owner == c->self) {
		nfx_cluster_count(NFX_CL_OWNED);
		return XDP_PASS;
	}
	nfx_cluster_count(NFX_CL_FOREIGN);
	return XDP_DROP;
}

#endif /* NFX_BPF_CLUSTER_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * NAT66 masquerade: n:1 source translation with port (or ICMPv6 echo
 * identifier) translation, on top of the ONE-entry flow table.
 *
 * The flow entry is keyed by the tuple as the OUTSIDE sees it (masquerade
 * address and port); struct flow_nat in the entry keeps the inside host's
 * original address and port. So:
 *  - a reply, which arrives carrying the translated destination, finds
 *    its entry with the flow stage's single lookup and is translated back
 *    from flow_nat, without any second map;
 *  - an inside packet is translated BEFORE the flow stage. Its port is not
 *    random but a keyed hash of its original tuple (plus a probe number),
 *    so every packet of a connection recomputes the same candidate and its
 *    first probe hits the connection's entry. A candidate whose entry
 *    belongs to another inside endpoint (or to a connection of the router
 *    itself) is taken, and the next one is tried, up to NAT66_PROBES;
 *    after that the packet is dropped and counted as exhaustion.
 * Keying by the inside tuple instead would need a second index for the
 * replies; keying by the outside tuple needs none for replies and costs
 * established inside packets only the recomputation of the hash.
 */
#ifndef NFX_BPF_NAT66_H
#define NFX_BPF_NAT66_H

#include "compat.h"
#include "parse.h"
#include "config.h"
#include "flow.h"
#include "npt.h"
#include "nfx/npt.h"

#ifdef __bpf__
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NAT66_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nfx_lpm6_key);
	__type(value, struct nat66_rule);
} nfx_nat66 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NAT66_RULES_MAX);
	__type(key, __u32);
	__type(value, struct nat66_counters);
} nfx_nat66_stats SEC(".maps");

/* State carried from the pre-flow to the post-flow half of the stage. */
struct nat66_ctx {
	union nfx_addr orig_addr;	/* inside endpoint before translation */
	__be16 orig_port;
	__u8 active;			/* the pre half translated this packet */
	__u8 kind;			/* enum nfx_nat_kind of the chosen tuple */
	__u32 rule_id;
};

static __always_inline void nat66_count(__u32 id, int what)
{
	struct nat66_counters *c = bpf_map_lookup_elem(&nfx_nat66_stats, &id);

	if (c && what >= 0 && what < NAT66_CNT_MAX)
		c->c[what]++;
}

/*
 * Rewrite one endpoint (source or destination) of a TCP, UDP or ICMPv6
 * echo packet and patch the transport checksum incrementally (RFC 1624,
 * eqn. 3): the address is in the pseudo-header, the port in the header.
 */
static __always_inline int nat66_rewrite(struct xdp_md *ctx, const struct nfx_pkt *pkt,
					 bool src, const union nfx_addr *na, __be16 nport)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l4off = pkt->l4_off;
	struct ipv6hdr *ip6h;
	union nfx_addr old;
	__be16 *portp, *csump;
	__u16 sum_old, sum_new, c;
	__u8 *l4;

	if (pkt->l3_off > 64 || l4off > NFX_L4_OFF_MAX)
		return -1;
	ip6h = data + pkt->l3_off;
	l4 = data + l4off;
	if ((void *)(ip6h + 1) > data_end || (void *)(l4 + 8) > data_end)
		return -1;
	switch (pkt->l4proto) {
	case NFX_IPPROTO_TCP:
		if ((void *)(l4 + 20) > data_end)
			return -1;
		csump = (__be16 *)(l4 + 16);
		portp = (__be16 *)(l4 + (src ? 0 : 2));
		break;
	case NFX_IPPROTO_UDP:
		csump = (__be16 *)(l4 + 6);
		portp = (__be16 *)(l4 + (src ? 0 : 2));
		break;
	default:	/* ICMPv6 echo: the identifier, in both directions */
		csump = (__be16 *)(l4 + 2);
		portp = (__be16 *)(l4 + 4);
	}
	__builtin_memcpy(&old, src ? &ip6h->saddr : &ip6h->daddr, 16);
	sum_old = npt_csum_add(npt_addr_sum(&old), npt_w(*portp));
	sum_new = npt_csum_add(npt_addr_sum(na), npt_w(nport));
	c = (__u16)~npt_w(*csump);
	c = npt_csum_add(c, (__u16)~sum_old);
	c = npt_csum_add(c, sum_new);
	c = (__u16)~c;
	/* UDP over IPv6 must carry a checksum; 0 means none (RFC 8200 §8.1). */
	if (pkt->l4proto == NFX_IPPROTO_UDP && c == 0)
		c = 0xffff;
	if (src)
		__builtin_memcpy(&ip6h->saddr, na, 16);
	else
		__builtin_memcpy(&ip6h->daddr, na, 16);
	*portp = nport;
	*csump = npt_w(c);
	return 0;
}

static __always_inline struct flow_entry *nat66_table_get(__u64 hash, const struct flow_key *key)
{
	struct flow_entry *e = bpf_map_lookup_elem(&nfx_flows, &hash);

	if (!e)
		e = bpf_map_lookup_elem(&nfx_flows_new, &hash);
	if (e && !nfx_flow_key_eq(&e->key, key))
		return (void *)-1;	/* another tuple holds this slot */
	return e;
}

/*
 * Pre-flow half: translate an inside packet's source. On return pkt
 * holds the translated tuple, so the flow stage finds or creates the
 * entry keyed as the outside sees the connection.
 */
static __always_inline int nfx_nat66_out(struct xdp_md *ctx, struct nfx_pkt *pkt, int res,
					 __u16 zone, struct nat66_ctx *nx)
{
	const struct nfx_config *cfg;
	struct nfx_lpm6_key k = { .prefixlen = 128 };
	__u64 secret[2] = { hash_key[0], hash_key[1] };
	__u64 now, base;
	struct nat66_rule *r;
	struct flow_key key;
	__u32 range, i;
	bool echo;

	if (pkt->family != NFX_AF_INET6 || res != NFX_PARSE_L4 || pkt->ttl <= 1)
		return NFX_NAT_PASS;
	echo = pkt->l4proto == NFX_IPPROTO_ICMPV6 && pkt->icmp_type == 128;
	if (pkt->l4proto != NFX_IPPROTO_TCP && pkt->l4proto != NFX_IPPROTO_UDP && !echo)
		return NFX_NAT_PASS;
	k.addr = pkt->saddr;
	r = bpf_map_lookup_elem(&nfx_nat66, &k);
	if (!r || r->out_ifindex == ctx->ingress_ifindex)
		return NFX_NAT_PASS;
	k.addr = pkt->daddr;
	if (bpf_map_lookup_elem(&nfx_nat66, &k))
		return NFX_NAT_PASS;	/* inside to inside */

	range = (__u32)r->port_hi - r->port_lo + 1;
	cfg = nfx_config_get();
	if (r->port_hi < r->port_lo || !cfg)
		return NFX_NAT_PASS;
	/* The candidate sequence is a keyed function of the inside tuple. */
	nfx_flow_key_make(&key, NFX_AF_INET6, pkt->l4proto, zone, &pkt->saddr, pkt->sport,
			  &pkt->daddr, pkt->dport);
	base = nfx_flow_hash(&key, secret);
	now = bpf_ktime_get_ns();

	for (i = 0; i < NAT66_PROBES; i++) {
		__be16 port = bpf_htons((__u16)(r->port_lo + (__u32)((base + i) % range)));
		struct flow_entry *e;
		__u64 h;
		int dir;

		dir = nfx_flow_key_make(&key, NFX_AF_INET6, pkt->l4proto, zone, &r->addr, port,
					&pkt->daddr, echo ? port : pkt->dport);
		h = nfx_flow_hash(&key, secret);
		e = nat66_table_get(h, &key);
		if (e == (void *)-1)
			continue;
		if (e && !flow_expired(e, cfg, now) &&
		    (e->nat.kind == NFX_NAT_NONE || e->nat.port != pkt->sport ||
		     __builtin_memcmp(e->nat.addr, &pkt->saddr, 16)))
			continue;	/* a live connection of someone else */
		/* Free, stale, or this connection's own entry. */
		nx->orig_addr = pkt->saddr;
		nx->orig_port = pkt->sport;
		nx->rule_id = r->id;
		nx->kind = dir == FLOW_DIR_LO_HI ? NFX_NAT_MASQ_LO : NFX_NAT_MASQ_HI;
		if (nat66_rewrite(ctx, pkt, true, &r->addr, port))
			return NFX_NAT_PASS;
		nx->active = 1;
		pkt->saddr = r->addr;
		pkt->sport = port;
		if (echo)
			pkt->dport = port;
		nat66_count(r->id, NAT66_CNT_OUT_PKTS);
		return NFX_NAT_XLATED;
	}
	nat66_count(r->id, NAT66_CNT_EXHAUSTED);
	return NFX_NAT_DROP;
}

/*
 * Post-flow half. After an outbound translation: record the inside
 * endpoint in a new entry. Otherwise: a packet to the masquerade endpoint
 * of its entry is a reply; translate its destination back.
 */
static __always_inline int nfx_nat66_post(struct xdp_md *ctx, struct nfx_pkt *pkt,
					  struct flow_entry *e, int dir, struct nat66_ctx *nx)
{
	struct nfx_lpm6_key k = { .prefixlen = 128 };
	struct nat66_rule *r;
	union nfx_addr a;

	if (nx->active) {
		if (!e)
			return NFX_NAT_XLATED;	/* untracked (table full): still sent */
		if (e->nat.kind == NFX_NAT_NONE) {
			__builtin_memcpy(e->nat.addr, &nx->orig_addr, 16);
			e->nat.port = nx->orig_port;
			e->nat.kind = nx->kind;
			nat66_count(nx->rule_id, NAT66_CNT_NEW);
			return NFX_NAT_XLATED;
		}
		if (e->nat.port != nx->orig_port ||
		    __builtin_memcmp(e->nat.addr, &nx->orig_addr, 16)) {
			/* Another CPU took the port between probe and create. */
			nat66_count(nx->rule_id, NAT66_CNT_RACE);
			return NFX_NAT_DROP;
		}
		return NFX_NAT_XLATED;
	}
	if (!e || e->nat.kind == NFX_NAT_NONE || pkt->family != NFX_AF_INET6)
		return NFX_NAT_PASS;
	/* Sent towards the masquerade endpoint: lo when it travels hi -> lo. */
	if ((e->nat.kind == NFX_NAT_MASQ_LO) != (dir == FLOW_DIR_HI_LO))
		return NFX_NAT_PASS;
	if (pkt->ttl <= 1)
		return NFX_NAT_PASS;
	__builtin_memcpy(&a, e->nat.addr, 16);
	if (nat66_rewrite(ctx, pkt, false, &a, e->nat.port))
		return NFX_NAT_PASS;
	k.addr = a;
	r = bpf_map_lookup_elem(&nfx_nat66, &k);
	if (r)
		nat66_count(r->id, NAT66_CNT_IN_PKTS);
	return NFX_NAT_XLATED;
}
#endif /* __bpf__ */

#endif /* NFX_BPF_NAT66_H */

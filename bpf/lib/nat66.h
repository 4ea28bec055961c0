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
static __always_inline int nat66_rewrite(struct xdp_md *ctx, const struct nfx_pkt *pkt, bool src,
					 const union nfx_addr *na, __be16 nport,
					 struct nat_scratch *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l4off = pkt->l4_off;
	struct ipv6hdr *ip6h;
	__be16 *portp, *csump;
	__u16 sum_old, sum_new, c;
	__u8 *l4, *oa;

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
	oa = src ? (__u8 *)&ip6h->saddr : (__u8 *)&ip6h->daddr;
	/* One address at a time: summing both at once spills registers. */
	__builtin_memcpy(&s->qa, oa, 16);
	sum_old = npt_csum_add(npt_addr_sum(&s->qa), npt_w(*portp));
	nfx_nat_barrier();
	sum_new = npt_csum_add(npt_addr_sum(na), npt_w(nport));
	c = (__u16)~npt_w(*csump);
	c = npt_csum_add(c, (__u16)~sum_old);
	c = npt_csum_add(c, sum_new);
	c = (__u16)~c;
	/* UDP over IPv6 must carry a checksum; 0 means none (RFC 8200 §8.1). */
	if (pkt->l4proto == NFX_IPPROTO_UDP && c == 0)
		c = 0xffff;
	__builtin_memcpy(oa, na, 16);
	*portp = nport;
	*csump = npt_w(c);
	return 0;
}

/*
 * One candidate port (bpf_loop callback, so the verifier walks it once
 * instead of once per probe): free, stale, or already this connection's
 * is taken (returns 1, stops the loop); a live entry of another endpoint
 * or a different tuple in the slot means try the next one.
 */
static long nat66_probe(__u32 i, void *unused)
{
	struct nat_scratch *s = nat_scratch_get();
	struct nfx_config *cfg = nfx_config_get();
	struct flow_entry *e;
	__u64 h;
	__be16 port;
	int dir;

	if (!s || !cfg || !s->range)
		return 1;
	port = bpf_htons((__u16)(s->port_lo + (__u32)((s->base + i) % s->range)));
	dir = nfx_flow_key_make(&s->key, NFX_AF_INET6, s->proto, s->zone, &s->masq, port, &s->dst,
				s->echo ? port : s->dport);
	h = nfx_flow_hash(&s->key, s->secret);
	e = bpf_map_lookup_elem(&nfx_flows, &h);
	if (!e)
		e = bpf_map_lookup_elem(&nfx_flows_new, &h);
	if (e) {
		if (!nfx_flow_key_eq(&e->key, &s->key))
			return 0;	/* another tuple holds the slot */
		if (!flow_expired(e, cfg, s->now) &&
		    (e->nat.kind == NFX_NAT_NONE || e->nat.port != s->sport ||
		     __builtin_memcmp(e->nat.addr, &s->src, 16)))
			return 0;	/* a live connection of someone else */
	}
	s->port = port;
	s->dir = dir;
	s->found = 1;
	return 1;
}

/*
 * Pre-flow half: translate an inside packet's source. On return pkt
 * holds the translated tuple, so the flow stage finds or creates the
 * entry keyed as the outside sees the connection.
 */
static __always_inline int nfx_nat66_out(struct xdp_md *ctx, struct nfx_pkt *pkt, int res,
					 __u16 zone, struct nat_scratch *s)
{
	struct nat66_rule *r;
	__u64 unused = 0;
	bool echo;

	if (pkt->family != NFX_AF_INET6 || res != NFX_PARSE_L4 || pkt->ttl <= 1)
		return NFX_NAT_PASS;
	echo = pkt->l4proto == NFX_IPPROTO_ICMPV6 && pkt->icmp_type == 128;
	if (pkt->l4proto != NFX_IPPROTO_TCP && pkt->l4proto != NFX_IPPROTO_UDP && !echo)
		return NFX_NAT_PASS;
	s->k.prefixlen = 128;
	__builtin_memcpy(s->k.addr, &pkt->saddr, 16);
	r = bpf_map_lookup_elem(&nfx_nat66, &s->k);
	if (!r || r->out_ifindex == ctx->ingress_ifindex || r->port_hi < r->port_lo)
		return NFX_NAT_PASS;
	__builtin_memcpy(s->k.addr, &pkt->daddr, 16);
	if (bpf_map_lookup_elem(&nfx_nat66, &s->k))
		return NFX_NAT_PASS;	/* inside to inside */

	s->src = pkt->saddr;
	s->dst = pkt->daddr;
	s->sport = pkt->sport;
	s->dport = pkt->dport;
	s->masq = r->addr;
	s->port_lo = r->port_lo;
	s->range = (__u32)r->port_hi - r->port_lo + 1;
	s->proto = pkt->l4proto;
	s->echo = echo;
	s->zone = zone;
	s->found = 0;
	s->secret[0] = hash_key[0];
	s->secret[1] = hash_key[1];
	/* The candidate sequence is a keyed function of the inside tuple. */
	nfx_flow_key_make(&s->key, NFX_AF_INET6, s->proto, zone, &s->src, s->sport, &s->dst,
			  s->dport);
	s->base = nfx_flow_hash(&s->key, s->secret);
	s->now = bpf_ktime_get_ns();
	bpf_loop(NAT66_PROBES, nat66_probe, &unused, 0);
	if (!s->found) {
		nat66_count(r->id, NAT66_CNT_EXHAUSTED);
		return NFX_NAT_DROP;
	}
	s->nx.orig_addr = s->src;
	s->nx.orig_port = s->sport;
	s->nx.rule_id = r->id;
	s->nx.kind = s->dir == FLOW_DIR_LO_HI ? NFX_NAT_MASQ_LO : NFX_NAT_MASQ_HI;
	if (nat66_rewrite(ctx, pkt, true, &s->masq, s->port, s))
		return NFX_NAT_PASS;
	s->nx.active = 1;
	s->undo = NAT_UNDO_SRC_EP;
	s->undo_addr = s->src;
	s->undo_port = s->sport;
	pkt->saddr = s->masq;
	pkt->sport = s->port;
	if (echo)
		pkt->dport = s->port;
	nat66_count(r->id, NAT66_CNT_OUT_PKTS);
	return NFX_NAT_XLATED;
}

/* One's-complement update of a checksum for one 16-bit word changing. */
static __always_inline __u16 nat66_csum_word(__u16 c, __u16 old, __u16 new)
{
	c = npt_csum_add((__u16)~c, (__u16)~old);
	return (__u16)~npt_csum_add(c, new);
}

/*
 * An ICMPv6 error from outside about a masqueraded connection: it is
 * addressed to the masquerade endpoint and quotes the packet as it left
 * (source = masquerade address and port). The quoted tuple is the flow
 * key, so one lookup finds the connection; then the outer destination,
 * the quoted source address and port, and the quoted transport checksum
 * go back to the inside endpoint, and the ICMPv6 checksum follows each
 * changed word. Path MTU discovery and port-unreachable work through the
 * masquerade like this.
 */
static __always_inline int nfx_nat66_icmp_err(struct xdp_md *ctx, const struct nfx_pkt *pkt,
					      __u16 zone, struct nat_scratch *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = pkt->payload_off, l4off = pkt->l4_off;
	struct ipv6hdr *ip6h, *in;
	struct flow_entry *e;
	__be16 *icsum, *qport, *qcsum = NULL;
	__u8 *ql4, *ih;
	__u16 c, sum_old, sum_new;
	__u64 h;
	int dir;

	if (pkt->l3_off > 64 || l4off > NFX_L4_OFF_MAX || off > NFX_L4_OFF_MAX + 8)
		return NFX_NAT_PASS;
	ip6h = data + pkt->l3_off;
	ih = data + l4off;
	in = data + off;
	ql4 = (__u8 *)(in + 1);
	if ((void *)(ip6h + 1) > data_end || (void *)(ih + 8) > data_end ||
	    (void *)(ql4 + 8) > data_end || in->version != 6)
		return NFX_NAT_PASS;
	if (in->nexthdr != NFX_IPPROTO_TCP && in->nexthdr != NFX_IPPROTO_UDP &&
	    !(in->nexthdr == NFX_IPPROTO_ICMPV6 && ql4[0] == 128))
		return NFX_NAT_PASS;
	__builtin_memcpy(&s->src, &in->saddr, 16);
	__builtin_memcpy(&s->dst, &in->daddr, 16);
	if (in->nexthdr == NFX_IPPROTO_ICMPV6) {
		s->sport = *(__be16 *)(ql4 + 4);
		s->dport = s->sport;
		qport = (__be16 *)(ql4 + 4);
		qcsum = (__be16 *)(ql4 + 2);
	} else {
		s->sport = *(__be16 *)ql4;
		s->dport = *(__be16 *)(ql4 + 2);
		qport = (__be16 *)ql4;
		if (in->nexthdr == NFX_IPPROTO_UDP)
			qcsum = (__be16 *)(ql4 + 6);
		else if ((void *)(ql4 + 18) <= data_end)
			qcsum = (__be16 *)(ql4 + 16);
	}
	/* The outer destination must be the quoted source: the masquerade endpoint. */
	if (__builtin_memcmp(&s->src, &ip6h->daddr, 16))
		return NFX_NAT_PASS;
	s->secret[0] = hash_key[0];
	s->secret[1] = hash_key[1];
	dir = nfx_flow_key_make(&s->key, NFX_AF_INET6, in->nexthdr, zone, &s->src, s->sport,
				&s->dst, s->dport);
	h = nfx_flow_hash(&s->key, s->secret);
	e = bpf_map_lookup_elem(&nfx_flows, &h);
	if (!e)
		e = bpf_map_lookup_elem(&nfx_flows_new, &h);
	if (!e || !nfx_flow_key_eq(&e->key, &s->key) ||
	    e->nat.kind != (dir == FLOW_DIR_LO_HI ? NFX_NAT_MASQ_LO : NFX_NAT_MASQ_HI))
		return NFX_NAT_PASS;
	__builtin_memcpy(&s->a, e->nat.addr, 16);
	s->port = e->nat.port;

	/* the ICMPv6 checksum, word by word over what changes */
	icsum = (__be16 *)(ih + 2);
	c = npt_w(*icsum);
	sum_old = npt_csum_add(npt_addr_sum(&s->src), npt_addr_sum(&s->src));
	nfx_nat_barrier();
	sum_new = npt_csum_add(npt_addr_sum(&s->a), npt_addr_sum(&s->a));
	c = nat66_csum_word(c, sum_old, sum_new);	/* outer dst + quoted src */
	c = nat66_csum_word(c, npt_w(*qport), npt_w(s->port));
	if (qcsum) {
		__u16 q = npt_w(*qcsum), nq;

		/* the quoted checksum saw the masquerade address and port */
		nq = nat66_csum_word(q, npt_csum_add(npt_addr_sum(&s->src), npt_w(*qport)),
				     npt_csum_add(npt_addr_sum(&s->a), npt_w(s->port)));
		if (in->nexthdr == NFX_IPPROTO_UDP && nq == 0)
			nq = 0xffff;
		if (in->nexthdr == NFX_IPPROTO_UDP && q == 0)
			nq = 0;		/* no checksum was sent: none to fix */
		c = nat66_csum_word(c, q, nq);
		*qcsum = npt_w(nq);
	}
	*icsum = npt_w(c);
	*qport = s->port;
	__builtin_memcpy(&in->saddr, &s->a, 16);
	__builtin_memcpy(&ip6h->daddr, &s->a, 16);
	return NFX_NAT_XLATED;
}

/*
 * Post-flow half. After an outbound translation: record the inside
 * endpoint in a new entry. Otherwise: a packet to the masquerade endpoint
 * of its entry is a reply; translate its destination back.
 */
static __always_inline int nfx_nat66_post(struct xdp_md *ctx, struct nfx_pkt *pkt,
					  struct flow_entry *e, int dir, struct nat_scratch *s)
{
	struct nat66_rule *r;

	if (s->nx.active) {
		if (!e)
			return NFX_NAT_XLATED;	/* untracked (table full): still sent */
		if (e->nat.kind == NFX_NAT_NONE) {
			__builtin_memcpy(e->nat.addr, &s->nx.orig_addr, 16);
			e->nat.port = s->nx.orig_port;
			e->nat.kind = s->nx.kind;
			nat66_count(s->nx.rule_id, NAT66_CNT_NEW);
			return NFX_NAT_XLATED;
		}
		if (e->nat.port != s->nx.orig_port ||
		    __builtin_memcmp(e->nat.addr, &s->nx.orig_addr, 16)) {
			/* Another CPU took the port between probe and create. */
			nat66_count(s->nx.rule_id, NAT66_CNT_RACE);
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
	__builtin_memcpy(&s->a, e->nat.addr, 16);
	s->undo_addr = pkt->daddr;
	s->undo_port = pkt->dport;
	if (nat66_rewrite(ctx, pkt, false, &s->a, e->nat.port, s))
		return NFX_NAT_PASS;
	s->undo = NAT_UNDO_DST_EP;
	s->k.prefixlen = 128;
	__builtin_memcpy(s->k.addr, &s->a, 16);
	r = bpf_map_lookup_elem(&nfx_nat66, &s->k);
	if (r)
		nat66_count(r->id, NAT66_CNT_IN_PKTS);
	return NFX_NAT_XLATED;
}
#endif /* __bpf__ */

#endif /* NFX_BPF_NAT66_H */

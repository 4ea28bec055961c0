/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * NPTv6 stage (RFC 6296): stateless prefix translation on ingress.
 *
 * XDP only sees packets as they arrive, so on a router each direction is
 * translated on the link it enters by:
 *  - outbound: a packet from an inside prefix that did not enter through
 *    the binding's outside link, to a destination outside every inside
 *    prefix, gets its source prefix replaced (inside -> outside);
 *  - inbound: a packet entering through the binding's outside link, to an
 *    address of its outside prefix, gets its destination prefix replaced.
 * nfx must therefore be attached to the inside links and the outside link
 * (the maps are shared by all links of a namespace).
 *
 * The rewrite is checksum-neutral, so TCP/UDP/ICMPv6 checksums are never
 * touched, and later fragments or ESP are translated like any packet.
 * An ICMPv6 error quotes the packet that caused it; the quoted header is
 * mapped too (inbound: its source, outbound: its destination), which is
 * again checksum-neutral for the ICMPv6 checksum, so traceroute and path
 * MTU discovery work through the translator.
 */
#ifndef NFX_BPF_NPT_H
#define NFX_BPF_NPT_H

#include "compat.h"
#include "parse.h"
#include "nfx/flow.h"
#include "nfx/npt.h"

#ifdef __bpf__
/* Bindings by inside prefix and by outside prefix: longest prefix wins. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NPT_BINDINGS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* LPM tries require it */
	__type(key, struct nfx_lpm6_key);
	__type(value, struct npt_binding);
} nfx_npt_in SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NPT_BINDINGS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nfx_lpm6_key);
	__type(value, struct npt_binding);
} nfx_npt_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NPT_BINDINGS_MAX);
	__type(key, __u32);
	__type(value, struct npt_counters);
} nfx_npt_stats SEC(".maps");

/*
 * Working memory of the NAT stages. nfx_xdp's own frame already holds
 * the parser and flow stage state, and the combined stack of a program
 * and the subprograms it calls may not pass 512 bytes; the NAT stages
 * keep their keys and addresses here instead. XDP runs to completion on
 * a CPU without nesting, so one per-CPU slot per program run suffices;
 * it also carries state from the pre-flow to the post-flow half.
 */
struct nat66_state {
	union nfx_addr orig_addr;	/* inside endpoint before translation */
	__be16 orig_port;
	__u8 active;			/* the pre half translated this packet */
	__u8 kind;			/* enum nfx_nat_kind of the chosen tuple */
	__u32 rule_id;
};

struct nat_scratch {
	struct nfx_lpm6_key k;
	__u32 pad0;
	union nfx_addr a;		/* the packet's translated address */
	union nfx_addr qa;		/* the quoted header's */
	struct flow_key key;
	__u64 secret[2];
	__u64 base, now;
	struct nat66_state nx;
	int verdict;
	/* masquerade probe inputs and result */
	union nfx_addr src, dst, masq;
	__be16 sport, dport, port;
	__u16 port_lo;
	__u32 range;
	__u8 proto, echo, found, dir;
	__u16 zone;
	__u16 pad1;
	struct bpf_fib_lookup fib;	/* forwarding lookup (fwd.h) */
	/* how to give the packet back as it arrived (nat_undo() in nat.h) */
	union nfx_addr undo_addr;
	__be16 undo_port;
	__u8 undo;			/* enum nat_undo_kind */
	__u8 pad2[5];
};

enum nat_undo_kind {
	NAT_UNDO_NONE = 0,
	NAT_UNDO_SRC_ADDR,	/* NPTv6 outbound: checksum-neutral */
	NAT_UNDO_DST_ADDR,	/* NPTv6 inbound */
	NAT_UNDO_SRC_EP,	/* NAT66 outbound: address, port, checksum */
	NAT_UNDO_DST_EP,	/* NAT66 reply */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat_scratch);
} nfx_nat_scratch SEC(".maps");

/* Keeps clang from interleaving two address sums, which spills registers. */
#define nfx_nat_barrier() asm volatile("" : : : "memory")

static __always_inline struct nat_scratch *nat_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nfx_nat_scratch, &zero);
}

/* What the NAT stages did to a packet (filled by npt/nat66 stages). */
enum nfx_nat_verdict {
	NFX_NAT_PASS = 0,	/* untouched */
	NFX_NAT_XLATED,		/* rewritten: forward it */
	NFX_NAT_DROP,		/* untranslatable: drop (counted) */
};

/* Count a packet (and, for the *_PKTS rows, its bytes in the next row). */
static __always_inline void npt_count(__u32 id, int what, __u64 bytes)
{
	struct npt_counters *c = bpf_map_lookup_elem(&nfx_npt_stats, &id);

	if (!c)
		return;
	switch (what) {
	case NPT_CNT_OUT_PKTS:
		c->c[NPT_CNT_OUT_PKTS]++;
		c->c[NPT_CNT_OUT_BYTES] += bytes;
		break;
	case NPT_CNT_IN_PKTS:
		c->c[NPT_CNT_IN_PKTS]++;
		c->c[NPT_CNT_IN_BYTES] += bytes;
		break;
	case NPT_CNT_ICMP_ERR:
		c->c[NPT_CNT_ICMP_ERR]++;
		break;
	default:
		c->c[NPT_CNT_DROP_FFFF]++;
	}
}

static __always_inline bool npt_is_icmp_error(const struct nfx_pkt *pkt, int res)
{
	/* destination unreachable, packet too big, time exceeded, parameter problem */
	return res == NFX_PARSE_L4 && pkt->l4proto == NFX_IPPROTO_ICMPV6 && pkt->icmp_type >= 1 &&
	       pkt->icmp_type <= 4;
}

/*
 * Map the address quoted in an ICMPv6 error: inbound errors quote the
 * packet the inside host sent after translation (its source is an outside
 * address), outbound ones the packet it received (its destination is an
 * inside address). Returns 1 rewritten, 0 nothing to do, -1 untranslatable.
 */
static __always_inline int npt_icmp_quote(void *data, void *data_end, const struct nfx_pkt *pkt,
					  bool inbound, struct nat_scratch *s)
{
	__u32 off = pkt->payload_off;
	struct npt_binding *b;
	struct ipv6hdr *in;

	if (off > NFX_L4_OFF_MAX + 8)
		return 0;
	in = data + off;
	/* A quote shorter than an IPv6 header has no address to map. */
	if ((void *)(in + 1) > data_end || in->version != 6)
		return 0;
	s->k.prefixlen = 128;
	if (inbound) {
		__builtin_memcpy(s->k.addr, &in->saddr, 16);
		b = bpf_map_lookup_elem(&nfx_npt_out, &s->k);
		if (!b)
			return 0;
		__builtin_memcpy(&s->qa, s->k.addr, 16);
		if (npt_translate(&s->qa, &b->inside, b->plen, b->adj_in))
			return -1;
		__builtin_memcpy(&in->saddr, &s->qa, 16);
		return 1;
	}
	__builtin_memcpy(s->k.addr, &in->daddr, 16);
	b = bpf_map_lookup_elem(&nfx_npt_in, &s->k);
	if (!b)
		return 0;
	__builtin_memcpy(&s->qa, s->k.addr, 16);
	if (npt_translate(&s->qa, &b->outside, b->plen, b->adj_out))
		return -1;
	__builtin_memcpy(&in->daddr, &s->qa, 16);
	return 1;
}

/*
 * The stage. On return pkt holds the tuple as the outside sees it (the
 * translated source of an outbound packet, the untouched destination of
 * an inbound one), so the flow stage keys both directions of a
 * connection to the same entry.
 */
static __always_inline int nfx_npt_stage(struct xdp_md *ctx, struct nfx_pkt *pkt, int res,
					 struct nat_scratch *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex;
	struct npt_binding *b;
	struct ipv6hdr *ip6h;
	bool inbound = false;
	int q = 0;

	if (pkt->family != NFX_AF_INET6)
		return NFX_NAT_PASS;
	/*
	 * Hop limit about to expire: leave the packet to the kernel, whose
	 * Time Exceeded then quotes it as the sender knows it.
	 */
	if (pkt->ttl <= 1)
		return NFX_NAT_PASS;
	if (pkt->l3_off > 64)
		return NFX_NAT_PASS;
	ip6h = data + pkt->l3_off;
	if ((void *)(ip6h + 1) > data_end)
		return NFX_NAT_PASS;

	s->k.prefixlen = 128;
	__builtin_memcpy(s->k.addr, &pkt->daddr, 16);
	b = bpf_map_lookup_elem(&nfx_npt_out, &s->k);
	if (b && b->out_ifindex == ifindex) {
		inbound = true;
	} else {
		__builtin_memcpy(s->k.addr, &pkt->saddr, 16);
		b = bpf_map_lookup_elem(&nfx_npt_in, &s->k);
		if (!b || b->out_ifindex == ifindex)
			return NFX_NAT_PASS;
		/* Between two inside networks nothing is translated. */
		__builtin_memcpy(s->k.addr, &pkt->daddr, 16);
		if (bpf_map_lookup_elem(&nfx_npt_in, &s->k))
			return NFX_NAT_PASS;
	}

	if (inbound) {
		s->a = pkt->daddr;
		if (npt_translate(&s->a, &b->inside, b->plen, b->adj_in))
			goto untranslatable;
	} else {
		s->a = pkt->saddr;
		if (npt_translate(&s->a, &b->outside, b->plen, b->adj_out))
			goto untranslatable;
	}
	if (npt_is_icmp_error(pkt, res)) {
		q = npt_icmp_quote(data, data_end, pkt, inbound, s);
		if (q < 0)
			goto untranslatable;
	}
	/* The quote was rewritten first: nothing below can fail any more. */
	if (inbound) {
		s->undo = NAT_UNDO_DST_ADDR;
		s->undo_addr = pkt->daddr;
		__builtin_memcpy(&ip6h->daddr, &s->a, 16);
		npt_count(b->id, NPT_CNT_IN_PKTS, pkt->l3_len);
	} else {
		s->undo = NAT_UNDO_SRC_ADDR;
		s->undo_addr = pkt->saddr;
		__builtin_memcpy(&ip6h->saddr, &s->a, 16);
		pkt->saddr = s->a;
		npt_count(b->id, NPT_CNT_OUT_PKTS, pkt->l3_len);
	}
	if (q > 0)
		npt_count(b->id, NPT_CNT_ICMP_ERR, 0);
	return NFX_NAT_XLATED;

untranslatable:
	/* RFC 6296 §3.6/§3.7: no checksum-neutral mapping exists. */
	npt_count(b->id, NPT_CNT_DROP_FFFF, 0);
	return NFX_NAT_DROP;
}
#endif /* __bpf__ */

#endif /* NFX_BPF_NPT_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IPv6 NAT around the flow stage: NPTv6 (npt.h) and NAT66 masquerade
 * (nat66.h) before it, so that the flow table always sees a connection
 * as the outside sees it; the masquerade reply half after it, from the
 * entry the flow stage found; then forwarding of what was translated.
 */
#ifndef NFX_BPF_NAT_H
#define NFX_BPF_NAT_H

#include "compat.h"
#include "parse.h"
#include "flow.h"
#include "npt.h"
#include "nat66.h"
#include "fwd.h"

#ifdef __bpf__
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_nat_conf);
} nfx_nat_conf SEC(".maps");

/*
 * The two NAT halves are global BPF functions: the verifier checks each
 * once on its own rather than inline in nfx_xdp, and their stack frames
 * stay small (state lives in nfx_nat_scratch) because nfx_xdp's frame plus
 * the frames of the functions it calls may not pass 512 bytes.
 */

/* Put back what the stages changed (see nat_scratch.undo). */
static __always_inline void nat_undo(struct xdp_md *ctx, const struct nfx_pkt *pkt,
				     struct nat_scratch *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6h;

	switch (s->undo) {
	case NAT_UNDO_SRC_ADDR:
	case NAT_UNDO_DST_ADDR:
		if (pkt->l3_off > 64)
			return;
		ip6h = data + pkt->l3_off;
		if ((void *)(ip6h + 1) > data_end)
			return;
		if (s->undo == NAT_UNDO_SRC_ADDR)
			__builtin_memcpy(&ip6h->saddr, &s->undo_addr, 16);
		else
			__builtin_memcpy(&ip6h->daddr, &s->undo_addr, 16);
		break;
	case NAT_UNDO_SRC_EP:
	case NAT_UNDO_DST_EP:
		s->a = s->undo_addr;
		nat66_rewrite(ctx, pkt, s->undo == NAT_UNDO_SRC_EP, &s->a, s->undo_port, s);
		break;
	}
}

/* Before the flow stage. Returns enum nfx_nat_verdict. */
__noinline int nfx_nat_pre(struct xdp_md *ctx, struct nfx_pkt *pkt, int res, __u16 zone)
{
	struct nfx_nat_conf *conf;
	struct nat_scratch *s;
	__u32 zero = 0, active;

	/* IPv4 leaves at once; nfx_nat_post() does not look at the state then. */
	if (!pkt || pkt->family != NFX_AF_INET6)
		return NFX_NAT_PASS;
	s = nat_scratch_get();
	if (!s)
		return NFX_NAT_PASS;
	s->nx.active = 0;
	s->undo = NAT_UNDO_NONE;
	s->verdict = NFX_NAT_PASS;
	conf = bpf_map_lookup_elem(&nfx_nat_conf, &zero);
	if (!conf)
		return NFX_NAT_PASS;
	active = conf->active;
	if (!active)
		return NFX_NAT_PASS;	/* no binding, no rule: nothing to look up */
	if (active & NFX_NAT_ACTIVE_NPT)
		s->verdict = nfx_npt_stage(ctx, pkt, res, s);
	if (s->verdict != NFX_NAT_PASS || !(active & NFX_NAT_ACTIVE_NAT66))
		return s->verdict;
	if (npt_is_icmp_error(pkt, res))
		s->verdict = nfx_nat66_icmp_err(ctx, pkt, zone, s);
	else
		s->verdict = nfx_nat66_out(ctx, pkt, res, zone, s);
	return s->verdict;
}

/* After the flow stage: the XDP action for the packet. */
__noinline int nfx_nat_post(struct xdp_md *ctx, struct nfx_pkt *pkt, struct flow_entry *e, int dir)
{
	struct nat_scratch *s;
	struct nfx_nat_conf *conf;
	__u32 zero = 0;
	int v, rc;

	if (!pkt || pkt->family != NFX_AF_INET6)
		return XDP_PASS;
	s = nat_scratch_get();
	if (!s)
		return XDP_PASS;
	if (s->verdict == NFX_NAT_DROP)
		return XDP_DROP;
	v = nfx_nat66_post(ctx, pkt, e, dir, s);
	if (v == NFX_NAT_DROP)
		return XDP_DROP;
	if (v == NFX_NAT_XLATED)
		s->verdict = v;
	if (s->verdict != NFX_NAT_XLATED)
		return XDP_PASS;
	rc = nfx_fib6(ctx, pkt, &s->fib);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		/*
		 * Too big for the next link. Hand the packet to the kernel as
		 * it arrived, so the Packet Too Big it sends goes to the real
		 * sender and quotes what that sender sent (RFC 8201 path MTU
		 * discovery through the translator).
		 */
		nat_undo(ctx, pkt, s);
		return XDP_PASS;
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;	/* unknown route or neighbour: the kernel resolves it */
	conf = bpf_map_lookup_elem(&nfx_nat_conf, &zero);
	if (!conf)
		return XDP_PASS;
	if (conf->fwd != NFX_FWD_XDP)
		return XDP_PASS;
	return nfx_redirect6(ctx, &s->fib);
}
#endif /* __bpf__ */

#endif /* NFX_BPF_NAT_H */

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

struct nat_ctx {
	struct nat66_ctx nx;
	int verdict;		/* enum nfx_nat_verdict so far */
	int res;		/* nfx_parse() result */
	__u16 zone;		/* of the ingress link, for flow keys */
};

/*
 * The NAT halves are BPF subprograms, not inlined: each gets a stack
 * frame of its own next to the flow stage's instead of all of them
 * adding up in nfx_xdp's 512 bytes.
 */

/* Before the flow stage. Returns the verdict so far. */
static __noinline int nfx_nat_pre(struct xdp_md *ctx, struct nfx_pkt *pkt, struct nat_ctx *nc)
{
	if (pkt->family != NFX_AF_INET6)
		return NFX_NAT_PASS;
	nc->verdict = nfx_npt_stage(ctx, pkt, nc->res);
	if (nc->verdict == NFX_NAT_PASS)
		nc->verdict = nfx_nat66_out(ctx, pkt, nc->res, nc->zone, &nc->nx);
	return nc->verdict;
}

/* After the flow stage: the XDP action for the packet. */
static __noinline int nfx_nat_post(struct xdp_md *ctx, struct nfx_pkt *pkt,
				     struct flow_entry *e, int dir, struct nat_ctx *nc)
{
	struct nfx_nat_conf *conf;
	__u32 zero = 0;

	if (pkt->family != NFX_AF_INET6)
		return XDP_PASS;
	if (nc->verdict == NFX_NAT_DROP)
		return XDP_DROP;
	if (nc->nx.active || nc->verdict == NFX_NAT_PASS) {
		int v = nfx_nat66_post(ctx, pkt, e, dir, &nc->nx);

		if (v == NFX_NAT_DROP)
			return XDP_DROP;
		if (v == NFX_NAT_XLATED)
			nc->verdict = v;
	}
	if (nc->verdict != NFX_NAT_XLATED)
		return XDP_PASS;
	conf = bpf_map_lookup_elem(&nfx_nat_conf, &zero);
	if (conf && conf->fwd == NFX_FWD_KERNEL)
		return XDP_PASS;
	return nfx_fwd6(ctx, pkt);
}
#endif /* __bpf__ */

#endif /* NFX_BPF_NAT_H */

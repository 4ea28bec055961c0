/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Forwarding of translated IPv6 packets: bpf_fib_lookup() + XDP_REDIRECT
 * when the kernel's FIB knows the route and the neighbour, else XDP_PASS
 * and the kernel forwards the (already translated) packet itself.
 *
 * Redirecting into a veth only works when the peer device can receive
 * XDP frames: it needs an XDP program of its own or GRO enabled; without
 * either the kernel drops the frame. `nfx-loader nat66 forward kernel`
 * turns redirection off for such setups.
 */
#ifndef NFX_BPF_FWD_H
#define NFX_BPF_FWD_H

#include "compat.h"
#include "parse.h"
#include "nfx/npt.h"
#include "npt.h"

#ifdef __bpf__
#define NFX_AF_INET6_FIB 10	/* AF_INET6, for bpf_fib_lookup.family */

static __always_inline int nfx_fwd6(struct xdp_md *ctx, const struct nfx_pkt *pkt,
				    struct bpf_fib_lookup *fib)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup *p = fib;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h;
	long rc;

	/* Tagged frames: the FIB answers for the VLAN device; leave them. */
	if (pkt->vlan_depth || pkt->family != NFX_AF_INET6)
		return XDP_PASS;
	ip6h = data + sizeof(*eth);
	if ((void *)(ip6h + 1) > data_end)
		return XDP_PASS;
	/* The kernel sends Time Exceeded; XDP would have to build it. */
	if (ip6h->hop_limit <= 1)
		return XDP_PASS;

	__builtin_memset(p, 0, sizeof(*p));
	p->family = NFX_AF_INET6_FIB;
	p->l4_protocol = pkt->l4proto;
	p->sport = pkt->sport;
	p->dport = pkt->dport;
	p->tot_len = pkt->l3_len;
	p->ifindex = ctx->ingress_ifindex;
	p->flowinfo = *(__be32 *)ip6h & bpf_htonl(0x0fffffff);
	__builtin_memcpy(p->ipv6_src, &ip6h->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6h->daddr, 16);

	rc = bpf_fib_lookup(ctx, p, sizeof(*p), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;	/* no route, no neighbour yet, local, ... */

	ip6h->hop_limit--;
	__builtin_memcpy(eth->h_dest, p->dmac, 6);
	__builtin_memcpy(eth->h_source, p->smac, 6);
	return bpf_redirect(p->ifindex, 0);
}
#endif /* __bpf__ */

#endif /* NFX_BPF_FWD_H */

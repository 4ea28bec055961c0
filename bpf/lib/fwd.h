/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Forwarding of translated IPv6 packets: bpf_fib_lookup() + XDP_REDIRECT
 * when the kernel's FIB knows the route and the neighbour, else XDP_PASS
 * and the kernel forwards the (already translated) packet itself.
 *
 * Redirecting into a veth only works when the peer device can receive
 * XDP frames: it needs an XDP program of its own or GRO enabled; without
 * either the kernel drops the frame. Redirection is therefore off unless
 * `nfx-loader nat66 forward IFNAME xdp` turns it on (enum nfx_fwd_mode).
 */
#ifndef NFX_BPF_FWD_H
#define NFX_BPF_FWD_H

#include "compat.h"
#include "parse.h"
#include "nfx/npt.h"
#include "npt.h"

#ifdef __bpf__
#define NFX_AF_INET6_FIB 10	/* AF_INET6, for bpf_fib_lookup.family */

/*
 * FIB lookup for a translated packet, as it will leave. Returns the
 * BPF_FIB_LKUP_RET_* result, or -1 when the packet is not one to look up
 * (VLAN-tagged, hop limit about to expire).
 */
static __always_inline int nfx_fib6(struct xdp_md *ctx, const struct nfx_pkt *pkt,
				    struct bpf_fib_lookup *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6h;

	/* Tagged frames: the FIB answers for the VLAN device; leave them. */
	if (pkt->vlan_depth || pkt->family != NFX_AF_INET6)
		return -1;
	ip6h = data + sizeof(struct ethhdr);
	if ((void *)(ip6h + 1) > data_end)
		return -1;
	/* The kernel sends Time Exceeded; XDP would have to build it. */
	if (ip6h->hop_limit <= 1)
		return -1;

	__builtin_memset(p, 0, sizeof(*p));
	p->family = NFX_AF_INET6_FIB;
	p->l4_protocol = pkt->l4proto;
	p->sport = pkt->sport;
	p->dport = pkt->dport;
	/* With tot_len set, the lookup also checks the egress MTU. */
	p->tot_len = pkt->l3_len;
	p->ifindex = ctx->ingress_ifindex;
	p->flowinfo = *(__be32 *)ip6h & bpf_htonl(0x0fffffff);
	__builtin_memcpy(p->ipv6_src, &ip6h->saddr, 16);
	__builtin_memcpy(p->ipv6_dst, &ip6h->daddr, 16);
	return bpf_fib_lookup(ctx, p, sizeof(*p), 0);
}

/* Send the packet out of the link the lookup found, as a router does. */
static __always_inline int nfx_redirect6(struct xdp_md *ctx, const struct bpf_fib_lookup *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = data + sizeof(*eth);

	if ((void *)(ip6h + 1) > data_end)
		return XDP_PASS;
	ip6h->hop_limit--;
	__builtin_memcpy(eth->h_dest, p->dmac, 6);
	__builtin_memcpy(eth->h_source, p->smac, 6);
	return bpf_redirect(p->ifindex, 0);
}
#endif /* __bpf__ */

#endif /* NFX_BPF_FWD_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Adopting connections from the kernel's conntrack on a flow-table miss,
 * so flows that existed before attach start in the right state.
 *
 * The kfuncs are declared weak and only called when the loader found them
 * in the kernel's BTF (NFX_FEAT_CT_KFUNCS); without them nfx runs as is.
 */
#ifndef NFX_BPF_CT_H
#define NFX_BPF_CT_H

#include "compat.h"
#include "parse.h"
#include "nfx/flow.h"

#ifdef __bpf__
#include <bpf/bpf_core_read.h>

/* The 12-byte layout every kernel since 5.18 accepts. */
struct bpf_ct_opts___nfx {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u8 reserved[2];
};

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *tuple,
					 u32 tuple__sz, struct bpf_ct_opts___nfx *opts,
					 u32 opts__sz) __ksym __weak;
extern void bpf_ct_release(struct nf_conn *ct) __ksym __weak;

#define NFX_IPS_SEEN_REPLY (1ul << 1)
#define NFX_IPS_ASSURED (1ul << 2)
#define NFX_CT_NETNS_CURRENT (-1)

/*
 * Fill *e from the kernel's entry for this packet's tuple, if there is
 * one. Returns true when the entry was adopted.
 */
static __always_inline bool nfx_ct_adopt(struct xdp_md *ctx, const struct nfx_pkt *pkt,
					 struct flow_entry *e)
{
	struct bpf_ct_opts___nfx opts = {
		.netns_id = NFX_CT_NETNS_CURRENT,
		.l4proto = pkt->l4proto,
	};
	struct bpf_sock_tuple tup = {};
	struct nf_conn *ct;
	unsigned long status;
	bool pkt_is_orig;
	u32 sz;

	if (pkt->l4proto != NFX_IPPROTO_TCP && pkt->l4proto != NFX_IPPROTO_UDP)
		return false;
	if (pkt->family == NFX_AF_INET) {
		tup.ipv4.saddr = pkt->saddr.v4;
		tup.ipv4.daddr = pkt->daddr.v4;
		tup.ipv4.sport = pkt->sport;
		tup.ipv4.dport = pkt->dport;
		sz = sizeof(tup.ipv4);
	} else {
		__builtin_memcpy(tup.ipv6.saddr, &pkt->saddr, 16);
		__builtin_memcpy(tup.ipv6.daddr, &pkt->daddr, 16);
		tup.ipv6.sport = pkt->sport;
		tup.ipv6.dport = pkt->dport;
		sz = sizeof(tup.ipv6);
	}
	ct = bpf_xdp_ct_lookup(ctx, &tup, sz, &opts, sizeof(opts));
	if (!ct)
		return false;

	status = ct->status;
	/* Who opened it: the side whose address/port is the original source. */
	if (pkt->family == NFX_AF_INET)
		pkt_is_orig = ct->tuplehash[0].tuple.src.u3.ip == pkt->saddr.v4;
	else
		pkt_is_orig = ct->tuplehash[0].tuple.src.u3.all[3] == pkt->saddr.v6w[3] &&
			      ct->tuplehash[0].tuple.src.u3.all[0] == pkt->saddr.v6w[0];
	pkt_is_orig = pkt_is_orig && ct->tuplehash[0].tuple.src.u.all == pkt->sport;

	if (!pkt_is_orig)
		e->flags ^= FLOW_F_INIT_HI;
	if (bpf_core_field_exists(ct->mark))
		e->mark = ct->mark;
	if (pkt->l4proto == NFX_IPPROTO_TCP) {
		u8 st = ct->proto.tcp.state;

		/* The kernel's TCP_CONNTRACK_* order matches enum flow_tcp_state. */
		e->tcp_state = st < FLOW_TCP_STATE_MAX ? st : FLOW_TCP_CLOSE;
	}
	e->flags &= ~FLOW_F_MIDSTREAM;
	e->flags |= FLOW_F_ADOPTED;
	if (status & NFX_IPS_SEEN_REPLY)
		e->flags |= FLOW_F_SEEN_LO | FLOW_F_SEEN_HI;
	if (status & NFX_IPS_ASSURED)
		e->flags |= FLOW_F_ASSURED;
	bpf_ct_release(ct);
	return true;
}
#else
/* User-space builds of the flow stage have no kernel conntrack. */
#define nfx_ct_adopt(ctx, pkt, e) false
#endif

#endif /* NFX_BPF_CT_H */

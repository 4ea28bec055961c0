// SPDX-License-Identifier: GPL-2.0
/*
 * nfx XDP pipeline: parse -> count -> NAT (pre) -> flow -> cluster ownership ->
 * rules -> NAT (post) -> nfgrep -> verdict.
 * Each stage lives in bpf/lib/ and is tested on its own through
 * BPF_PROG_TEST_RUN; this file only strings them together.
 */
#include "lib/compat.h"
#include "lib/parse.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/flow.h"
#include "lib/nat.h"
#include "lib/rules.h"
#include "lib/nfgrep.h"
#include "lib/cluster.h"

/*
 * The verifier allows 512 bytes of stack for a program plus the frames of
 * the subprograms it calls. The parsed packet lives in a per-CPU slot (XDP
 * runs to completion on a CPU, without nesting) rather than in nfx_xdp's
 * frame, and the flow stage runs as a subprogram of its own, so its frame
 * (an entry under construction, key, hash state, event record) and the NAT
 * stages' frames are siblings instead of adding up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_pkt);
} nfx_pkt_slot SEC(".maps");

static __noinline struct flow_entry *nfx_flow_sub(struct xdp_md *ctx, const struct nfx_pkt *pkt,
						  __u16 zone, struct flow_ctx *fc)
{
	struct nfx_config *cfg = nfx_config_get();

	if (!cfg)
		return NULL;
	return nfx_flow_stage(ctx, pkt, cfg, zone, fc);
}

SEC("xdp")
int nfx_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct nfx_pkt *pkt;
	__u32 zero = 0;
	int res;

	struct nfx_config *cfg;
	struct nfx_link_conf *lc;
	struct flow_ctx fc = {};
	struct flow_entry *fe = NULL;

	pkt = bpf_map_lookup_elem(&nfx_pkt_slot, &zero);
	if (!pkt)
		return XDP_PASS;
	res = nfx_parse(data, data_end, pkt);
	nfx_stat_pkt(pkt, res);
	/* NPTv6 also rewrites packets without ports (fragments, ESP). */
	if (res != NFX_PARSE_L4 && !(res == NFX_PARSE_L3 && pkt->family == NFX_AF_INET6))
		return nfx_cluster_other(ctx, pkt, res);
	cfg = nfx_config_get();
	lc = nfx_link_get();
	if (!cfg || !lc || !(cfg->flags & lc->flags & NFX_CFG_READY))
		return XDP_PASS;	/* the loader is still writing them */
	if (nfx_nat_pre(ctx, pkt, res, lc->zone) == NFX_NAT_DROP)
		return XDP_DROP;
	if (res == NFX_PARSE_L4)
		fe = nfx_flow_sub(ctx, pkt, lc->zone, &fc);
	/* A flow another cluster node owns is dropped before anything else decides. */
	if (nfx_cluster_stage(ctx, pkt, fe) == XDP_DROP)
		return XDP_DROP;
	if (res == NFX_PARSE_L4) {
		res = nfx_rules_fast(pkt, fe, fc.dir, fc.assured_tier ? 2 : 1, fc.hash);
		if (res == XDP_DROP)
			return XDP_DROP;
		/*
		 * Verdict not cached: the classifier program takes over and
		 * finishes the pipeline (NAT post, nfgrep) itself. If the tail
		 * call fails the packet goes on unclassified, as with no rules.
		 */
		if (res == NFX_RULES_CLASSIFY)
			bpf_tail_call(ctx, &nfx_rules_progs, 0);
	}
	/* keep last: it may leave by tail call, returning the verdict given */
	return nfx_nfgrep_stage(ctx, pkt, &fc, nfx_nat_post(ctx, pkt, fe, fc.dir));
}

NFX_NFGREP_PROGRAM(nfx_pkt_slot)

/*
 * Rule classifier, tail-called on a verdict cache miss; it runs the rest
 * of the pipeline (NAT post, nfgrep) for the packets it passes.
 */
SEC("xdp")
int nfx_xdp_rules(struct xdp_md *ctx)
{
	struct flow_ctx fc = {};
	struct nfx_pkt *pkt;
	__u32 zero = 0;

	if (nfx_rules_classify(ctx, &fc.e, &fc.dir) == XDP_DROP)
		return XDP_DROP;
	pkt = bpf_map_lookup_elem(&nfx_pkt_slot, &zero);
	if (!pkt)
		return XDP_PASS;
	return nfx_nfgrep_stage(ctx, pkt, &fc, nfx_nat_post(ctx, pkt, fc.e, fc.dir));
}

char LICENSE[] SEC("license") = "GPL";

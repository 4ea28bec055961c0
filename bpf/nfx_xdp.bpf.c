// SPDX-License-Identifier: GPL-2.0
/*
 * nfx XDP pipeline: parse -> count -> flow -> rules -> verdict.
 * Each stage lives in bpf/lib/ and is tested on its own through
 * BPF_PROG_TEST_RUN; this file only strings them together.
 */
#include "lib/compat.h"
#include "lib/parse.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/flow.h"
#include "lib/rules.h"

SEC("xdp")
int nfx_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct nfx_pkt pkt;
	int res;

	struct nfx_config *cfg;
	struct nfx_link_conf *lc;
	struct flow_ctx fc = {};

	res = nfx_parse(data, data_end, &pkt);
	nfx_stat_pkt(&pkt, res);
	if (res != NFX_PARSE_L4)
		return XDP_PASS;
	cfg = nfx_config_get();
	lc = nfx_link_get();
	if (!cfg || !lc || !(cfg->flags & lc->flags & NFX_CFG_READY))
		return XDP_PASS;	/* the loader is still writing them */
	nfx_flow_stage(ctx, &pkt, cfg, lc->zone, &fc);
	res = nfx_rules_fast(&pkt, fc.e, fc.dir, fc.assured_tier ? 2 : 1, fc.hash);
	if (res != NFX_RULES_CLASSIFY)
		return res;
	bpf_tail_call(ctx, &nfx_rules_progs, 0);
	return XDP_PASS;	/* classifier missing: fail open, as with no rules */
}

/* Rule classifier, tail-called by nfx_rules_stage on a verdict cache miss. */
SEC("xdp")
int nfx_xdp_rules(struct xdp_md *ctx)
{
	return nfx_rules_classify(ctx);
}

struct nfx_rules_progs_def nfx_rules_progs SEC(".maps") = {
	.values = { [0] = (void *)&nfx_xdp_rules },
};

char LICENSE[] SEC("license") = "GPL";

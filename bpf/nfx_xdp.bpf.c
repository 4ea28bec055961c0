// SPDX-License-Identifier: GPL-2.0
/*
 * nfx XDP pipeline: parse -> count -> flow -> cluster ownership -> verdict.
 * Each stage lives in bpf/lib/ and is tested on its own through
 * BPF_PROG_TEST_RUN; this file only strings them together.
 */
#include "lib/compat.h"
#include "lib/parse.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/flow.h"
#include "lib/cluster.h"

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
	struct flow_entry *e;

	res = nfx_parse(data, data_end, &pkt);
	nfx_stat_pkt(&pkt, res);
	if (res != NFX_PARSE_L4)
		return nfx_cluster_other(ctx, &pkt, res);
	cfg = nfx_config_get();
	lc = nfx_link_get();
	if (!cfg || !lc || !(cfg->flags & lc->flags & NFX_CFG_READY))
		return XDP_PASS;	/* the loader is still writing them */
	e = nfx_flow_stage(ctx, &pkt, cfg, lc->zone, &fc);
	return nfx_cluster_stage(ctx, &pkt, e);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * nfx XDP pipeline: parse -> count -> NAT (pre) -> flow -> NAT (post) -> verdict.
 * Each stage lives in bpf/lib/ and is tested on its own through
 * BPF_PROG_TEST_RUN; this file only strings them together.
 */
#include "lib/compat.h"
#include "lib/parse.h"
#include "lib/config.h"
#include "lib/stats.h"
#include "lib/flow.h"
#include "lib/nat.h"

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
	struct flow_entry *fe = NULL;
	struct nat_ctx nc = {};

	res = nfx_parse(data, data_end, &pkt);
	nfx_stat_pkt(&pkt, res);
	/* NPTv6 also rewrites packets without ports (fragments, ESP). */
	if (res != NFX_PARSE_L4 && !(res == NFX_PARSE_L3 && pkt.family == NFX_AF_INET6))
		return XDP_PASS;
	cfg = nfx_config_get();
	lc = nfx_link_get();
	if (!cfg || !lc || !(cfg->flags & lc->flags & NFX_CFG_READY))
		return XDP_PASS;	/* the loader is still writing them */
	nc.res = res;
	nc.zone = lc->zone;
	if (nfx_nat_pre(ctx, &pkt, &nc) == NFX_NAT_DROP)
		return XDP_DROP;
	if (res == NFX_PARSE_L4)
		fe = nfx_flow_stage(ctx, &pkt, cfg, lc->zone, &fc);
	return nfx_nat_post(ctx, &pkt, fe, fc.dir, &nc);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flows: list the flow table, filtered, as a table or JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "nfx/libnfx.h"
#include "nfx/pred.h"
#include "cli.h"

struct flows_walk {
	const struct nfx_flow_pred *filter;
	struct json_writer *jw;
	__u64 now;
	__u64 shown;
	bool count_only;
	__u32 tables[64];	/* flow tables already walked, by map id */
	int ntables;
};

static void flag_string(const struct flow_entry *e, char *buf)
{
	char *p = buf;

	if (e->flags & FLOW_F_ASSURED)
		*p++ = 'A';
	if (e->flags & FLOW_F_ADOPTED)
		*p++ = 'K';
	if (e->flags & FLOW_F_MIDSTREAM)
		*p++ = 'M';
	if (!(e->flags & ((e->flags & FLOW_F_INIT_HI) ? FLOW_F_SEEN_LO : FLOW_F_SEEN_HI)))
		*p++ = 'U';	/* UNREPLIED */
	if (p == buf)
		*p++ = '-';
	*p = '\0';
}

static int print_flow(const struct flow_entry *e, void *arg)
{
	struct flows_walk *w = arg;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ep[2 * INET6_ADDRSTRLEN + 32];
	char b[4][32], flags[8];
	struct nfx_flow_view v;
	double age, idle;

	if (!nfx_pred_match(w->filter, e, w->now))
		return 0;
	w->shown++;
	if (w->count_only)
		return 0;
	nfx_flow_view(e, &v);
	nfx_addr_str(e->key.family, &v.src, src, sizeof(src));
	nfx_addr_str(e->key.family, &v.dst, dst, sizeof(dst));
	age = (double)(w->now - e->first_seen) / 1e9;
	idle = (double)(w->now - e->last_seen) / 1e9;
	flag_string(e, flags);

	if (w->jw) {
		struct json_writer *jw = w->jw;

		jw_obj_start(jw);
		jw_kstr(jw, "proto", nfx_proto_name(e->key.proto));
		jw_ku64(jw, "l4proto", e->key.proto);
		jw_ku64(jw, "family", e->key.family == NFX_AF_INET ? 4 : 6);
		jw_kstr(jw, "src", src);
		jw_ku64(jw, "sport", v.sport);
		jw_kstr(jw, "dst", dst);
		jw_ku64(jw, "dport", v.dport);
		jw_ku64(jw, "zone", e->key.zone);
		jw_kstr(jw, "state",
			e->key.proto == 6 ?
				flow_tcp_state_names[e->tcp_state % FLOW_TCP_STATE_MAX] :
				"");
		jw_kbool(jw, "assured", e->flags & FLOW_F_ASSURED);
		jw_kbool(jw, "adopted", e->flags & FLOW_F_ADOPTED);
		jw_kstr(jw, "flags", flags);
		jw_ku64(jw, "mark", e->mark);
		jw_ku64(jw, "owner", e->owner);
		jw_ku64(jw, "orig_packets", v.orig_packets);
		jw_ku64(jw, "orig_bytes", v.orig_bytes);
		jw_ku64(jw, "reply_packets", v.reply_packets);
		jw_ku64(jw, "reply_bytes", v.reply_bytes);
		jw_ku64(jw, "invalid", e->invalid);
		jw_kdouble(jw, "age", age);
		jw_kdouble(jw, "idle", idle);
		jw_obj_end(jw);
		return 0;
	}
	if (e->key.family == NFX_AF_INET6)
		snprintf(ep, sizeof(ep), "[%s]:%u -> [%s]:%u", src, v.sport, dst, v.dport);
	else
		snprintf(ep, sizeof(ep), "%s:%u -> %s:%u", src, v.sport, dst, v.dport);
	printf("%-6s %-47s %-11s %-5s %7s/%-7s %8s/%-8s %7.1f %6.1f\n",
	       nfx_proto_name(e->key.proto), ep,
	       e->key.proto == 6 ? flow_tcp_state_names[e->tcp_state % FLOW_TCP_STATE_MAX] : "-",
	       flags, cli_fmt_count(b[0], sizeof(b[0]), v.orig_packets),
	       cli_fmt_count(b[1], sizeof(b[1]), v.reply_packets),
	       cli_fmt_bytes(b[2], sizeof(b[2]), v.orig_bytes),
	       cli_fmt_bytes(b[3], sizeof(b[3]), v.reply_bytes), age, idle);
	return 0;
}

static int flows_one(struct cli_ctx *ctx, const char *ifname, struct flows_walk *w)
{
	struct nfx_link *link;
	__u32 id;
	int n, i;

	if (nfx_link_open(ifname, ctx->pin_root, &link))
		return cli_fail(ctx, "%s", nfx_errmsg());
	/* Links of one namespace share their table: walk it once. */
	id = nfx_link_table_id(link);
	for (i = 0; i < w->ntables; i++)
		if (w->tables[i] == id) {
			nfx_link_close(link);
			return 0;
		}
	if (w->ntables < (int)(sizeof(w->tables) / sizeof(w->tables[0])))
		w->tables[w->ntables++] = id;
	n = nfx_flows_foreach(link, print_flow, w);
	nfx_link_close(link);
	if (n < 0)
		return cli_fail(ctx, "%s: %s", ifname, nfx_errmsg());
	return 0;
}

static int do_flows(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	struct nfx_flow_pred filter;
	struct flows_walk w = { .filter = &filter,
				.now = nfx_now_ns(),
				.count_only = cli_flag(cli_current, v, "count") };
	char **links = NULL, *one[2] = { NULL, NULL };
	int i, ret = 0;

	/* The first word names a link when nfx is attached to one of that name. */
	{
		struct nfx_link *probe;

		if (argc && nfx_link_open(argv[0], ctx->pin_root, &probe) == 0) {
			nfx_link_close(probe);
			one[0] = argv[0];
			argc--;
			argv++;
		}
	}
	if (nfx_pred_parse(argc, argv, &filter))
		return cli_usage(ctx, "%s", nfx_errmsg());
	if (!one[0]) {
		if (nfx_links_list(ctx->pin_root, &links) < 0)
			return cli_fail(ctx, "%s", nfx_errmsg());
		if (!links[0]) {
			nfx_links_free(links);
			return cli_fail(ctx, "nfx is not attached to any link");
		}
	}
	if (ctx->json && !w.count_only) {
		w.jw = cli_json(ctx);
		jw_arr_start(w.jw);
	} else if (!w.count_only) {
		printf("%-6s %-47s %-11s %-5s %15s %17s %7s %6s\n", "proto",
		       "initiator -> responder", "state", "flags", "packets o/r", "bytes o/r",
		       "age", "idle");
	}
	for (i = 0; (one[0] ? one : links)[i] && !ret; i++)
		ret = flows_one(ctx, (one[0] ? one : links)[i], &w);
	if (w.jw) {
		jw_arr_end(w.jw);
		jw_free(w.jw);
	} else if (w.count_only) {
		if (ctx->json) {
			struct json_writer *jw = cli_json(ctx);

			jw_obj_start(jw);
			jw_ku64(jw, "count", w.shown);
			jw_obj_end(jw);
			jw_free(jw);
		} else {
			printf("%llu\n", (unsigned long long)w.shown);
		}
	}
	nfx_links_free(links);
	return ret;
}

static const struct cli_opt flows_opts[] = {
	{ "count", 'c', CLI_FLAG, NULL, "print only the number of matching flows" },
	{ NULL },
};

const struct cli_cmd cli_flow_cmds[] = {
	{ "flows", "[IFNAME] [FILTER...]", "list flows; FILTER: the PREDICATE words of flush",
	  flows_opts, 0, -1, do_flows },
	{ NULL },
};

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flows: list the flow table, filtered, as a table or JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "nfx/libnfx.h"
#include "cli.h"

/* A conjunction of simple conditions given as words after the link. */
struct flow_filter {
	int proto;			/* -1: any */
	int state;			/* -1: any, enum flow_tcp_state */
	int assured;			/* -1 any, 0 unassured, 1 assured */
	int port;			/* -1: any, either endpoint */
	int zone;
	bool has_host;
	union nfx_addr host;		/* either endpoint */
	int host_family;
};

static int parse_filter(struct cli_ctx *ctx, int argc, char **argv, struct flow_filter *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->proto = f->state = f->assured = f->port = f->zone = -1;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long n;
		char *end;
		int k;

		if (!strcmp(w, "assured")) {
			f->assured = 1;
			continue;
		}
		if (!strcmp(w, "unassured")) {
			f->assured = 0;
			continue;
		}
		if (strcmp(w, "proto") && strcmp(w, "state") && strcmp(w, "port") &&
		    strcmp(w, "host") && strcmp(w, "zone"))
			return cli_usage(ctx, "filter word %d: unknown '%s' (proto, state, port, host, zone, assured, unassured)",
					 i + 1, w);
		if (!val)
			return cli_usage(ctx, "filter word %d: '%s' needs a value", i + 1, w);
		i++;
		if (!strcmp(w, "proto")) {
			static const struct { const char *n; int p; } names[] = {
				{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
			};
			for (k = 0; k < 4 && strcmp(names[k].n, val); k++)
				;
			if (k < 4) {
				f->proto = names[k].p;
				continue;
			}
			n = strtoul(val, &end, 10);
			if (*end || n > 255)
				return cli_usage(ctx, "filter word %d: '%s' is not a protocol", i + 1, val);
			f->proto = n;
		} else if (!strcmp(w, "state")) {
			for (k = 0; k < FLOW_TCP_STATE_MAX && strcasecmp(flow_tcp_state_names[k], val); k++)
				;
			if (k == FLOW_TCP_STATE_MAX)
				return cli_usage(ctx, "filter word %d: '%s' is not a TCP state", i + 1, val);
			f->state = k;
		} else if (!strcmp(w, "port") || !strcmp(w, "zone")) {
			n = strtoul(val, &end, 0);
			if (*end || !*val || n > 65535)
				return cli_usage(ctx, "filter word %d: '%s' is not a %s number", i + 1, val, w);
			if (w[0] == 'p')
				f->port = n;
			else
				f->zone = n;
		} else {
			f->host_family = nfx_addr_parse(val, &f->host);
			if (f->host_family < 0)
				return cli_usage(ctx, "filter word %d: '%s' is not an IPv4 or IPv6 address", i + 1, val);
			f->has_host = true;
		}
	}
	return 0;
}

static bool filter_match(const struct flow_filter *f, const struct flow_entry *e)
{
	const struct flow_key *k = &e->key;

	if (f->proto >= 0 && k->proto != f->proto)
		return false;
	if (f->state >= 0 && (k->proto != 6 || e->tcp_state != f->state))
		return false;
	if (f->assured >= 0 && !!(e->flags & FLOW_F_ASSURED) != f->assured)
		return false;
	if (f->zone >= 0 && k->zone != f->zone)
		return false;
	if (f->port >= 0 && ntohs(k->lo_port) != f->port && ntohs(k->hi_port) != f->port)
		return false;
	if (f->has_host && (k->family != f->host_family ||
			    (memcmp(&k->lo_addr, &f->host, 16) && memcmp(&k->hi_addr, &f->host, 16))))
		return false;
	return true;
}

struct flows_walk {
	struct cli_ctx *ctx;
	const struct flow_filter *filter;
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
	if (!(e->flags & (e->flags & FLOW_F_INIT_HI ? FLOW_F_SEEN_LO : FLOW_F_SEEN_HI)))
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

	if (!filter_match(w->filter, e))
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
		jw_kstr(jw, "state", e->key.proto == 6 ? flow_tcp_state_names[e->tcp_state % FLOW_TCP_STATE_MAX] : "");
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
	       flags,
	       cli_fmt_count(b[0], sizeof(b[0]), v.orig_packets),
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
	struct flow_filter filter;
	struct flows_walk w = { .ctx = ctx, .filter = &filter, .now = nfx_now_ns(),
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
	ret = parse_filter(ctx, argc, argv, &filter);
	if (ret)
		return ret;
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
		       "initiator -> responder", "state", "flags", "packets o/r",
		       "bytes o/r", "age", "idle");
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
	{ "flows", "[IFNAME] [FILTER...]",
	  "list flows; FILTER: proto P, state S, port N, host ADDR, zone N, assured, unassured",
	  flows_opts, 0, -1, do_flows },
	{ NULL },
};

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * events: stream flow events from the datapath's per-CPU rings, or kernel
 * conntrack events (--kernel), one line or one JSON object per event.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "cli.h"

/* A conjunction of conditions, from --filter and trailing words. */
struct ev_filter {
	__u32 types;			/* 0: any; else bit (1 << type) */
	int proto;			/* -1: any */
	int port;			/* -1: any, either endpoint */
	bool has_host;
	union nfx_addr host;
	int host_family;
};

struct ev_run {
	struct cli_ctx *ctx;
	struct ev_filter filter;
	bool json;
	unsigned long long count, shown;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = 1;
}

static int filter_word(struct cli_ctx *ctx, struct ev_filter *f, int pos, const char *w,
		       const char *val)
{
	unsigned long n;
	char *end;
	int k;

	if (!val)
		return cli_usage(ctx, "filter word %d: '%s' needs a value", pos, w);
	if (!strcmp(w, "type")) {
		for (k = 1; k < NFX_EV_TYPE_MAX && strcasecmp(nfx_event_type_names[k], val); k++)
			;
		if (k == NFX_EV_TYPE_MAX)
			return cli_usage(
				ctx,
				"filter word %d: '%s' is not an event type (new, state, classified, end, lost, sync)",
				pos + 1, val);
		f->types |= 1u << k;
	} else if (!strcmp(w, "proto")) {
		static const struct {
			const char *n;
			int p;
		} names[] = {
			{ "tcp", 6 },
			{ "udp", 17 },
			{ "icmp", 1 },
			{ "icmpv6", 58 },
		};
		for (k = 0; k < 4 && strcmp(names[k].n, val); k++)
			;
		if (k < 4) {
			f->proto = names[k].p;
			return 0;
		}
		n = strtoul(val, &end, 10);
		if (*end || !*val || n > 255)
			return cli_usage(ctx, "filter word %d: '%s' is not a protocol", pos + 1,
					 val);
		f->proto = n;
	} else if (!strcmp(w, "port")) {
		n = strtoul(val, &end, 0);
		if (*end || !*val || n > 65535)
			return cli_usage(ctx, "filter word %d: '%s' is not a port number", pos + 1,
					 val);
		f->port = n;
	} else if (!strcmp(w, "host")) {
		f->host_family = nfx_addr_parse(val, &f->host);
		if (f->host_family < 0)
			return cli_usage(ctx, "filter word %d: '%s' is not an IPv4 or IPv6 address",
					 pos + 1, val);
		f->has_host = true;
	} else {
		return cli_usage(ctx, "filter word %d: unknown '%s' (type, proto, host, port)", pos,
				 w);
	}
	return 0;
}

static int parse_words(struct cli_ctx *ctx, struct ev_filter *f, int argc, char **argv)
{
	int i, err;

	for (i = 0; i < argc; i += 2) {
		err = filter_word(ctx, f, i + 1, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		if (err)
			return err;
	}
	return 0;
}

/* --filter "type end proto tcp": split on blanks into the same words. */
static int parse_filter_string(struct cli_ctx *ctx, struct ev_filter *f, const char *s)
{
	char *copy = strdup(s), *save = NULL, *w;
	char *words[32];
	int n = 0, err;

	if (!copy)
		return cli_fail(ctx, "out of memory");
	for (w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (n == (int)(sizeof(words) / sizeof(words[0]))) {
			free(copy);
			return cli_usage(ctx, "--filter: too many words");
		}
		words[n++] = w;
	}
	err = parse_words(ctx, f, n, words);
	free(copy);
	return err;
}

static bool filter_match(const struct ev_filter *f, const struct nfx_event *ev)
{
	const struct flow_key *k = &ev->key;

	if (f->types && !(f->types & (1u << ev->type)))
		return false;
	if (ev->type == NFX_EV_LOST)
		return true;	/* a gap concerns every filter */
	if (f->proto >= 0 && k->proto != f->proto)
		return false;
	if (f->port >= 0 && ntohs(k->lo_port) != f->port && ntohs(k->hi_port) != f->port)
		return false;
	if (f->has_host && (k->family != f->host_family || (memcmp(&k->lo_addr, &f->host, 16) &&
							    memcmp(&k->hi_addr, &f->host, 16))))
		return false;
	return true;
}

static const char *state_name(const struct nfx_event *ev, __u8 st)
{
	if (ev->key.proto != 6)
		return "-";
	if (st >= FLOW_TCP_STATE_MAX)
		return "?";
	return flow_tcp_state_names[st];
}

static void print_json(const struct nfx_event *ev, const struct nfx_flow_view *v, const char *src,
		       const char *dst, const char *ifname, bool pretty)
{
	struct json_writer *jw = jw_new(stdout, pretty);

	jw_obj_start(jw);
	jw_kstr(jw, "type", nfx_event_type_names[ev->type]);
	jw_kstr(jw, "source", ev->source == NFX_EV_SRC_CT ? "kernel" : "xdp");
	jw_ku64(jw, "ts_ns", ev->ts_ns);
	jw_ku64(jw, "cpu", ev->cpu);
	if (ev->type == NFX_EV_LOST) {
		jw_ku64(jw, "lost", ev->seq);
		jw_obj_end(jw);
		jw_free(jw);
		return;
	}
	jw_ku64(jw, "seq", ev->seq);
	jw_kstr(jw, "ifname", ifname);
	jw_kstr(jw, "proto", nfx_proto_name(ev->key.proto));
	jw_ku64(jw, "l4proto", ev->key.proto);
	jw_ku64(jw, "family", ev->key.family == NFX_AF_INET ? 4 : 6);
	jw_kstr(jw, "src", src);
	jw_ku64(jw, "sport", v->sport);
	jw_kstr(jw, "dst", dst);
	jw_ku64(jw, "dport", v->dport);
	jw_ku64(jw, "zone", ev->key.zone);
	jw_kstr(jw, "state", ev->key.proto == 6 ? state_name(ev, ev->tcp_state) : "");
	if (ev->type == NFX_EV_STATE)
		jw_kstr(jw, "old_state", ev->key.proto == 6 ? state_name(ev, ev->old_state) : "");
	if (ev->type == NFX_EV_END)
		jw_kstr(jw, "reason",
			ev->reason < NFX_EV_END_MAX ? nfx_event_end_names[ev->reason] : "unknown");
	jw_kbool(jw, "assured", ev->flags & FLOW_F_ASSURED);
	jw_ku64(jw, "app_id", ev->app_id);
	jw_ku64(jw, "mark", ev->mark);
	jw_ku64(jw, "orig_packets", v->orig_packets);
	jw_ku64(jw, "orig_bytes", v->orig_bytes);
	jw_ku64(jw, "reply_packets", v->reply_packets);
	jw_ku64(jw, "reply_bytes", v->reply_bytes);
	if (ev->source == NFX_EV_SRC_CT) {
		jw_ku64(jw, "ct_id", ev->ct_id);
		jw_ku64(jw, "ct_status", ev->ct_status);
	}
	jw_obj_end(jw);
	jw_free(jw);
}

static int on_event(const struct nfx_event *ev, void *arg)
{
	struct ev_run *r = arg;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ep[2 * INET6_ADDRSTRLEN + 32];
	char ifname[IF_NAMESIZE] = "";
	struct flow_entry fe = {};
	struct nfx_flow_view v;
	const char *type;

	if (ev->type >= NFX_EV_TYPE_MAX || !filter_match(&r->filter, ev))
		return 0;
	type = nfx_event_type_names[ev->type];
	fe.key = ev->key;
	fe.flags = ev->flags;
	memcpy(fe.packets, ev->packets, sizeof(fe.packets));
	memcpy(fe.bytes, ev->bytes, sizeof(fe.bytes));
	nfx_flow_view(&fe, &v);
	nfx_addr_str(ev->key.family, &v.src, src, sizeof(src));
	nfx_addr_str(ev->key.family, &v.dst, dst, sizeof(dst));
	if (ev->ifindex && !if_indextoname(ev->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", ev->ifindex);

	if (r->json) {
		print_json(ev, &v, src, dst, ifname, r->ctx->pretty);
	} else if (ev->type == NFX_EV_LOST) {
		printf("%.6f %-10s %s cpu%u: %llu event%s lost\n", (double)ev->ts_ns / 1e9, type,
		       ev->source == NFX_EV_SRC_CT ? "kernel" : "xdp", ev->cpu,
		       (unsigned long long)ev->seq, ev->seq == 1 ? "" : "s");
	} else {
		char extra[96] = "";

		if (ev->key.family == NFX_AF_INET6)
			snprintf(ep, sizeof(ep), "[%s]:%u -> [%s]:%u", src, v.sport, dst, v.dport);
		else
			snprintf(ep, sizeof(ep), "%s:%u -> %s:%u", src, v.sport, dst, v.dport);
		if (ev->type == NFX_EV_STATE)
			snprintf(extra, sizeof(extra), " from %s", state_name(ev, ev->old_state));
		else if (ev->type == NFX_EV_END)
			snprintf(extra, sizeof(extra), " %s pkts %llu/%llu bytes %llu/%llu",
				 ev->reason < NFX_EV_END_MAX ? nfx_event_end_names[ev->reason] :
							       "?",
				 (unsigned long long)v.orig_packets,
				 (unsigned long long)v.reply_packets,
				 (unsigned long long)v.orig_bytes,
				 (unsigned long long)v.reply_bytes);
		else if (ev->type == NFX_EV_CLASSIFIED)
			snprintf(extra, sizeof(extra), " app %u", ev->app_id);
		printf("%.6f %-10s %-6s %-47s %-11s%s%s%s\n", (double)ev->ts_ns / 1e9, type,
		       nfx_proto_name(ev->key.proto), ep, state_name(ev, ev->tcp_state), extra,
		       *ifname ? " dev " : "", ifname);
	}
	fflush(stdout);
	r->shown++;
	if (r->count && r->shown >= r->count)
		return -ECANCELED;	/* enough: stop polling */
	return 0;
}

static int do_events(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	struct ev_run run = { .ctx = ctx };
	struct nfx_events_opts eo = { .sz = sizeof(eo), .cb = on_event, .ctx = &run };
	const char *fstr = cli_str(cli_current, v, "filter");
	unsigned long long timeout = cli_num(cli_current, v, "timeout", 0);
	struct nfx_link *link = NULL;
	struct nfx_events *evs = NULL;
	struct nfx_events_stats st;
	char **links = NULL;
	__u64 deadline = 0;
	int err, ret = CLI_EXIT_OK;

	run.json = ctx->json || cli_flag(cli_current, v, "json");
	run.count = cli_num(cli_current, v, "count", 0);
	run.filter.proto = run.filter.port = -1;
	eo.kernel = cli_flag(cli_current, v, "kernel");
	eo.rcvbuf = cli_num(cli_current, v, "rcvbuf", 0);
	eo.no_mmap = cli_flag(cli_current, v, "no-mmap");
	if (cli_num(cli_current, v, "rcvbuf", 0) > (1u << 30))
		return cli_usage(ctx, "--rcvbuf must be at most 1 GiB");
	if (timeout > 86400 * 365)
		return cli_usage(ctx, "--timeout is in seconds and at most a year");

	/* The first word names a link when nfx is attached to one of that name. */
	if (!eo.kernel && argc && nfx_link_open(argv[0], ctx->pin_root, &link) == 0) {
		argc--;
		argv++;
	}
	err = parse_words(ctx, &run.filter, argc, argv);
	if (!err && fstr)
		err = parse_filter_string(ctx, &run.filter, fstr);
	if (err)
		goto out_ret;
	if (!eo.kernel && !link) {
		/* Links of a namespace share one set of rings: any of them will do. */
		if (nfx_links_list(ctx->pin_root, &links) < 0) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		if (!links[0]) {
			ret = cli_fail(
				ctx,
				"nfx is not attached to any link (use --kernel for conntrack events)");
			goto out;
		}
		if (nfx_link_open(links[0], ctx->pin_root, &link)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
	}
	if (nfx_events_open(link, &eo, &evs)) {
		ret = cli_fail(ctx, "%s", nfx_errmsg());
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Lets tests and scripts start traffic only once we listen. */
	if (ctx->verbose) {
		static const char *const via[] = {
			"per-CPU BPF rings",
			"kernel conntrack via ctnetlink recvmsg",
			"kernel conntrack via the nfx_nlmmap ring",
		};

		nfx_events_get_stats(evs, &st);
		fprintf(stderr, "nfx-loader: events: listening (%s)\n", via[st.transport % 3]);
	}
	if (timeout)
		deadline = nfx_now_ns() + timeout * 1000000000ull;
	while (!stop_requested) {
		int wait = 200;

		if (deadline) {
			__u64 now = nfx_now_ns();

			if (now >= deadline)
				break;
			if ((deadline - now) / 1000000 < (__u64)wait)
				wait = (deadline - now) / 1000000;
		}
		err = nfx_events_poll(evs, wait);
		if (err == -ECANCELED)
			break;		/* --count reached */
		if (err < 0 && err != -EINTR) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			break;
		}
	}
	nfx_events_get_stats(evs, &st);
	if (ctx->verbose)
		fprintf(stderr,
			"nfx-loader: events: %llu shown, %llu delivered, %llu lost, %llu resyncs, %llu malformed\n",
			run.shown, (unsigned long long)st.delivered, (unsigned long long)st.lost,
			(unsigned long long)st.resyncs, (unsigned long long)st.malformed);
	/* --count not reached before --timeout: say so through the exit status. */
	if (ret == CLI_EXIT_OK && run.count && run.shown < run.count && !stop_requested)
		ret = cli_fail(ctx, "timed out after %llus with %llu of %llu events", timeout,
			       run.shown, run.count);
out:
	nfx_events_close(evs);
	nfx_link_close(link);
	nfx_links_free(links);
	return ret;
out_ret:
	nfx_link_close(link);
	return err;
}

static const struct cli_opt events_opts[] = {
	{ "json", 0, CLI_FLAG, NULL, "one JSON object per line (same as -j)" },
	{ "filter", 'f', CLI_STR, "WORDS", "conditions: type T, proto P, host ADDR, port N" },
	{ "count", 'c', CLI_UINT, "N", "exit after N events (status 1 if --timeout comes first)" },
	{ "timeout", 't', CLI_UINT, "SECONDS", "exit after SECONDS" },
	{ "kernel", 'k', CLI_FLAG, NULL, "kernel conntrack events (ctnetlink) instead of nfx's" },
	{ "rcvbuf", 0, CLI_UINT, "BYTES", "--kernel: socket buffer size (default 8 MiB)" },
	{ "no-mmap", 0, CLI_FLAG, NULL,
	  "--kernel: recvmsg() even when the nfx_nlmmap module is loaded" },
	{ NULL },
};

const struct cli_cmd cli_event_cmds[] = {
	{ "events", "[IFNAME] [FILTER...]",
	  "stream flow events; FILTER: type T, proto P, host ADDR, port N", events_opts, 0, -1,
	  do_events },
	{ NULL },
};

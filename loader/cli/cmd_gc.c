// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flush, gc: selective flush of the flow table and its garbage collector. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "nfx/pred.h"
#include "kct.h"
#include "kct_pred.h"
#include "cli.h"

/*
 * The links to act on: the one named by the first word when nfx is attached
 * to a link of that name (the word is consumed), else every attached link.
 * Links of one namespace share their tables: each table is visited once,
 * through the first of its links.
 */
struct target_set {
	char **names;		/* from nfx_links_list(), or NULL */
	char *one[2];
	char **list;
};

static int targets_get(struct cli_ctx *ctx, int *argc, char ***argv, struct target_set *t)
{
	struct nfx_link *probe;

	memset(t, 0, sizeof(*t));
	if (*argc && !strchr((*argv)[0], '=') &&
	    nfx_link_open((*argv)[0], ctx->pin_root, &probe) == 0) {
		nfx_link_close(probe);
		t->one[0] = (*argv)[0];
		t->list = t->one;
		(*argc)--;
		(*argv)++;
		return 0;
	}
	if (nfx_links_list(ctx->pin_root, &t->names) < 0)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (!t->names[0]) {
		nfx_links_free(t->names);
		return cli_fail(ctx, "nfx is not attached to any link");
	}
	t->list = t->names;
	return 0;
}

static bool seen_table(__u32 *ids, int *n, int max, __u32 id)
{
	int i;

	for (i = 0; i < *n; i++)
		if (ids[i] == id)
			return true;
	if (*n < max)
		ids[(*n)++] = id;
	return false;
}

/* ---- flush ---- */

/*
 * flush --kernel: the kernel's own conntrack table, through the nfx_ct
 * module when it is loaded (in-kernel walk), else ctnetlink dump + delete.
 */
static int flush_kernel(struct cli_ctx *ctx, bool dry, bool all, int argc, char **argv)
{
	struct nfx_kct_pred pred;
	struct nfx_kct_result r = {};
	const char *path;
	char err[256];

	if (nfx_kct_pred_parse(argc, argv, &pred, err, sizeof(err)))
		return cli_usage(ctx, "%s", err);
	if (!argc && !all)
		return cli_usage(
			ctx, "an empty predicate removes every connection: give --all to mean it");
	if (nfx_kct_flush(&pred, dry, &r)) {
		const char *km = nfx_kct_errmsg();

		return cli_fail(ctx, "kernel conntrack: %s", *km ? km : strerror(errno));
	}
	path = r.path == NFX_KCT_PATH_MODULE ? "nfx_ct module (in-kernel walk)" :
	       r.path == NFX_KCT_PATH_CTNETLINK_FILTER ?
					       "ctnetlink filtered flush (in-kernel, by mark)" :
					       "ctnetlink dump + delete (nfx_ct module not loaded)";
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "table", "kernel");
		jw_kstr(jw, "path",
			r.path == NFX_KCT_PATH_MODULE		? "module" :
			r.path == NFX_KCT_PATH_CTNETLINK_FILTER ? "ctnetlink-filter" :
								  "ctnetlink");
		jw_kbool(jw, "dry_run", dry);
		jw_ku64(jw, "examined", r.examined);
		jw_ku64(jw, dry ? "matched" : "removed", r.removed);
		jw_kdouble(jw, "elapsed_ms", r.elapsed_ns / 1e6);
		jw_obj_end(jw);
		jw_free(jw);
	} else {
		printf("kernel conntrack: examined %llu, %s %llu in %.3f ms via %s\n",
		       (unsigned long long)r.examined, dry ? "would remove" : "removed",
		       (unsigned long long)r.removed, r.elapsed_ns / 1e6, path);
	}
	return CLI_EXIT_OK;
}

static int do_flush(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	bool dry = cli_flag(cli_current, v, "dry-run");
	bool all = cli_flag(cli_current, v, "all");
	struct json_writer *jw = NULL;
	struct nfx_flow_pred pred;
	struct target_set t;
	__u32 ids[64];
	int nids = 0, i, ret = 0;

	if (cli_flag(cli_current, v, "kernel"))
		return flush_kernel(ctx, dry, all, argc, argv);
	if (targets_get(ctx, &argc, &argv, &t))
		return CLI_EXIT_FAIL;
	if (nfx_pred_parse(argc, argv, &pred)) {
		ret = cli_usage(ctx, "%s", nfx_errmsg());
		goto out;
	}
	if (nfx_pred_is_empty(&pred) && !all) {
		ret = cli_usage(ctx,
				"an empty predicate removes every flow: give --all to mean it");
		goto out;
	}
	if (ctx->json) {
		jw = cli_json(ctx);
		jw_arr_start(jw);
	}
	for (i = 0; t.list[i] && !ret; i++) {
		struct nfx_flush_result r;
		struct nfx_link *link;
		__u64 ex, ma, rm;

		if (nfx_link_open(t.list[i], ctx->pin_root, &link)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			break;
		}
		if (seen_table(ids, &nids, 64, nfx_link_table_id(link))) {
			nfx_link_close(link);
			continue;
		}
		if (nfx_flush(link, &pred, dry, &r)) {
			ret = cli_fail(ctx, "%s: %s", t.list[i], nfx_errmsg());
			nfx_link_close(link);
			break;
		}
		nfx_link_close(link);
		ex = r.examined[0] + r.examined[1];
		ma = r.matched[0] + r.matched[1];
		rm = r.removed[0] + r.removed[1];
		if (jw) {
			jw_obj_start(jw);
			jw_kstr(jw, "ifname", t.list[i]);
			jw_kbool(jw, "dry_run", dry);
			jw_ku64(jw, "examined", ex);
			jw_ku64(jw, "matched", ma);
			jw_ku64(jw, "removed", rm);
			jw_key(jw, "unassured");
			jw_obj_start(jw);
			jw_ku64(jw, "examined", r.examined[0]);
			jw_ku64(jw, "matched", r.matched[0]);
			jw_ku64(jw, "removed", r.removed[0]);
			jw_obj_end(jw);
			jw_key(jw, "assured");
			jw_obj_start(jw);
			jw_ku64(jw, "examined", r.examined[1]);
			jw_ku64(jw, "matched", r.matched[1]);
			jw_ku64(jw, "removed", r.removed[1]);
			jw_obj_end(jw);
			jw_kdouble(jw, "elapsed_ms", r.run_ns / 1e6);
			jw_kdouble(jw, "load_ms", r.load_ns / 1e6);
			jw_obj_end(jw);
		} else {
			printf("%s: examined %llu, %s %llu in %.3f ms (one in-kernel call; program load %.1f ms)\n",
			       t.list[i], (unsigned long long)ex, dry ? "would remove" : "removed",
			       (unsigned long long)(dry ? ma : rm), r.run_ns / 1e6,
			       r.load_ns / 1e6);
			if (ctx->verbose)
				printf("  unassured: examined %llu matched %llu removed %llu\n"
				       "  assured:   examined %llu matched %llu removed %llu\n",
				       (unsigned long long)r.examined[0],
				       (unsigned long long)r.matched[0],
				       (unsigned long long)r.removed[0],
				       (unsigned long long)r.examined[1],
				       (unsigned long long)r.matched[1],
				       (unsigned long long)r.removed[1]);
		}
	}
	if (jw) {
		jw_arr_end(jw);
		jw_free(jw);
	}
out:
	nfx_links_free(t.names);
	return ret;
}

/* ---- gc ---- */

static const char *const gc_tier_names[NFX_GC_TIERS] = { "unassured", "assured" };

static void json_gc(struct json_writer *jw, const char *ifname, const struct nfx_config *cfg,
		    const struct nfx_gc_state *st, __u64 cap)
{
	const struct nfx_timeouts *to = &cfg->timeouts;
	int i;

	jw_obj_start(jw);
	jw_kstr(jw, "ifname", ifname);
	jw_kbool(jw, "running", st->armed && cfg->gc.interval_ms);
	jw_ku64(jw, "interval_ms", cfg->gc.interval_ms);
	jw_ku64(jw, "interval_max_ms", cfg->gc.interval_max_ms);
	jw_ku64(jw, "delay_ms", st->delay_ms);
	jw_ku64(jw, "slice", cfg->gc.slice);
	jw_key(jw, "adaptive");
	jw_obj_start(jw);
	jw_ku64(jw, "start", cfg->gc.adaptive_start);
	jw_ku64(jw, "end", cfg->gc.adaptive_end);
	jw_obj_end(jw);
	jw_key(jw, "quota");
	jw_obj_start(jw);
	jw_ku64(jw, "limit", cfg->gc.quota);
	jw_ku64(jw, "prefix4", cfg->gc.quota_plen4);
	jw_ku64(jw, "prefix6", cfg->gc.quota_plen6);
	jw_obj_end(jw);
	jw_key(jw, "timeouts");
	jw_obj_start(jw);
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		jw_ku64(jw, nfx_gc_keys[i], to->tcp[i]);
	jw_ku64(jw, "udp.unreplied", to->udp_unreplied);
	jw_ku64(jw, "udp.assured", to->udp_assured);
	jw_ku64(jw, "icmp", to->icmp);
	jw_ku64(jw, "other", to->other);
	jw_obj_end(jw);
	jw_key(jw, "state");
	jw_obj_start(jw);
	jw_ku64(jw, "capacity", cap);
	jw_ku64(jw, "fill", st->fill);
	jw_kdouble(jw, "fill_pct", cap ? 100.0 * st->fill / cap : 0);
	jw_kdouble(jw, "scale", st->scale_ppm / (double)NFX_GC_SCALE_ONE);
	jw_ku64(jw, "unassured", st->count[NFX_GC_TIER_NEW]);
	jw_ku64(jw, "assured", st->count[NFX_GC_TIER_ASSURED]);
	jw_ku64(jw, "cycles", st->cycles);
	jw_ku64(jw, "slices", st->slices);
	jw_ku64(jw, "examined", st->examined);
	jw_ku64(jw, "removed", st->removed);
	jw_ku64(jw, "run_ns", st->run_ns);
	jw_key(jw, "queues");
	jw_obj_start(jw);
	for (i = 0; i < NFX_GC_TIERS; i++) {
		const struct nfx_gc_queue *q = &st->queue[i];

		jw_key(jw, gc_tier_names[i]);
		jw_obj_start(jw);
		jw_ku64(jw, "queued", q->head - q->tail);
		jw_ku64(jw, "stale", q->stale);
		jw_ku64(jw, "lost", q->lost);
		jw_ku64(jw, "rescans", q->rescans);
		jw_obj_end(jw);
	}
	jw_obj_end(jw);
	jw_obj_end(jw);
	jw_obj_end(jw);
}

static void print_gc(const char *ifname, const struct nfx_config *cfg,
		     const struct nfx_gc_state *st, __u64 cap)
{
	const struct nfx_timeouts *to = &cfg->timeouts;
	int i;

	printf("%s: collector %s, a slice every %u..%u ms (now %u), %u entries per slice\n", ifname,
	       st->armed && cfg->gc.interval_ms ? "running" : "STOPPED", cfg->gc.interval_ms,
	       cfg->gc.interval_max_ms, st->delay_ms, cfg->gc.slice);
	printf("  fill %u of %llu (%.1f%%), timeout scale %.1f%%, adaptive %u..%u flows\n",
	       st->fill, (unsigned long long)cap, cap ? 100.0 * st->fill / cap : 0.0,
	       st->scale_ppm / 1e4, cfg->gc.adaptive_start, cfg->gc.adaptive_end);
	printf("  quota %u unassured flows per source /%u (IPv4), /%u (IPv6)%s\n", cfg->gc.quota,
	       cfg->gc.quota_plen4, cfg->gc.quota_plen6, cfg->gc.quota ? "" : " (off)");
	printf("  cycles %llu, slices %llu, examined %llu, expired %llu, %.1f ms in the collector\n",
	       (unsigned long long)st->cycles, (unsigned long long)st->slices,
	       (unsigned long long)st->examined, (unsigned long long)st->removed, st->run_ns / 1e6);
	for (i = 0; i < NFX_GC_TIERS; i++) {
		const struct nfx_gc_queue *q = &st->queue[i];

		printf("  %s queue: %llu queued, %llu stale skipped, %llu lost, %llu rescans\n",
		       gc_tier_names[i], (unsigned long long)(q->head - q->tail),
		       (unsigned long long)q->stale, (unsigned long long)q->lost,
		       (unsigned long long)q->rescans);
	}
	printf("  timeouts (s):");
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		printf("%s %s=%u", i % 5 ? "" : "\n   ", nfx_gc_keys[i], to->tcp[i]);
	printf("\n    udp.unreplied=%u udp.assured=%u icmp=%u other=%u\n", to->udp_unreplied,
	       to->udp_assured, to->icmp, to->other);
}

/* Read-modify-write of every distinct configuration among the targets. */
static int gc_apply(struct cli_ctx *ctx, struct target_set *t, int argc, char **argv,
		    const char *file)
{
	__u32 ids[64];
	int nids = 0, i, k;

	for (i = 0; t->list[i]; i++) {
		struct nfx_config cfg;
		struct nfx_link *link;
		__u64 ca = 0, cu = 0;
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd, err = 0;

		if (nfx_link_open(t->list[i], ctx->pin_root, &link))
			return cli_fail(ctx, "%s", nfx_errmsg());
		fd = nfx_link_map_fd(link, "nfx_config");
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    seen_table(ids, &nids, 64, info.id)) {
			nfx_link_close(link);
			if (fd < 0)
				return cli_fail(ctx, "%s", nfx_errmsg());
			continue;
		}
		err = nfx_link_config(link, &cfg);
		if (!err)
			err = nfx_flows_capacity(link, &ca, &cu);
		if (err) {
			nfx_link_close(link);
			return cli_fail(ctx, "%s", nfx_errmsg());
		}
		if (file) {
			err = nfx_gc_conf_load(&cfg, file, ca + cu);
		} else {
			for (k = 0; k < argc && !err; k++) {
				char *eq = strchr(argv[k], '=');

				if (!eq || eq == argv[k]) {
					nfx_link_close(link);
					return cli_usage(ctx, "word %d '%s': expected KEY=VALUE",
							 k + 1, argv[k]);
				}
				*eq = '\0';
				err = nfx_gc_conf_set(&cfg, argv[k], eq + 1, ca + cu, NULL);
				*eq = '=';
				if (err) {
					nfx_link_close(link);
					return cli_usage(ctx, "word %d '%s': %s", k + 1, argv[k],
							 nfx_errmsg());
				}
			}
			if (!err)
				err = nfx_gc_conf_check(&cfg);
		}
		if (!err)
			err = nfx_link_set_config(link, &cfg);
		nfx_link_close(link);
		/* (Re)arm: a collector stopped by interval=0 starts again. */
		if (!err && cfg.gc.interval_ms)
			err = nfx_gc_start(t->list[i], ctx->pin_root);
		if (err)
			return cli_fail(ctx, "%s", nfx_errmsg());
	}
	return 0;
}

static int gc_show(struct cli_ctx *ctx, struct target_set *t)
{
	struct json_writer *jw = NULL;
	__u32 ids[64];
	int nids = 0, i, ret = 0;

	if (ctx->json) {
		jw = cli_json(ctx);
		jw_arr_start(jw);
	}
	for (i = 0; t->list[i] && !ret; i++) {
		struct nfx_gc_state st;
		struct nfx_config cfg;
		struct nfx_link *link;
		__u64 ca = 0, cu = 0;

		if (nfx_link_open(t->list[i], ctx->pin_root, &link)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			break;
		}
		if (seen_table(ids, &nids, 64, nfx_link_table_id(link))) {
			nfx_link_close(link);
			continue;
		}
		if (nfx_link_config(link, &cfg) || nfx_gc_state(link, &st) ||
		    nfx_flows_capacity(link, &ca, &cu))
			ret = cli_fail(ctx, "%s", nfx_errmsg());
		else if (jw)
			json_gc(jw, t->list[i], &cfg, &st, ca + cu);
		else
			print_gc(t->list[i], &cfg, &st, ca + cu);
		nfx_link_close(link);
	}
	if (jw) {
		jw_arr_end(jw);
		jw_free(jw);
	}
	return ret;
}

static int do_gc(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *sub = argv[0];
	struct target_set t;
	int ret = 0, i;

	argc--;
	argv++;
	if (strcmp(sub, "show") && strcmp(sub, "set") && strcmp(sub, "load") && strcmp(sub, "run"))
		return cli_usage(ctx, "unknown gc command '%s' (show, set, load, run)", sub);
	if (targets_get(ctx, &argc, &argv, &t))
		return CLI_EXIT_FAIL;
	if (!strcmp(sub, "show")) {
		ret = argc ? cli_usage(ctx, "gc show takes no arguments besides IFNAME") :
			     gc_show(ctx, &t);
	} else if (!strcmp(sub, "set")) {
		ret = argc ? gc_apply(ctx, &t, argc, argv, NULL) :
			     cli_usage(ctx, "gc set needs KEY=VALUE...");
	} else if (!strcmp(sub, "load")) {
		ret = argc == 1 ? gc_apply(ctx, &t, 0, NULL, argv[0]) :
				  cli_usage(ctx, "gc load needs one FILE");
	} else {
		for (i = 0; t.list[i] && !ret; i++)
			if (nfx_gc_step(t.list[i], ctx->pin_root))
				ret = cli_fail(ctx, "%s", nfx_errmsg());
		if (!ret && !argc && ctx->json)
			ret = gc_show(ctx, &t);
	}
	nfx_links_free(t.names);
	return ret;
}

static const struct cli_opt flush_opts[] = {
	{ "dry-run", 'd', CLI_FLAG, NULL, "count the matching flows, remove nothing" },
	{ "all", 'a', CLI_FLAG, NULL, "allow an empty predicate (remove every flow)" },
	{ "kernel", 'k', CLI_FLAG, NULL,
	  "flush the kernel's conntrack table instead (nfx_ct module if loaded, else ctnetlink)" },
	{ NULL },
};

static const struct cli_opt gc_opts[] = { { NULL } };

const struct cli_cmd cli_gc_cmds[] = {
	{ "flush", "[IFNAME] PREDICATE...",
	  "remove matching flows in the kernel, one call; PREDICATE words: [not] tcp|udp|proto P, "
	  "state S[,S], assured|unassured|unreplied|replied, src|dst|host ADDR[/LEN], "
	  "port|sport|dport N[-M], zone N, mark V[/M], app ID, age|idle OP DURATION",
	  flush_opts, 0, -1, do_flush },
	{ "gc", "show|set|load|run [IFNAME] ...",
	  "garbage collector: show; set KEY=VALUE... (tcp.established=1h, adaptive.start=60%, "
	  "quota=256, interval=1s, ...); load FILE; run one slice now",
	  gc_opts, 1, -1, do_gc },
	{ NULL },
};

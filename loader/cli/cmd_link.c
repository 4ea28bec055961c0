// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach, detach, status, version */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "nfx/consts.h"
#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "kct.h"
#include "cli.h"

static const char *const mode_choices[] = { "auto", "native", "generic", NULL };

static const char *mode_name(enum nfx_xdp_mode m)
{
	switch (m) {
	case NFX_MODE_NATIVE:
		return "native";
	case NFX_MODE_GENERIC:
		return "generic";
	default:
		return "unknown";
	}
}

static int do_attach(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *mode = cli_str(cli_current, v, "mode");
	struct nfx_attach_opts o = {
		.sz = sizeof(o),
		.replace = cli_flag(cli_current, v, "replace"),
		.pin_root = ctx->pin_root,
		.zone = cli_num(cli_current, v, "zone", 0),
		.no_ct_adopt = cli_flag(cli_current, v, "no-ct-adopt"),
	};
	int err;

	if (cli_num(cli_current, v, "zone", 0) > 0xffff)
		return cli_usage(ctx, "--zone must be 0..65535");
	if (cli_num(cli_current, v, "event-ring", 0) > (1u << 30))
		return cli_usage(ctx, "--event-ring must be at most 1 GiB");
	o.event_ring_bytes = cli_num(cli_current, v, "event-ring", 0);
	if (mode && !strcmp(mode, "native"))
		o.mode = NFX_MODE_NATIVE;
	else if (mode && !strcmp(mode, "generic"))
		o.mode = NFX_MODE_GENERIC;
	err = nfx_attach(argv[0], &o);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "ifname", argv[0]);
		jw_kbool(jw, "attached", true);
		jw_obj_end(jw);
		jw_free(jw);
	} else if (ctx->verbose) {
		printf("nfx attached to %s, pinned in %s/%s\n", argv[0],
		       nfx_pin_root(ctx->pin_root), argv[0]);
	}
	return CLI_EXIT_OK;
}

static int do_detach(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	int err = nfx_detach(argv[0], ctx->pin_root);

	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "ifname", argv[0]);
		jw_kbool(jw, "attached", false);
		jw_obj_end(jw);
		jw_free(jw);
	} else if (ctx->verbose) {
		printf("nfx detached from %s\n", argv[0]);
	}
	return CLI_EXIT_OK;
}

/* Fill level and timeout scale, as the collector last measured them. */
struct gc_status {
	bool ok;
	struct nfx_gc_state st;
	__u64 capacity;
};

static void gc_status_read(struct nfx_link *link, struct gc_status *g)
{
	__u64 a = 0, u = 0;

	g->ok = !nfx_gc_state(link, &g->st) && !nfx_flows_capacity(link, &a, &u);
	g->capacity = a + u;
}

/* Event channel counters, per CPU; ncpus < 0 when the link has none. */
struct link_events {
	int ncpus;
	__u64 tot[NFX_EVS_MAX];
	__u64 cpu[NFX_EVENT_CPUS_MAX * NFX_EVS_MAX];
};

static void print_link_events(const struct link_events *ev, int verbose)
{
	int c;

	if (ev->ncpus < 0)
		return;
	printf("  events: %llu emitted, %llu dropped (ring full), %llu no ring, %llu wake-ups\n",
	       (unsigned long long)ev->tot[NFX_EVS_EMITTED],
	       (unsigned long long)ev->tot[NFX_EVS_DROPPED],
	       (unsigned long long)ev->tot[NFX_EVS_NO_RING],
	       (unsigned long long)ev->tot[NFX_EVS_WAKEUPS]);
	for (c = 0; c < ev->ncpus && c < NFX_EVENT_CPUS_MAX; c++) {
		const __u64 *p = &ev->cpu[c * NFX_EVS_MAX];

		if (!verbose && !p[NFX_EVS_DROPPED] && !p[NFX_EVS_NO_RING])
			continue;
		printf("    cpu%-3d emitted %llu dropped %llu no_ring %llu\n", c,
		       (unsigned long long)p[NFX_EVS_EMITTED],
		       (unsigned long long)p[NFX_EVS_DROPPED],
		       (unsigned long long)p[NFX_EVS_NO_RING]);
	}
}

static void json_link_events(struct json_writer *jw, const struct link_events *ev)
{
	int c, i;

	if (ev->ncpus < 0)
		return;
	jw_key(jw, "events");
	jw_obj_start(jw);
	for (i = 1; i < NFX_EVS_WAKE_POS; i++)
		jw_ku64(jw, nfx_event_stat_names[i], ev->tot[i]);
	jw_key(jw, "per_cpu");
	jw_arr_start(jw);
	for (c = 0; c < ev->ncpus && c < NFX_EVENT_CPUS_MAX; c++) {
		jw_obj_start(jw);
		jw_ku64(jw, "cpu", c);
		for (i = 1; i < NFX_EVS_WAKE_POS; i++)
			jw_ku64(jw, nfx_event_stat_names[i], ev->cpu[c * NFX_EVS_MAX + i]);
		jw_obj_end(jw);
	}
	jw_arr_end(jw);
	jw_obj_end(jw);
}

static void print_link_table(const struct nfx_link_info *li, const struct nfx_counter *c,
			     __u64 assured, __u64 unassured, int verbose, const struct gc_status *g)
{
	char b1[32], b2[32];
	int i;

	printf("%s: ifindex %d prog %u %s%s%s\n", li->ifname, li->ifindex, li->prog_id,
	       li->attached ? "xdp " : "NOT ATTACHED", li->attached ? mode_name(li->mode) : "",
	       li->attached ? (li->multiprog ? " (libxdp dispatcher)" : " (single program)") : "");
	printf("  flows: %llu assured, %llu unassured   zone %u   ct adoption: %s\n",
	       (unsigned long long)assured, (unsigned long long)unassured, li->zone,
	       li->features & NFX_FEAT_CT_KFUNCS ? "on" : "off");
	if (g->ok)
		printf("  gc: %s, fill %u/%llu (%.1f%%), timeout scale %.1f%%\n",
		       g->st.armed ? "running" : "stopped", g->st.fill,
		       (unsigned long long)g->capacity,
		       g->capacity ? 100.0 * g->st.fill / g->capacity : 0.0, g->st.scale_ppm / 1e4);
	printf("  %-16s %12s %12s\n", "counter", "packets", "bytes");
	for (i = 0; i < NFX_STAT_MAX; i++) {
		if (!verbose && !c[i].packets)
			continue;
		printf("  %-16s %12s %12s\n", nfx_stat_names[i],
		       cli_fmt_count(b1, sizeof(b1), c[i].packets),
		       cli_fmt_bytes(b2, sizeof(b2), c[i].bytes));
	}
}

static void json_link(struct json_writer *jw, const struct nfx_link_info *li,
		      const struct nfx_counter *c, __u64 assured, __u64 unassured,
		      const struct gc_status *g, const struct link_events *lev)
{
	int i;

	jw_obj_start(jw);
	jw_kstr(jw, "ifname", li->ifname);
	jw_ks64(jw, "ifindex", li->ifindex);
	jw_kbool(jw, "attached", li->attached);
	jw_kstr(jw, "mode", li->attached ? mode_name(li->mode) : "none");
	jw_kbool(jw, "multiprog", li->multiprog);
	jw_ku64(jw, "prog_id", li->prog_id);
	jw_ku64(jw, "zone", li->zone);
	jw_kbool(jw, "ct_adopt", li->features & NFX_FEAT_CT_KFUNCS);
	jw_key(jw, "flows");
	jw_obj_start(jw);
	jw_ku64(jw, "assured", assured);
	jw_ku64(jw, "unassured", unassured);
	jw_obj_end(jw);
	if (g->ok) {
		jw_key(jw, "gc");
		jw_obj_start(jw);
		jw_kbool(jw, "running", g->st.armed);
		jw_ku64(jw, "fill", g->st.fill);
		jw_ku64(jw, "capacity", g->capacity);
		jw_kdouble(jw, "scale", g->st.scale_ppm / (double)NFX_GC_SCALE_ONE);
		jw_obj_end(jw);
	}
	jw_key(jw, "counters");
	jw_obj_start(jw);
	for (i = 0; i < NFX_STAT_MAX; i++) {
		jw_key(jw, nfx_stat_names[i]);
		jw_obj_start(jw);
		jw_ku64(jw, "packets", c[i].packets);
		jw_ku64(jw, "bytes", c[i].bytes);
		jw_obj_end(jw);
	}
	jw_obj_end(jw);
	json_link_events(jw, lev);
	jw_kstr(jw, "kernel_ct_path", nfx_kct_available() ? "module" : "ctnetlink");
	jw_obj_end(jw);
}

static int do_status(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	struct json_writer *jw = NULL;
	char **names = NULL, *one[2] = { argc ? argv[0] : NULL, NULL };
	char **list = one;
	int i, err, ret = CLI_EXIT_OK;

	if (!argc) {
		err = nfx_links_list(ctx->pin_root, &names);
		if (err < 0)
			return cli_fail(ctx, "%s", nfx_errmsg());
		list = names;
	}
	if (ctx->json) {
		jw = cli_json(ctx);
		jw_arr_start(jw);
	} else if (!list[0]) {
		printf("nfx is not attached to any link (pins: %s)\n", nfx_pin_root(ctx->pin_root));
	}
	for (i = 0; list[i]; i++) {
		struct nfx_counter c[NFX_STAT_MAX];
		struct nfx_link_info li;
		struct nfx_link *link;
		__u64 as = 0, un = 0;
		struct gc_status g = {};

		err = nfx_link_open(list[i], ctx->pin_root, &link);
		if (!err)
			err = nfx_link_info(link, &li);
		if (!err)
			err = nfx_link_stats(link, c);
		if (!err) {
			nfx_flows_count(link, &as, &un);
			gc_status_read(link, &g);
		}
		if (err) {
			cli_fail(ctx, "%s", nfx_errmsg());
			ret = CLI_EXIT_FAIL;
		} else {
			static struct link_events lev;

			lev.ncpus =
				nfx_link_event_stats(link, lev.tot, lev.cpu, NFX_EVENT_CPUS_MAX);
			if (jw) {
				json_link(jw, &li, c, as, un, &g, &lev);
			} else {
				print_link_table(&li, c, as, un, ctx->verbose, &g);
				print_link_events(&lev, ctx->verbose);
			}
		}
		if (!err)
			nfx_link_close(link);
	}
	if (jw) {
		jw_arr_end(jw);
		jw_free(jw);
	} else {
		printf("kernel conntrack: %s\n",
		       nfx_kct_available() ?
			       "nfx_ct module loaded (in-kernel flush and GC policy)" :
			       "nfx_ct module not loaded (flush --kernel uses ctnetlink)");
	}
	nfx_links_free(names);
	return ret;
}

static int do_version(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "version", NFX_VERSION);
		jw_obj_end(jw);
		jw_free(jw);
	} else {
		printf("nfx-loader %s\n", NFX_VERSION);
	}
	return CLI_EXIT_OK;
}

static const struct cli_opt attach_opts[] = {
	{ "mode", 'm', CLI_CHOICE, "MODE", "XDP mode; auto tries native first", mode_choices },
	{ "replace", 'r', CLI_FLAG, NULL, "replace an nfx already attached to the link" },
	{ "zone", 'z', CLI_UINT, "ZONE", "conntrack zone of this link's flows (0..65535)" },
	{ "no-ct-adopt", 0, CLI_FLAG, NULL, "never adopt flows from kernel conntrack on a miss" },
	{ "event-ring", 0, CLI_UINT, "BYTES",
	  "per-CPU event ring size, a power of 2 (default 256 KiB)" },
	{ NULL },
};

static const struct cli_opt no_opts[] = { { NULL } };

const struct cli_cmd cli_link_cmds[] = {
	{ "attach", "IFNAME", "load the XDP pipeline on IFNAME and pin it", attach_opts, 1, 1,
	  do_attach },
	{ "detach", "IFNAME", "detach from IFNAME and remove every pin", no_opts, 1, 1, do_detach },
	{ "status", "[IFNAME]", "attachment, flow counts and per-protocol counters", no_opts, 0, 1,
	  do_status },
	{ "version", NULL, "print the version", no_opts, 0, 0, do_version },
	{ NULL },
};

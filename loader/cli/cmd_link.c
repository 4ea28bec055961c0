// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach, detach, status, version */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "nfx/consts.h"
#include "nfx/libnfx.h"
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

static void print_link_table(const struct nfx_link_info *li, const struct nfx_counter *c,
			     __u64 assured, __u64 unassured, int verbose)
{
	char b1[32], b2[32];
	int i;

	printf("%s: ifindex %d prog %u %s%s%s\n", li->ifname, li->ifindex, li->prog_id,
	       li->attached ? "xdp " : "NOT ATTACHED", li->attached ? mode_name(li->mode) : "",
	       li->attached ? (li->multiprog ? " (libxdp dispatcher)" : " (single program)") : "");
	printf("  flows: %llu assured, %llu unassured   zone %u   ct adoption: %s\n",
	       (unsigned long long)assured, (unsigned long long)unassured, li->zone,
	       li->features & NFX_FEAT_CT_KFUNCS ? "on" : "off");
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
		      const struct nfx_counter *c, __u64 assured, __u64 unassured)
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

		err = nfx_link_open(list[i], ctx->pin_root, &link);
		if (!err)
			err = nfx_link_info(link, &li);
		if (!err)
			err = nfx_link_stats(link, c);
		if (!err)
			nfx_flows_count(link, &as, &un);
		if (err) {
			cli_fail(ctx, "%s", nfx_errmsg());
			ret = CLI_EXIT_FAIL;
		} else if (jw) {
			json_link(jw, &li, c, as, un);
		} else {
			print_link_table(&li, c, as, un, ctx->verbose);
		}
		if (!err)
			nfx_link_close(link);
	}
	if (jw) {
		jw_arr_end(jw);
		jw_free(jw);
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

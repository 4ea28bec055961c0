// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cluster: active-active membership (set-members, join, leave, off) and
 * status. keepalived's notify scripts call join/leave; see
 * scripts/cluster/ and docs-cluster.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "nfx/libnfx_cluster.h"
#include "cli.h"

/* The links to act on: --dev, else every attached link, one per namespace map. */
struct cluster_links {
	struct nfx_link *link[64];
	char name[64][32];
	int n;
};

static void links_close(struct cluster_links *cl)
{
	int i;

	for (i = 0; i < cl->n; i++)
		nfx_link_close(cl->link[i]);
	cl->n = 0;
}

static int links_open(struct cli_ctx *ctx, const char *dev, struct cluster_links *cl)
{
	char **names = NULL, *one[2] = { (char *)dev, NULL };
	__u32 ids[64];
	int i, j, n = 0, err = 0;

	cl->n = 0;
	if (!dev) {
		if (nfx_links_list(ctx->pin_root, &names) < 0) {
			cli_fail(ctx, "%s", nfx_errmsg());
			return CLI_EXIT_FAIL;
		}
		if (!names[0]) {
			nfx_links_free(names);
			cli_fail(ctx, "nfx is not attached to any link");
			return CLI_EXIT_FAIL;
		}
	}
	/* n counts locally: the analyzer loses cl->n across snprintf(cl->name). */
	for (i = 0; (dev ? one : names)[i] && n < 64; i++) {
		const char *name = (dev ? one : names)[i];
		struct nfx_link *link;
		__u32 id;

		if (nfx_link_open(name, ctx->pin_root, &link)) {
			cli_fail(ctx, "%s", nfx_errmsg());
			err = CLI_EXIT_FAIL;
			break;
		}
		id = nfx_cluster_map_id(link);
		if (!id) {
			nfx_link_close(link);
			cli_fail(ctx, "%s: no nfx_cluster map (attached by an older nfx?)", name);
			err = CLI_EXIT_FAIL;
			break;
		}
		for (j = 0; j < n && ids[j] != id; j++)
			;
		if (j < n) {
			nfx_link_close(link);	/* same namespace as an earlier link */
			continue;
		}
		ids[n] = id;
		snprintf(cl->name[n], sizeof(cl->name[0]), "%s", name);
		cl->link[n++] = link;
		cl->n = n;
	}
	nfx_links_free(names);
	if (err)
		links_close(cl);
	return err;
}

static int parse_id(struct cli_ctx *ctx, const char *s, __u8 *id)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v < 1 || v > 255) {
		cli_usage(ctx, "'%s' is not a node id (1..255)", s);
		return CLI_EXIT_USAGE;
	}
	*id = v;
	return 0;
}

static int parse_key(struct cli_ctx *ctx, const char *s, __u64 key[2])
{
	char hi[17], lo[17], *end;

	if (strlen(s) != 32 || strspn(s, "0123456789abcdefABCDEF") != 32)
		return cli_usage(ctx, "--key: '%s' is not 32 hex digits", s);
	memcpy(hi, s, 16);
	hi[16] = '\0';
	memcpy(lo, s + 16, 16);
	lo[16] = '\0';
	key[0] = strtoull(hi, &end, 16);
	key[1] = strtoull(lo, &end, 16);
	return 0;
}

static int parse_vips(struct cli_ctx *ctx, const char *s, struct nfx_cluster *c)
{
	char buf[1024], *tok, *save = NULL;
	int fam;

	if (strlen(s) >= sizeof(buf))
		return cli_usage(ctx, "--vips: list too long");
	strcpy(buf, s);
	c->nvips = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (c->nvips == NFX_CLUSTER_VIPS)
			return cli_usage(ctx, "--vips: at most %d addresses", NFX_CLUSTER_VIPS);
		fam = nfx_addr_parse(tok, &c->vips[c->nvips]);
		if (fam < 0)
			return cli_usage(ctx, "--vips: '%s' is not an IPv4 or IPv6 address", tok);
		c->vip_family[c->nvips++] = fam;
	}
	return 0;
}

/* Build the new state from the old one and the arguments; 0 or exit code. */
static int cluster_edit(struct cli_ctx *ctx, const struct cli_vals *v, const char *action, int argc,
			char **argv, struct nfx_cluster *c)
{
	const char *key = cli_str(cli_current, v, "key");
	const char *vips = cli_str(cli_current, v, "vips");
	const char *mid = cli_str(cli_current, v, "midstream");
	unsigned long long self = cli_num(cli_current, v, "self", 0);
	__u8 ids[NFX_CLUSTER_MAX];
	int i, err;

	if (argc > NFX_CLUSTER_MAX)
		return cli_usage(ctx, "at most %d node ids", NFX_CLUSTER_MAX);
	for (i = 0; i < argc; i++) {
		err = parse_id(ctx, argv[i], &ids[i]);
		if (err)
			return err;
	}
	if (!strcmp(action, "set-members")) {
		if (!argc)
			return cli_usage(ctx, "set-members needs at least one node id");
		c->nmembers = 0;
		memset(c->live, 0, sizeof(c->live));
		memset(c->ids, 0, sizeof(c->ids));
		for (i = 0; i < argc; i++) {
			int j;

			for (j = 0; j < i; j++)
				if (ids[j] == ids[i])
					return cli_usage(ctx, "node id %u listed twice", ids[i]);
			if (nfx_cluster_mark(c, ids[i], true))
				return cli_fail(ctx, "%s", nfx_errmsg());
		}
	} else {
		bool alive = !strcmp(action, "join");

		if (!argc)
			return cli_usage(ctx, "%s needs at least one node id", action);
		for (i = 0; i < argc; i++)
			if (nfx_cluster_mark(c, ids[i], alive))
				return cli_fail(ctx, "%s", nfx_errmsg());
	}
	if (self > 255)
		return cli_usage(ctx, "--self must be 1..255");
	if (self)
		c->self = self;
	if (key) {
		err = parse_key(ctx, key, c->key);
		if (err)
			return err;
	} else if (!c->key[0] && !c->key[1]) {
		c->key[0] = NFX_CLUSTER_DEFAULT_KEY0;
		c->key[1] = NFX_CLUSTER_DEFAULT_KEY1;
	}
	if (vips) {
		err = parse_vips(ctx, vips, c);
		if (err)
			return err;
	}
	if (mid && !strcmp(mid, "kernel"))
		c->flags |= NFX_CLUSTER_F_MIDSTREAM_KERNEL;
	else if (mid)
		c->flags &= ~NFX_CLUSTER_F_MIDSTREAM_KERNEL;
	if (!c->self)
		return cli_usage(ctx, "this node's id is not set yet: give --self ID");
	return 0;
}

static int do_change(struct cli_ctx *ctx, const struct cli_vals *v, const char *action, int argc,
		     char **argv)
{
	struct cluster_links cl;
	struct nfx_cluster c, first;
	int i, err;

	err = links_open(ctx, cli_str(cli_current, v, "dev"), &cl);
	if (err)
		return err;
	/* Compute once from the first namespace, check, then write everywhere. */
	if (nfx_cluster_get(cl.link[0], &first)) {
		err = cli_fail(ctx, "%s", nfx_errmsg());
		goto out;
	}
	if (!strcmp(action, "off")) {
		for (i = 0; i < cl.n && !err; i++)
			if (nfx_cluster_off(cl.link[i]))
				err = cli_fail(ctx, "%s: %s", cl.name[i], nfx_errmsg());
		goto out;
	}
	c = first;
	err = cluster_edit(ctx, v, action, argc, argv, &c);
	if (err)
		goto out;
	if (c.flags & NFX_CLUSTER_F_MIDSTREAM_KERNEL) {
		struct nfx_link_info info;

		for (i = 0; i < cl.n && !err; i++)
			if (nfx_link_info(cl.link[i], &info) ||
			    !(info.features & NFX_FEAT_CT_KFUNCS))
				err = cli_fail(
					ctx,
					"%s: --midstream kernel needs the conntrack kfuncs, which this attach does not use",
					cl.name[i]);
		if (err)
			goto out;
	}
	for (i = 0; i < cl.n && !err; i++) {
		struct nfx_cluster w = c;

		if (nfx_cluster_set(cl.link[i], &w))
			err = cli_fail(ctx, "%s: %s", cl.name[i], nfx_errmsg());
	}
out:
	links_close(&cl);
	return err;
}

/*
 * Match lit at the start of s as sscanf() matches a format's plain text: a
 * ' ' in lit skips any run of white space (none included). After the match,
 * or NULL.
 */
static const char *match_text(const char *s, const char *lit)
{
	for (; *lit; lit++) {
		if (*lit == ' ') {
			while (isspace((unsigned char)*s))
				s++;
		} else if (*s++ != *lit) {
			return NULL;
		}
	}
	return s;
}

/*
 * conntrackd's view, from `conntrackd -C CONF -s`: entries in the external
 * cache (state replicated from the peers). -1 when it cannot be read.
 */
static long long conntrackd_external(const char *conf)
{
	char cmd[1200], line[256];
	long long n = -1;
	bool external = false;
	FILE *p;

	if (strchr(conf, '\'') || strlen(conf) > 1024)
		return -1;
	snprintf(cmd, sizeof(cmd), "conntrackd -C '%s' -s 2>/dev/null", conf);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		const char *num;
		char *end;
		long long v;

		if (strstr(line, "cache external"))
			external = true;
		else if (strstr(line, "cache internal"))
			external = false;
		num = external ? match_text(line, " current active connections: ") : NULL;
		if (!num)
			continue;
		errno = 0;
		v = strtoll(num, &end, 10);
		if (end != num && errno != ERANGE) {
			n = v;
			external = false;
		}
	}
	if (pclose(p))
		return -1;
	return n;
}

static int status_one(struct cli_ctx *ctx, const struct cli_vals *v, struct json_writer *jw,
		      const char *name, struct nfx_link *link)
{
	const char *ctd = cli_str(cli_current, v, "conntrackd");
	__u64 owned[256], tcp_udp[256], st[NFX_CL_STAT_MAX], peer_flows = 0, peer_repl = 0;
	struct nfx_cluster c;
	long long external = -1;
	double age;
	__u8 slot = 0;
	int i;

	if (nfx_cluster_get(link, &c) || nfx_cluster_stats(link, st) ||
	    nfx_cluster_owned(link, owned, tcp_udp))
		return cli_fail(ctx, "%s: %s", name, nfx_errmsg());
	for (i = 0; i < c.nmembers; i++)
		if (nfx_cluster_is_live(&c, c.ids[i]) && (!slot || c.ids[i] < slot))
			slot = c.ids[i];
	for (i = 1; i < 256; i++)
		if (i != c.self) {
			peer_flows += owned[i];
			peer_repl += tcp_udp[i];
		}
	age = c.changed_ns ? (double)(nfx_now_ns() - c.changed_ns) / 1e9 : -1;
	if (ctd)
		external = conntrackd_external(ctd);

	if (jw) {
		jw_obj_start(jw);
		jw_kstr(jw, "link", name);
		jw_kbool(jw, "enabled", c.flags & NFX_CLUSTER_F_ON);
		jw_ku64(jw, "self", c.self);
		jw_ku64(jw, "generation", c.gen);
		jw_kdouble(jw, "changed_age", age);
		jw_ku64(jw, "neigh_slot", slot);
		jw_kstr(jw, "midstream",
			c.flags & NFX_CLUSTER_F_MIDSTREAM_KERNEL ? "kernel" : "hash");
		jw_key(jw, "members");
		jw_arr_start(jw);
		for (i = 0; i < c.nmembers; i++) {
			jw_obj_start(jw);
			jw_ku64(jw, "id", c.ids[i]);
			jw_kbool(jw, "alive", nfx_cluster_is_live(&c, c.ids[i]));
			jw_kbool(jw, "self", c.ids[i] == c.self);
			jw_ku64(jw, "flows", owned[c.ids[i]]);
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_ku64(jw, "owned_flows", owned[c.self]);
		jw_ku64(jw, "peer_flows", peer_flows);
		jw_ku64(jw, "undecided_flows", owned[0]);
		jw_key(jw, "vips");
		jw_arr_start(jw);
		for (i = 0; i < c.nvips && i < NFX_CLUSTER_VIPS; i++) {
			char buf[64];

			jw_str(jw, nfx_addr_str(c.vip_family[i], &c.vips[i], buf, sizeof(buf)));
		}
		jw_arr_end(jw);
		jw_key(jw, "counters");
		jw_obj_start(jw);
		for (i = 0; i < NFX_CL_STAT_MAX; i++)
			jw_ku64(jw, nfx_cluster_stat_names[i], st[i]);
		jw_obj_end(jw);
		jw_key(jw, "sync");
		if (external < 0) {
			jw_null(jw);
		} else {
			jw_obj_start(jw);
			jw_ks64(jw, "replicated", external);
			jw_ku64(jw, "peer_tcp_udp_flows", peer_repl);
			jw_ks64(jw, "lag_flows", (long long)peer_repl - external);
			jw_obj_end(jw);
		}
		jw_obj_end(jw);
		return 0;
	}
	printf("%s: cluster %s, node %u, generation %u", name,
	       c.flags & NFX_CLUSTER_F_ON ? "on" : "off", c.self, c.gen);
	if (age >= 0)
		printf(", changed %.1f s ago", age);
	printf("\n  %-6s %-6s %-6s %s\n", "node", "alive", "slot", "flows");
	for (i = 0; i < c.nmembers; i++)
		printf("  %-6u %-6s %-6s %llu%s\n", c.ids[i],
		       nfx_cluster_is_live(&c, c.ids[i]) ? "yes" : "no",
		       c.ids[i] == slot ? "yes" : "", (unsigned long long)owned[c.ids[i]],
		       c.ids[i] == c.self ? "  (this node)" : "");
	printf("  undecided flows %llu\n", (unsigned long long)owned[0]);
	for (i = 0; i < c.nvips && i < NFX_CLUSTER_VIPS; i++) {
		char buf[64];

		printf("%s%s", i ? " " : "  virtual addresses ",
		       nfx_addr_str(c.vip_family[i], &c.vips[i], buf, sizeof(buf)));
	}
	if (c.nvips)
		printf("\n");
	printf("  packets:");
	for (i = 0; i < NFX_CL_STAT_MAX; i++)
		printf(" %s %llu", nfx_cluster_stat_names[i], (unsigned long long)st[i]);
	printf("\n");
	if (ctd) {
		if (external < 0)
			printf("  sync: conntrackd -C %s -s gave no external cache figure\n", ctd);
		else
			printf("  sync: %lld flows replicated from peers, %llu peer TCP/UDP flows seen, lag %lld flows\n",
			       external, (unsigned long long)peer_repl,
			       (long long)peer_repl - external);
	}
	return 0;
}

static int do_status(struct cli_ctx *ctx, const struct cli_vals *v)
{
	struct json_writer *jw = NULL;
	struct cluster_links cl;
	int i, err;

	err = links_open(ctx, cli_str(cli_current, v, "dev"), &cl);
	if (err)
		return err;
	if (ctx->json) {
		jw = cli_json(ctx);
		jw_arr_start(jw);
	}
	for (i = 0; i < cl.n && !err; i++)
		err = status_one(ctx, v, jw, cl.name[i], cl.link[i]);
	if (jw) {
		jw_arr_end(jw);
		jw_free(jw);
	}
	links_close(&cl);
	return err;
}

static int do_cluster(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *action = argv[0];

	if (!strcmp(action, "status")) {
		if (argc > 1)
			return cli_usage(ctx, "status takes no node ids");
		return do_status(ctx, v);
	}
	if (!strcmp(action, "off")) {
		if (argc > 1)
			return cli_usage(ctx, "off takes no node ids");
		return do_change(ctx, v, action, 0, NULL);
	}
	if (!strcmp(action, "set-members") || !strcmp(action, "join") || !strcmp(action, "leave"))
		return do_change(ctx, v, action, argc - 1, argv + 1);
	return cli_usage(ctx, "unknown action '%s' (set-members, join, leave, off, status)",
			 action);
}

static const char *const midstream_choices[] = { "hash", "kernel", NULL };

static const struct cli_opt cluster_opts[] = {
	{ "self", 's', CLI_UINT, "ID", "this node's id (1..255)" },
	{ "key", 'k', CLI_STR, "HEX", "32 hex digits shared by all nodes: ownership hash key" },
	{ "vips", 0, CLI_STR, "ADDR,...", "virtual addresses whose ARP/ND only one node answers" },
	{ "midstream", 'm', CLI_CHOICE, "MODE",
	  "TCP flows first seen mid-stream: hash (like new ones) or kernel (ours only if in conntrack)",
	  midstream_choices },
	{ "dev", 'd', CLI_STR, "IFNAME", "act through this link (default: every attached link)" },
	{ "conntrackd", 0, CLI_STR, "CONF",
	  "status: read replication figures from this conntrackd" },
	{ NULL },
};

const struct cli_cmd cli_cluster_cmds[] = {
	{ "cluster", "set-members|join|leave ID... | off | status",
	  "active-active cluster membership and flow ownership", cluster_opts, 1, -1, do_cluster },
	{ NULL },
};

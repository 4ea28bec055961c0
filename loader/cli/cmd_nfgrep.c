// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* nfgrep: check, load and list the classification filters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "nfx/nfgc.h"
#include "cli.h"

static const struct cli_opt nfgrep_opts[] = {
	{ "link", 'l', CLI_STR, "IFNAME",
	  "use the maps of this link (default: the first attached)" },
	{ NULL },
};

static int compile(struct cli_ctx *ctx, int argc, char **argv, struct nfg_compiled *c)
{
	char err[NFG_ERR_MAX];

	if (nfg_load_any((const char *const *)argv, argc, c, err, sizeof(err))) {
		cli_fail(ctx, "%s", err);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* Open the link whose (netns-shared) nfgrep maps we use. */
static int open_maps(struct cli_ctx *ctx, const char *ifname, struct nfx_link **link,
		     struct nfg_maps *m)
{
	char **links = NULL;

	*link = NULL;
	if (!ifname) {
		if (nfx_links_list(ctx->pin_root, &links) < 0) {
			cli_fail(ctx, "%s", nfx_errmsg());
			return CLI_EXIT_FAIL;
		}
		if (!links[0]) {
			nfx_links_free(links);
			cli_fail(ctx, "nfx is not attached to any link");
			return CLI_EXIT_FAIL;
		}
		ifname = links[0];
	}
	if (nfx_link_open(ifname, ctx->pin_root, link)) {
		cli_fail(ctx, "%s", nfx_errmsg());
		nfx_links_free(links);
		return CLI_EXIT_FAIL;
	}
	nfx_links_free(links);
	m->prog_fd = nfx_link_map_fd(*link, "nfx_nfg_prog");
	m->active_fd = nfx_link_map_fd(*link, "nfx_nfg_active");
	m->names_fd = nfx_link_map_fd(*link, "nfx_nfg_names");
	if (m->prog_fd < 0 || m->active_fd < 0 || m->names_fd < 0) {
		nfx_link_close(*link);
		*link = NULL;
		cli_fail(ctx,
			 "the attached pipeline has no nfgrep maps (attached by an older nfx?)");
		return CLI_EXIT_FAIL;
	}
	return 0;
}

static int do_check(struct cli_ctx *ctx, int argc, char **argv)
{
	struct nfg_compiled c;
	int err = compile(ctx, argc, argv, &c);

	if (err)
		return err;
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kbool(jw, "ok", true);
		jw_ku64(jw, "protocols", c.prog->nproto);
		jw_ku64(jw, "tokens", c.prog->ntok);
		jw_ku64(jw, "steps", c.prog->nstep);
		jw_obj_end(jw);
		jw_free(jw);
	} else {
		printf("ok: %u protocols, %u tokens, %u steps\n", c.prog->nproto, c.prog->ntok,
		       c.prog->nstep);
	}
	nfg_compiled_free(&c);
	return CLI_EXIT_OK;
}

static int do_load(struct cli_ctx *ctx, const char *ifname, int argc, char **argv)
{
	struct nfg_compiled c;
	struct nfx_link *link;
	struct nfg_maps m;
	int err;

	/* Compile everything first: a bad file changes nothing. */
	err = compile(ctx, argc, argv, &c);
	if (err)
		return err;
	err = open_maps(ctx, ifname, &link, &m);
	if (err) {
		nfg_compiled_free(&c);
		return err;
	}
	if (nfg_install(&m, &c))
		err = cli_fail(ctx, "%s", nfx_errmsg());
	else if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kbool(jw, "loaded", true);
		jw_ku64(jw, "generation", c.prog->gen);
		jw_ku64(jw, "protocols", c.prog->nproto);
		jw_obj_end(jw);
		jw_free(jw);
	} else if (ctx->verbose) {
		printf("loaded %u protocols, generation %u\n", c.prog->nproto, c.prog->gen);
	}
	nfg_compiled_free(&c);
	nfx_link_close(link);
	return err;
}

static __u64 classified(int fd, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 *v, sum = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(fd, &id, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static int do_list(struct cli_ctx *ctx, const char *ifname)
{
	struct json_writer *jw = NULL;
	struct nfg_prog *p = NULL;
	struct nfx_link *link;
	struct nfg_maps m;
	int err, slot, i, counts_fd;

	err = open_maps(ctx, ifname, &link, &m);
	if (err)
		return err;
	counts_fd = nfx_link_map_fd(link, "nfx_nfg_counts");
	slot = nfg_active(&m, &p);
	if (slot < 0) {
		err = cli_fail(ctx, "%s", nfx_errmsg());
		goto out;
	}
	if (ctx->json) {
		jw = cli_json(ctx);
		jw_obj_start(jw);
		jw_ku64(jw, "generation", p->gen);
		jw_ku64(jw, "slot", slot);
		jw_ku64(jw, "unmatched", counts_fd >= 0 ? classified(counts_fd, 0) : 0);
		jw_key(jw, "protocols");
		jw_arr_start(jw);
	} else if (p->magic != NFG_MAGIC || !p->nproto) {
		printf("no filters loaded\n");
	} else {
		printf("generation %u, %u protocols, %u tokens, %u steps; unmatched flows %llu\n",
		       p->gen, p->nproto, p->ntok, p->nstep,
		       (unsigned long long)(counts_fd >= 0 ? classified(counts_fd, 0) : 0));
		printf("%5s %-28s %-4s %-24s %6s %10s\n", "id", "name", "l4", "ports", "steps",
		       "flows");
	}
	for (i = 0; p->magic == NFG_MAGIC && i < p->nproto && i < NFG_MAX_PROTO; i++) {
		const struct nfg_proto *pr = &p->proto[i];
		struct nfg_name n = {};
		char ports[64] = "";
		__u32 id = pr->app_id;
		int k, len = 0;

		bpf_map_lookup_elem(m.names_fd, &id, &n);
		n.name[NFG_NAME_MAX - 1] = 0;
		for (k = 0; k < pr->nports && k < NFG_MAX_PORTS; k++)
			len += snprintf(ports + len, sizeof(ports) - len, "%s%u", k ? "," : "",
					pr->ports[k]);
		if (pr->flags & NFG_PF_PORTS_ONLY)
			snprintf(ports + len, sizeof(ports) - len, " only");
		if (jw) {
			jw_obj_start(jw);
			jw_ku64(jw, "id", id);
			jw_kstr(jw, "name", n.name);
			jw_kstr(jw, "transport",
				pr->l4 == 6  ? "tcp" :
				pr->l4 == 17 ? "udp" :
					       "any");
			jw_kstr(jw, "ports", ports);
			jw_ku64(jw, "steps", pr->nsteps[0] + pr->nsteps[1]);
			jw_ku64(jw, "flows", counts_fd >= 0 ? classified(counts_fd, id) : 0);
			jw_obj_end(jw);
		} else {
			printf("%5u %-28s %-4s %-24s %6u %10llu\n", id, n.name,
			       pr->l4 == 6  ? "tcp" :
			       pr->l4 == 17 ? "udp" :
					      "any",
			       ports[0] ? ports : "-", pr->nsteps[0] + pr->nsteps[1],
			       (unsigned long long)(counts_fd >= 0 ? classified(counts_fd, id) :
								     0));
		}
	}
	if (jw) {
		jw_arr_end(jw);
		jw_obj_end(jw);
		jw_free(jw);
	}
out:
	free(p);
	nfx_link_close(link);
	return err;
}

static int do_nfgrep(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *ifname = cli_str(cli_current, v, "link");

	if (!strcmp(argv[0], "check")) {
		if (argc < 2)
			return cli_usage(ctx, "check needs at least one FILE");
		return do_check(ctx, argc - 1, argv + 1);
	}
	if (!strcmp(argv[0], "load")) {
		if (argc < 2)
			return cli_usage(ctx, "load needs at least one FILE");
		return do_load(ctx, ifname, argc - 1, argv + 1);
	}
	if (!strcmp(argv[0], "list")) {
		if (argc > 1)
			return cli_usage(ctx, "list takes no FILE");
		return do_list(ctx, ifname);
	}
	return cli_usage(ctx, "unknown action '%s' (check, load, list)", argv[0]);
}

const struct cli_cmd cli_nfgrep_cmds[] = {
	{ "nfgrep", "check|load FILE... | list",
	  "check filters, load them atomically, list the loaded set", nfgrep_opts, 1, -1,
	  do_nfgrep },
	{ NULL },
};

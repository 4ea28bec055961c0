// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfgrep: the stand-alone filter compiler.
 *   nfgrep check FILE...              syntax and limits only
 *   nfgrep compile FILE... -o OUT     write the bytecode for `nfx-loader nfgrep load`
 *   nfgrep dump FILE...               print the compiled program
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/nfgc.h"

static int usage(void)
{
	fprintf(stderr, "usage: nfgrep check FILE...\n"
			"       nfgrep compile FILE... -o OUT\n"
			"       nfgrep dump FILE...\n");
	return 2;
}

static void dump(const struct nfg_compiled *c)
{
	const struct nfg_prog *p = c->prog;
	int i, d, k;

	printf("protocols %u tokens %u steps %u max_packets %u max_bytes %u\n", p->nproto, p->ntok,
	       p->nstep, p->max_packets, p->max_bytes);
	for (i = 0; i < p->nproto; i++) {
		const struct nfg_proto *pr = &p->proto[i];

		printf("%2d %-24s l4 %-3s parent %-3d packets %u ports", i, c->names[i],
		       pr->l4 == 6  ? "tcp" :
		       pr->l4 == 17 ? "udp" :
				      "any",
		       pr->parent == NFG_PARENT_NONE ? -1 : pr->parent, pr->packets);
		for (k = 0; k < pr->nports; k++)
			printf("%s%u", k ? "," : " ", pr->ports[k]);
		printf("%s\n", pr->flags & NFG_PF_PORTS_ONLY ? " only" : "");
		for (d = 0; d < 2; d++)
			for (k = 0; k < pr->nsteps[d]; k++) {
				const struct nfg_step *s = &p->step[pr->step0[d] + k];

				printf("     %s step %d: ", d ? "server" : "client", k);
				if (s->kind == NFG_S_TOKEN)
					printf("token at %s%d within %u\n", s->rel ? "+" : "",
					       s->off == NFG_ANCHOR_NONE ? -1 : s->off, s->within);
				else if (s->kind == NFG_S_FIELD)
					printf("%s%u[%u] & 0x%x %s 0x%x\n",
					       s->flags & NFG_F_LE ? "le" : "u", s->width * 8,
					       s->off, s->mask, nfg_step_cmp_str(s->cmp), s->value);
				else if (s->kind == NFG_S_HEAD)
					printf("literal in head, %u alternatives, needs %u bytes\n",
					       s->width, p->lit[s->off].need);
				else
					printf("len %s %u\n", nfg_step_cmp_str(s->cmp), s->value);
			}
	}
}

int main(int argc, char **argv)
{
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	const char *out = NULL;
	const char *files[256];
	int nfiles = 0, i, ret;

	if (argc < 3)
		return usage();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return usage();
			out = argv[++i];
		} else if (nfiles < 256) {
			files[nfiles++] = argv[i];
		} else {
			return usage();
		}
	}
	if (!nfiles)
		return usage();
	if (strcmp(argv[1], "check") && strcmp(argv[1], "compile") && strcmp(argv[1], "dump"))
		return usage();
	if (!strcmp(argv[1], "compile") != !!out)
		return usage();
	ret = nfg_load_any(files, nfiles, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err[0] ? err : strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "check")) {
		printf("%s: %u protocols, %u tokens, %u steps\n",
		       nfiles == 1 ? files[0] : "filters", c.prog->nproto, c.prog->ntok,
		       c.prog->nstep);
	} else if (!strcmp(argv[1], "dump")) {
		dump(&c);
	} else {
		ret = nfg_write_blob(&c, out);
		if (ret)
			fprintf(stderr, "nfgrep: %s: %s\n", out, strerror(-ret));
	}
	nfg_compiled_free(&c);
	return ret ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the nfgrep compiler: any input either compiles to a
 * program whose tables are consistent (what the datapath indexes), or
 * fails with one "file:line:col: message" error.
 */
#include <string.h>

#include "nfx/nfgc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	const struct nfg_prog *p;
	int i;

	if (nfg_compile_buf("fuzz.nfg", (const char *)data, size, &c, err, sizeof(err))) {
		FUZZ_ASSERT(err[0] && memchr(err, 0, sizeof(err)));
		FUZZ_ASSERT(!strncmp(err, "fuzz.nfg:", 9));
		FUZZ_ASSERT(!c.prog);
		return 0;
	}
	p = c.prog;
	FUZZ_ASSERT(p->nproto <= NFG_MAX_PROTO);	/* an empty set is valid: it disables */
	FUZZ_ASSERT(p->nwords <= NFG_WORDS && p->nlit <= NFG_MAX_LIT);
	for (i = 0; i < p->ntok; i++) {
		FUZZ_ASSERT(p->tok[i].proto < p->nproto && p->tok[i].dir <= 1);
		FUZZ_ASSERT(p->tok[i].step < p->proto[p->tok[i].proto].nsteps[p->tok[i].dir]);
	}
	for (i = 0; i < p->nproto; i++) {
		FUZZ_ASSERT(p->proto[i].parent == NFG_PARENT_NONE || p->proto[i].parent < i);
		FUZZ_ASSERT(p->proto[i].step0[1] + p->proto[i].nsteps[1] <= p->nstep);
		FUZZ_ASSERT(memchr(c.names[i], 0, NFG_NAME_MAX) != NULL);
	}
	nfg_compiled_free(&c);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the nfgrep compiler: any input either compiles to a
 * program that passes the blob consistency checks, or fails with one
 * "file:line:col: message" error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/nfgc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	int i;

	if (nfg_compile_buf("fuzz.nfg", (const char *)data, size, &c, err, sizeof(err))) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort();	/* every failure carries a message */
		return 0;
	}
	for (i = 0; i < c.prog->ntok; i++)
		if (c.prog->tok[i].proto >= c.prog->nproto)
			abort();
	nfg_compiled_free(&c);
	return 0;
}

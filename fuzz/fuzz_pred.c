// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target: flow predicate words (nfx_pred_parse + reference matcher). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/libnfx.h"
#include "nfx/pred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[64], *tok, *save = NULL;
	struct nfx_flow_pred p;
	struct flow_entry e;
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok && argc < 64;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (!nfx_pred_parse(argc, argv, &p)) {
		memset(&e, 0, sizeof(e));
		if (size >= sizeof(e))
			memcpy(&e, data, sizeof(e));
		nfx_pred_match(&p, &e, 1ull << 40);
	}
	free(buf);
	return 0;
}

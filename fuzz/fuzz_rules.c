// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: ruleset text (nfx_rules_parse), then the compiler on
 * whatever parsed, and the formatter, whose output must parse back to the
 * same rules. A crash, a leak or a failed round trip is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/libnfx.h"
#include "nfx/rules.h"
#include "rules_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_rule *rules = NULL, *again = NULL;
	size_t n = 0, m = 0, i;
	struct rb b = {};

	if (nfx_rules_parse("fuzz", (const char *)data, size, &rules, &n) < 0)
		return 0;
	if (n <= 4096) {
		nfx_rb_build(&b, rules, n);
		nfx_rb_free(&b);
	}
	for (i = 0; i < n; i++) {
		char text[1024];

		if (nfx_rule_format(&rules[i], text, sizeof(text)))
			abort();
		/* iif by name resolves to a number the text may not name again */
		if (rules[i].iifname[0])
			continue;
		if (nfx_rules_parse("fuzz", text, strlen(text), &again, &m) != 1)
			abort();
		{
			char text2[1024];

			/* The text says everything the rule says. */
			if (nfx_rule_format(&again[0], text2, sizeof(text2)) ||
			    strcmp(text, text2) || again[0].used != rules[i].used)
				abort();
		}
		free(again);
	}
	free(rules);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libnfx rules in a few lines: replace the ruleset of the namespace of an
 * attached link, then print each rule's counters.
 *
 *	example-rules eth0 "ip saddr 192.0.2.0/24 drop" "tcp dport 22 accept"
 */
#include <err.h>
#include <stdio.h>

#include "nfx/libnfx.h"
#include "nfx/rules.h"

static int show(const struct nfx_rule *rule, void *ctx)
{
	__u64 packets, bytes;
	char text[256];

	nfx_rule_format(rule, text, sizeof(text));
	if (nfx_rules_counters(ctx, rule->handle, &packets, &bytes) < 0)
		return -1;
	printf("%5u %10llu pkts %12llu bytes  %s\n", rule->handle, (unsigned long long)packets,
	       (unsigned long long)bytes, text);
	return 0;
}

int main(int argc, char **argv)
{
	struct nfx_rules_commit_info ci;
	struct nfx_link *link;
	struct nfx_rules *r;
	int i;

	if (argc < 2)
		errx(2, "usage: %s IFNAME [RULE...]", argv[0]);
	if (nfx_link_open(argv[1], NULL, &link) < 0 || nfx_rules_open(link, &r) < 0)
		errx(1, "%s", nfx_errmsg());

	/* One batch: nothing changes in the datapath until the commit. */
	if (nfx_rules_begin(r, NFX_RULES_REPLACE) < 0)
		errx(1, "%s", nfx_errmsg());
	for (i = 2; i < argc; i++)
		if (nfx_rules_add_text(r, argv[i], NULL) < 0)
			errx(1, "%s", nfx_errmsg()); /* e.g. "rule:1:10: ..." */
	if (nfx_rules_commit(r, &ci) < 0)
		errx(1, "%s", nfx_errmsg());
	printf("%u rules, generation %u: build %.3f ms, switch %.3f ms\n", ci.rules, ci.generation,
	       ci.build_ns / 1e6, ci.switch_ns / 1e6);

	if (nfx_rules_foreach(r, show, r) < 0)
		errx(1, "%s", nfx_errmsg());
	nfx_rules_close(r);
	nfx_link_close(link);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet cost of the rule stage through BPF_PROG_TEST_RUN at a given
 * ruleset size. The ruleset is the one bench_rules.sh writes for every
 * peer: rule i = "ip saddr 10.<i/65536+1>.<i/256%256>.<i%256> udp dport
 * <1000+i%5000> drop". Prints one line:
 *   N  ns_established  ns_classified  build_ms  switch_ms
 * ns_established: a flow whose verdict is cached (the steady state);
 * ns_classified: an untracked packet (ICMP error), classified every time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "../../selftests/lib/pkt.h"
#include "../../selftests/lib/xdp_test.h"

static double run_ns(struct nfx_xdp_bpf *skel, const uint8_t *frame, size_t len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = repeat);
	double best = 1e18;
	int i;

	/* Best of 5: the machine is shared. */
	for (i = 0; i < 5; i++) {
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &o))
			return -1;
		if (o.duration < best)
			best = o.duration;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct nfx_rules_commit_info ci = {};
	struct nfx_xdp_bpf *skel;
	struct nfx_rules *r;
	int n = 0, repeat = 200000, opt, i;
	uint8_t est[256], icmp[256];
	size_t est_len, icmp_len;
	double ns_est, ns_cls;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = strtol(optarg, NULL, 10);
		else if (opt == 'r')
			repeat = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	skel = xdp_test_load(NULL);
	if (!skel || nfx_rules_open_obj(skel->obj, &r)) {
		fprintf(stderr, "bench_rules: %s\n", nfx_errmsg());
		return 1;
	}
	if (n) {
		if (nfx_rules_begin(r, NFX_RULES_REPLACE))
			goto fail;
		for (i = 0; i < n; i++) {
			char line[128];

			snprintf(line, sizeof(line), "ip saddr 10.%d.%d.%d udp dport %d drop",
				 i / 65536 + 1, i / 256 % 256, i % 256, 1000 + i % 5000);
			if (nfx_rules_add_text(r, line, NULL))
				goto fail;
		}
		if (nfx_rules_commit(r, &ci))
			goto fail;
	}
	{
		struct pkt_spec s = PKT_UDP4("192.168.1.1", 5000, "192.168.2.1", 53);

		est_len = pkt_build(&s, est, sizeof(est));
	}
	{
		/* Port unreachable from a source that hits a rule's prefix:
		 * full evaluation, then no match on the protocol. */
		struct pkt_spec s = { .family = 4,
				      .proto = 1,
				      .src = "10.1.0.5",
				      .dst = "192.168.2.1",
				      .icmp_type = 3,
				      .icmp_code = 3 };

		icmp_len = pkt_build(&s, icmp, sizeof(icmp));
	}
	xdp_test_run(skel, est, est_len); /* create the flow, cache */
	ns_est = run_ns(skel, est, est_len, repeat);
	ns_cls = run_ns(skel, icmp, icmp_len, repeat);
	if (ns_est < 0 || ns_cls < 0)
		goto fail;
	printf("%d %.1f %.1f %.3f %.3f\n", n, ns_est, ns_cls, ci.build_ns / 1e6,
	       ci.switch_ns / 1e6);
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
	return 0;
fail:
	fprintf(stderr, "bench_rules: %s\n", nfx_errmsg());
	return 1;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cost of the cluster ownership check per established-flow packet, through
 * BPF_PROG_TEST_RUN: the same loaded pipeline and the same established TCP
 * flow with the cluster stage off, then on with this node owning the flow
 * (passed) and with the peer owning it (dropped).
 *
 *	bench_cluster [-r REPEAT]
 * Prints a table; appends JSON lines to $NFX_BENCH_OUT when set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/cluster.h"
#include "nfx/hash.h"
#include "nfx/libnfx.h"
#include "../../selftests/lib/pkt.h"
#include "../../selftests/lib/xdp_test.h"

static unsigned int repeat = 1000000;

/* Median ns/pkt of 5 runs into *ns, the last verdict into *retval; 0 or -1. */
static int time_prog(int prog_fd, void *frame, size_t len, double *ns, __u32 *retval)
{
	double r[5], t;
	int i, j;

	for (i = 0; i < 5; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .repeat = repeat);

		if (bpf_prog_test_run_opts(prog_fd, &o)) {
			fprintf(stderr, "test_run: %s\n", strerror(errno));
			return -1;
		}
		r[i] = o.duration;
		*retval = o.retval;
	}
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			if (r[j] < r[i]) {
				t = r[i];
				r[i] = r[j];
				r[j] = t;
			}
	*ns = r[2];
	return 0;
}

static void emit(const char *metric, double nfx, const char *peer, double peer_v, const char *note)
{
	const char *out = getenv("NFX_BENCH_OUT");
	FILE *f;

	if (!out || !(f = fopen(out, "a")))
		return;
	fprintf(f,
		"{\"bench\":\"cluster\",\"metric\":\"%s\",\"unit\":\"ns/pkt\",\"nfx\":%.2f,"
		"\"peer\":\"%s\",\"peer_value\":%.2f,\"ratio\":%.3f,\"note\":\"%s\"}\n",
		metric, nfx, peer, peer_v, nfx > 0 ? peer_v / nfx : 0, note);
	fclose(f);
}

static int send1(int fd, struct pkt_spec *s)
{
	uint8_t f[256];
	size_t n = pkt_build(s, f, sizeof(f));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = n, .repeat = 1);

	return n && !bpf_prog_test_run_opts(fd, &o) ? (int)o.retval : -1;
}

static int set_cluster(struct nfx_xdp_bpf *skel, bool on, __u8 self)
{
	struct nfx_cluster c = { .key = { 1, 2 }, .self = self, .nmembers = 2, .ids = { 1, 2 } };
	__u32 zero = 0;

	c.live[0] = (1 << 1) | (1 << 2);
	c.flags = on ? NFX_CLUSTER_F_ON : 0;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_cluster), &zero, &c, 0);
}

int main(int argc, char **argv)
{
	struct nfx_xdp_bpf *skel;
	struct pkt_spec data =
		PKT_TCP4("192.0.2.10", 40000, "198.51.100.20", 443, PKT_ACK | PKT_PSH);
	uint8_t frame[256];
	size_t len;
	int opt, fd;
	__u32 rv_off, rv_own, rv_foreign;
	double t_off, t_own, t_foreign;
	char payload[64] = {};
	struct flow_entry e;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: bench_cluster [-r REPEAT]\n");
			return 2;
		}
		repeat = strtoul(optarg, NULL, 0);
	}
	skel = xdp_test_load(NULL);
	if (!skel)
		return 1;
	fd = bpf_program__fd(skel->progs.nfx_xdp);
	data.payload = payload;
	data.payload_len = sizeof(payload);
	{
		struct pkt_spec syn = PKT_TCP4("192.0.2.10", 40000, "198.51.100.20", 443, PKT_SYN);
		struct pkt_spec sa =
			PKT_TCP4("198.51.100.20", 443, "192.0.2.10", 40000, PKT_SYN | PKT_ACK);
		struct pkt_spec ack = PKT_TCP4("192.0.2.10", 40000, "198.51.100.20", 443, PKT_ACK);

		/* Node 1 of {1, 2}: the flow is decided on its SYN. */
		if (set_cluster(skel, true, 1) || send1(fd, &syn) < 0 || send1(fd, &sa) < 0 ||
		    send1(fd, &ack) < 0) {
			fprintf(stderr, "bench_cluster: cannot open the flow\n");
			return 1;
		}
	}
	if (xdp_test_flow(skel, 4, 6, "192.0.2.10", 40000, "198.51.100.20", 443, &e, NULL) ||
	    !(e.flags & FLOW_F_ASSURED) || !e.owner) {
		fprintf(stderr, "bench_cluster: flow not established and owned\n");
		return 1;
	}
	len = pkt_build(&data, frame, sizeof(frame));

	set_cluster(skel, false, e.owner);
	if (time_prog(fd, frame, len, &t_off, &rv_off))
		return 1;
	set_cluster(skel, true, e.owner);
	if (time_prog(fd, frame, len, &t_own, &rv_own))
		return 1;
	set_cluster(skel, true, e.owner == 1 ? 2 : 1);
	if (time_prog(fd, frame, len, &t_foreign, &rv_foreign))
		return 1;
	if (rv_off != 2 || rv_own != 2 || rv_foreign != 1) {
		fprintf(stderr, "bench_cluster: verdicts %u/%u/%u, want pass/pass/drop\n", rv_off,
			rv_own, rv_foreign);
		return 1;
	}

	printf("cluster ownership check, established TCP flow via BPF_PROG_TEST_RUN (%u repeats, median of 5)\n",
	       repeat);
	printf("  %-44s %8.1f ns/pkt\n", "pipeline, cluster stage off", t_off);
	printf("  %-44s %8.1f ns/pkt  (%+.1f)\n", "cluster on, this node owns the flow (pass)",
	       t_own, t_own - t_off);
	printf("  %-44s %8.1f ns/pkt  (%+.1f)\n", "cluster on, the peer owns the flow (drop)",
	       t_foreign, t_foreign - t_off);
	emit("owned_packet", t_own, "same pipeline, cluster stage off", t_off,
	     "established TCP flow owned by this node; difference = ownership check");
	emit("foreign_packet", t_foreign, "same pipeline, cluster stage off", t_off,
	     "established TCP flow owned by the peer: dropped in XDP");
	nfx_xdp_bpf__destroy(skel);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_npt: figures for bench/bench_npt.sh.
 *
 *   bench_npt prog [REPEAT]          ns/packet of the XDP pipeline through
 *                                    BPF_PROG_TEST_RUN, with and without NAT
 *                                    (NPTv6 repeated in the kernel; NAT66 in
 *                                    single runs from a fresh packet each)
 *   bench_npt flood ADDR PORT SECS   send UDP to ADDR as fast as sendmmsg
 *                                    goes; prints the packets sent
 *
 * BPF_PROG_TEST_RUN repeats run over the same buffer, which the first run
 * rewrites; so the NPTv6 figure uses two bindings that map A to B and B
 * back to A, and every run translates the packet once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/nat.h"
#include "nfx/config.h"
#include "nfx_xdp.skel.h"

struct pkt6 {
	uint8_t b[128];
	size_t len;
};

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	return s;
}

/* Ethernet + IPv6 + (UDP | ICMPv6 error quoting an IPv6/UDP packet). */
static void build(struct pkt6 *p, const char *src, const char *dst, int icmp_err)
{
	uint8_t *ip = p->b + 14, *l4 = ip + 40;
	size_t l4len = icmp_err ? 8 + 40 + 8 + 16 : 8 + 16;
	uint32_t s;

	memset(p, 0, sizeof(*p));
	p->b[12] = 0x86;
	p->b[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = l4len >> 8;
	ip[5] = l4len & 0xff;
	ip[6] = icmp_err ? 58 : 17;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	if (icmp_err) {
		uint8_t *in = l4 + 8;

		l4[0] = 1;	/* destination unreachable */
		in[0] = 0x60;
		in[5] = 24;
		in[6] = 17;
		in[7] = 64;
		memcpy(in + 8, ip + 24, 16);	/* the quoted packet went dst -> src */
		memcpy(in + 24, ip + 8, 16);
		in[40] = 0x30;
		in[42] = 0x82;
		in[45] = 24;
	} else {
		l4[0] = 0x9c;
		l4[2] = 0x00;
		l4[3] = 0x35;
		l4[5] = l4len;
	}
	s = sum16(ip + 8, 32, 0) + l4len + ip[6];
	s = sum16(l4, l4len, s);
	if (icmp_err) {
		l4[2] = (uint16_t)~fold(s) >> 8;
		l4[3] = (uint16_t)~fold(s) & 0xff;
	} else {
		l4[6] = (uint16_t)~fold(s) >> 8;
		l4[7] = (uint16_t)~fold(s) & 0xff;
	}
	p->len = 14 + 40 + l4len;
}

static double run_out(int fd, const struct pkt6 *p, int repeat, struct pkt6 *out)
{
	struct pkt6 copy = *p, dummy;
	struct xdp_md ctx = { .data_end = copy.len, .ingress_ifindex = 1 };
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = copy.b,
		.data_size_in = copy.len,
		.data_out = out ? out->b : dummy.b,
		.data_size_out = sizeof(dummy.b),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	};

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_npt: test run: %s\n", strerror(errno));
		exit(1);
	}
	if (out)
		out->len = o.data_size_out;
	return o.duration;	/* ns per run, averaged by the kernel */
}

static double run(int fd, const struct pkt6 *p, int repeat)
{
	return run_out(fd, p, repeat, NULL);
}

/*
 * Runs that must start from the same bytes every time (a masquerade
 * rewrite changes the packet): one run per call, averaged over n calls.
 * The kernel times the program alone, not the system call.
 */
static double run_single(int fd, const struct pkt6 *p, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += run(fd, p, 1);
	return sum / n;
}

static void add(const struct nfx_nat_maps *m, const char *in, const char *out)
{
	struct nfx_prefix6 i, o;

	if (nfx_prefix6_parse(in, 64, &i) || nfx_prefix6_parse(out, 64, &o) ||
	    nfx_npt_add(m, &i, &o, 4242)) {
		fprintf(stderr, "bench_npt: %s\n", nfx_errmsg());
		exit(1);
	}
}

static int cmd_prog(int repeat)
{
	struct nfx_config cfg = { .flags = NFX_CFG_READY };
	struct nfx_link_conf lc = { .ifindex = 1, .flags = NFX_CFG_READY };
	struct nfx_xdp_bpf *skel = nfx_xdp_bpf__open();
	struct nfx_nat_maps m;
	struct pkt6 udp = {}, err = {};
	double base, npt, icmp, best;
	__u32 zero = 0;
	int fd, i, k;

	if (!skel || getrandom((void *)skel->rodata->hash_key, 16, 0) != 16 ||
	    nfx_xdp_bpf__load(skel)) {
		fprintf(stderr, "bench_npt: cannot load the pipeline: %s\n", strerror(errno));
		nfx_xdp_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 120;
	cfg.timeouts.udp_unreplied = cfg.timeouts.udp_assured = cfg.timeouts.icmp = 60;
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0);
	m.npt_in = bpf_map__fd(skel->maps.nfx_npt_in);
	m.npt_out = bpf_map__fd(skel->maps.nfx_npt_out);
	m.npt_stats = bpf_map__fd(skel->maps.nfx_npt_stats);
	m.nat66 = bpf_map__fd(skel->maps.nfx_nat66);
	m.nat66_stats = bpf_map__fd(skel->maps.nfx_nat66_stats);
	m.nat_conf = bpf_map__fd(skel->maps.nfx_nat_conf);
	fd = bpf_program__fd(skel->progs.nfx_xdp);

	build(&udp, "fd01:203:405:1::1234", "2001:db8:ff::1", 0);
	build(&err, "fd01:203:405:1::1234", "2001:db8:ff::1", 1);
	/* best of 5: the least disturbed by the other tenants of the CPU */
	best = 1e18;
	for (k = 0; k < 5; k++) {
		base = run(fd, &udp, repeat);
		best = base < best ? base : best;
	}
	base = best;
	add(&m, "fd01:203:405::/48", "2001:db8:1::/48");
	add(&m, "2001:db8:1::/48", "fd01:203:405::/48");	/* and back */
	best = 1e18;
	for (k = 0; k < 5; k++) {
		npt = run(fd, &udp, repeat);
		best = npt < best ? npt : best;
	}
	npt = best;
	best = 1e18;
	for (k = 0; k < 5; k++) {
		icmp = run(fd, &err, repeat);
		best = icmp < best ? icmp : best;
	}
	icmp = best;
	printf("base %.1f\nnpt %.1f\nicmp %.1f\n", base, npt, icmp);

	/* NAT66: established connection, both directions, one run per call. */
	{
		struct nfx_prefix6 in;
		union nfx_addr masq;
		struct pkt6 out = {}, reply = {}, plain = {};
		double b1, m_out, m_in;
		int n = repeat / 20 > 1000 ? repeat / 20 : 1000;

		build(&plain, "fd02::1234", "2001:db8:ff::1", 0);
		b1 = run_single(fd, &plain, n);
		nfx_prefix6_parse("fd01:203:405::/48", 64, &in);
		inet_pton(AF_INET6, "2001:db8:5::1", &masq);
		/* NPTv6 bindings first would take the packet: remove them */
		nfx_npt_del(&m, &in);
		in = (struct nfx_prefix6){};
		nfx_prefix6_parse("2001:db8:1::/48", 64, &in);
		nfx_npt_del(&m, &in);
		nfx_prefix6_parse("fd01:203:405::/48", 64, &in);
		if (nfx_nat66_add(&m, &in, &masq, 61000, 65535, 4242)) {
			fprintf(stderr, "bench_npt: %s\n", nfx_errmsg());
			nfx_xdp_bpf__destroy(skel);
			return 1;
		}
		run_out(fd, &udp, 1, &out);	/* allocates the port */
		build(&reply, "2001:db8:ff::1", "2001:db8:5::1", 0);
		/* swap the ports: the reply goes to the allocated one */
		reply.b[54] = 0x00;
		reply.b[55] = 0x35;
		reply.b[56] = out.b[54];
		reply.b[57] = out.b[55];
		reply.b[60] = reply.b[61] = 0;	/* checksum: none is needed to time it */
		m_out = run_single(fd, &udp, n);
		m_in = run_single(fd, &reply, n);
		printf("single %.1f\nmasq_out %.1f\nmasq_in %.1f\n", b1, m_out, m_in);
	}
	nfx_xdp_bpf__destroy(skel);
	return 0;
}

static int cmd_flood(const char *addr, int port, int secs)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct mmsghdr msgs[64];
	struct iovec iov = { .iov_base = "nfx-bench-payload-0123456789", .iov_len = 28 };
	unsigned long long sent = 0;
	struct timespec t0, t;
	int s, i;

	if (inet_pton(AF_INET6, addr, &dst.sin6_addr) != 1) {
		fprintf(stderr, "bench_npt: '%s' is not an IPv6 address\n", addr);
		return 2;
	}
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&dst, sizeof(dst))) {
		fprintf(stderr, "bench_npt: socket: %s\n", strerror(errno));
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 64; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int n = sendmmsg(s, msgs, 64, 0);

		if (n > 0)
			sent += n;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < secs);
	printf("%llu\n", sent);
	close(s);
	return 0;
}

static int num(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || !*s || *end || *out < lo || *out > hi ? -1 : 0;
}

int main(int argc, char **argv)
{
	long a, b;

	if (argc >= 2 && !strcmp(argv[1], "prog") && (argc == 2 || !num(argv[2], 1, 100000000, &a)))
		return cmd_prog(argc > 2 ? (int)a : 1000000);
	if (argc == 5 && !strcmp(argv[1], "flood") && !num(argv[3], 1, 65535, &a) &&
	    !num(argv[4], 1, 3600, &b))
		return cmd_flood(argv[2], (int)a, (int)b);
	fprintf(stderr, "usage: bench_npt prog [REPEAT] | flood ADDR PORT SECONDS\n");
	return 2;
}

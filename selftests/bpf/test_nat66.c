// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The IPv6 NAT stages of the XDP pipeline through BPF_PROG_TEST_RUN:
 * NPTv6 on TCP, UDP, ICMPv6 echo and ICMPv6 errors (outer and quoted
 * header), longest-prefix selection, untranslatable drops, run-time
 * outside prefix replacement, and NAT66 masquerade (ports, replies,
 * collisions, exhaustion). Checksums are verified on every output frame.
 *
 * The ingress link of every run is lo (ifindex 1): bindings whose outside
 * link is 1 see it as their outside link (inbound), others as an inside
 * link (outbound). Masquerade rules name another outside link, so lo is
 * an inside link for them; replies are recognised by their flow entry,
 * whatever link they enter through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/nat.h"
#include "nfx/config.h"
#include "nfx_xdp.skel.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

#define LO 1
#define ELSEWHERE 4242		/* an outside link that is not this ingress */
#define L3 14

static struct nfx_xdp_bpf *skel;
static struct nfx_nat_maps maps;
static int prog_fd;
static uint8_t out[2048];
static __u32 out_len;
static char setup_err[256];

static int setup(void)
{
	struct nfx_config cfg = {};
	struct nfx_link_conf lc = { .ifindex = LO, .flags = NFX_CFG_READY };
	__u32 zero = 0;
	int i;

	if (geteuid())
		return snprintf(setup_err, sizeof(setup_err), "needs root"), -1;
	skel = nfx_xdp_bpf__open();
	if (!skel)
		return snprintf(setup_err, sizeof(setup_err), "open: %s", strerror(errno)), -1;
	if (getrandom((void *)skel->rodata->hash_key, 16, 0) != 16)
		return snprintf(setup_err, sizeof(setup_err), "getrandom"), -1;
	if (nfx_xdp_bpf__load(skel))
		return snprintf(setup_err, sizeof(setup_err), "load (verifier): %s",
				strerror(errno)),
		       -1;
	prog_fd = bpf_program__fd(skel->progs.nfx_xdp);
	cfg.flags = NFX_CFG_READY;
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 120;
	cfg.timeouts.udp_unreplied = cfg.timeouts.udp_assured = cfg.timeouts.icmp = 30;
	cfg.timeouts.other = 60;
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0);
	maps.npt_in = bpf_map__fd(skel->maps.nfx_npt_in);
	maps.npt_out = bpf_map__fd(skel->maps.nfx_npt_out);
	maps.npt_stats = bpf_map__fd(skel->maps.nfx_npt_stats);
	maps.nat66 = bpf_map__fd(skel->maps.nfx_nat66);
	maps.nat66_stats = bpf_map__fd(skel->maps.nfx_nat66_stats);
	maps.nat_conf = bpf_map__fd(skel->maps.nfx_nat_conf);
	/* Deterministic verdicts: no FIB lookups against the host's routes. */
	return nfx_nat_set_fwd(&maps, NFX_FWD_KERNEL);
}

static int run(const uint8_t *frame, size_t len)
{
	struct xdp_md ctx_in = { .data_end = len, .ingress_ifindex = LO };
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = frame,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = &ctx_in,
		.ctx_size_in = sizeof(ctx_in),
	};
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	if (err)
		return -1000 - errno;
	out_len = o.data_size_out;
	return o.retval;
}

static struct nfx_prefix6 P(const char *s) {
	struct nfx_prefix6 p;

	if (nfx_prefix6_parse(s, 64, &p))
		abort();
	return p;
}

static union nfx_addr
A(const char *s) {
	union nfx_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static const char *
S(const void *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int n;

	return inet_ntop(AF_INET6, a, buf[n++ & 3], INET6_ADDRSTRLEN);
}

#define ASSERT_ADDR(p, want, what)                                                 \
	do {                                                                       \
		union nfx_addr _w = A(want);                                       \
		if (memcmp((p), &_w, 16))                                          \
			TAP_FAIL("%s: got %s, want %s", what, S(p), want);        \
	} while (0)

#define NEED_SETUP()                                                               \
	do {                                                                       \
		if (!skel && setup())                                              \
			SKIP("%s", setup_err);                                     \
	} while (0)

static void clear_all(void)
{
	struct nfx_npt_info *b;
	struct nfx_nat66_info *r;
	int n, i;

	n = nfx_npt_list(&maps, &b);
	for (i = 0; i < n; i++) {
		struct nfx_prefix6 p = { .addr = b[i].b.inside, .len = b[i].b.inside_len };

		nfx_npt_del(&maps, &p);
	}
	free(b);
	n = nfx_nat66_list(&maps, &r);
	for (i = 0; i < n; i++)
		nfx_nat66_del(&maps, &r[i].inside);
	free(r);
}

static struct npt_counters npt_cnt(int id)
{
	struct nfx_npt_info *b;
	struct npt_counters c = {};
	int n, i;

	n = nfx_npt_list(&maps, &b);
	for (i = 0; i < n; i++)
		if ((int)b[i].b.id == id)
			c = b[i].cnt;
	free(b);
	return c;
}

static void add(const char *in, const char *outp, __u32 ifindex)
{
	struct nfx_prefix6 i = P(in), o = P(outp);

	if (nfx_npt_add(&maps, &i, &o, ifindex))
		TAP_FAIL("npt add %s %s: %s", in, outp, nfx_errmsg());
}

static size_t build(struct pkt_spec *s, uint8_t *buf, size_t len)
{
	size_t n = pkt_build(s, buf, len);

	if (!n)
		TAP_FAIL("pkt_build");
	return n;
}

TEST(npt_tcp_outbound_rfc_example)
{
	struct pkt_spec s = PKT_TCP6("fd01:203:405:1::1234", 40000, "2001:db8:ff::1", 443, PKT_SYN);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_EQ(out_len, n, "length");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:1:d550::1234", "source translated");
	ASSERT_ADDR(out + L3 + 24, "2001:db8:ff::1", "destination untouched");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "TCP checksum valid");
	ASSERT_MEMEQ(out + L3 + 40, f + L3 + 40, n - L3 - 40, "TCP header and payload untouched");
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_OUT_PKTS], 1, "out packets");
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_OUT_BYTES], n - L3, "out bytes");
}

TEST(npt_udp_inbound)
{
	struct pkt_spec s = PKT_UDP6("2001:db8:ff::1", 53, "2001:db8:1:d550::1234", 5353);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", LO);
	s.payload = "answer";
	s.payload_len = 6;
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 24, "fd01:203:405:1::1234", "destination translated");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:ff::1", "source untouched");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "UDP checksum valid");
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_IN_PKTS], 1, "in packets");
}

TEST(npt_direction_by_ingress_link)
{
	struct pkt_spec s = PKT_UDP6("2001:db8:ff::1", 53, "2001:db8:1:d550::1234", 5353);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	/* Outside link elsewhere: this inbound-looking packet is left alone. */
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_MEMEQ(out, f, n, "untouched");
	/* And an inside source entering through the outside link is too. */
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", LO);
	s = (struct pkt_spec)PKT_UDP6("fd01:203:405:1::1234", 5353, "2001:db8:ff::1", 53);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_MEMEQ(out, f, n, "untouched");
}

TEST(npt_icmpv6_echo)
{
	struct pkt_spec s = { .family = 6,
			      .proto = 58,
			      .src = "fd01:203:405:1::1234",
			      .dst = "2001:db8:ff::1",
			      .sport = 77,
			      .payload = "ping",
			      .payload_len = 4 };
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:1:d550::1234", "source translated");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum valid");
	ASSERT_EQ(out[L3 + 40 + 4] << 8 | out[L3 + 40 + 5], 77, "identifier untouched");
}

/* An inbound error (e.g. Packet Too Big) quotes the translated packet. */
TEST(npt_icmpv6_error_inbound)
{
	static const int types[] = { 1, 2, 3, 4 };
	struct pkt_spec inner = PKT_UDP6("2001:db8:1:d550::1234", 33434, "2001:db8:ff::1", 33435);
	uint8_t fi[256], f[512], chk[512];
	size_t ni, n;
	int t;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", LO);
	inner.payload = "traceroute";
	inner.payload_len = 10;
	ni = build(&inner, fi, sizeof(fi));
	for (t = 0; t < 4; t++) {
		struct pkt_spec s = { .family = 6,
				      .proto = 58,
				      .src = "2001:db8:ff::fe",
				      .dst = "2001:db8:1:d550::1234",
				      .icmp_type = types[t],
				      .payload = fi + L3,
				      .payload_len = ni - L3 };

		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
		ASSERT_ADDR(out + L3 + 24, "fd01:203:405:1::1234", "outer destination");
		ASSERT_ADDR(out + L3 + 48 + 8, "fd01:203:405:1::1234", "quoted source");
		ASSERT_ADDR(out + L3 + 48 + 24, "2001:db8:ff::1", "quoted destination untouched");
		ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum valid");
		/* The quoted UDP datagram is whole here: its checksum holds too. */
		memcpy(chk, out, L3);
		memcpy(chk + L3, out + L3 + 48, ni - L3);
		ASSERT_TRUE(pkt_l4_csum_ok(chk, ni), "quoted UDP checksum valid");
	}
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_ICMP_ERR], 4, "errors counted");
}

/* An outbound error (port unreachable) quotes the packet the host got. */
TEST(npt_icmpv6_error_outbound)
{
	struct pkt_spec inner = PKT_UDP6("2001:db8:ff::1", 40000, "fd01:203:405:1::1234", 9);
	uint8_t fi[256], f[512];
	size_t ni, n;
	struct pkt_spec s = { .family = 6,
			      .proto = 58,
			      .src = "fd01:203:405:1::1234",
			      .dst = "2001:db8:ff::1",
			      .icmp_type = 1,
			      .icmp_code = 4 };

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	ni = build(&inner, fi, sizeof(fi));
	s.payload = fi + L3;
	s.payload_len = ni - L3;
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:1:d550::1234", "outer source");
	ASSERT_ADDR(out + L3 + 48 + 24, "2001:db8:1:d550::1234", "quoted destination");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum valid");
}

TEST(npt_untranslatable_dropped)
{
	struct pkt_spec s = PKT_TCP6("fd01:203:405:ffff::1", 1, "2001:db8:ff::1", 2, PKT_SYN);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_DROP, "subnet 0xFFFF dropped");
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_DROP_FFFF], 1, "counted");
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_OUT_PKTS], 0, "not counted as translated");
}

TEST(npt_inside_to_inside_untouched)
{
	struct pkt_spec s = PKT_TCP6("fd01:203:405:1::1", 1, "fd01:203:405:2::2", 2, PKT_SYN);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_MEMEQ(out, f, n, "untouched");
}

TEST(npt_longest_prefix_and_fragments)
{
	struct pkt_spec s = PKT_UDP6("fd01:203:405:8001::7", 1, "2001:db8:ff::1", 2);
	union nfx_addr a = A("fd01:203:405:8001::7");
	struct npt_binding b = { .inside = A("fd01:203:405:8000::"),
				 .outside = A("2001:db8:2:8000::"),
				 .inside_len = 49,
				 .outside_len = 49 };
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	add("fd01:203:405:8000::/49", "2001:db8:2:8000::/49", ELSEWHERE);
	npt_binding_prepare(&b);
	ASSERT_EQ(npt_translate(&a, &b.outside, b.plen, b.adj_out), 0, "reference");
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_MEMEQ(out + L3 + 8, &a, 16, "the /49 binding wins");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "checksum");
	/* A later fragment has no ports, and is translated all the same. */
	s.frag_later = true;
	s.ext_hdrs = 1;
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_MEMEQ(out + L3 + 8, &a, 16, "fragment translated");
	ASSERT_EQ(npt_cnt(1).c[NPT_CNT_OUT_PKTS], 2, "counted on the /49 binding");
}

TEST(npt_follow_keeps_binding)
{
	struct pkt_spec s = PKT_TCP6("fd01:203:405:1::1234", 40000, "2001:db8:ff::1", 443, PKT_ACK);
	struct nfx_prefix6 in = P("fd01:203:405::/48"), nout = P("2001:db8:77::/48");
	struct nfx_npt_info *b;
	uint8_t f[256];
	size_t n;
	int cnt;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	add("fd02::/48", "2001:db8:2::/48", ELSEWHERE);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:1:d550::1234", "before");
	ASSERT_EQ(nfx_npt_follow(&maps, &in, &nout), 0, "follow");
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_EQ(memcmp(out + L3 + 8, "\x20\x01\x0d\xb8\x00\x77", 6), 0, "new outside prefix");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "checksum");
	cnt = nfx_npt_list(&maps, &b);
	ASSERT_EQ(cnt, 2, "still two bindings");
	ASSERT_EQ(b[0].b.id, 0, "same id");
	ASSERT_EQ(b[0].b.gen, 2, "generation bumped");
	ASSERT_EQ(b[0].cnt.c[NPT_CNT_OUT_PKTS], 2, "counters kept");
	ASSERT_EQ(b[1].b.outside.b[5], 2, "other binding untouched");
	free(b);
	/* The old outside prefix is gone, the new one maps inbound. */
	nout = P("2001:db8:1::/48");
	ASSERT_NE(nfx_npt_del(&maps, &nout), 0, "old outside prefix no longer bound");
}

TEST(npt_config_errors)
{
	struct nfx_prefix6 p;

	NEED_SETUP();
	clear_all();
	ASSERT_EQ(nfx_prefix6_parse("2001:db8::/65", 64, &p), -EINVAL, "/65 refused");
	ASSERT_EQ(nfx_prefix6_parse("2001:db8::1/64", 64, &p), -EINVAL, "host bits refused");
	ASSERT_TRUE(strstr(nfx_errmsg(), "2001:db8::/64") != NULL, "message suggests the prefix");
	ASSERT_EQ(nfx_prefix6_parse("10.0.0.0/8", 64, &p), -EINVAL, "IPv4 refused");
	ASSERT_EQ(nfx_prefix6_parse("2001:db8::", 64, &p), -EINVAL, "length missing");
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	{
		struct nfx_prefix6 i = P("fd01:203:405::/48"), o = P("2001:db8:9::/48");

		ASSERT_EQ(nfx_npt_add(&maps, &i, &o, ELSEWHERE), -EEXIST, "inside bound twice");
		i = P("fd09::/48");
		o = P("2001:db8:1::/48");
		ASSERT_EQ(nfx_npt_add(&maps, &i, &o, ELSEWHERE), -EEXIST, "outside bound twice");
	}
	ASSERT_EQ(npt_cnt(0).c[NPT_CNT_OUT_PKTS], 0, "fresh binding, fresh counters");
}

/* ---- NAT66 masquerade ---- */

static struct nat66_counters nat_cnt(void)
{
	struct nfx_nat66_info *r;
	struct nat66_counters c = {};

	if (nfx_nat66_list(&maps, &r) > 0)
		c = r[0].cnt;
	free(r);
	return c;
}

static void masq(const char *in, const char *addr, int lo, int hi)
{
	struct nfx_prefix6 p = P(in);
	union nfx_addr a = A(addr);

	if (nfx_nat66_add(&maps, &p, &a, lo, hi, ELSEWHERE))
		TAP_FAIL("nat66 add: %s", nfx_errmsg());
}

static void flush_flows(void)
{
	int fds[2] = { bpf_map__fd(skel->maps.nfx_flows), bpf_map__fd(skel->maps.nfx_flows_new) };
	__u64 k;
	int i;

	for (i = 0; i < 2; i++)
		while (!bpf_map_get_next_key(fds[i], NULL, &k))
			bpf_map_delete_elem(fds[i], &k);
}

TEST(nat66_tcp_roundtrip)
{
	struct pkt_spec s = PKT_TCP6("fd00:c::2", 40000, "2001:db8:ff::1", 80, PKT_SYN);
	uint8_t f[256];
	size_t n;
	int port, port2;

	NEED_SETUP();
	clear_all();
	flush_flows();
	masq("fd00:c::/64", "2001:db8:5::1", 61000, 61999);
	n = build(&s, f, sizeof(f));
	s.src = NULL;
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:5::1", "source is the masquerade address");
	port = out[L3 + 40] << 8 | out[L3 + 41];
	ASSERT_TRUE(port >= 61000 && port <= 61999, "port in range");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "TCP checksum patched");
	ASSERT_EQ(nat_cnt().c[NAT66_CNT_NEW], 1, "one port allocated");

	/* The reply arrives on the outside link, to the translated tuple. */
	s = (struct pkt_spec)PKT_TCP6("2001:db8:ff::1", 80, "2001:db8:5::1", port,
				      PKT_SYN | PKT_ACK);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 24, "fd00:c::2", "destination translated back");
	ASSERT_EQ(out[L3 + 42] << 8 | out[L3 + 43], 40000, "port translated back");
	ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "TCP checksum patched");
	ASSERT_EQ(nat_cnt().c[NAT66_CNT_IN_PKTS], 1, "reply counted");

	/* The connection's next packet gets the same port, no new allocation. */
	s = (struct pkt_spec)PKT_TCP6("fd00:c::2", 40000, "2001:db8:ff::1", 80, PKT_ACK);
	n = build(&s, f, sizeof(f));
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	port2 = out[L3 + 40] << 8 | out[L3 + 41];
	ASSERT_EQ(port2, port, "same port");
	ASSERT_EQ(nat_cnt().c[NAT66_CNT_NEW], 1, "still one allocation");
	ASSERT_EQ(nat_cnt().c[NAT66_CNT_OUT_PKTS], 2, "two out");
}

TEST(nat66_one_flow_entry)
{
	__u64 k;
	struct flow_entry e;
	int fd, entries = 0;
	char a[INET6_ADDRSTRLEN];

	NEED_SETUP();
	/* After nat66_tcp_roundtrip: both directions share ONE entry. */
	fd = bpf_map__fd(skel->maps.nfx_flows_new);
	for (int r = bpf_map_get_next_key(fd, NULL, &k); !r; r = bpf_map_get_next_key(fd, &k, &k)) {
		entries++;
		bpf_map_lookup_elem(fd, &k, &e);
	}
	fd = bpf_map__fd(skel->maps.nfx_flows);
	for (int r = bpf_map_get_next_key(fd, NULL, &k); !r; r = bpf_map_get_next_key(fd, &k, &k)) {
		entries++;
		bpf_map_lookup_elem(fd, &k, &e);
	}
	ASSERT_EQ(entries, 1, "one entry for the connection");
	ASSERT_TRUE(e.nat.kind == NFX_NAT_MASQ_LO || e.nat.kind == NFX_NAT_MASQ_HI, "kind");
	inet_ntop(AF_INET6, e.nat.addr, a, sizeof(a));
	ASSERT_STREQ(a, "fd00:c::2", "entry keeps the inside address");
	ASSERT_EQ(ntohs(e.nat.port), 40000, "and port");
	ASSERT_EQ(e.packets[0] + e.packets[1], 3, "all three packets on it");
}

TEST(nat66_udp_echo_and_exhaustion)
{
	uint8_t f[256];
	size_t n;
	int i, ports[10], id;

	NEED_SETUP();
	clear_all();
	flush_flows();
	masq("fd00:c::/64", "2001:db8:5::1", 62000, 62009);	/* ten ports */
	for (i = 0; i < 10; i++) {
		struct pkt_spec s = PKT_UDP6("fd00:c::2", 50000 + i, "2001:db8:ff::1", 53);

		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
		ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "UDP checksum patched");
		ports[i] = out[L3 + 40] << 8 | out[L3 + 41];
		for (int j = 0; j < i; j++)
			ASSERT_NE(ports[j], ports[i], "no two connections share a port");
	}
	{
		struct pkt_spec s = PKT_UDP6("fd00:c::3", 50000, "2001:db8:ff::1", 53);

		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_DROP, "eleventh connection: no port left");
		ASSERT_EQ(nat_cnt().c[NAT66_CNT_EXHAUSTED], 1, "exhaustion counted");
	}
	/* Echo: the identifier is the port. */
	clear_all();
	flush_flows();
	masq("fd00:c::/64", "2001:db8:5::1", 1000, 1999);
	{
		struct pkt_spec s = { .family = 6,
				      .proto = 58,
				      .src = "fd00:c::2",
				      .dst = "2001:db8:ff::1",
				      .sport = 7 };

		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
		ASSERT_ADDR(out + L3 + 8, "2001:db8:5::1", "echo source");
		id = out[L3 + 44] << 8 | out[L3 + 45];
		ASSERT_TRUE(id >= 1000 && id <= 1999, "identifier translated");
		ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum patched");
		s = (struct pkt_spec){ .family = 6,
				       .proto = 58,
				       .src = "2001:db8:ff::1",
				       .dst = "2001:db8:5::1",
				       .sport = id,
				       .icmp_type = 129 };
		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
		ASSERT_ADDR(out + L3 + 24, "fd00:c::2", "reply destination");
		ASSERT_EQ(out[L3 + 44] << 8 | out[L3 + 45], 7, "identifier restored");
		ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum patched");
	}
}

/* An ICMPv6 error about a masqueraded connection goes back inside, quote too. */
TEST(nat66_icmpv6_error_quote)
{
	static const int protos[] = { 17, 6, 58 };
	uint8_t f[256], q[256], e[512], chk[512];
	size_t n, nq, ne;
	int i;

	NEED_SETUP();
	clear_all();
	flush_flows();
	masq("fd00:c::/64", "2001:db8:5::1", 30000, 30999);
	for (i = 0; i < 3; i++) {
		struct pkt_spec s = { .family = 6,
				      .proto = protos[i],
				      .src = "fd00:c::2",
				      .dst = "2001:db8:ff::1",
				      .sport = 40000 + i,
				      .dport = 53,
				      .tcp_flags = PKT_SYN,
				      .payload = "q",
				      .payload_len = 1 };
		struct pkt_spec err = { .family = 6,
					.proto = 58,
					.src = "2001:db8:ff::fe",
					.dst = "2001:db8:5::1",
					.icmp_type = i == 0 ? 1 : 2,
					.icmp_code = i == 0 ? 4 : 0 };

		n = build(&s, f, sizeof(f));
		ASSERT_EQ(run(f, n), XDP_PASS, "outbound");
		/* the quote is the packet as it left, translated */
		memcpy(q, out, out_len);
		nq = out_len;
		err.payload = q + L3;
		err.payload_len = nq - L3;
		ne = build(&err, e, sizeof(e));
		ASSERT_EQ(run(e, ne), XDP_PASS, "error");
		ASSERT_ADDR(out + L3 + 24, "fd00:c::2", "outer destination");
		ASSERT_ADDR(out + L3 + 48 + 8, "fd00:c::2", "quoted source");
		ASSERT_EQ(out[L3 + 88 + (i == 2 ? 4 : 0)] << 8 | out[L3 + 89 + (i == 2 ? 4 : 0)],
			  40000 + i, "quoted port / identifier");
		ASSERT_TRUE(pkt_l4_csum_ok(out, out_len), "ICMPv6 checksum valid");
		/* the quote is whole here, so its own checksum can be checked too */
		memcpy(chk, out, L3);
		memcpy(chk + L3, out + L3 + 48, nq - L3);
		ASSERT_TRUE(pkt_l4_csum_ok(chk, nq), "quoted transport checksum valid");
		ASSERT_MEMEQ(chk + L3, f + L3, n - L3, "quote equals what the inside host sent");
	}
}

static __u32 active(void)
{
	struct nfx_nat_conf c = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(maps.nat_conf, &zero, &c);
	return c.active;
}

/* The datapath skips empty tables; the loader keeps the flags exact. */
TEST(active_flags_follow_the_tables)
{
	NEED_SETUP();
	clear_all();
	ASSERT_EQ(active(), 0, "nothing configured");
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	ASSERT_EQ(active(), NFX_NAT_ACTIVE_NPT, "a binding");
	masq("fd00:c::/64", "2001:db8:5::1", 1000, 1999);
	ASSERT_EQ(active(), NFX_NAT_ACTIVE_NPT | NFX_NAT_ACTIVE_NAT66, "and a rule");
	ASSERT_EQ(nfx_nat_set_fwd(&maps, NFX_FWD_KERNEL), 0, "forward mode");
	ASSERT_EQ(active(), NFX_NAT_ACTIVE_NPT | NFX_NAT_ACTIVE_NAT66, "kept by forward");
	clear_all();
	ASSERT_EQ(active(), 0, "all removed");
}

TEST(forward_mode_xdp_without_route_passes)
{
	struct pkt_spec s = PKT_TCP6("fd01:203:405:1::1234", 40000, "2001:db8:ff::1", 443, PKT_SYN);
	uint8_t f[256];
	size_t n;

	NEED_SETUP();
	clear_all();
	add("fd01:203:405::/48", "2001:db8:1::/48", ELSEWHERE);
	ASSERT_EQ(nfx_nat_set_fwd(&maps, NFX_FWD_XDP), 0, "mode");
	n = build(&s, f, sizeof(f));
	/* No route in this namespace for 2001:db8:ff::/48: the kernel gets it. */
	ASSERT_EQ(run(f, n), XDP_PASS, "verdict");
	ASSERT_ADDR(out + L3 + 8, "2001:db8:1:d550::1234", "translated all the same");
	nfx_nat_set_fwd(&maps, NFX_FWD_KERNEL);
}

int main(void)
{
	int rc = tap_run();

	nfx_xdp_bpf__destroy(skel);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The nfgrep matcher in the XDP pipeline, through BPF_PROG_TEST_RUN:
 * classification, tokens split over segments, out-of-order segments,
 * sub-protocols, give-up, and atomic reload.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/nfgc.h"
#include "nfx/libnfx.h"
#include "nfx/hash.h"
#include "nfx/config.h"
#include "nfx/consts.h"
#include "nfx_xdp.skel.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

static struct nfx_xdp_bpf *skel;
static const __u64 secret[2] = { 1, 2 };
static struct nfg_maps maps;

static const char *filters =
	"protocol http { transport tcp;\n"
	"  client { \"GET \" | \"POST \" at 0; \" HTTP/1.\" within 512; }\n"
	"  then yt; }\n"
	"protocol http.yt { client { nocase \"host: www.youtube.com\\r\\n\"; } }\n"
	"protocol ssh { transport tcp; packets 2; client { \"SSH-2.0-\" at 0; } }\n"
	"protocol pg { transport tcp; client { u32[0] >= 8; u16[4] == 3; len < 100; } }\n";

static int setup(void)
{
	struct nfx_config cfg = {};
	struct nfx_link_conf lc = { .ifindex = 1, .flags = NFX_CFG_READY };
	__u32 zero = 0;
	int i;

	if (geteuid())
		return -EPERM;
	skel = nfx_xdp_bpf__open();
	if (!skel)
		return -errno;
	memcpy((void *)skel->rodata->hash_key, secret, sizeof(secret));
	if (nfx_xdp_bpf__load(skel))
		return -EINVAL;
	memcpy(cfg.hash_key, secret, sizeof(secret));
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 3600;
	cfg.timeouts.udp_unreplied = cfg.timeouts.udp_assured = cfg.timeouts.other = 3600;
	cfg.flags = NFX_CFG_READY;
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0);
	if (nfg_matcher_install(bpf_map__fd(skel->maps.nfx_nfg_jmp),
				bpf_program__fd(skel->progs.nfx_nfgrep)))
		return -errno;
	maps.prog_fd = bpf_map__fd(skel->maps.nfx_nfg_prog);
	maps.active_fd = bpf_map__fd(skel->maps.nfx_nfg_active);
	maps.names_fd = bpf_map__fd(skel->maps.nfx_nfg_names);
	return 0;
}

static int install(const char *src)
{
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	int r;

	r = nfg_compile_buf("t.nfg", src, strlen(src), &c, err, sizeof(err));
	if (r)
		return r;
	r = nfg_install(&maps, &c);
	nfg_compiled_free(&c);
	return r;
}

static int send_fwd(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, const char *data,
		    size_t len)
{
	struct pkt_spec s = { .family = 4,
			      .proto = 6,
			      .src = "10.1.0.1",
			      .dst = "10.1.0.2",
			      .sport = sport,
			      .dport = dport,
			      .tcp_flags = flags,
			      .seq = seq,
			      .payload = data,
			      .payload_len = len };
	uint8_t buf[2048];
	size_t n = pkt_build(&s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = n, .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &o))
		return -errno;
	return (int)o.retval;
}

/* Reverse direction, from the server. */
static int send_back(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq)
{
	struct pkt_spec s = { .family = 4,
			      .proto = 6,
			      .src = "10.1.0.2",
			      .dst = "10.1.0.1",
			      .sport = dport,
			      .dport = sport,
			      .tcp_flags = flags,
			      .seq = seq };
	uint8_t buf[256];
	size_t n = pkt_build(&s, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = n, .repeat = 1);

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &o) ? -errno :
										  (int)o.retval;
}

static void handshake(uint16_t sport, uint16_t dport)
{
	send_fwd(sport, dport, PKT_SYN, 99, NULL, 0);
	send_back(sport, dport, PKT_SYN | PKT_ACK, 499);
	send_fwd(sport, dport, PKT_ACK, 100, NULL, 0);
}

static int app_of(uint16_t sport, uint16_t dport)
{
	union nfx_addr a, b;
	struct flow_key k;
	struct flow_entry e;
	__u64 h;

	nfx_addr_parse("10.1.0.1", &a);
	nfx_addr_parse("10.1.0.2", &b);
	nfx_flow_key_make(&k, NFX_AF_INET, 6, 0, &a, htons(sport), &b, htons(dport));
	h = nfx_flow_hash(&k, secret);
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows), &h, &e) ||
	    !bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows_new), &h, &e))
		return e.app_id;
	return -1;
}

static const char *name_of(int app)
{
	static struct nfg_name n;
	__u32 id = app;

	if (app <= 0 || app >= NFG_APPS_MAX || bpf_map_lookup_elem(maps.names_fd, &id, &n))
		return app == NFG_APP_NONE ? "none" : "?";
	return n.name;
}

#define REQ "GET / HTTP/1.1\r\nHost: www.youtube.com\r\n\r\n"

TEST(classify_one_segment)
{
	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	handshake(1001, 22);
	ASSERT_EQ(send_fwd(1001, 22, PKT_ACK | PKT_PSH, 100, "SSH-2.0-x\r\n", 11), NFX_XDP_PASS,
		  "verdict passed through the matcher");
	ASSERT_STREQ(name_of(app_of(1001, 22)), "ssh", "flow marked ssh");
}

TEST(token_split_over_five_segments)
{
	const char *r = REQ;
	size_t cuts[] = { 0, 2, 9, 27, 33, strlen(REQ) };
	int i;

	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	handshake(1002, 80);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(app_of(1002, 80), 0, "undecided before the last piece");
		send_fwd(1002, 80, PKT_ACK, 100 + cuts[i], r + cuts[i], cuts[i + 1] - cuts[i]);
	}
	ASSERT_STREQ(name_of(app_of(1002, 80)), "http.yt", "sub-protocol across segments");
}

TEST(out_of_order_segment_is_replayed)
{
	const char *r = REQ;

	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	handshake(1003, 80);
	/* [0,20) then [30,end) ahead of the gap, then [20,30) */
	send_fwd(1003, 80, PKT_ACK, 100, r, 20);
	send_fwd(1003, 80, PKT_ACK, 130, r + 30, strlen(r) - 30);
	ASSERT_EQ(app_of(1003, 80), 0, "held, not matched yet");
	send_fwd(1003, 80, PKT_ACK, 120, r + 20, 10);
	ASSERT_STREQ(name_of(app_of(1003, 80)), "http.yt", "gap filled, held segment replayed");
}

TEST(retransmission_does_not_double_count)
{
	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	handshake(1004, 5432);
	/* u32 length 12, version 3.0: split at 2, the first piece sent twice */
	send_fwd(1004, 5432, PKT_ACK, 100, "\x00\x00", 2);
	send_fwd(1004, 5432, PKT_ACK, 100, "\x00\x00", 2);
	send_fwd(1004, 5432, PKT_ACK, 102, "\x00\x0c\x00\x03\x00\x00uu", 8);
	ASSERT_STREQ(name_of(app_of(1004, 5432)), "pg", "numeric steps over a retransmission");
}

TEST(gives_up_after_the_packet_limit)
{
	__u32 zero = 0;
	__u64 before = 0, after = 0, vals[512];
	int i, ncpu = libbpf_num_possible_cpus();

	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	if (ncpu > 512)
		SKIP("too many CPUs for this test");
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_nfg_counts), &zero, vals);
	for (i = 0; i < ncpu; i++)
		before += vals[i];
	handshake(1005, 9);
	for (i = 0; i < 20 && !app_of(1005, 9); i++)
		send_fwd(1005, 9, PKT_ACK, 100 + i * 4, "abcd", 4);
	ASSERT_EQ(app_of(1005, 9), NFG_APP_NONE, "marked as matching nothing");
	ASSERT_LE(i, 8, "within the largest packet limit");
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_nfg_counts), &zero, vals);
	for (i = 0; i < ncpu; i++)
		after += vals[i];
	ASSERT_EQ(after - before, 1, "classification hook counted once");
}

TEST(reload_is_atomic_and_keeps_ids)
{
	int before, ssh_id;

	if (!skel)
		SKIP("needs root and a BPF-capable kernel");
	before = app_of(1001, 22);
	ssh_id = before;
	ASSERT_EQ(install("protocol redis { client { \"*1\\r\\n\" at 0; } }\n"
			  "protocol ssh { client { \"SSH-\" at 0; } }\n"),
		  0, "reload");
	ASSERT_EQ(app_of(1001, 22), before, "classified flow keeps its mark");
	handshake(1006, 22);
	send_fwd(1006, 22, PKT_ACK, 100, "SSH-1.99-y\r\n", 12);
	ASSERT_EQ(app_of(1006, 22), ssh_id, "same name, same app id after reload");
	handshake(1007, 6379);
	send_fwd(1007, 6379, PKT_ACK, 100, "*1\r\n$4\r\nPING\r\n", 14);
	ASSERT_STREQ(name_of(app_of(1007, 6379)), "redis", "new program in use");
}

int main(void)
{
	int r = setup();

	if (!r)
		r = install(filters);
	if (r) {
		if (skel)
			nfx_xdp_bpf__destroy(skel);
		skel = NULL;
		printf("# SKIP cannot load the pipeline (%s)\n", strerror(-r));
		return 4;
	}
	r = tap_run();
	nfx_xdp_bpf__destroy(skel);
	return r;
}

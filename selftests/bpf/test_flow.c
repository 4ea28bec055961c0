// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flow stage through BPF_PROG_TEST_RUN: one entry per connection, found
 * from both directions, following TCP through its whole life.
 */
#include <arpa/inet.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "../lib/pkt.h"
#include "nfx/libnfx.h"
#include "../lib/xdp_test.h"

static uint8_t frame[2048];

static int send_pkt(struct nfx_xdp_bpf *skel, struct pkt_spec *s)
{
	size_t n = pkt_build(s, frame, sizeof(frame));

	return n ? xdp_test_run(skel, frame, n) : -1;
}

/* c -> s with flags, then the reply direction with rflags (0: none) */
static void tcp(struct nfx_xdp_bpf *skel, int fam, const char *c, uint16_t cp, const char *s,
		uint16_t sp, uint8_t fl, bool from_client)
{
	struct pkt_spec p = { .family = fam, .proto = 6, .tcp_flags = fl };

	p.src = from_client ? c : s;
	p.dst = from_client ? s : c;
	p.sport = from_client ? cp : sp;
	p.dport = from_client ? sp : cp;
	ASSERT_EQ(send_pkt(skel, &p), 2 /* XDP_PASS */, "verdict");
}

static void handshake_and_close(int fam, const char *c, const char *s)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct flow_entry e;
	int tier;

	ASSERT_TRUE(skel, "load");
	tcp(skel, fam, c, 40000, s, 80, PKT_SYN, true);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, &tier), 0, "entry after SYN");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_SYN_SENT, "SYN_SENT");
	ASSERT_EQ(tier, 0, "unassured tier");
	tcp(skel, fam, c, 40000, s, 80, PKT_SYN | PKT_ACK, false);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, s, 80, c, 40000, &e, &tier), 0,
		  "same entry from reply");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_SYN_RECV, "SYN_RECV");
	ASSERT_FALSE(e.flags & FLOW_F_ASSURED, "not assured on SYN-ACK");
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK, true);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, &tier), 0, "entry after ACK");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_ESTABLISHED, "ESTABLISHED");
	ASSERT_TRUE(e.flags & FLOW_F_ASSURED, "assured");
	ASSERT_EQ(tier, 1, "moved to the assured tier");
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK | PKT_PSH, true);
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK | PKT_PSH, false);
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK | PKT_FIN, true);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, NULL), 0, "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_FIN_WAIT, "FIN_WAIT");
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK, false);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, NULL), 0, "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_CLOSE_WAIT, "CLOSE_WAIT");
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK | PKT_FIN, false);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, NULL), 0, "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_LAST_ACK, "LAST_ACK");
	tcp(skel, fam, c, 40000, s, 80, PKT_ACK, true);
	ASSERT_EQ(xdp_test_flow(skel, fam, 6, c, 40000, s, 80, &e, NULL), 0, "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_TIME_WAIT, "TIME_WAIT");

	/* One connection, one entry: 5 packets one way, 4 the other. */
	ASSERT_EQ(xdp_test_count(skel, 0) + xdp_test_count(skel, 1), 1, "exactly one entry");
	{
		struct nfx_flow_view v;
		char buf[64];

		nfx_flow_view(&e, &v);
		ASSERT_EQ(v.orig_packets, 5, "packets from the initiator");
		ASSERT_EQ(v.reply_packets, 4, "packets from the responder");
		ASSERT_EQ(v.sport, 40000, "initiator port");
		ASSERT_STREQ(nfx_addr_str(e.key.family, &v.src, buf, sizeof(buf)), c, "initiator");
	}
	ASSERT_EQ(e.invalid, 0, "no invalid transitions");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_FLOW_NEW), 1, "one creation");
	nfx_xdp_bpf__destroy(skel);
}

TEST(tcp4_lifecycle)
{
	handshake_and_close(4, "192.0.2.10", "198.51.100.20");
}
TEST(tcp6_lifecycle)
{
	handshake_and_close(6, "2001:db8::10", "2001:db8:1::20");
}
/* The responder sorts first: the canonical order differs from the initiator's. */
TEST(tcp4_lifecycle_reverse_order)
{
	handshake_and_close(4, "198.51.100.20", "192.0.2.10");
}

TEST(rst_closes)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct flow_entry e;

	ASSERT_TRUE(skel, "load");
	tcp(skel, 4, "192.0.2.1", 1000, "192.0.2.2", 22, PKT_SYN, true);
	tcp(skel, 4, "192.0.2.1", 1000, "192.0.2.2", 22, PKT_RST | PKT_ACK, false);
	ASSERT_EQ(xdp_test_flow(skel, 4, 6, "192.0.2.1", 1000, "192.0.2.2", 22, &e, NULL), 0,
		  "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_CLOSE, "CLOSE");
	nfx_xdp_bpf__destroy(skel);
}

TEST(invalid_transitions_counted)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct flow_entry e;

	ASSERT_TRUE(skel, "load");
	tcp(skel, 4, "192.0.2.1", 1000, "192.0.2.2", 22, PKT_SYN, true);
	/* ACK from the client before any SYN-ACK, and a SYN-ACK from the client */
	tcp(skel, 4, "192.0.2.1", 1000, "192.0.2.2", 22, PKT_ACK, true);
	tcp(skel, 4, "192.0.2.1", 1000, "192.0.2.2", 22, PKT_SYN | PKT_ACK, true);
	ASSERT_EQ(xdp_test_flow(skel, 4, 6, "192.0.2.1", 1000, "192.0.2.2", 22, &e, NULL), 0,
		  "entry");
	ASSERT_EQ(e.invalid, 2, "two invalid transitions");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_SYN_SENT, "state unchanged");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_TCP_INVALID), 2, "counter");
	nfx_xdp_bpf__destroy(skel);
}

TEST(syn_ack_flood_never_assured)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct flow_entry e;
	char src[32];
	int i;

	ASSERT_TRUE(skel, "load");
	/* Spoofed SYNs draw SYN-ACKs; without the final ACK nothing is assured. */
	for (i = 0; i < 100; i++) {
		snprintf(src, sizeof(src), "203.0.113.%d", i + 1);
		tcp(skel, 4, src, 1000 + i, "192.0.2.2", 80, PKT_SYN, true);
		tcp(skel, 4, src, 1000 + i, "192.0.2.2", 80, PKT_SYN | PKT_ACK, false);
	}
	ASSERT_EQ(xdp_test_count(skel, 1), 0, "assured tier empty");
	ASSERT_EQ(xdp_test_count(skel, 0), 100, "all in the unassured tier");
	ASSERT_EQ(xdp_test_flow(skel, 4, 6, "203.0.113.1", 1000, "192.0.2.2", 80, &e, NULL), 0,
		  "entry");
	ASSERT_EQ(e.tcp_state, FLOW_TCP_SYN_RECV, "SYN_RECV");
	nfx_xdp_bpf__destroy(skel);
}

TEST(udp_assured_when_replied)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec q = PKT_UDP6("fd00::1", 5353, "fd00::53", 53);
	struct pkt_spec r = PKT_UDP6("fd00::53", 53, "fd00::1", 5353);
	struct flow_entry e;
	int tier;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(send_pkt(skel, &q), 2, "query");
	ASSERT_EQ(xdp_test_flow(skel, 6, 17, "fd00::1", 5353, "fd00::53", 53, &e, &tier), 0,
		  "entry");
	ASSERT_FALSE(e.flags & FLOW_F_ASSURED, "unreplied");
	ASSERT_EQ(send_pkt(skel, &r), 2, "reply");
	ASSERT_EQ(xdp_test_flow(skel, 6, 17, "fd00::1", 5353, "fd00::53", 53, &e, &tier), 0,
		  "entry");
	ASSERT_TRUE(e.flags & FLOW_F_ASSURED, "assured");
	ASSERT_EQ(tier, 1, "assured tier");
	ASSERT_EQ(xdp_test_count(skel, 0) + xdp_test_count(skel, 1), 1, "one entry");
	nfx_xdp_bpf__destroy(skel);
}

TEST(same_address_different_ports)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec a = PKT_UDP4("192.0.2.7", 9000, "192.0.2.7", 8000);
	struct pkt_spec b = PKT_UDP4("192.0.2.7", 8000, "192.0.2.7", 9000);
	struct flow_entry e;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(send_pkt(skel, &a), 2, "a");
	ASSERT_EQ(send_pkt(skel, &b), 2, "b");
	ASSERT_EQ(xdp_test_count(skel, 0) + xdp_test_count(skel, 1), 1, "one entry");
	ASSERT_EQ(xdp_test_flow(skel, 4, 17, "192.0.2.7", 9000, "192.0.2.7", 8000, &e, NULL), 0,
		  "entry");
	ASSERT_EQ(ntohs(e.key.lo_port), 8000, "lower port first");
	ASSERT_TRUE(e.flags & FLOW_F_ASSURED, "both ways seen");
	nfx_xdp_bpf__destroy(skel);
}

TEST(icmp_echo_one_entry_errors_untracked)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec req = {
		.family = 4, .proto = 1, .src = "192.0.2.1", .dst = "192.0.2.2", .sport = 77
	};
	struct pkt_spec rep = { .family = 4,
				.proto = 1,
				.src = "192.0.2.2",
				.dst = "192.0.2.1",
				.sport = 77,
				.echo_reply = true };
	struct pkt_spec err = {
		.family = 4, .proto = 1, .src = "192.0.2.9", .dst = "192.0.2.1", .icmp_type = 3
	};

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(send_pkt(skel, &req), 2, "request");
	ASSERT_EQ(send_pkt(skel, &rep), 2, "reply");
	ASSERT_EQ(send_pkt(skel, &err), 2, "error");
	ASSERT_EQ(xdp_test_count(skel, 1), 1, "echo pair is one assured entry");
	ASSERT_EQ(xdp_test_count(skel, 0), 0, "errors create nothing");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_FLOW_HIT), 1, "reply hit the request's entry");
	nfx_xdp_bpf__destroy(skel);
}

TEST(zones_separate_flows)
{
	struct xdp_test_opts o = { .zone = 7 };
	struct nfx_xdp_bpf *skel = xdp_test_load(&o);
	struct pkt_spec q = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct flow_entry e;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(send_pkt(skel, &q), 2, "pkt");
	ASSERT_EQ(xdp_test_flow(skel, 4, 17, "192.0.2.1", 1, "192.0.2.2", 2, &e, NULL), 0, "entry");
	ASSERT_EQ(e.key.zone, 7, "zone in key");
	nfx_xdp_bpf__destroy(skel);
}

TEST(v4_and_mapped_v6_are_different_flows)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec a = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct pkt_spec b = PKT_UDP6("::ffff:192.0.2.1", 1, "::ffff:192.0.2.2", 2);

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(send_pkt(skel, &a), 2, "v4");
	ASSERT_EQ(send_pkt(skel, &b), 2, "mapped v6");
	ASSERT_EQ(xdp_test_count(skel, 0), 2, "two entries");
	nfx_xdp_bpf__destroy(skel);
}

TEST(malformed_and_vlan_counted)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec v = PKT_TCP4("192.0.2.1", 1, "192.0.2.2", 2, PKT_SYN);
	size_t n, cut;

	ASSERT_TRUE(skel, "load");
	v.vlans = 1;
	n = pkt_build(&v, frame, sizeof(frame));
	ASSERT_EQ(xdp_test_run(skel, frame, n), 2, "vlan frame passes");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_VLAN), 1, "vlan counted");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_TCP), 1, "tcp counted");
	/* test_run needs at least an Ethernet header */
	for (cut = 14; cut < n; cut++)
		ASSERT_EQ(xdp_test_run(skel, frame, cut), 2, "truncated frame passes");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_MALFORMED), n - 14, "every truncation counted");
	ASSERT_EQ(xdp_test_count(skel, 0), 1, "no entry from malformed frames");
	frame[14 + 4 + 2] = 0xff;	/* IPv4 total length way beyond the frame */
	ASSERT_EQ(xdp_test_run(skel, frame, n), 2, "bogus length passes");
	ASSERT_EQ(xdp_test_stat(skel, NFX_STAT_MALFORMED), n - 14 + 1, "bogus length counted");
	nfx_xdp_bpf__destroy(skel);
}

int main(void)
{
	if (geteuid()) {
		printf("# SKIP needs root for BPF_PROG_TEST_RUN\n");
		return 4;
	}
	return tap_run();
}

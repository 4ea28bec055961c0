// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The datapath's packet parser, compiled for user space. */
#include "lib/parse.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

/*
 * Frames start 2 bytes into an aligned buffer, so the IP header is 4-byte
 * aligned as the C types it is read through require (NET_IP_ALIGN).
 */
static uint8_t raw[2048 + 2] __attribute__((aligned(8)));
static uint8_t *const buf = raw + 2;

static int parse(const struct pkt_spec *s, struct nfx_pkt *p, size_t *len)
{
	size_t n = pkt_build(s, buf, sizeof(raw) - 2);

	if (len)
		*len = n;
	return nfx_parse(buf, buf + n, p);
}

TEST(tcp4)
{
	struct pkt_spec s = PKT_TCP4("192.0.2.1", 1234, "198.51.100.7", 80, PKT_SYN);
	struct nfx_pkt p;
	size_t n;

	ASSERT_EQ(parse(&s, &p, &n), NFX_PARSE_L4, "result");
	ASSERT_EQ(p.family, NFX_AF_INET, "family");
	ASSERT_EQ(p.l4proto, 6, "proto");
	ASSERT_EQ(ntohs(p.sport), 1234, "sport");
	ASSERT_EQ(ntohs(p.dport), 80, "dport");
	ASSERT_EQ(p.tcp_flags, PKT_SYN, "flags");
	ASSERT_EQ(p.payload_off, 14 + 20 + 20, "payload offset");
	ASSERT_EQ(p.saddr.v4, inet_addr("192.0.2.1"), "saddr");
	ASSERT_EQ(ntohl(p.saddr.pad[2]), 0xffff, "v4-mapped");
	ASSERT_EQ(p.len, n, "len");
}

TEST(udp6_with_payload)
{
	struct pkt_spec s = PKT_UDP6("2001:db8::1", 5353, "2001:db8::2", 53);
	struct nfx_pkt p;

	s.payload = "hello";
	s.payload_len = 5;
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L4, "result");
	ASSERT_EQ(p.family, NFX_AF_INET6, "family");
	ASSERT_EQ(p.payload_end - p.payload_off, 5, "payload length");
	ASSERT_EQ(p.daddr.b[15], 2, "daddr");
}

TEST(vlan_double_tagged)
{
	struct pkt_spec s = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct nfx_pkt p;

	s.vlans = 2;
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L4, "result");
	ASSERT_EQ(p.vlan_depth, 2, "depth");
	ASSERT_EQ(p.vlan_id, 100, "outer vid");
	ASSERT_EQ(p.l3_off, 22, "l3 offset");
}

TEST(ipv6_ext_headers)
{
	struct pkt_spec s = PKT_TCP6("fd00::1", 40000, "fd00::2", 443, PKT_ACK);
	struct nfx_pkt p;

	s.ext_hdrs = 3;
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L4, "3 ext headers");
	ASSERT_EQ(p.l4_off, 14 + 40 + 24, "l4 offset");
	ASSERT_EQ(ntohs(p.dport), 443, "dport");
	s.ext_hdrs = NFX_IPV6_EXT_MAX + 1;
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L3, "beyond the walk bound: L3 only");
}

TEST(fragments)
{
	struct pkt_spec s = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct nfx_pkt p;

	s.frag_later = true;
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L3, "v4 later fragment");
	ASSERT_EQ(p.frag, NFX_FRAG_LATER, "v4 frag");
	s.family = 6;
	s.src = "fd00::1";
	s.dst = "fd00::2";
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L3, "v6 later fragment");
	ASSERT_EQ(p.frag, NFX_FRAG_LATER, "v6 frag");
}

TEST(icmp_echo_id_as_ports)
{
	struct pkt_spec s = {
		.family = 4, .proto = 1, .src = "192.0.2.1", .dst = "192.0.2.2", .sport = 0xbeef
	};
	struct nfx_pkt p;

	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L4, "result");
	ASSERT_EQ(ntohs(p.sport), 0xbeef, "id in sport");
	ASSERT_EQ(ntohs(p.dport), 0xbeef, "id in dport");
	s.icmp_type = 3;	/* unreachable: no id */
	ASSERT_EQ(parse(&s, &p, NULL), NFX_PARSE_L4, "error result");
	ASSERT_EQ(p.sport, 0, "no id for errors");
}

TEST(truncated_everywhere)
{
	struct pkt_spec specs[] = {
		PKT_TCP4("192.0.2.1", 1, "192.0.2.2", 2, PKT_SYN),
		PKT_UDP6("fd00::1", 1, "fd00::2", 2),
	};
	struct nfx_pkt p;
	size_t i, n, cut;

	for (i = 0; i < 2; i++) {
		n = pkt_build(&specs[i], buf, sizeof(raw) - 2);
		ASSERT_EQ(nfx_parse(buf, buf + n, &p), NFX_PARSE_L4, "whole frame");
		/* Every shorter frame must be malformed, never read past the end. */
		for (cut = 0; cut < n; cut++)
			ASSERT_EQ(nfx_parse(buf, buf + cut, &p), NFX_PARSE_MALFORMED, "truncated");
	}
}

TEST(bogus_lengths)
{
	struct pkt_spec s = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct nfx_pkt p;
	size_t n = pkt_build(&s, buf, sizeof(raw) - 2);

	buf[14] = 0x44;			/* IHL 4 < 5 */
	ASSERT_EQ(nfx_parse(buf, buf + n, &p), NFX_PARSE_MALFORMED, "ihl < 5");
	n = pkt_build(&s, buf, sizeof(raw) - 2);
	buf[16] = 0x10;			/* total length beyond the frame */
	ASSERT_EQ(nfx_parse(buf, buf + n, &p), NFX_PARSE_MALFORMED, "tot_len > frame");
	n = pkt_build(&s, buf, sizeof(raw) - 2);
	buf[14 + 20 + 5] = 100;		/* UDP length beyond the datagram */
	ASSERT_EQ(nfx_parse(buf, buf + n, &p), NFX_PARSE_MALFORMED, "udp len > ip payload");
	n = pkt_build(&s, buf, sizeof(raw) - 2);
	buf[14] = 0x65;			/* version 6 in an IPv4 ethertype */
	ASSERT_EQ(nfx_parse(buf, buf + n, &p), NFX_PARSE_MALFORMED, "version mismatch");
}

TEST(padding_is_not_payload)
{
	struct pkt_spec s = PKT_UDP4("192.0.2.1", 1, "192.0.2.2", 2);
	struct nfx_pkt p;
	size_t n = pkt_build(&s, buf, sizeof(raw) - 2);

	/* Ethernet pads short frames to 60 bytes; the IP length rules. */
	ASSERT_EQ(nfx_parse(buf, buf + 60, &p), NFX_PARSE_L4, "padded frame");
	ASSERT_EQ(p.payload_end, n, "payload ends at the IP length");
}

TEST(not_ip)
{
	struct nfx_pkt p;

	memset(buf, 0, 64);
	buf[12] = 0x08;
	buf[13] = 0x06;			/* ARP */
	ASSERT_EQ(nfx_parse(buf, buf + 60, &p), NFX_PARSE_NOT_IP, "arp");
	ASSERT_EQ(p.eth_proto, 0x0806, "ethertype");
}

int main(void)
{
	return tap_run();
}

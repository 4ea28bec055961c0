/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet builder for selftests: Ethernet (+VLAN), IPv4/IPv6 (+extension
 * headers), TCP/UDP/ICMP/ICMPv6 with correct checksums.
 *
 *	struct pkt_spec s = PKT_TCP4("10.0.0.1", 1234, "10.0.0.2", 80, PKT_SYN);
 *	size_t len = pkt_build(&s, buf, sizeof(buf));
 */
#ifndef NFX_SELFTEST_PKT_H
#define NFX_SELFTEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10

struct pkt_spec {
	int family;		/* 4 or 6 */
	int proto;		/* 6, 17, 1, 58, or any other number */
	const char *src, *dst;	/* textual addresses */
	uint16_t sport, dport;	/* ICMP echo: sport is the identifier */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint8_t icmp_type;	/* 0: echo request (or reply) of the family */
	bool echo_reply;	/* with icmp_type 0: an echo reply */
	uint8_t icmp_code;
	const void *payload;
	size_t payload_len;
	int vlans;		/* VLAN tags to push (0..2) */
	int ext_hdrs;		/* IPv6 destination-options headers to add */
	bool frag_later;	/* mark as a non-first fragment */
	uint8_t ttl;		/* 0: 64 */
};

/* Build the frame into buf; returns its length, 0 if buf is too small. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t len);

/* Internet checksum helpers, exported for tests that verify rewrites. */
uint32_t pkt_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t pkt_csum_fold(uint32_t sum);
/* Verify the L4 checksum of a frame built by pkt_build (after rewrites). */
bool pkt_l4_csum_ok(const uint8_t *frame, size_t len);
/* Verify the IPv4 header checksum. */
bool pkt_ip4_csum_ok(const uint8_t *frame, size_t len);

/* One initialiser per line. */
/* clang-format off */
#define PKT_TCP4(s, sp, d, dp, fl) \
	{ .family = 4, .proto = 6, .src = (s), .dst = (d), .sport = (sp), .dport = (dp), .tcp_flags = (fl) }
#define PKT_TCP6(s, sp, d, dp, fl) \
	{ .family = 6, .proto = 6, .src = (s), .dst = (d), .sport = (sp), .dport = (dp), .tcp_flags = (fl) }
#define PKT_UDP4(s, sp, d, dp) \
	{ .family = 4, .proto = 17, .src = (s), .dst = (d), .sport = (sp), .dport = (dp) }
#define PKT_UDP6(s, sp, d, dp) \
	{ .family = 6, .proto = 17, .src = (s), .dst = (d), .sport = (sp), .dport = (dp) }
/* clang-format on */

#endif /* NFX_SELFTEST_PKT_H */

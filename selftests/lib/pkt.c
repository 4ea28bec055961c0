// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <string.h>

#include "pkt.h"

uint32_t pkt_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Pseudo-header sum for the L4 checksum. */
static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, int proto,
			   size_t l4len)
{
	int alen = family == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = pkt_csum_partial(src, alen, sum);
	sum = pkt_csum_partial(dst, alen, sum);
	sum += proto;
	sum += (uint32_t)l4len;
	return sum;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t len)
{
	uint8_t src[16] = {}, dst[16] = {};
	size_t off = 0, l3, l4, l4len, hlen = 0, plen = s->payload_len;
	int i;
	int ext = s->family == 6 ? s->ext_hdrs + (s->frag_later ? 1 : 0) : 0;
	uint8_t nh;

	if (inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->src, src) != 1 ||
	    inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->dst, dst) != 1)
		return 0;
	switch (s->proto) {
	case 6:
		hlen = 20;
		break;
	case 17:
	case 1:
	case 58:
		hlen = 8;
		break;
	default:
		hlen = 0;
	}
	if (len < 14 + 4 * (size_t)s->vlans + 40 + ext * 8 + hlen + plen)
		return 0;
	memset(buf, 0, 14 + 4 * s->vlans + 40 + ext * 8 + hlen + plen);

	/* Ethernet: locally administered MACs */
	memcpy(buf, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
	off = 12;
	for (i = 0; i < s->vlans; i++) {
		put16(buf + off, i ? 0x8100 : (s->vlans > 1 ? 0x88a8 : 0x8100));
		put16(buf + off + 2, 100 + i);
		off += 4;
	}
	put16(buf + off, s->family == 4 ? 0x0800 : 0x86dd);
	off += 2;
	l3 = off;
	l4 = l3 + (s->family == 4 ? 20 : 40 + ext * 8);
	l4len = hlen + plen;

	if (s->family == 4) {
		uint8_t *ip = buf + l3;

		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, 0x1234);
		if (s->frag_later)
			put16(ip + 6, 100);	/* offset 800 bytes */
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, pkt_csum_fold(pkt_csum_partial(ip, 20, 0)));
	} else {
		uint8_t *ip = buf + l3;
		size_t e = l3 + 40;

		put32(ip, 0x60000000);
		put16(ip + 4, ext * 8 + l4len);
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		nh = 60;		/* destination options */
		ip[6] = ext ? (s->frag_later ? 44 : 60) : s->proto;
		for (i = 0; i < ext; i++, e += 8) {
			bool last = i == ext - 1;
			bool frag = s->frag_later && i == 0;

			buf[e] = last ? s->proto : nh;
			if (frag) {
				buf[e] = ext > 1 ? nh : s->proto;
				put16(buf + e + 2, 100 << 3);	/* offset, no M */
			} else {
				buf[e + 1] = 0;			/* 8 bytes */
				buf[e + 2] = 1;			/* PadN */
				buf[e + 3] = 4;
			}
		}
	}
	if (s->payload && plen)
		memcpy(buf + l4 + hlen, s->payload, plen);

	if (s->proto == 6) {
		uint8_t *t = buf + l4;

		put16(t, s->sport);
		put16(t + 2, s->dport);
		put32(t + 4, s->seq);
		put32(t + 8, s->ack);
		t[12] = 5 << 4;
		t[13] = s->tcp_flags;
		put16(t + 14, 65535);
		put16(t + 16, pkt_csum_fold(pkt_csum_partial(
				      t, l4len, pseudo_sum(s->family, src, dst, 6, l4len))));
	} else if (s->proto == 17) {
		uint8_t *u = buf + l4;
		uint16_t c;

		put16(u, s->sport);
		put16(u + 2, s->dport);
		put16(u + 4, l4len);
		c = pkt_csum_fold(
			pkt_csum_partial(u, l4len, pseudo_sum(s->family, src, dst, 17, l4len)));
		put16(u + 6, c ? c : 0xffff);
	} else if (s->proto == 1 || s->proto == 58) {
		uint8_t *c = buf + l4;
		uint32_t sum = 0;

		if (s->icmp_type)
			c[0] = s->icmp_type;
		else if (s->echo_reply)
			c[0] = s->proto == 1 ? 0 : 129;
		else
			c[0] = s->proto == 1 ? 8 : 128;
		c[1] = s->icmp_code;
		put16(c + 4, s->sport);
		put16(c + 6, 1);
		if (s->proto == 58)
			sum = pseudo_sum(6, src, dst, 58, l4len);
		put16(c + 2, pkt_csum_fold(pkt_csum_partial(c, l4len, sum)));
	}
	return l4 + l4len;
}

/* Walk to the L3 header of a frame built above. */
static size_t l3_off(const uint8_t *f, size_t len, int *family)
{
	size_t off = 12;

	while (off + 2 <= len &&
	       ((f[off] << 8 | f[off + 1]) == 0x8100 || (f[off] << 8 | f[off + 1]) == 0x88a8))
		off += 4;
	if (off + 2 > len)
		return 0;
	*family = (f[off] << 8 | f[off + 1]) == 0x0800 ? 4 : 6;
	return off + 2;
}

bool pkt_ip4_csum_ok(const uint8_t *f, size_t len)
{
	int family;
	size_t l3 = l3_off(f, len, &family);

	if (!l3 || family != 4 || l3 + 20 > len)
		return false;
	return pkt_csum_fold(pkt_csum_partial(f + l3, (f[l3] & 15) * 4, 0)) == 0;
}

bool pkt_l4_csum_ok(const uint8_t *f, size_t len)
{
	int family, proto;
	size_t l3 = l3_off(f, len, &family), l4, l4len;
	uint32_t sum;

	if (!l3)
		return false;
	if (family == 4) {
		l4 = l3 + (f[l3] & 15) * 4;
		proto = f[l3 + 9];
		l4len = (f[l3 + 2] << 8 | f[l3 + 3]) - (l4 - l3);
		sum = proto == 1 ? 0 : pseudo_sum(4, f + l3 + 12, f + l3 + 16, proto, l4len);
	} else {
		uint8_t nh = f[l3 + 6];

		l4 = l3 + 40;
		while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
			uint8_t next = f[l4];

			l4 += nh == 44 ? 8 : (f[l4 + 1] + 1) * 8;
			nh = next;
		}
		proto = nh;
		l4len = (f[l3 + 4] << 8 | f[l3 + 5]) - (l4 - l3 - 40);
		sum = pseudo_sum(6, f + l3 + 8, f + l3 + 24, proto, l4len);
	}
	if (l4 + l4len > len)
		return false;
	return pkt_csum_fold(pkt_csum_partial(f + l4, l4len, sum)) == 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parser: Ethernet (+ up to NFX_VLAN_MAX VLAN tags), IPv4, IPv6
 * with a bounded walk over extension headers, TCP, UDP, ICMP and ICMPv6.
 *
 * It is the shared front of every stage, so it trusts nothing: every read
 * is bounds-checked against data_end (the verifier insists, and the same
 * code runs over fuzzed buffers in user space), and every length field is
 * checked against what the frame really holds.
 */
#ifndef NFX_BPF_PARSE_H
#define NFX_BPF_PARSE_H

#include "compat.h"

enum nfx_parse_result {
	NFX_PARSE_L4 = 0,	/* IP with a transport header (ports valid) */
	NFX_PARSE_L3,		/* IP without one: later fragment, ESP, ... */
	NFX_PARSE_NOT_IP,	/* ARP, LLDP, unknown ethertype */
	NFX_PARSE_MALFORMED,	/* truncated or inconsistent: count, pass on */
};

#define NFX_FRAG_NONE 0
#define NFX_FRAG_FIRST 1	/* offset 0, more fragments: L4 header present */
#define NFX_FRAG_LATER 2	/* no L4 header in this packet */

struct nfx_pkt {
	__u32 len;		/* frame length */
	__u32 l3_len;		/* IP length the header claims (<= what is there) */
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_off;	/* first byte after the L4 header */
	__u16 payload_end;	/* end of the IP datagram (drops L2 padding) */
	__u16 eth_proto;	/* host order, after VLAN tags */
	__u16 vlan_id;		/* outermost tag, 0 if none */
	__u8 family;		/* NFX_AF_INET / NFX_AF_INET6 / 0 */
	__u8 l4proto;
	__u8 vlan_depth;
	__u8 frag;		/* NFX_FRAG_* */
	__u8 tcp_flags;		/* FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ttl;		/* TTL / hop limit */
	__be16 sport;		/* ICMP echo: identifier */
	__be16 dport;		/* ICMP echo: identifier */
	__u32 pad;
	union nfx_addr saddr;
	union nfx_addr daddr;
};

#define NFX_TCP_FIN 0x01
#define NFX_TCP_SYN 0x02
#define NFX_TCP_RST 0x04
#define NFX_TCP_PSH 0x08
#define NFX_TCP_ACK 0x10

/* Header of the IPv6 options / routing extension headers. */
struct nfx_ipv6_opt {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct nfx_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline void nfx_addr_set_v4(union nfx_addr *a, __be32 v4)
{
	a->pad[0] = 0;
	a->pad[1] = 0;
	a->pad[2] = nfx_htonl(0x0000ffff);
	a->v4 = v4;
}

static __always_inline bool nfx_icmp_is_echo(__u8 family, __u8 type)
{
	if (family == NFX_AF_INET)
		return type == 8 || type == 0;		/* request, reply */
	return type == 128 || type == 129;
}

/*
 * Transport header: ports, flags, payload start. Two checks guard every
 * read: the pointer against data_end (what the verifier tracks) and the
 * offset against the end of the IP datagram (what the header claims).
 */
static __always_inline int nfx_parse_l4(void *data, void *data_end, struct nfx_pkt *pkt)
{
	__u32 off = pkt->l4_off;
	__u32 room = pkt->payload_end - off;
	void *l4;

	if (pkt->payload_end < off)
		return NFX_PARSE_MALFORMED;
	/*
	 * The verifier only trusts a packet pointer whose variable offset is
	 * well below 64 KiB; headers deeper than this are not inspected.
	 */
	if (off > NFX_L4_OFF_MAX)
		return NFX_PARSE_L3;
	l4 = data + off;

	switch (pkt->l4proto) {
	case NFX_IPPROTO_TCP: {
		struct tcphdr *th = l4;
		__u32 hlen;

		if ((void *)(th + 1) > data_end || room < sizeof(*th))
			return NFX_PARSE_MALFORMED;
		hlen = th->doff * 4;
		if (hlen < sizeof(*th) || hlen > room)
			return NFX_PARSE_MALFORMED;
		pkt->sport = th->source;
		pkt->dport = th->dest;
		pkt->tcp_flags = ((__u8 *)th)[13] & 0x3f;
		pkt->payload_off = pkt->l4_off + hlen;
		return NFX_PARSE_L4;
	}
	case NFX_IPPROTO_UDP: {
		struct udphdr *uh = l4;
		__u32 ulen;

		if ((void *)(uh + 1) > data_end || room < sizeof(*uh))
			return NFX_PARSE_MALFORMED;
		ulen = nfx_ntohs(uh->len);
		/* The UDP length may not exceed the IP payload. */
		if (ulen < sizeof(*uh) || ulen > room)
			return NFX_PARSE_MALFORMED;
		pkt->sport = uh->source;
		pkt->dport = uh->dest;
		pkt->payload_off = pkt->l4_off + sizeof(*uh);
		pkt->payload_end = pkt->l4_off + ulen;
		return NFX_PARSE_L4;
	}
	case NFX_IPPROTO_ICMP:
	case NFX_IPPROTO_ICMPV6: {
		/* type, code, checksum, then id and sequence for echo */
		__u8 *ih = l4;

		if ((void *)(ih + 8) > data_end || room < 8)
			return NFX_PARSE_MALFORMED;
		if ((pkt->l4proto == NFX_IPPROTO_ICMP) != (pkt->family == NFX_AF_INET))
			return NFX_PARSE_L3;	/* ICMP over v6 or ICMPv6 over v4 */
		pkt->icmp_type = ih[0];
		pkt->icmp_code = ih[1];
		if (nfx_icmp_is_echo(pkt->family, ih[0])) {
			pkt->sport = *(__be16 *)(ih + 4);
			pkt->dport = pkt->sport;
		}
		pkt->payload_off = pkt->l4_off + 8;
		return NFX_PARSE_L4;
	}
	}
	return NFX_PARSE_L3;
}

static __always_inline int nfx_parse_ipv4(void *data, void *data_end, struct nfx_pkt *pkt)
{
	struct iphdr *iph = data + pkt->l3_off;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > data_end)
		return NFX_PARSE_MALFORMED;
	hlen = iph->ihl * 4;
	tot = nfx_ntohs(iph->tot_len);
	/*
	 * Lengths are checked as offsets against the frame length, not as
	 * pointers: the 6.1 verifier loses the bounds of a byte-swapped
	 * length and rejects pointer arithmetic with it.
	 */
	if (iph->version != 4 || hlen < sizeof(*iph) || tot < hlen ||
	    (__u32)pkt->l3_off + tot > pkt->len)
		return NFX_PARSE_MALFORMED;

	pkt->family = NFX_AF_INET;
	pkt->l4proto = iph->protocol;
	pkt->ttl = iph->ttl;
	pkt->l3_len = tot;
	pkt->l4_off = pkt->l3_off + hlen;
	pkt->payload_end = pkt->l3_off + tot;
	nfx_addr_set_v4(&pkt->saddr, iph->saddr);
	nfx_addr_set_v4(&pkt->daddr, iph->daddr);

	frag = nfx_ntohs(iph->frag_off);
	if (frag & 0x1fff) {
		pkt->frag = NFX_FRAG_LATER;
		return NFX_PARSE_L3;
	}
	if (frag & 0x2000)
		pkt->frag = NFX_FRAG_FIRST;
	return nfx_parse_l4(data, data_end, pkt);
}

static __always_inline int nfx_parse_ipv6(void *data, void *data_end, struct nfx_pkt *pkt)
{
	struct ipv6hdr *ip6h = data + pkt->l3_off;
	void *cur = (void *)(ip6h + 1);
	__u32 plen;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return NFX_PARSE_MALFORMED;
	plen = nfx_ntohs(ip6h->payload_len);
	/* Jumbograms (payload_len 0) never cross an Ethernet link. */
	if (ip6h->version != 6 || plen == 0 || (__u32)pkt->l3_off + sizeof(*ip6h) + plen > pkt->len)
		return NFX_PARSE_MALFORMED;

	pkt->family = NFX_AF_INET6;
	pkt->ttl = ip6h->hop_limit;
	pkt->l3_len = plen + sizeof(*ip6h);
	pkt->payload_end = pkt->l3_off + pkt->l3_len;
	__builtin_memcpy(&pkt->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(&pkt->daddr, &ip6h->daddr, 16);
	nexthdr = ip6h->nexthdr;

	for (i = 0; i < NFX_IPV6_EXT_MAX; i++) {
		struct nfx_ipv6_opt *opt = cur;
		__u32 len;

		switch (nexthdr) {
		case NFX_IPPROTO_HOPOPTS:
		case NFX_IPPROTO_ROUTING:
		case NFX_IPPROTO_DSTOPTS:
			if ((void *)(opt + 1) > data_end)
				return NFX_PARSE_MALFORMED;
			len = ((__u32)opt->hdrlen + 1) * 8;
			break;
		case NFX_IPPROTO_AH:
			if ((void *)(opt + 1) > data_end)
				return NFX_PARSE_MALFORMED;
			len = ((__u32)opt->hdrlen + 2) * 4;
			break;
		case NFX_IPPROTO_FRAGMENT: {
			__be16 *off = cur + 2;

			if ((void *)(off + 1) > data_end)
				return NFX_PARSE_MALFORMED;
			len = 8;
			if (nfx_ntohs(*off) & 0xfff8)
				pkt->frag = NFX_FRAG_LATER;
			else if (nfx_ntohs(*off) & 1)
				pkt->frag = NFX_FRAG_FIRST;
			break;
		}
		default:
			goto done;
		}
		nexthdr = opt->nexthdr;
		cur += len;
		if (cur - data > pkt->payload_end)
			return NFX_PARSE_MALFORMED;
		if (pkt->frag == NFX_FRAG_LATER)
			break;
	}
	/* Still in an extension header chain after the bound: give up on L4. */
	pkt->l4proto = nexthdr;
	pkt->l4_off = cur - data;
	return NFX_PARSE_L3;
done:
	pkt->l4proto = nexthdr;
	pkt->l4_off = cur - data;
	if (pkt->frag == NFX_FRAG_LATER)
		return NFX_PARSE_L3;
	return nfx_parse_l4(data, data_end, pkt);
}

/* Parse one frame. pkt is fully written whatever the result. */
static __always_inline int nfx_parse(void *data, void *data_end, struct nfx_pkt *pkt)
{
	struct ethhdr *eth = data;
	__u16 proto;
	int i;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	pkt->len = data_end - data;
	if ((void *)(eth + 1) > data_end)
		return NFX_PARSE_MALFORMED;
	proto = nfx_ntohs(eth->h_proto);
	pkt->l3_off = sizeof(*eth);

	NFX_UNROLL
	for (i = 0; i < NFX_VLAN_MAX; i++) {
		struct nfx_vlan_hdr *vh = data + pkt->l3_off;

		if (proto != NFX_ETH_P_8021Q && proto != NFX_ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > data_end)
			return NFX_PARSE_MALFORMED;
		if (!pkt->vlan_depth)
			pkt->vlan_id = nfx_ntohs(vh->tci) & 0x0fff;
		pkt->vlan_depth++;
		proto = nfx_ntohs(vh->proto);
		pkt->l3_off += sizeof(*vh);
	}
	pkt->eth_proto = proto;

	if (proto == NFX_ETH_P_IP)
		return nfx_parse_ipv4(data, data_end, pkt);
	if (proto == NFX_ETH_P_IPV6)
		return nfx_parse_ipv6(data, data_end, pkt);
	return NFX_PARSE_NOT_IP;
}

#endif /* NFX_BPF_PARSE_H */

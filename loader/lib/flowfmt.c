// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Presenting flow entries: endpoints in the initiator's order, names. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nfx/libnfx.h"

void nfx_flow_view(const struct flow_entry *e, struct nfx_flow_view *v)
{
	bool init_hi = e->flags & FLOW_F_INIT_HI;
	int o = init_hi ? FLOW_DIR_HI_LO : FLOW_DIR_LO_HI;

	v->src = init_hi ? e->key.hi_addr : e->key.lo_addr;
	v->dst = init_hi ? e->key.lo_addr : e->key.hi_addr;
	v->sport = ntohs(init_hi ? e->key.hi_port : e->key.lo_port);
	v->dport = ntohs(init_hi ? e->key.lo_port : e->key.hi_port);
	v->orig_packets = e->packets[o];
	v->orig_bytes = e->bytes[o];
	v->reply_packets = e->packets[!o];
	v->reply_bytes = e->bytes[!o];
}

const char *nfx_addr_str(__u8 family, const union nfx_addr *a, char *buf, size_t len)
{
	if (family == NFX_AF_INET)
		inet_ntop(AF_INET, &a->v4, buf, len);
	else
		inet_ntop(AF_INET6, a->b, buf, len);
	return buf;
}

int nfx_addr_parse(const char *s, union nfx_addr *a)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a->pad[2] = htonl(0x0000ffff);
		a->v4 = v4.s_addr;
		return NFX_AF_INET;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return NFX_AF_INET6;
	return -EINVAL;
}

const char *nfx_proto_name(__u8 proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		return "other";
	}
}

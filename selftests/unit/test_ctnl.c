// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ctnetlink parser against messages captured from a real kernel
 * (fuzz/corpus/ctnetlink/, made by `conntrack -I/-D` in a namespace and a
 * table dump) and against broken variants of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "../lib/tap.h"

static uint32_t buf[16384];	/* 4-byte aligned, like a receive buffer */

static size_t load(const char *name)
{
	const char *root = getenv("NFX_ROOT");
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/ctnetlink/%s", root ? root : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return (size_t)-1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n;
}

struct walk {
	struct nfx_event ev[8];
	int n, bad, other;
};

static int collect(const struct nfx_event *ev, int res, void *ctx)
{
	struct walk *w = ctx;

	if (res < 0)
		w->bad++;
	else if (!ev)
		w->other++;
	else if (w->n < 8)
		w->ev[w->n++] = *ev;
	return 0;
}

#define LOAD(name, w)                                                      \
	do {                                                               \
		size_t _n = load(name);                                    \
		if (_n == (size_t)-1)                                      \
			SKIP("corpus file %s not found", name);            \
		memset(&(w), 0, sizeof(w));                                \
		nfx_ct_walk(buf, _n, collect, &(w));                       \
	} while (0)

TEST(new_tcp_assured)
{
	struct walk w;
	const struct nfx_event *ev = &w.ev[0];

	LOAD("event-01.bin", w);
	ASSERT_EQ(w.n, 1, "one event");
	ASSERT_EQ(ev->type, NFX_EV_NEW, "type");
	ASSERT_EQ(ev->source, NFX_EV_SRC_CT, "source");
	ASSERT_EQ(ev->key.proto, 6, "proto");
	ASSERT_EQ(ev->key.family, NFX_AF_INET, "family");
	ASSERT_EQ(ev->key.lo_addr.v4, inet_addr("192.0.2.1"), "lo address");
	ASSERT_EQ(ntohs(ev->key.lo_port), 1000, "lo port");
	ASSERT_EQ(ntohs(ev->key.hi_port), 80, "hi port");
	ASSERT_EQ(ev->tcp_state, FLOW_TCP_ESTABLISHED, "state");
	ASSERT_TRUE(ev->flags & FLOW_F_ASSURED, "assured from IPS_ASSURED");
	ASSERT_FALSE(ev->flags & FLOW_F_INIT_HI, "initiator is lo");
	ASSERT_NE(ev->ct_id, 0, "conntrack id");
}

TEST(new_udp6_and_icmp)
{
	struct walk w;

	LOAD("event-02.bin", w);
	ASSERT_EQ(w.n, 1, "udp6 event");
	ASSERT_EQ(w.ev[0].key.family, NFX_AF_INET6, "v6");
	ASSERT_EQ(w.ev[0].key.proto, 17, "udp");
	ASSERT_EQ(ntohs(w.ev[0].key.lo_port), 53, "port");
	LOAD("event-03.bin", w);
	ASSERT_EQ(w.n, 1, "icmp event");
	ASSERT_EQ(w.ev[0].key.proto, 1, "icmp");
	/* the echo identifier in both ports, as the datapath keys ICMP */
	ASSERT_EQ(ntohs(w.ev[0].key.lo_port), 77, "id");
	ASSERT_EQ(ntohs(w.ev[0].key.hi_port), 77, "id");
}

TEST(destroy_is_end)
{
	struct walk w;

	LOAD("event-04.bin", w);
	ASSERT_EQ(w.n, 1, "one event");
	ASSERT_EQ(w.ev[0].type, NFX_EV_END, "type");
	ASSERT_EQ(w.ev[0].reason, NFX_EV_END_DESTROY, "reason");
}

TEST(dump_reply_multipart)
{
	struct walk w;

	LOAD("dump-01.bin", w);
	ASSERT_EQ(w.n, 2, "two entries in one datagram");
	ASSERT_EQ(w.bad, 0, "none malformed");
	ASSERT_EQ(w.ev[0].key.zone, 7, "zone from CTA_ZONE");
	ASSERT_EQ(w.ev[0].tcp_state, FLOW_TCP_TIME_WAIT, "state");
	LOAD("dump-02.bin", w);
	ASSERT_EQ(w.n, 0, "NLMSG_DONE is no event");
	ASSERT_EQ(w.other, 1, "but a message");
}

TEST(malformed_rejected)
{
	struct walk w;
	struct nfx_event ev;

	LOAD("bad-attr-len.bin", w);
	ASSERT_EQ(w.n, 0, "no event from a bad attribute length");
	ASSERT_EQ(w.bad, 1, "counted as malformed");
	LOAD("bad-nlmsg-len.bin", w);
	ASSERT_EQ(w.n + w.bad + w.other, 0, "header length below the header: nothing walked");
	LOAD("truncated.bin", w);
	ASSERT_EQ(w.n, 0, "truncated datagram");
	/* a length that does not fit the buffer, even a huge one */
	load("event-01.bin");
	buf[0] = 0xc00000e8;
	ASSERT_EQ(nfx_ct_parse(buf, 232, &ev), -EINVAL, "nlmsg_len past the buffer");
	memset(&w, 0, sizeof(w));
	ASSERT_EQ(nfx_ct_walk(buf, 232, collect, &w), 0, "walk stops");
	/* a message longer than the bytes received */
	load("event-01.bin");
	buf[0] = 232;
	ASSERT_EQ(nfx_ct_parse(buf, 100, &ev), -EINVAL, "length beyond what was received");
}

int main(void)
{
	return tap_run();
}

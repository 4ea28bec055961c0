// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ctnetlink listener against the kernel, in a private network
 * namespace: events arrive parsed, and a socket overrun (ENOBUFS) is
 * reported as a LOST record followed by a resync dump of the whole table.
 * Needs root (unshare, ctnetlink); skipped otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "../lib/tap.h"

struct seen {
	int by_type[NFX_EV_TYPE_MAX];
	int sync_since_lost;
	__u64 lost;
};

static int count(const struct nfx_event *ev, void *ctx)
{
	struct seen *s = ctx;

	if (ev->type < NFX_EV_TYPE_MAX)
		s->by_type[ev->type]++;
	if (ev->type == NFX_EV_LOST) {
		s->sync_since_lost = 0;
		s->lost += ev->seq;
	}
	if (ev->type == NFX_EV_SYNC)
		s->sync_since_lost++;
	return 0;
}

static void put_tuple(struct nlmsghdr *nlh, int type, __be32 src, __be32 dst, __be16 sp, __be16 dp)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 17);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, sp);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dp);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

/* Create n UDP conntrack entries 10.1.x.y:1000 -> 192.0.2.2:53 from index first. */
static int ct_create(int first, int n)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	static char buf[8192];
	int i, err = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	for (i = 0; i < n && !err; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct nfgenmsg *nfg;
		__be32 src = htonl(0x0a010000 + first + i), dst = htonl(0xc0000202);
		int len;

		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
		nlh->nlmsg_seq = i + 1;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_INET;
		nfg->version = NFNETLINK_V0;
		put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, htons(1000), htons(53));
		put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, htons(53), htons(1000));
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(120));
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
		    (len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0 ||
		    mnl_cb_run(buf, len, i + 1, mnl_socket_get_portid(nl), NULL, NULL) < 0)
			err = -errno;
	}
	mnl_socket_close(nl);
	return err;
}

static int in_private_netns(void)
{
	static int done;

	if (!done)
		done = unshare(CLONE_NEWNET) ? -errno : 1;
	return done;
}

static void drain(struct nfx_events *evs)
{
	int idle = 0;

	while (idle < 3) {
		int n = nfx_events_poll(evs, 50);

		if (n < 0)
			TAP_FAIL("poll: %s", nfx_errmsg());
		idle = n ? 0 : idle + 1;
	}
}

TEST(events_parsed_from_kernel)
{
	struct nfx_events_opts eo = { .sz = sizeof(eo), .kernel = true, .cb = count };
	struct nfx_events *evs;
	struct nfx_events_stats st;
	struct seen s = {};

	if (in_private_netns() < 0)
		SKIP("needs root for a private network namespace");
	eo.ctx = &s;
	ASSERT_EQ(nfx_events_open(NULL, &eo, &evs), 0, "open listener");
	ASSERT_EQ(ct_create(0, 20), 0, "create 20 entries");
	drain(evs);
	nfx_events_get_stats(evs, &st);
	nfx_events_close(evs);
	ASSERT_EQ(s.by_type[NFX_EV_NEW], 20, "one new event per entry");
	ASSERT_EQ(st.lost, 0, "nothing lost");
	ASSERT_EQ(st.malformed, 0, "nothing malformed");
}

TEST(overrun_reported_and_resynced)
{
	struct nfx_events_opts eo = {
		.sz = sizeof(eo), .kernel = true, .cb = count, .rcvbuf = 1
	}; /* the kernel's minimum */
	struct nfx_events *evs;
	struct nfx_events_stats st;
	struct seen s = {};

	if (in_private_netns() < 0)
		SKIP("needs root for a private network namespace");
	eo.ctx = &s;
	ASSERT_EQ(nfx_events_open(NULL, &eo, &evs), 0, "open listener");
	/* 20 entries from the previous test, 2000 more while nobody reads */
	ASSERT_EQ(ct_create(20, 2000), 0, "create entries");
	drain(evs);
	nfx_events_get_stats(evs, &st);
	nfx_events_close(evs);
	ASSERT_GE(s.by_type[NFX_EV_LOST], 1, "overrun reported");
	ASSERT_EQ(st.resyncs, s.by_type[NFX_EV_LOST], "one resync per overrun");
	ASSERT_LT(s.by_type[NFX_EV_NEW], 2000, "the small buffer did overflow");
	/* the dump after the last overrun saw the whole table */
	ASSERT_EQ(s.sync_since_lost, 2020, "resync delivered every entry");
}

int main(void)
{
	return tap_run();
}

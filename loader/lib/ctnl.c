// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel conntrack events over ctnetlink, turned into struct nfx_event.
 *
 * The listener joins NFNLGRP_CONNTRACK_{NEW,UPDATE,DESTROY}. Netlink
 * multicast never blocks the kernel: when the socket buffer is full the
 * message is dropped and the next recvmsg() fails with ENOBUFS. So the
 * buffer is made large (SO_RCVBUFFORCE, which root may use past
 * net.core.rmem_max), and on ENOBUFS the reader reports the gap and
 * re-reads the whole table with a dump, delivered as NFX_EV_SYNC records.
 * A dump that races with table changes is flagged NLM_F_DUMP_INTR by the
 * kernel; it is then thrown away and retried, so a resync is never partial.
 *
 * Every attribute is validated before use (type range, payload length);
 * a malformed message is counted and skipped, never trusted.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "nfx/events.h"
#include "nfx/hash.h"
#include "nfx/nlmmap.h"
#include "nfx/libnfx.h"
#include "internal.h"

#define CT_RCVBUF_DEFAULT (8u << 20)
#define CT_DUMP_TRIES 5

/*
 * ctnetlink update messages carry the new TCP state only; the listener
 * remembers the last state per conntrack id (direct-mapped, a collision
 * just forgets) to report the transition like the datapath does.
 */
#define CT_STATE_SLOTS 4096

struct ct_state_slot {
	__u32 id;
	__u8 state;
	__u8 used;
};

struct nfx_ct_listener {
	struct nfx_events *evs;
	struct mnl_socket *nl;		/* recvmsg() transport */
	char *buf;
	size_t buflen;
	/* nfx_nlmmap transport, when the module is loaded */
	int mm_fd;
	void *ring;
	struct nfx_nlmmap_info info;
	__u32 mm_head;
	__u64 mm_dropped;
	struct ct_state_slot states[CT_STATE_SLOTS];
};

static void ct_track_state(struct nfx_ct_listener *ct, struct nfx_event *ev)
{
	struct ct_state_slot *s = &ct->states[ev->ct_id % CT_STATE_SLOTS];
	bool known = s->used && s->id == ev->ct_id;

	if (ev->type == NFX_EV_STATE && known)
		ev->old_state = s->state;
	if (ev->type == NFX_EV_END) {
		if (known)
			s->used = 0;
		return;
	}
	s->id = ev->ct_id;
	s->state = ev->tcp_state;
	s->used = 1;
}

/* Attributes of one tuple (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY). */
struct ct_tuple {
	int family;
	union nfx_addr src, dst;
	__u8 proto;
	__be16 sport, dport;
	__u16 zone;
};

struct ct_msg {
	const struct nlattr *tb[CTA_MAX + 1];
};

static int ct_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = ((struct ct_msg *)data)->tb;
	int type = mnl_attr_get_type(attr);
	enum mnl_attr_data_type want;

	if (mnl_attr_type_valid(attr, CTA_MAX) < 0)
		return MNL_CB_OK;	/* newer kernel attribute: ignore */
	switch (type) {
	case CTA_TUPLE_ORIG:
	case CTA_TUPLE_REPLY:
	case CTA_PROTOINFO:
	case CTA_COUNTERS_ORIG:
	case CTA_COUNTERS_REPLY:
	case CTA_TIMESTAMP:
		want = MNL_TYPE_NESTED;
		break;
	case CTA_STATUS:
	case CTA_MARK:
	case CTA_ID:
	case CTA_TIMEOUT:
		want = MNL_TYPE_U32;
		break;
	case CTA_ZONE:
		want = MNL_TYPE_U16;
		break;
	default:
		return MNL_CB_OK;	/* not used by nfx */
	}
	if (mnl_attr_validate(attr, want) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

struct ct_tb {
	const struct nlattr *tb[16];
	int max;
	const enum mnl_attr_data_type *types;	/* by attribute type */
};

/* Generic nested-attribute validator: types[] says what each must be. */
static int ct_nested_cb(const struct nlattr *attr, void *data)
{
	struct ct_tb *t = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, t->max) < 0 || type >= 16)
		return MNL_CB_OK;
	if (t->types[type] == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	if (t->types[type] == MNL_TYPE_BINARY) {
		/* only IPv6 addresses use this: exactly 16 bytes */
		if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, 16) < 0)
			return MNL_CB_ERROR;
	} else if (mnl_attr_validate(attr, t->types[type]) < 0) {
		return MNL_CB_ERROR;
	}
	t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, struct ct_tb *t, int max,
			const enum mnl_attr_data_type *types)
{
	memset(t->tb, 0, sizeof(t->tb));
	t->max = max;
	t->types = types;
	return mnl_attr_parse_nested(nest, ct_nested_cb, t) < 0 ? -EINVAL : 0;
}

static const enum mnl_attr_data_type tuple_types[16] = {
	[CTA_TUPLE_IP] = MNL_TYPE_NESTED,
	[CTA_TUPLE_PROTO] = MNL_TYPE_NESTED,
	[CTA_TUPLE_ZONE] = MNL_TYPE_U16,
};
static const enum mnl_attr_data_type ip_types[16] = {
	[CTA_IP_V4_SRC] = MNL_TYPE_U32,
	[CTA_IP_V4_DST] = MNL_TYPE_U32,
	[CTA_IP_V6_SRC] = MNL_TYPE_BINARY,
	[CTA_IP_V6_DST] = MNL_TYPE_BINARY,
};
static const enum mnl_attr_data_type proto_types[16] = {
	[CTA_PROTO_NUM] = MNL_TYPE_U8,	       [CTA_PROTO_SRC_PORT] = MNL_TYPE_U16,
	[CTA_PROTO_DST_PORT] = MNL_TYPE_U16,   [CTA_PROTO_ICMP_ID] = MNL_TYPE_U16,
	[CTA_PROTO_ICMP_TYPE] = MNL_TYPE_U8,   [CTA_PROTO_ICMP_CODE] = MNL_TYPE_U8,
	[CTA_PROTO_ICMPV6_ID] = MNL_TYPE_U16,  [CTA_PROTO_ICMPV6_TYPE] = MNL_TYPE_U8,
	[CTA_PROTO_ICMPV6_CODE] = MNL_TYPE_U8,
};
static const enum mnl_attr_data_type protoinfo_types[16] = {
	[CTA_PROTOINFO_TCP] = MNL_TYPE_NESTED,
};
static const enum mnl_attr_data_type tcpinfo_types[16] = {
	[CTA_PROTOINFO_TCP_STATE] = MNL_TYPE_U8,
};
static const enum mnl_attr_data_type counter_types[16] = {
	[CTA_COUNTERS_PACKETS] = MNL_TYPE_U64,
	[CTA_COUNTERS_BYTES] = MNL_TYPE_U64,
};
static const enum mnl_attr_data_type timestamp_types[16] = {
	[CTA_TIMESTAMP_START] = MNL_TYPE_U64,
	[CTA_TIMESTAMP_STOP] = MNL_TYPE_U64,
};

static void addr_v4(union nfx_addr *a, __be32 v4)
{
	memset(a, 0, sizeof(*a));
	a->pad[2] = htonl(0x0000ffff);
	a->v4 = v4;
}

static int parse_tuple(const struct nlattr *nest, int family, struct ct_tuple *t)
{
	struct ct_tb tt, ip, pr;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (parse_nested(nest, &tt, CTA_TUPLE_MAX, tuple_types))
		return -EINVAL;
	if (!tt.tb[CTA_TUPLE_IP] || !tt.tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	if (tt.tb[CTA_TUPLE_ZONE])
		t->zone = ntohs(mnl_attr_get_u16(tt.tb[CTA_TUPLE_ZONE]));
	if (parse_nested(tt.tb[CTA_TUPLE_IP], &ip, CTA_IP_MAX, ip_types))
		return -EINVAL;
	if (family == AF_INET) {
		if (!ip.tb[CTA_IP_V4_SRC] || !ip.tb[CTA_IP_V4_DST])
			return -EINVAL;
		addr_v4(&t->src, mnl_attr_get_u32(ip.tb[CTA_IP_V4_SRC]));
		addr_v4(&t->dst, mnl_attr_get_u32(ip.tb[CTA_IP_V4_DST]));
	} else {
		if (!ip.tb[CTA_IP_V6_SRC] || !ip.tb[CTA_IP_V6_DST])
			return -EINVAL;
		memcpy(t->src.b, mnl_attr_get_payload(ip.tb[CTA_IP_V6_SRC]), 16);
		memcpy(t->dst.b, mnl_attr_get_payload(ip.tb[CTA_IP_V6_DST]), 16);
	}
	if (parse_nested(tt.tb[CTA_TUPLE_PROTO], &pr, CTA_PROTO_MAX, proto_types))
		return -EINVAL;
	if (!pr.tb[CTA_PROTO_NUM])
		return -EINVAL;
	t->proto = mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]);
	if (pr.tb[CTA_PROTO_SRC_PORT])
		t->sport = mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT]);
	if (pr.tb[CTA_PROTO_DST_PORT])
		t->dport = mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT]);
	/* ICMP echo: the identifier in both ports, as the datapath keys it */
	if (pr.tb[CTA_PROTO_ICMP_ID])
		t->sport = t->dport = mnl_attr_get_u16(pr.tb[CTA_PROTO_ICMP_ID]);
	if (pr.tb[CTA_PROTO_ICMPV6_ID])
		t->sport = t->dport = mnl_attr_get_u16(pr.tb[CTA_PROTO_ICMPV6_ID]);
	return 0;
}

static int parse_counters(const struct nlattr *nest, __u64 *packets, __u64 *bytes)
{
	struct ct_tb c;

	if (parse_nested(nest, &c, CTA_COUNTERS_MAX, counter_types))
		return -EINVAL;
	if (c.tb[CTA_COUNTERS_PACKETS])
		*packets = be64toh(mnl_attr_get_u64(c.tb[CTA_COUNTERS_PACKETS]));
	if (c.tb[CTA_COUNTERS_BYTES])
		*bytes = be64toh(mnl_attr_get_u64(c.tb[CTA_COUNTERS_BYTES]));
	return 0;
}

/* Kernel TCP_CONNTRACK_* share the numbering of enum flow_tcp_state up to CLOSE. */
static __u8 tcp_state_of(__u8 kstate)
{
	if (kstate <= FLOW_TCP_CLOSE)
		return kstate;
	if (kstate == 9)		/* TCP_CONNTRACK_SYN_SENT2 (simultaneous open) */
		return FLOW_TCP_SYN_SENT;
	return FLOW_TCP_NONE;
}

/* CLOCK_REALTIME ns (conntrack timestamps) to CLOCK_MONOTONIC ns. */
static __u64 realtime_to_mono(__u64 rt)
{
	struct timespec now;
	__u64 rnow, mnow = nfx_now_ns();

	clock_gettime(CLOCK_REALTIME, &now);
	rnow = (__u64)now.tv_sec * 1000000000ull + now.tv_nsec;
	return rt + mnow > rnow ? rt + mnow - rnow : 0;
}

/*
 * mnl_nlmsg_ok() compares (int)nlmsg_len with the length left, so a
 * header claiming 2 GiB or more passes it as negative; compare unsigned.
 */
static bool ct_nlmsg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= len;
}

int nfx_ct_walk(const void *buf, size_t len, nfx_ct_walk_cb cb, void *ctx)
{
	const char *p = buf;
	int n = 0;

	while (ct_nlmsg_ok((const struct nlmsghdr *)p, len)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		struct nfx_event ev;
		int r = nfx_ct_parse(nlh, nlh->nlmsg_len, &ev);

		r = cb(r > 0 ? &ev : NULL, r, ctx);
		if (r < 0)
			return r;
		n++;
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return n;
}

int nfx_ct_parse(const void *buf, size_t len, struct nfx_event *ev)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *nfg;
	struct ct_msg m = {};
	struct ct_tuple orig;
	union nfx_addr src, dst;
	__u16 zone = 0;
	__u32 status = 0;
	int family, dir, type;
	__u64 p_orig = 0, b_orig = 0, p_reply = 0, b_reply = 0;

	if (!ct_nlmsg_ok(nlh, len))
		return -EINVAL;
	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return 0;
	type = nlh->nlmsg_type & 0xff;
	if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	family = nfg->nfgen_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;	/* bridge/other families: not a flow nfx keys */
	if (mnl_attr_parse(nlh, sizeof(*nfg), ct_attr_cb, &m) < 0)
		return -EINVAL;
	if (!m.tb[CTA_TUPLE_ORIG] || parse_tuple(m.tb[CTA_TUPLE_ORIG], family, &orig))
		return -EINVAL;

	memset(ev, 0, sizeof(*ev));
	ev->source = NFX_EV_SRC_CT;
	ev->ts_ns = nfx_now_ns();
	if (type == IPCTNL_MSG_CT_DELETE) {
		ev->type = NFX_EV_END;
		ev->reason = NFX_EV_END_DESTROY;
	} else if (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) {
		ev->type = NFX_EV_NEW;
	} else {
		ev->type = NFX_EV_STATE;
		ev->old_state = FLOW_TCP_STATE_MAX;	/* ctnetlink does not say */
	}
	if (m.tb[CTA_ZONE])
		zone = ntohs(mnl_attr_get_u16(m.tb[CTA_ZONE]));
	else
		zone = orig.zone;
	if (m.tb[CTA_STATUS])
		status = ntohl(mnl_attr_get_u32(m.tb[CTA_STATUS]));
	if (m.tb[CTA_MARK])
		ev->mark = ntohl(mnl_attr_get_u32(m.tb[CTA_MARK]));
	if (m.tb[CTA_ID])
		ev->ct_id = ntohl(mnl_attr_get_u32(m.tb[CTA_ID]));
	ev->ct_status = status;
	src = orig.src;
	dst = orig.dst;
	dir = nfx_flow_key_make(&ev->key, family == AF_INET ? NFX_AF_INET : NFX_AF_INET6,
				orig.proto, zone, &src, orig.sport, &dst, orig.dport);
	if (dir == FLOW_DIR_HI_LO)
		ev->flags |= FLOW_F_INIT_HI;
	ev->flags |= dir == FLOW_DIR_LO_HI ? FLOW_F_SEEN_LO : FLOW_F_SEEN_HI;
	if (status & IPS_SEEN_REPLY)
		ev->flags |= FLOW_F_SEEN_LO | FLOW_F_SEEN_HI;
	if (status & IPS_ASSURED)
		ev->flags |= FLOW_F_ASSURED;

	if (m.tb[CTA_PROTOINFO]) {
		struct ct_tb pi, tcp;

		if (parse_nested(m.tb[CTA_PROTOINFO], &pi, CTA_PROTOINFO_MAX, protoinfo_types))
			return -EINVAL;
		if (pi.tb[CTA_PROTOINFO_TCP]) {
			if (parse_nested(pi.tb[CTA_PROTOINFO_TCP], &tcp, CTA_PROTOINFO_TCP_MAX,
					 tcpinfo_types))
				return -EINVAL;
			if (tcp.tb[CTA_PROTOINFO_TCP_STATE])
				ev->tcp_state = tcp_state_of(
					mnl_attr_get_u8(tcp.tb[CTA_PROTOINFO_TCP_STATE]));
		}
	}
	if (m.tb[CTA_COUNTERS_ORIG] && parse_counters(m.tb[CTA_COUNTERS_ORIG], &p_orig, &b_orig))
		return -EINVAL;
	if (m.tb[CTA_COUNTERS_REPLY] &&
	    parse_counters(m.tb[CTA_COUNTERS_REPLY], &p_reply, &b_reply))
		return -EINVAL;
	ev->packets[dir] = p_orig;
	ev->bytes[dir] = b_orig;
	ev->packets[!dir] = p_reply;
	ev->bytes[!dir] = b_reply;
	if (m.tb[CTA_TIMESTAMP]) {
		struct ct_tb ts;

		if (parse_nested(m.tb[CTA_TIMESTAMP], &ts, CTA_TIMESTAMP_MAX, timestamp_types))
			return -EINVAL;
		if (ts.tb[CTA_TIMESTAMP_START])
			ev->first_seen = realtime_to_mono(
				be64toh(mnl_attr_get_u64(ts.tb[CTA_TIMESTAMP_START])));
	}
	return 1;
}

struct deliver_ctx {
	struct nfx_ct_listener *ct;
	int n;
};

static int deliver_one(const struct nfx_event *ev, int res, void *arg)
{
	struct deliver_ctx *d = arg;
	struct nfx_event copy;

	if (res < 0) {
		nfx_events_note(d->ct->evs, NFX_EVN_MALFORMED, 1);
		return 0;
	}
	if (!ev)
		return 0;
	copy = *ev;
	ct_track_state(d->ct, &copy);
	d->n++;
	return nfx_events_deliver(d->ct->evs, &copy) < 0 ? -ECANCELED : 0;
}

/* Deliver every conntrack message of a received datagram. */
static int ct_deliver_buf(struct nfx_ct_listener *ct, const char *buf, size_t len)
{
	struct deliver_ctx d = { .ct = ct };
	int r = nfx_ct_walk(buf, len, deliver_one, &d);

	return r < 0 ? r : d.n;
}

struct dump_state {
	struct nfx_event *evs;
	size_t n, cap;
	bool intr;
	int malformed;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *d = data;
	struct nfx_event ev;
	int r;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		d->intr = true;
		return MNL_CB_STOP;
	}
	r = nfx_ct_parse(nlh, nlh->nlmsg_len, &ev);
	if (r < 0) {
		d->malformed++;
		return MNL_CB_OK;
	}
	if (!r)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct nfx_event *p = realloc(d->evs, cap * sizeof(*p));

		if (!p)
			return MNL_CB_ERROR;
		d->evs = p;
		d->cap = cap;
	}
	ev.type = NFX_EV_SYNC;
	d->evs[d->n++] = ev;
	return MNL_CB_OK;
}

/* One complete dump of the table into d; -EINTR if the kernel flagged it. */
static int ct_dump_once(struct dump_state *d, char *buf, size_t buflen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned int portid, seq = time(NULL);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	d->n = 0;
	d->intr = false;
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, buflen);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, ret, seq, portid, dump_cb, d);
		if (d->intr || (ret < 0 && errno == EINTR)) {
			/* libmnl >= 1.0.4 reports NLM_F_DUMP_INTR as EINTR itself */
			ret = -EINTR;
			break;
		}
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return ret;
}

/*
 * Re-read the table after a loss. Only a dump that completed without
 * NLM_F_DUMP_INTR is delivered; an interrupted one is retried.
 */
int nfx_ct_resync(struct nfx_ct_listener *ct)
{
	struct dump_state d = {};
	int tries, err = -EINTR;
	size_t i;

	nfx_events_note(ct->evs, NFX_EVN_RESYNC, 1);
	for (tries = 0; tries < CT_DUMP_TRIES && err == -EINTR; tries++) {
		if (tries)
			nfx_events_note(ct->evs, NFX_EVN_DUMP_RETRY, 1);
		err = ct_dump_once(&d, ct->buf, ct->buflen);
	}
	if (!err) {
		nfx_events_note(ct->evs, NFX_EVN_MALFORMED, d.malformed);
		for (i = 0; i < d.n; i++) {
			ct_track_state(ct, &d.evs[i]);
			if (nfx_events_deliver(ct->evs, &d.evs[i]) < 0) {
				err = -ECANCELED;
				break;
			}
		}
	}
	free(d.evs);
	if (err && err != -ECANCELED)
		return nfx_err(err, "conntrack resync dump failed after %d tries: %s", tries,
			       strerror(-err));
	return err;
}

/*
 * The memory-mapped ring of kmod/nfx_nlmmap, if the module is loaded.
 * Returns 1 when in use, 0 to fall back to recvmsg(), or an error.
 */
static int nlmmap_open(struct nfx_ct_listener *ct)
{
	struct nfx_nlmmap_stats st;
	__u64 ino_self = 0, ino_init = 0;
	struct stat sb;

	/* The module listens in the initial namespace only. */
	if (!stat("/proc/self/ns/net", &sb))
		ino_self = sb.st_ino;
	if (!stat("/proc/1/ns/net", &sb))
		ino_init = sb.st_ino;
	if (!ino_self || ino_self != ino_init)
		return 0;
	ct->mm_fd = open(NFX_NLMMAP_DEV, O_RDWR | O_CLOEXEC);
	if (ct->mm_fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			return 0;
		return nfx_err(-errno, "%s: %s%s", NFX_NLMMAP_DEV, strerror(errno),
			       errno == EBUSY ? " (another reader has the ring; use --no-mmap)" :
						"");
	}
	if (ioctl(ct->mm_fd, NFX_NLMMAP_INFO, &ct->info) || ioctl(ct->mm_fd, NFX_NLMMAP_STATS, &st))
		return nfx_err(-errno, "%s: %s", NFX_NLMMAP_DEV, strerror(errno));
	if (ct->info.frame_size <= NFX_NLMMAP_HDRLEN || ct->info.frame_nr == 0 ||
	    (__u64)ct->info.frame_size * ct->info.frame_nr > ct->info.ring_bytes)
		return nfx_err(-EPROTO, "%s: inconsistent ring geometry", NFX_NLMMAP_DEV);
	ct->ring =
		mmap(NULL, ct->info.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ct->mm_fd, 0);
	if (ct->ring == MAP_FAILED) {
		ct->ring = NULL;
		return nfx_err(-errno, "%s: mmap: %s", NFX_NLMMAP_DEV, strerror(errno));
	}
	ct->mm_dropped = st.dropped_full + st.dropped_big;
	return 1;
}

bool nfx_ct_listener_mmap(struct nfx_ct_listener *ct)
{
	return ct && ct->ring;
}

int nfx_ct_listener_open(struct nfx_events *evs, __u32 rcvbuf, bool no_mmap,
			 struct nfx_ct_listener **out)
{
	struct nfx_ct_listener *ct = calloc(1, sizeof(*ct));
	int fd, size, err;

	if (!ct)
		return nfx_err(-ENOMEM, "out of memory");
	ct->evs = evs;
	ct->mm_fd = -1;
	ct->buflen = MNL_SOCKET_BUFFER_SIZE > 65536 ? MNL_SOCKET_BUFFER_SIZE : 65536;
	ct->buf = malloc(ct->buflen);
	if (ct->buf && !no_mmap) {
		err = nlmmap_open(ct);
		if (err < 0)
			goto fail;
		if (err > 0) {
			*out = ct;
			return 0;
		}
	}
	ct->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!ct->buf || !ct->nl) {
		err = nfx_err(ct->buf ? -errno : -ENOMEM, "cannot open a ctnetlink socket: %s",
			      strerror(ct->buf ? errno : ENOMEM));
		goto fail;
	}
	if (mnl_socket_bind(ct->nl,
			    NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
				    NF_NETLINK_CONNTRACK_DESTROY,
			    MNL_SOCKET_AUTOPID) < 0) {
		err = nfx_err(
			-errno,
			"cannot join the conntrack event groups: %s (is nf_conntrack_netlink available?)",
			strerror(errno));
		goto fail;
	}
	fd = mnl_socket_get_fd(ct->nl);
	size = rcvbuf ? (int)rcvbuf : (int)CT_RCVBUF_DEFAULT;
	/* FORCE ignores rmem_max (needs CAP_NET_ADMIN); plain SO_RCVBUF is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		err = nfx_err(-errno, "ctnetlink socket: %s", strerror(errno));
		goto fail;
	}
	*out = ct;
	return 0;
fail:
	nfx_ct_listener_close(ct);
	return err;
}

void nfx_ct_listener_close(struct nfx_ct_listener *ct)
{
	if (!ct)
		return;
	if (ct->ring)
		munmap(ct->ring, ct->info.ring_bytes);
	if (ct->mm_fd >= 0)
		close(ct->mm_fd);
	if (ct->nl)
		mnl_socket_close(ct->nl);
	free(ct->buf);
	free(ct);
}

int nfx_ct_listener_fd(struct nfx_ct_listener *ct)
{
	return ct->ring ? ct->mm_fd : mnl_socket_get_fd(ct->nl);
}

/*
 * Consume the mapped ring in frame order (protocol in nfx/nlmmap.h):
 * handle each VALID frame in place, then hand it back as UNUSED.
 */
static int nlmmap_poll(struct nfx_ct_listener *ct, int wait_ms)
{
	struct pollfd p = { .fd = ct->mm_fd, .events = POLLIN };
	struct nfx_nlmmap_stats st;
	__u64 dropped;
	int r, n = 0;

	r = poll(&p, 1, wait_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (;;) {
		struct nfx_nlmmap_hdr *h =
			(struct nfx_nlmmap_hdr *)((char *)ct->ring +
						  (size_t)ct->mm_head * ct->info.frame_size);
		__u32 len;

		if (__atomic_load_n(&h->status, __ATOMIC_ACQUIRE) != NFX_NLMMAP_VALID)
			break;
		len = h->len;
		if (len > ct->info.frame_size - NFX_NLMMAP_HDRLEN) {
			nfx_events_note(ct->evs, NFX_EVN_MALFORMED, 1);
			r = 0;
		} else {
			r = ct_deliver_buf(ct, (const char *)h + NFX_NLMMAP_HDRLEN, len);
		}
		/* handled (or refused): the frame goes back to the kernel */
		__atomic_store_n(&h->status, NFX_NLMMAP_UNUSED, __ATOMIC_RELEASE);
		ct->mm_head = (ct->mm_head + 1) % ct->info.frame_nr;
		if (r < 0)
			return r;
		n += r;
	}
	/* The kernel counts what it could not place: an exact loss count. */
	if (ioctl(ct->mm_fd, NFX_NLMMAP_STATS, &st))
		return -errno;
	dropped = st.dropped_full + st.dropped_big;
	if (dropped != ct->mm_dropped) {
		nfx_events_lost(ct->evs, 0, NFX_EV_SRC_CT, dropped - ct->mm_dropped);
		ct->mm_dropped = dropped;
		r = nfx_ct_resync(ct);
		if (r < 0)
			return r;
	}
	return n;
}

/*
 * Wait up to wait_ms, then read every queued datagram. After an overrun
 * the messages still queued are older than anything a dump would show,
 * so they are delivered first and the table is re-read once the queue is
 * empty.
 */
int nfx_ct_listener_poll(struct nfx_ct_listener *ct, int wait_ms)
{
	struct pollfd p = { .events = POLLIN };
	bool resync = false;
	int r, n = 0;

	if (ct->ring)
		return nlmmap_poll(ct, wait_ms);
	p.fd = mnl_socket_get_fd(ct->nl);

	r = poll(&p, 1, wait_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (!r)
		return 0;
	for (;;) {
		ssize_t len = recv(p.fd, ct->buf, ct->buflen, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* count unknown: the kernel dropped at least one */
				nfx_events_lost(ct->evs, 0, NFX_EV_SRC_CT, 1);
				resync = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			if (!resync)
				break;
			resync = false;
			r = nfx_ct_resync(ct);
			if (r < 0)
				return r;
			continue;	/* events that came during the dump */
		}
		r = ct_deliver_buf(ct, ct->buf, (size_t)len);
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}

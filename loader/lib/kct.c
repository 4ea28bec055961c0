// SPDX-License-Identifier: GPL-2.0
/* nfx_ct generic netlink client and ctnetlink fallback flush (libmnl). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kct.h"
#include "kct_pred.h"

static __thread char kct_err[256];

const char *nfx_kct_errmsg(void)
{
	return kct_err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- a netlink socket with extended acks -------------------------------- */

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

static int nl_open(struct nl *nl, int proto)
{
	int one = 1;

	nl->sk = mnl_socket_open(proto);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;

		mnl_socket_close(nl->sk);
		return e;
	}
	/* Best effort: older kernels lack them and still work. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

static int ack_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(kct_err, sizeof(kct_err), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* Error of an NLMSG_ERROR message; picks up its extended-ack text. */
static int nl_err_of(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && mnl_nlmsg_size(off) < nlh->nlmsg_len)
		mnl_attr_parse_payload((const char *)e + off, nlh->nlmsg_len - mnl_nlmsg_size(off),
				       ack_attr_cb, NULL);
	return e->error;
}

/*
 * Send @req and read until its ack (or the end of a dump), calling @cb on
 * each data message. Returns 0 or the negative errno the kernel sent.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	static __thread char buf[65536];
	unsigned int seq = req->nlmsg_seq = ++nl->seq;
	int err = 0;

	req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sk, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		struct nlmsghdr *nlh;
		int len;

		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return err ? err : nl_err_of(nlh);
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump ends here, with its status. */
				const int *st = mnl_nlmsg_get_payload(nlh);

				if (err)
					return err;
				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)))
					return *st;
				return 0;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && !err && cb(nlh, data) < MNL_CB_OK)
				err = -EINVAL;
		}
	}
}

/* ---- family resolution ---------------------------------------------------- */

static int family_attr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;
	uint16_t *id = data;

	mnl_attr_for_each(
		a, nlh,
		sizeof(struct genlmsghdr)) if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
					       mnl_attr_validate(a, MNL_TYPE_U16) == 0) *id =
		mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int resolve_family(struct nl *nl, uint16_t *id)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	int err;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NFX_KCT_GENL_NAME);
	*id = 0;
	err = nl_talk(nl, nlh, family_attr_cb, id);
	if (err)
		return err;
	return *id ? 0 : -ENOENT;
}

static int kct_open(struct nl *nl, uint16_t *id)
{
	int err = nl_open(nl, NETLINK_GENERIC);

	if (err)
		return err;
	err = resolve_family(nl, id);
	if (err) {
		nl_close(nl);
		if (err == -ENOENT)
			snprintf(kct_err, sizeof(kct_err), "nfx_ct module not loaded");
	}
	return err;
}

bool nfx_kct_available(void)
{
	struct nl nl = { 0 };
	uint16_t id;

	if (kct_open(&nl, &id))
		return false;
	nl_close(&nl);
	return true;
}

static struct nlmsghdr *kct_msg(char *buf, uint16_t id, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = id;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = NFX_KCT_GENL_VERSION;
	return nlh;
}

/* ---- flush through the module -------------------------------------------- */

static void put_pred(struct nlmsghdr *nlh, const struct nfx_kct_pred *p)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFX_KCT_A_PRED);
	uint32_t f = p->fields;

	if (f & NFX_KCT_F_TCP_STATES)
		mnl_attr_put_u32(nlh, NFX_KCT_P_TCP_STATES, p->tcp_states);
	if (f & NFX_KCT_F_STATUS)
		mnl_attr_put_u32(nlh, NFX_KCT_P_STATUS, p->status);
	if (f & NFX_KCT_F_L4PROTO)
		mnl_attr_put_u8(nlh, NFX_KCT_P_L4PROTO, p->l4proto);
	if (f & NFX_KCT_F_FAMILY)
		mnl_attr_put_u8(nlh, NFX_KCT_P_FAMILY, p->family);
	if (f & NFX_KCT_F_SRC) {
		mnl_attr_put(nlh, NFX_KCT_P_SRC, 16, p->src.addr);
		mnl_attr_put_u8(nlh, NFX_KCT_P_SRC_PLEN, p->src.plen);
	}
	if (f & NFX_KCT_F_DST) {
		mnl_attr_put(nlh, NFX_KCT_P_DST, 16, p->dst.addr);
		mnl_attr_put_u8(nlh, NFX_KCT_P_DST_PLEN, p->dst.plen);
	}
	if (f & NFX_KCT_F_ADDR) {
		mnl_attr_put(nlh, NFX_KCT_P_ADDR, 16, p->addr.addr);
		mnl_attr_put_u8(nlh, NFX_KCT_P_ADDR_PLEN, p->addr.plen);
	}
	if (f & NFX_KCT_F_SPORT)
		mnl_attr_put_u32(nlh, NFX_KCT_P_SPORT, (uint32_t)p->sport.lo << 16 | p->sport.hi);
	if (f & NFX_KCT_F_DPORT)
		mnl_attr_put_u32(nlh, NFX_KCT_P_DPORT, (uint32_t)p->dport.lo << 16 | p->dport.hi);
	if (f & NFX_KCT_F_PORT)
		mnl_attr_put_u32(nlh, NFX_KCT_P_PORT, (uint32_t)p->port.lo << 16 | p->port.hi);
	if (f & NFX_KCT_F_ZONE)
		mnl_attr_put_u16(nlh, NFX_KCT_P_ZONE, p->zone);
	if (f & NFX_KCT_F_MARK) {
		mnl_attr_put_u32(nlh, NFX_KCT_P_MARK, p->mark);
		mnl_attr_put_u32(nlh, NFX_KCT_P_MARK_MASK, p->mark_mask);
	}
	if (f & NFX_KCT_F_AGE) {
		mnl_attr_put_u32(nlh, NFX_KCT_P_AGE_MIN, p->age_min);
		if (p->age_max != UINT32_MAX)
			mnl_attr_put_u32(nlh, NFX_KCT_P_AGE_MAX, p->age_max);
	}
	if (f & NFX_KCT_F_TMO) {
		mnl_attr_put_u32(nlh, NFX_KCT_P_TMO_MIN, p->tmo_min);
		if (p->tmo_max != UINT32_MAX)
			mnl_attr_put_u32(nlh, NFX_KCT_P_TMO_MAX, p->tmo_max);
	}
	mnl_attr_nest_end(nlh, nest);
}

static uint64_t attr_u64(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U64) == 0 ? mnl_attr_get_u64(a) : 0;
}

static uint32_t attr_u32(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U32) == 0 ? mnl_attr_get_u32(a) : 0;
}

static int flush_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfx_kct_result *r = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
	{
		switch (mnl_attr_get_type(a)) {
		case NFX_KCT_A_EXAMINED:
			r->examined = attr_u64(a);
			break;
		case NFX_KCT_A_REMOVED:
			r->removed = attr_u64(a);
			break;
		case NFX_KCT_A_ELAPSED_NS:
			r->elapsed_ns = attr_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

int nfx_kct_flush_module(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out)
{
	char buf[1024];
	struct nfx_kct_result r = { .path = NFX_KCT_PATH_MODULE };
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	uint16_t id;
	int err;

	kct_err[0] = 0;
	err = kct_open(&nl, &id);
	if (err)
		return err;
	nlh = kct_msg(buf, id, NFX_KCT_CMD_FLUSH);
	put_pred(nlh, p);
	if (dry_run)
		mnl_attr_put(nlh, NFX_KCT_A_DRY_RUN, 0, NULL);
	err = nl_talk(&nl, nlh, flush_reply_cb, &r);
	nl_close(&nl);
	if (!err && out)
		*out = r;
	return err;
}

/* ---- GC policy ------------------------------------------------------------- */

int nfx_kct_gc_set(const struct nfx_kct_gc *gc, unsigned int which)
{
	char buf[512];
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	uint16_t id;
	int err;

	kct_err[0] = 0;
	err = kct_open(&nl, &id);
	if (err)
		return err;
	nlh = kct_msg(buf, id, NFX_KCT_CMD_GC_SET);
	if (which & NFX_KCT_GC_ENABLED)
		mnl_attr_put_u8(nlh, NFX_KCT_A_GC_ENABLED, (uint8_t)gc->enabled);
	if (which & NFX_KCT_GC_START)
		mnl_attr_put_u32(nlh, NFX_KCT_A_GC_START, gc->start_pct);
	if (which & NFX_KCT_GC_END)
		mnl_attr_put_u32(nlh, NFX_KCT_A_GC_END, gc->end_pct);
	if (which & NFX_KCT_GC_INTERVAL)
		mnl_attr_put_u32(nlh, NFX_KCT_A_GC_INTERVAL_MS, gc->interval_ms);
	if (which & NFX_KCT_GC_MIN_TIMEOUT)
		mnl_attr_put_u32(nlh, NFX_KCT_A_GC_MIN_TIMEOUT, gc->min_timeout);
	err = nl_talk(&nl, nlh, NULL, NULL);
	nl_close(&nl);
	return err;
}

static int gc_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfx_kct_gc *gc = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
	{
		switch (mnl_attr_get_type(a)) {
		case NFX_KCT_A_GC_ENABLED:
			gc->enabled = mnl_attr_validate(a, MNL_TYPE_U8) == 0 && mnl_attr_get_u8(a);
			break;
		case NFX_KCT_A_GC_START:
			gc->start_pct = attr_u32(a);
			break;
		case NFX_KCT_A_GC_END:
			gc->end_pct = attr_u32(a);
			break;
		case NFX_KCT_A_GC_INTERVAL_MS:
			gc->interval_ms = attr_u32(a);
			break;
		case NFX_KCT_A_GC_MIN_TIMEOUT:
			gc->min_timeout = attr_u32(a);
			break;
		case NFX_KCT_A_GC_FILL:
			gc->fill_permille = attr_u32(a);
			break;
		case NFX_KCT_A_GC_SCALE:
			gc->scale_permille = attr_u32(a);
			break;
		case NFX_KCT_A_GC_COUNT:
			gc->count = attr_u32(a);
			break;
		case NFX_KCT_A_GC_MAX:
			gc->max = attr_u32(a);
			break;
		case NFX_KCT_A_GC_RUNS:
			gc->runs = attr_u64(a);
			break;
		case NFX_KCT_A_GC_SHORTENED:
			gc->shortened = attr_u64(a);
			break;
		case NFX_KCT_A_GC_DROPPED:
			gc->dropped = attr_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

int nfx_kct_gc_get(struct nfx_kct_gc *gc)
{
	char buf[256];
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	uint16_t id;
	int err;

	kct_err[0] = 0;
	memset(gc, 0, sizeof(*gc));
	err = kct_open(&nl, &id);
	if (err)
		return err;
	nlh = kct_msg(buf, id, NFX_KCT_CMD_GC_GET);
	err = nl_talk(&nl, nlh, gc_reply_cb, gc);
	nl_close(&nl);
	return err;
}

/* ---- ctnetlink fallback ----------------------------------------------------- */

struct ct_entry {
	uint8_t family;
	uint8_t l4proto;
	uint16_t zone;
	bool has_zone;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;	/* network order */
	uint16_t icmp_id;
	uint8_t icmp_type, icmp_code;
};

struct dump_ctx {
	const struct nfx_kct_pred *p;
	uint64_t examined;
	uint64_t now_real;	/* seconds */
	struct ct_entry *v;
	size_t n, cap;
	int err;
};

static int attr_table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t < 32)
		tb[t] = a;
	return MNL_CB_OK;
}

static void parse_tuple(const struct nlattr *tuple, struct ct_entry *e, struct nfx_kct_view *v)
{
	const struct nlattr *tb[32] = { 0 }, *ip[32] = { 0 }, *pr[32] = { 0 };

	mnl_attr_parse_nested(tuple, attr_table_cb, tb);
	if (tb[CTA_TUPLE_IP])
		mnl_attr_parse_nested(tb[CTA_TUPLE_IP], attr_table_cb, ip);
	if (tb[CTA_TUPLE_PROTO])
		mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], attr_table_cb, pr);
	if (ip[CTA_IP_V4_SRC] && mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) == 4)
		memcpy(e->src, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
	if (ip[CTA_IP_V4_DST] && mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) == 4)
		memcpy(e->dst, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
	if (ip[CTA_IP_V6_SRC] && mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) == 16)
		memcpy(e->src, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
	if (ip[CTA_IP_V6_DST] && mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16)
		memcpy(e->dst, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	if (pr[CTA_PROTO_NUM] && mnl_attr_validate(pr[CTA_PROTO_NUM], MNL_TYPE_U8) == 0)
		e->l4proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (pr[CTA_PROTO_SRC_PORT] && mnl_attr_validate(pr[CTA_PROTO_SRC_PORT], MNL_TYPE_U16) == 0)
		e->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	if (pr[CTA_PROTO_DST_PORT] && mnl_attr_validate(pr[CTA_PROTO_DST_PORT], MNL_TYPE_U16) == 0)
		e->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	if (pr[CTA_PROTO_ICMP_ID] && mnl_attr_validate(pr[CTA_PROTO_ICMP_ID], MNL_TYPE_U16) == 0)
		e->icmp_id = mnl_attr_get_u16(pr[CTA_PROTO_ICMP_ID]);
	if (pr[CTA_PROTO_ICMPV6_ID] &&
	    mnl_attr_validate(pr[CTA_PROTO_ICMPV6_ID], MNL_TYPE_U16) == 0)
		e->icmp_id = mnl_attr_get_u16(pr[CTA_PROTO_ICMPV6_ID]);
	if (pr[CTA_PROTO_ICMP_TYPE])
		e->icmp_type = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_TYPE]);
	if (pr[CTA_PROTO_ICMPV6_TYPE])
		e->icmp_type = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_TYPE]);
	if (pr[CTA_PROTO_ICMP_CODE])
		e->icmp_code = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_CODE]);
	if (pr[CTA_PROTO_ICMPV6_CODE])
		e->icmp_code = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_CODE]);

	memcpy(v->src, e->src, 16);
	memcpy(v->dst, e->dst, 16);
	v->l4proto = e->l4proto;
	v->sport = ntohs(e->sport);
	v->dport = ntohs(e->dport);
	/* As the module: only these protocols have ports (GRE keys do not count). */
	v->has_ports = pr[CTA_PROTO_SRC_PORT] && pr[CTA_PROTO_DST_PORT] &&
		       (e->l4proto == IPPROTO_TCP || e->l4proto == IPPROTO_UDP ||
			e->l4proto == IPPROTO_UDPLITE || e->l4proto == IPPROTO_SCTP ||
			e->l4proto == IPPROTO_DCCP);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTA_MAX + 1 > 32 ? CTA_MAX + 1 : 32] = { 0 };
	struct dump_ctx *c = data;
	struct nfx_kct_view v = { 0 };
	struct ct_entry e = { 0 };
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(*nfg)) if (mnl_attr_get_type(a) <= CTA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	if (!tb[CTA_TUPLE_ORIG])
		return MNL_CB_OK;
	c->examined++;
	e.family = v.family = nfg->nfgen_family;
	parse_tuple(tb[CTA_TUPLE_ORIG], &e, &v);
	if (tb[CTA_ZONE] && mnl_attr_validate(tb[CTA_ZONE], MNL_TYPE_U16) == 0) {
		e.zone = v.zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
		e.has_zone = true;
	}
	if (tb[CTA_STATUS]) {
		uint32_t st = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));

		v.seen_reply = st & (1U << 1);	/* IPS_SEEN_REPLY */
		v.assured = st & (1U << 2);	/* IPS_ASSURED */
	}
	if (tb[CTA_MARK])
		v.mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	if (tb[CTA_TIMEOUT])
		v.timeout = ntohl(mnl_attr_get_u32(tb[CTA_TIMEOUT]));
	if (tb[CTA_PROTOINFO]) {
		const struct nlattr *pi[32] = { 0 }, *tcp[32] = { 0 };

		mnl_attr_parse_nested(tb[CTA_PROTOINFO], attr_table_cb, pi);
		if (pi[CTA_PROTOINFO_TCP]) {
			mnl_attr_parse_nested(pi[CTA_PROTOINFO_TCP], attr_table_cb, tcp);
			if (tcp[CTA_PROTOINFO_TCP_STATE]) {
				v.tcp_state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
				v.has_tcp_state = true;
			}
		}
	}
	if (tb[CTA_TIMESTAMP]) {
		const struct nlattr *ts[32] = { 0 };

		mnl_attr_parse_nested(tb[CTA_TIMESTAMP], attr_table_cb, ts);
		if (ts[CTA_TIMESTAMP_START]) {
			uint64_t start =
				be64toh(mnl_attr_get_u64(ts[CTA_TIMESTAMP_START])) / 1000000000ULL;

			if (start && start <= c->now_real) {
				v.age = c->now_real - start;
				v.has_age = true;
			}
		}
	}
	if (!nfx_kct_pred_match(c->p, &v))
		return MNL_CB_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct ct_entry *nv = realloc(c->v, cap * sizeof(*nv));

		if (!nv) {
			c->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = e;
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint8_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void put_ct_tuple(struct nlmsghdr *nlh, const struct ct_entry *e)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (e->family == AF_INET) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, e->src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, e->dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, e->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, e->dst);
	}
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->l4proto);
	if (e->l4proto == IPPROTO_ICMP) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, e->icmp_id);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, e->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, e->icmp_code);
	} else if (e->l4proto == IPPROTO_ICMPV6) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, e->icmp_id);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, e->icmp_type);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, e->icmp_code);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, e->sport);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, e->dport);
	}
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
}

/*
 * Delete @n entries, many requests to one sendmsg, each acked; count the
 * acks that say 0 (an entry gone meanwhile is not an error).
 */
static int ct_delete_batched(struct nl *nl, const struct ct_entry *v, size_t n, __u64 *removed)
{
	/* Few enough requests per sendmsg that their acks fit the receive buffer. */
	const size_t bufsz = 32 * 1024, room = 512;	/* one request < room */
	const unsigned int per_send = 128;
	char *sbuf = malloc(bufsz);
	static __thread char rbuf[65536];
	size_t i = 0;
	int err = 0;

	if (!sbuf)
		return -ENOMEM;
	while (i < n && !err) {
		unsigned int first = nl->seq + 1, sent = 0, acked = 0;
		size_t off = 0;

		while (i < n && bufsz - off >= room && sent < per_send) {
			struct nlmsghdr *nlh =
				ct_msg(sbuf + off, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, v[i].family);

			nlh->nlmsg_seq = ++nl->seq;
			put_ct_tuple(nlh, &v[i]);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
			i++;
			sent++;
		}
		if (mnl_socket_sendto(nl->sk, sbuf, off) < 0)
			err = -errno;
		while (!err && acked < sent) {
			ssize_t r = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
			struct nlmsghdr *nlh;
			int len;

			if (r < 0) {
				err = -errno;
				break;
			}
			len = (int)r;
			for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
			     nlh = mnl_nlmsg_next(nlh, &len)) {
				int e;

				if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < first ||
				    nlh->nlmsg_seq > nl->seq)
					continue;
				acked++;
				e = nl_err_of(nlh);
				if (e == 0)
					(*removed)++;
				else if (e != -ENOENT && !err)
					err = e;
			}
		}
	}
	free(sbuf);
	return err;
}

int nfx_kct_flush_ctnetlink(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out)
{
	char buf[256];
	struct dump_ctx c = { .p = p, .now_real = (uint64_t)time(NULL) };
	struct nfx_kct_result r = { .path = NFX_KCT_PATH_CTNETLINK };
	uint64_t t0 = now_ns();
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	int err;

	kct_err[0] = 0;
	err = nl_open(&nl, NETLINK_NETFILTER);
	if (err)
		return err;
	nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);
	err = nl_talk(&nl, nlh, dump_cb, &c);
	if (!err && c.err)
		err = c.err;
	r.examined = c.examined;
	if (!err) {
		if (dry_run)
			r.removed = c.n;
		else
			err = ct_delete_batched(&nl, c.v, c.n, &r.removed);
	}
	r.elapsed_ns = now_ns() - t0;
	nl_close(&nl);
	free(c.v);
	if (!err && out)
		*out = r;
	return err;
}

/* Entries in this namespace's table (the sysctl is per namespace). */
static int ct_count(uint64_t *n)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
	char line[32], *end;
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	errno = 0;
	*n = strtoull(line, &end, 10);
	if (errno || end == line)
		return -EIO;
	return 0;
}

/*
 * The kernel's own filtered flush: IPCTNL_MSG_CT_DELETE without a tuple
 * removes every entry whose mark matches CTA_MARK/CTA_MARK_MASK (and whose
 * family matches nfgen_family) in one request, inside the kernel. It says
 * nothing of what it removed, so the counts come from the table size
 * before and after (exact when nothing else changes the table meanwhile).
 */
int nfx_kct_flush_ctnetlink_filtered(const struct nfx_kct_pred *p, struct nfx_kct_result *out)
{
	struct nfx_kct_result r = { .path = NFX_KCT_PATH_CTNETLINK_FILTER };
	uint64_t t0 = now_ns(), before = 0, after = 0;
	struct nl nl = { 0 };
	struct nlmsghdr *nlh;
	char buf[256];
	int err;

	kct_err[0] = 0;
	err = ct_count(&before);
	if (err)
		return err;
	err = nl_open(&nl, NETLINK_NETFILTER);
	if (err)
		return err;
	nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
		     (p->fields & NFX_KCT_F_FAMILY) ? p->family : AF_UNSPEC);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(p->mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(p->mark_mask));
	err = nl_talk(&nl, nlh, NULL, NULL);
	nl_close(&nl);
	if (err)
		return err;
	if (!ct_count(&after) && after <= before)
		r.removed = before - after;
	r.examined = before;
	r.elapsed_ns = now_ns() - t0;
	if (out)
		*out = r;
	return 0;
}

/* Predicates the kernel's filtered flush can express on its own. */
static bool kernel_filter_can(const struct nfx_kct_pred *p, bool dry_run)
{
	return !dry_run && (p->fields & NFX_KCT_F_MARK) &&
	       !(p->fields & ~(NFX_KCT_F_MARK | NFX_KCT_F_FAMILY));
}

int nfx_kct_flush(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out)
{
	int err = nfx_kct_flush_module(p, dry_run, out);

	if (err != -ENOENT || nfx_kct_errmsg()[0] == 0 ||
	    strcmp(nfx_kct_errmsg(), "nfx_ct module not loaded"))
		return err;
	if (kernel_filter_can(p, dry_run)) {
		err = nfx_kct_flush_ctnetlink_filtered(p, out);
		/* Kernels without mark filtering refuse it: walk instead. */
		if (err != -EOPNOTSUPP && err != -EINVAL)
			return err;
	}
	return nfx_kct_flush_ctnetlink(p, dry_run, out);
}

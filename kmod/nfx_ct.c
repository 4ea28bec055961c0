// SPDX-License-Identifier: GPL-2.0
/*
 * nfx_ct: conntrack integration for nfx.
 *
 * A generic netlink family "nfx_ct" with:
 *   FLUSH   selective in-kernel flush of the conntrack table by predicate
 *   GC_SET  pressure-adaptive timeout policy (pf's adaptive.start/end)
 *   GC_GET  the policy, current fill and scale, counters
 *
 * The GC is a delayed work over init_net: when the table fill is above
 * start%, the remaining timeout of each entry is capped at its protocol's
 * configured timeout times scale, where scale falls linearly from 1 at
 * start% to 0 at end% (never below min_timeout seconds). At or above end%
 * unassured entries are dropped outright.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timestamp.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include <nfx/kct.h>

static unsigned int gc_start = 70;
module_param(gc_start, uint, 0444);
MODULE_PARM_DESC(
	gc_start,
	"GC: fill (percent of nf_conntrack_max) above which timeouts scale down (default 70)");

static unsigned int gc_end = 95;
module_param(gc_end, uint, 0444);
MODULE_PARM_DESC(
	gc_end,
	"GC: fill (percent) at which timeouts reach the floor and unassured entries are dropped (default 95)");

static unsigned int gc_interval_ms = 1000;
module_param(gc_interval_ms, uint, 0444);
MODULE_PARM_DESC(gc_interval_ms,
		 "GC: period of the pressure check in ms, 100..600000 (default 1000)");

static unsigned int gc_min_timeout = 1;
module_param(gc_min_timeout, uint, 0444);
MODULE_PARM_DESC(gc_min_timeout, "GC: floor of a scaled timeout in seconds (default 1)");

static bool gc_enable;
module_param(gc_enable, bool, 0444);
MODULE_PARM_DESC(gc_enable, "GC: start the adaptive GC at load (default off; see GC_SET)");

struct nfx_gc_policy {
	bool enabled;
	u32 start, end, interval_ms, min_timeout;
};

/* Protects gc_pol; the worker snapshots it. */
static DEFINE_MUTEX(gc_lock);
static struct nfx_gc_policy gc_pol;
static atomic64_t gc_runs, gc_shortened, gc_dropped;
static atomic_t gc_last_scale = ATOMIC_INIT(1000);
static void nfx_gc_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(gc_dwork, nfx_gc_work);

/* ---- predicate ---------------------------------------------------------- */

/* Matches collected per pass; deleted after the pass, outside bucket locks. */
#define NFX_FLUSH_BATCH 8192
/* Bound on passes, should matching entries keep arriving during a flush. */
#define NFX_FLUSH_MAX_PASSES 1024

struct nfx_flush_ctx {
	struct nfx_kct_pred p;
	bool dry_run;
	bool counting;		/* first pass: count what is examined */
	u64 examined, matched;
	u64 now_real_ns;
	unsigned int n;		/* entries in batch[] */
	bool overflow;		/* a match did not fit: another pass is due */
	struct nf_conn **batch;
};

static bool prefix_match(const union nf_inet_addr *a, u8 family, const struct nfx_kct_prefix *pfx)
{
	const u8 *b = (const u8 *)a->all;
	unsigned int bytes = pfx->plen / 8, bits = pfx->plen % 8;

	if (memcmp(b, pfx->addr, bytes))
		return false;
	if (bits) {
		u8 m = (u8)(0xff << (8 - bits));

		if ((b[bytes] ^ pfx->addr[bytes]) & m)
			return false;
	}
	return true;
}

static bool range_has(const struct nfx_kct_range *r, u16 v)
{
	return v >= r->lo && v <= r->hi;
}

static bool has_ports(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

static bool nfx_pred_match(struct nf_conn *ct, const struct nfx_flush_ctx *c)
{
	const struct nfx_kct_pred *p = &c->p;
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	u8 proto = t->dst.protonum;
	u8 family = t->src.l3num;
	unsigned long status = READ_ONCE(ct->status);

	if ((p->fields & NFX_KCT_F_L4PROTO) && proto != p->l4proto)
		return false;
	if ((p->fields & NFX_KCT_F_FAMILY) && family != p->family)
		return false;
	if (p->fields & NFX_KCT_F_TCP_STATES) {
		if (proto != IPPROTO_TCP)
			return false;
		if (!(p->tcp_states & (1U << READ_ONCE(ct->proto.tcp.state))))
			return false;
	}
	if (p->fields & NFX_KCT_F_STATUS) {
		if ((p->status & NFX_KCT_ST_UNREPLIED) && (status & IPS_SEEN_REPLY))
			return false;
		if ((p->status & NFX_KCT_ST_UNASSURED) && (status & IPS_ASSURED))
			return false;
		if ((p->status & NFX_KCT_ST_ASSURED) && !(status & IPS_ASSURED))
			return false;
	}
	if ((p->fields & NFX_KCT_F_SRC) && !prefix_match(&t->src.u3, family, &p->src))
		return false;
	if ((p->fields & NFX_KCT_F_DST) && !prefix_match(&t->dst.u3, family, &p->dst))
		return false;
	if ((p->fields & NFX_KCT_F_ADDR) && !prefix_match(&t->src.u3, family, &p->addr) &&
	    !prefix_match(&t->dst.u3, family, &p->addr))
		return false;
	if (p->fields & (NFX_KCT_F_SPORT | NFX_KCT_F_DPORT | NFX_KCT_F_PORT)) {
		u16 sp = ntohs(t->src.u.all), dp = ntohs(t->dst.u.all);

		if (!has_ports(proto))
			return false;
		if ((p->fields & NFX_KCT_F_SPORT) && !range_has(&p->sport, sp))
			return false;
		if ((p->fields & NFX_KCT_F_DPORT) && !range_has(&p->dport, dp))
			return false;
		if ((p->fields & NFX_KCT_F_PORT) && !range_has(&p->port, sp) &&
		    !range_has(&p->port, dp))
			return false;
	}
	if ((p->fields & NFX_KCT_F_ZONE) &&
	    nf_ct_zone_id(nf_ct_zone(ct), IP_CT_DIR_ORIGINAL) != p->zone)
		return false;
#ifdef CONFIG_NF_CONNTRACK_MARK
	if ((p->fields & NFX_KCT_F_MARK) && (READ_ONCE(ct->mark) & p->mark_mask) != p->mark)
		return false;
#else
	if (p->fields & NFX_KCT_F_MARK)
		return false;
#endif
	if (p->fields & NFX_KCT_F_TMO) {
		u32 left = nf_ct_expires(ct) / HZ;

		if (left < p->tmo_min || left > p->tmo_max)
			return false;
	}
	if (p->fields & NFX_KCT_F_AGE) {
		struct nf_conn_tstamp *ts = nf_conn_tstamp_find(ct);
		u64 age;

		if (!ts || !ts->start || ts->start > c->now_real_ns)
			return false;
		age = div_u64(c->now_real_ns - ts->start, NSEC_PER_SEC);
		if (age < p->age_min || age > p->age_max)
			return false;
	}
	return true;
}

/*
 * Called under the bucket lock with BHs off: must not sleep. Never asks the
 * iterator to delete: nf_ct_iterate_cleanup_net() rescans a bucket after each
 * deletion, which would visit entries twice. Matches are taken with a
 * reference into the batch instead and deleted once the pass is over.
 */
static int nfx_flush_iter(struct nf_conn *ct, void *data)
{
	struct nfx_flush_ctx *c = data;

	if (c->counting)
		c->examined++;
	if (!nfx_pred_match(ct, c))
		return 0;
	if (c->dry_run) {
		c->matched++;
		return 0;
	}
	if (nf_ct_is_dying(ct))
		return 0;
	if (c->n == NFX_FLUSH_BATCH) {
		c->overflow = true;
		return 0;
	}
	if (refcount_inc_not_zero(&ct->ct_general.use))
		c->batch[c->n++] = ct;
	return 0;
}

static void nfx_flush_run(struct nfx_flush_ctx *c, struct nf_ct_iter_data *iter)
{
	unsigned int i, passes = 0;

	c->counting = true;
	do {
		c->n = 0;
		c->overflow = false;
		nf_ct_iterate_cleanup_net(nfx_flush_iter, iter);
		c->counting = false;
		for (i = 0; i < c->n; i++) {
			if (nf_ct_delete(c->batch[i], iter->portid, iter->report))
				c->matched++;
			nf_ct_put(c->batch[i]);
		}
		cond_resched();
	} while (c->overflow && ++passes < NFX_FLUSH_MAX_PASSES && !fatal_signal_pending(current));
}

/* ---- netlink policies ----------------------------------------------------- */

static const struct nla_policy nfx_pred_policy[NFX_KCT_P_MAX + 1] = {
	[NFX_KCT_P_TCP_STATES] = NLA_POLICY_MASK(NLA_U32, NFX_KCT_TCP_ALL),
	[NFX_KCT_P_STATUS] = NLA_POLICY_MASK(NLA_U32, NFX_KCT_ST_ALL),
	[NFX_KCT_P_L4PROTO] = { .type = NLA_U8 },
	[NFX_KCT_P_FAMILY] = NLA_POLICY_RANGE(NLA_U8, 2, 10),
	[NFX_KCT_P_SRC] = NLA_POLICY_EXACT_LEN(16),
	[NFX_KCT_P_SRC_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[NFX_KCT_P_DST] = NLA_POLICY_EXACT_LEN(16),
	[NFX_KCT_P_DST_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[NFX_KCT_P_ADDR] = NLA_POLICY_EXACT_LEN(16),
	[NFX_KCT_P_ADDR_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[NFX_KCT_P_SPORT] = { .type = NLA_U32 },
	[NFX_KCT_P_DPORT] = { .type = NLA_U32 },
	[NFX_KCT_P_PORT] = { .type = NLA_U32 },
	[NFX_KCT_P_ZONE] = { .type = NLA_U16 },
	[NFX_KCT_P_MARK] = { .type = NLA_U32 },
	[NFX_KCT_P_MARK_MASK] = { .type = NLA_U32 },
	[NFX_KCT_P_AGE_MIN] = { .type = NLA_U32 },
	[NFX_KCT_P_AGE_MAX] = { .type = NLA_U32 },
	[NFX_KCT_P_TMO_MIN] = { .type = NLA_U32 },
	[NFX_KCT_P_TMO_MAX] = { .type = NLA_U32 },
};

static struct netlink_range_validation nfx_interval_range = {
	.min = 100,
	.max = 600000,
};

static struct netlink_range_validation nfx_min_timeout_range = {
	.min = 0,
	.max = 86400,
};

static const struct nla_policy nfx_kct_policy[NFX_KCT_A_MAX + 1] = {
	[NFX_KCT_A_PRED] = NLA_POLICY_NESTED(nfx_pred_policy),
	[NFX_KCT_A_DRY_RUN] = { .type = NLA_FLAG },
	[NFX_KCT_A_GC_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFX_KCT_A_GC_START] = NLA_POLICY_RANGE(NLA_U32, 1, 100),
	[NFX_KCT_A_GC_END] = NLA_POLICY_RANGE(NLA_U32, 1, 200),
	[NFX_KCT_A_GC_INTERVAL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &nfx_interval_range),
	[NFX_KCT_A_GC_MIN_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &nfx_min_timeout_range),
};

static int get_prefix(struct nlattr **tb, int a, int l, struct nfx_kct_prefix *pfx, u8 family,
		      struct netlink_ext_ack *extack)
{
	unsigned int max = family == AF_INET ? 32 : 128;
	unsigned int i;

	if (!tb[l]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a], "address without prefix length");
		return -EINVAL;
	}
	memcpy(pfx->addr, nla_data(tb[a]), 16);
	pfx->plen = nla_get_u8(tb[l]);
	if (pfx->plen > max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[l], "prefix length exceeds the address family's");
		return -EINVAL;
	}
	/* Host bits must be zero: catches a v4 address sent in the wrong place. */
	for (i = pfx->plen; i < 128; i++) {
		if (pfx->addr[i / 8] & (0x80 >> (i % 8))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a],
					    "address has bits set beyond its prefix length");
			return -EINVAL;
		}
	}
	return 0;
}

static int get_range(struct nlattr *a, struct nfx_kct_range *r, struct netlink_ext_ack *extack)
{
	u32 v = nla_get_u32(a);

	r->lo = v >> 16;
	r->hi = v & 0xffff;
	if (r->lo > r->hi) {
		NL_SET_ERR_MSG_ATTR(extack, a, "port range low end above its high end");
		return -EINVAL;
	}
	return 0;
}

static int nfx_parse_pred(struct nlattr *nest, struct nfx_kct_pred *p,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFX_KCT_P_MAX + 1];
	int err;

	memset(p, 0, sizeof(*p));
	if (!nest)
		return 0;
	err = nla_parse_nested(tb, NFX_KCT_P_MAX, nest, nfx_pred_policy, extack);
	if (err)
		return err;

	if (tb[NFX_KCT_P_FAMILY]) {
		p->family = nla_get_u8(tb[NFX_KCT_P_FAMILY]);
		if (p->family != AF_INET && p->family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_FAMILY],
					    "family must be AF_INET or AF_INET6");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_FAMILY;
	}
	if ((tb[NFX_KCT_P_SRC] || tb[NFX_KCT_P_DST] || tb[NFX_KCT_P_ADDR]) && !p->family) {
		NL_SET_ERR_MSG(extack, "an address predicate needs a family");
		return -EINVAL;
	}
	if (tb[NFX_KCT_P_SRC]) {
		err = get_prefix(tb, NFX_KCT_P_SRC, NFX_KCT_P_SRC_PLEN, &p->src, p->family, extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_SRC;
	}
	if (tb[NFX_KCT_P_DST]) {
		err = get_prefix(tb, NFX_KCT_P_DST, NFX_KCT_P_DST_PLEN, &p->dst, p->family, extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_DST;
	}
	if (tb[NFX_KCT_P_ADDR]) {
		err = get_prefix(tb, NFX_KCT_P_ADDR, NFX_KCT_P_ADDR_PLEN, &p->addr, p->family,
				 extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_ADDR;
	}
	if (tb[NFX_KCT_P_L4PROTO]) {
		p->l4proto = nla_get_u8(tb[NFX_KCT_P_L4PROTO]);
		p->fields |= NFX_KCT_F_L4PROTO;
	}
	if (tb[NFX_KCT_P_TCP_STATES]) {
		p->tcp_states = nla_get_u32(tb[NFX_KCT_P_TCP_STATES]);
		if (!p->tcp_states) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_TCP_STATES],
					    "empty TCP state set");
			return -EINVAL;
		}
		if ((p->fields & NFX_KCT_F_L4PROTO) && p->l4proto != IPPROTO_TCP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_TCP_STATES],
					    "TCP states with a protocol other than TCP");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_TCP_STATES;
	}
	if (tb[NFX_KCT_P_STATUS]) {
		p->status = nla_get_u32(tb[NFX_KCT_P_STATUS]);
		if ((p->status & NFX_KCT_ST_ASSURED) && (p->status & NFX_KCT_ST_UNASSURED)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_STATUS],
					    "assured and unassured together never match");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_STATUS;
	}
	if (tb[NFX_KCT_P_SPORT]) {
		err = get_range(tb[NFX_KCT_P_SPORT], &p->sport, extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_SPORT;
	}
	if (tb[NFX_KCT_P_DPORT]) {
		err = get_range(tb[NFX_KCT_P_DPORT], &p->dport, extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_DPORT;
	}
	if (tb[NFX_KCT_P_PORT]) {
		err = get_range(tb[NFX_KCT_P_PORT], &p->port, extack);
		if (err)
			return err;
		p->fields |= NFX_KCT_F_PORT;
	}
	if (tb[NFX_KCT_P_ZONE]) {
		p->zone = nla_get_u16(tb[NFX_KCT_P_ZONE]);
		p->fields |= NFX_KCT_F_ZONE;
	}
	if (tb[NFX_KCT_P_MARK_MASK] && !tb[NFX_KCT_P_MARK]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_MARK_MASK], "mark mask without a mark");
		return -EINVAL;
	}
	if (tb[NFX_KCT_P_MARK]) {
		p->mark = nla_get_u32(tb[NFX_KCT_P_MARK]);
		p->mark_mask =
			tb[NFX_KCT_P_MARK_MASK] ? nla_get_u32(tb[NFX_KCT_P_MARK_MASK]) : 0xffffffff;
		if (p->mark & ~p->mark_mask) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFX_KCT_P_MARK],
					    "mark has bits outside its mask");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_MARK;
	}
	if (tb[NFX_KCT_P_AGE_MIN] || tb[NFX_KCT_P_AGE_MAX]) {
		p->age_max = U32_MAX;
		if (tb[NFX_KCT_P_AGE_MIN])
			p->age_min = nla_get_u32(tb[NFX_KCT_P_AGE_MIN]);
		if (tb[NFX_KCT_P_AGE_MAX])
			p->age_max = nla_get_u32(tb[NFX_KCT_P_AGE_MAX]);
		if (p->age_min > p->age_max) {
			NL_SET_ERR_MSG(extack, "age range minimum above its maximum");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_AGE;
	}
	if (tb[NFX_KCT_P_TMO_MIN] || tb[NFX_KCT_P_TMO_MAX]) {
		p->tmo_max = U32_MAX;
		if (tb[NFX_KCT_P_TMO_MIN])
			p->tmo_min = nla_get_u32(tb[NFX_KCT_P_TMO_MIN]);
		if (tb[NFX_KCT_P_TMO_MAX])
			p->tmo_max = nla_get_u32(tb[NFX_KCT_P_TMO_MAX]);
		if (p->tmo_min > p->tmo_max) {
			NL_SET_ERR_MSG(extack, "timeout range minimum above its maximum");
			return -EINVAL;
		}
		p->fields |= NFX_KCT_F_TMO;
	}
	return 0;
}

static struct genl_family nfx_kct_family;

static int nfx_kct_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nf_ct_iter_data iter = {
		.net = genl_info_net(info),
		.portid = info->snd_portid,
		.report = 0,
	};
	struct nfx_flush_ctx *c;
	struct sk_buff *msg;
	void *hdr;
	u64 t0, dt;
	int err;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	err = nfx_parse_pred(info->attrs[NFX_KCT_A_PRED], &c->p, info->extack);
	if (err)
		goto out;
	c->dry_run = nla_get_flag(info->attrs[NFX_KCT_A_DRY_RUN]);
	c->now_real_ns = ktime_get_real_ns();
	iter.data = c;
	if (!c->dry_run) {
		c->batch = kvmalloc_array(NFX_FLUSH_BATCH, sizeof(*c->batch), GFP_KERNEL);
		if (!c->batch) {
			err = -ENOMEM;
			goto out;
		}
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}

	t0 = ktime_get_ns();
	nfx_flush_run(c, &iter);
	dt = ktime_get_ns() - t0;

	hdr = genlmsg_put_reply(msg, info, &nfx_kct_family, 0, NFX_KCT_CMD_FLUSH);
	if (!hdr || nla_put_u64_64bit(msg, NFX_KCT_A_EXAMINED, c->examined, NFX_KCT_A_PAD) ||
	    nla_put_u64_64bit(msg, NFX_KCT_A_REMOVED, c->matched, NFX_KCT_A_PAD) ||
	    nla_put_u64_64bit(msg, NFX_KCT_A_ELAPSED_NS, dt, NFX_KCT_A_PAD)) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
out:
	kvfree(c->batch);
	kfree(c);
	return err;
}

/* ---- adaptive GC ---------------------------------------------------------- */

struct nfx_gc_ctx {
	struct net *net;
	u32 scale;		/* per mille */
	u32 min_timeout;	/* jiffies */
	bool drop_unassured;
	u64 shortened, dropped;
};

/* The configured timeout for @ct's protocol and state, in jiffies. */
static unsigned int nfx_base_timeout(struct net *net, struct nf_conn *ct)
{
	u8 proto = nf_ct_protonum(ct);

	switch (proto) {
	case IPPROTO_TCP: {
		u8 st = READ_ONCE(ct->proto.tcp.state);

		if (st >= TCP_CONNTRACK_TIMEOUT_MAX)
			st = TCP_CONNTRACK_ESTABLISHED;
		return nf_tcp_pernet(net)->timeouts[st];
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return nf_udp_pernet(net)
			->timeouts[test_bit(IPS_SEEN_REPLY_BIT, &ct->status) ? UDP_CT_REPLIED :
									       UDP_CT_UNREPLIED];
	case IPPROTO_ICMP:
		return nf_icmp_pernet(net)->timeout;
#if IS_ENABLED(CONFIG_IPV6)
	case IPPROTO_ICMPV6:
		return nf_icmpv6_pernet(net)->timeout;
#endif
	default:
		return nf_generic_pernet(net)->timeout;
	}
}

static int nfx_gc_iter(struct nf_conn *ct, void *data)
{
	struct nfx_gc_ctx *g = data;
	unsigned long left, cap;

	/* A flowtable owns the timeout of an offloaded entry. */
	if (test_bit(IPS_OFFLOAD_BIT, &ct->status))
		return 0;
	if (g->drop_unassured && !test_bit(IPS_ASSURED_BIT, &ct->status)) {
		g->dropped++;
		return 1;
	}
	cap = (unsigned long)nfx_base_timeout(g->net, ct) * g->scale / 1000;
	if (cap < g->min_timeout)
		cap = g->min_timeout;
	left = nf_ct_expires(ct);
	if (left > cap) {
		WRITE_ONCE(ct->timeout, nfct_time_stamp + (u32)cap);
		g->shortened++;
	}
	return 0;
}

/* Fill in per mille of nf_conntrack_max, and the scale it implies. */
static void nfx_gc_pressure(struct net *net, const struct nfx_gc_policy *pol, u32 *fill, u32 *scale,
			    u32 *count, u32 *max)
{
	u32 n = nf_conntrack_count(net), m = READ_ONCE(nf_conntrack_max);
	u32 s = pol->start * 10, e = pol->end * 10;

	*count = n;
	*max = m;
	*fill = m ? (u32)div_u64((u64)n * 1000, m) : 0;
	if (!m || *fill <= s)
		*scale = 1000;
	else if (*fill >= e)
		*scale = 0;
	else
		*scale = (e - *fill) * 1000 / (e - s);
}

static void nfx_gc_work(struct work_struct *work)
{
	struct nf_ct_iter_data iter = { .net = &init_net };
	struct nfx_gc_policy pol;
	struct nfx_gc_ctx g = { .net = &init_net };
	u32 fill, count, max;

	mutex_lock(&gc_lock);
	pol = gc_pol;
	mutex_unlock(&gc_lock);
	if (!pol.enabled)
		return;

	nfx_gc_pressure(&init_net, &pol, &fill, &g.scale, &count, &max);
	atomic_set(&gc_last_scale, g.scale);
	if (g.scale < 1000) {
		g.min_timeout = pol.min_timeout * HZ;
		g.drop_unassured = fill >= pol.end * 10;
		iter.data = &g;
		nf_ct_iterate_cleanup_net(nfx_gc_iter, &iter);
		atomic64_inc(&gc_runs);
		atomic64_add(g.shortened, &gc_shortened);
		atomic64_add(g.dropped, &gc_dropped);
	}
	queue_delayed_work(system_power_efficient_wq, &gc_dwork, msecs_to_jiffies(pol.interval_ms));
}

static int nfx_kct_gc_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct nfx_gc_policy p;

	if (!net_eq(genl_info_net(info), &init_net)) {
		NL_SET_ERR_MSG(info->extack,
			       "the GC policy is set from the initial network namespace");
		return -EOPNOTSUPP;
	}
	mutex_lock(&gc_lock);
	p = gc_pol;
	if (tb[NFX_KCT_A_GC_ENABLED])
		p.enabled = nla_get_u8(tb[NFX_KCT_A_GC_ENABLED]);
	if (tb[NFX_KCT_A_GC_START])
		p.start = nla_get_u32(tb[NFX_KCT_A_GC_START]);
	if (tb[NFX_KCT_A_GC_END])
		p.end = nla_get_u32(tb[NFX_KCT_A_GC_END]);
	if (tb[NFX_KCT_A_GC_INTERVAL_MS])
		p.interval_ms = nla_get_u32(tb[NFX_KCT_A_GC_INTERVAL_MS]);
	if (tb[NFX_KCT_A_GC_MIN_TIMEOUT])
		p.min_timeout = nla_get_u32(tb[NFX_KCT_A_GC_MIN_TIMEOUT]);
	if (p.end <= p.start) {
		mutex_unlock(&gc_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, tb[NFX_KCT_A_GC_END] ?: tb[NFX_KCT_A_GC_START],
				    "GC end fill must be above start fill");
		return -EINVAL;
	}
	gc_pol = p;
	mutex_unlock(&gc_lock);

	if (p.enabled)
		mod_delayed_work(system_power_efficient_wq, &gc_dwork, 0);
	else
		cancel_delayed_work_sync(&gc_dwork);
	return 0;
}

static int nfx_kct_gc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfx_gc_policy p;
	u32 fill, scale, count, max;
	struct sk_buff *msg;
	void *hdr;

	mutex_lock(&gc_lock);
	p = gc_pol;
	mutex_unlock(&gc_lock);
	nfx_gc_pressure(genl_info_net(info), &p, &fill, &scale, &count, &max);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nfx_kct_family, 0, NFX_KCT_CMD_GC_GET);
	if (!hdr || nla_put_u8(msg, NFX_KCT_A_GC_ENABLED, p.enabled) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_START, p.start) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_END, p.end) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_INTERVAL_MS, p.interval_ms) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_MIN_TIMEOUT, p.min_timeout) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_FILL, fill) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_SCALE, scale) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_COUNT, count) ||
	    nla_put_u32(msg, NFX_KCT_A_GC_MAX, max) ||
	    nla_put_u64_64bit(msg, NFX_KCT_A_GC_RUNS, atomic64_read(&gc_runs), NFX_KCT_A_PAD) ||
	    nla_put_u64_64bit(msg, NFX_KCT_A_GC_SHORTENED, atomic64_read(&gc_shortened),
			      NFX_KCT_A_PAD) ||
	    nla_put_u64_64bit(msg, NFX_KCT_A_GC_DROPPED, atomic64_read(&gc_dropped),
			      NFX_KCT_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_ops nfx_kct_ops[] = {
	{
		.cmd = NFX_KCT_CMD_FLUSH,
		.doit = nfx_kct_flush_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFX_KCT_CMD_GC_SET,
		.doit = nfx_kct_gc_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = NFX_KCT_CMD_GC_GET,
		.doit = nfx_kct_gc_get_doit,
	},
};

static struct genl_family nfx_kct_family __ro_after_init = {
	.name = NFX_KCT_GENL_NAME,
	.version = NFX_KCT_GENL_VERSION,
	.maxattr = NFX_KCT_A_MAX,
	.policy = nfx_kct_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = nfx_kct_ops,
	.n_ops = ARRAY_SIZE(nfx_kct_ops),
	.resv_start_op = NFX_KCT_CMD_GC_GET + 1,
};

static int __init nfx_ct_init(void)
{
	int err;

	if (gc_start < 1 || gc_start > 100 || gc_end <= gc_start || gc_end > 200 ||
	    gc_interval_ms < 100 || gc_interval_ms > 600000 || gc_min_timeout > 86400) {
		pr_err("bad gc_* parameters (need 1 <= gc_start < gc_end <= 200, 100 <= gc_interval_ms <= 600000)\n");
		return -EINVAL;
	}
	gc_pol = (struct nfx_gc_policy){
		.enabled = gc_enable,
		.start = gc_start,
		.end = gc_end,
		.interval_ms = gc_interval_ms,
		.min_timeout = gc_min_timeout,
	};
	err = genl_register_family(&nfx_kct_family);
	if (err)
		return err;
	if (gc_pol.enabled)
		queue_delayed_work(system_power_efficient_wq, &gc_dwork, 0);
	return 0;
}

static void __exit nfx_ct_exit(void)
{
	/* No request can run once the family is gone, so nothing re-arms
	 * the work except itself; cancel_delayed_work_sync handles that.
	 */
	genl_unregister_family(&nfx_kct_family);
	mutex_lock(&gc_lock);
	gc_pol.enabled = false;
	mutex_unlock(&gc_lock);
	cancel_delayed_work_sync(&gc_dwork);
}

module_init(nfx_ct_init);
module_exit(nfx_ct_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("nfx developers");
MODULE_DESCRIPTION(
	"nfx conntrack integration: selective flush and adaptive GC over generic netlink");
MODULE_ALIAS_GENL_FAMILY(NFX_KCT_GENL_NAME);

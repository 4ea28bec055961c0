/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow stage: find or create the ONE entry of a packet's connection and
 * follow its state.
 *
 * Two tiers share one key space (the keyed hash of the canonical tuple):
 *  - nfx_flows_new (LRU): flows not yet ASSURED. A flood of spoofed SYNs or
 *    UDP can only ever evict entries of this tier.
 *  - nfx_flows: ASSURED flows, moved here once; an established flow is
 *    found with one lookup in this map.
 */
#ifndef NFX_BPF_FLOW_H
#define NFX_BPF_FLOW_H

#include "compat.h"
#include "parse.h"
#include "stats.h"
#include "ct.h"
#include "gc.h"
#include "flowtab.h"
#include "events.h"
#include "nfx/flow.h"
#include "nfx/hash.h"
#include "nfx/config.h"

/* Set by the loader before load; never changes while attached. */
const volatile __u64 hash_key[2] = {};
const volatile __u32 features = 0;

struct flow_ctx {
	struct flow_key key;
	__u64 hash;
	__u64 now;
	int dir;		/* enum flow_dir of this packet */
	struct flow_entry *e;
	bool assured_tier;	/* e lives in nfx_flows */
	bool created;
	__u32 ifindex;		/* ingress link, for events */
};

static __always_inline __u8 flow_dir_seen_flag(int dir)
{
	return dir == FLOW_DIR_LO_HI ? FLOW_F_SEEN_LO : FLOW_F_SEEN_HI;
}

static __always_inline __u8 flow_dir_fin_flag(int dir)
{
	return dir == FLOW_DIR_LO_HI ? FLOW_F_FIN_LO : FLOW_F_FIN_HI;
}

/* Is dir the direction of the side that opened the connection? */
static __always_inline bool flow_is_orig(const struct flow_entry *e, int dir)
{
	return (dir == FLOW_DIR_HI_LO) == !!(e->flags & FLOW_F_INIT_HI);
}

static __always_inline __u32 flow_timeout(const struct flow_entry *e, const struct nfx_config *cfg)
{
	const struct nfx_timeouts *t = &cfg->timeouts;

	switch (e->key.proto) {
	case NFX_IPPROTO_TCP:
		if (e->tcp_state < FLOW_TCP_STATE_MAX)
			return t->tcp[e->tcp_state];
		return t->tcp[FLOW_TCP_CLOSE];
	case NFX_IPPROTO_UDP:
		return e->flags & FLOW_F_ASSURED ? t->udp_assured : t->udp_unreplied;
	case NFX_IPPROTO_ICMP:
	case NFX_IPPROTO_ICMPV6:
		return t->icmp;
	}
	return t->other;
}

static __always_inline bool flow_expired(const struct flow_entry *e, const struct nfx_config *cfg,
					 __u64 now)
{
	__u64 last = e->last_seen;

	/* Another CPU may have stamped the entry after this packet read the clock. */
	if (now <= last)
		return false;
	return now - last > (__u64)flow_timeout(e, cfg) * 1000000000ull;
}

/*
 * TCP state machine over both directions. Returns false for a transition
 * the state does not allow; the packet still passes, the entry counts it.
 */
static __always_inline bool flow_tcp_update(struct flow_entry *e, int dir, __u8 fl)
{
	bool orig = flow_is_orig(e, dir);
	__u8 st = e->tcp_state;

	if (fl & NFX_TCP_RST) {
		e->tcp_state = FLOW_TCP_CLOSE;
		return true;
	}
	if ((fl & (NFX_TCP_SYN | NFX_TCP_ACK)) == NFX_TCP_SYN) {
		if (st == FLOW_TCP_SYN_SENT && orig)
			return true;			/* retransmission */
		if (st == FLOW_TCP_TIME_WAIT || st == FLOW_TCP_CLOSE) {
			/* The tuple is reused by a new connection (RFC 1122 4.2.2.13). */
			e->tcp_state = FLOW_TCP_SYN_SENT;
			e->flags &= ~(FLOW_F_FIN_LO | FLOW_F_FIN_HI | FLOW_F_INIT_HI);
			if (dir == FLOW_DIR_HI_LO)
				e->flags |= FLOW_F_INIT_HI;
			return true;
		}
		return false;
	}
	if (fl & NFX_TCP_SYN) {				/* SYN+ACK */
		if (!orig && (st == FLOW_TCP_SYN_SENT || st == FLOW_TCP_SYN_RECV)) {
			e->tcp_state = FLOW_TCP_SYN_RECV;
			return true;
		}
		return false;
	}
	if (fl & NFX_TCP_FIN) {
		__u8 mine = flow_dir_fin_flag(dir);

		if (st == FLOW_TCP_NONE || st == FLOW_TCP_SYN_SENT)
			return false;
		e->flags |= mine;
		if ((e->flags & (FLOW_F_FIN_LO | FLOW_F_FIN_HI)) ==
		    (FLOW_F_FIN_LO | FLOW_F_FIN_HI)) {
			if (st != FLOW_TCP_TIME_WAIT)
				e->tcp_state = FLOW_TCP_LAST_ACK;
		} else {
			e->tcp_state = FLOW_TCP_FIN_WAIT;
		}
		return true;
	}
	if (!(fl & NFX_TCP_ACK))
		return false;				/* no flag we follow */

	switch (st) {
	case FLOW_TCP_SYN_SENT:
		return false;				/* ACK before SYN-ACK */
	case FLOW_TCP_SYN_RECV:
		if (orig)
			e->tcp_state = FLOW_TCP_ESTABLISHED;
		return true;
	case FLOW_TCP_FIN_WAIT:
		/* the side that did not close acknowledges the FIN */
		if (!(e->flags & flow_dir_fin_flag(dir)))
			e->tcp_state = FLOW_TCP_CLOSE_WAIT;
		return true;
	case FLOW_TCP_LAST_ACK:
		e->tcp_state = FLOW_TCP_TIME_WAIT;
		return true;
	}
	return true;
}

static __always_inline void flow_entry_init(struct flow_entry *e, const struct flow_ctx *fc,
					    const struct nfx_pkt *pkt)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->key = fc->key;
	e->first_seen = fc->now;
	e->last_seen = fc->now;
	if (fc->dir == FLOW_DIR_HI_LO)
		e->flags |= FLOW_F_INIT_HI;
	if (pkt->l4proto == NFX_IPPROTO_TCP) {
		if ((pkt->tcp_flags & (NFX_TCP_SYN | NFX_TCP_ACK)) == NFX_TCP_SYN)
			e->tcp_state = FLOW_TCP_SYN_SENT;
		else
			e->flags |= FLOW_F_MIDSTREAM;
	}
}

/* Move a flow that just became ASSURED to the assured tier. */
static __always_inline void flow_promote(struct flow_ctx *fc, const struct nfx_config *cfg)
{
	if (bpf_map_update_elem(&nfx_flows, &fc->hash, fc->e, BPF_NOEXIST)) {
		/* Assured tier full: the flow stays (and works) where it is. */
		nfx_stat_add(NFX_STAT_FLOW_FULL, 0);
		return;
	}
	nfx_gc_track(NFX_GC_TIER_ASSURED, fc->hash, fc->e->first_seen);
	nfx_quota_release(&cfg->gc, flow_src_addr(fc->e), fc->key.family);
	bpf_map_delete_elem(&nfx_flows_new, &fc->hash);
	fc->e = bpf_map_lookup_elem(&nfx_flows, &fc->hash);
	fc->assured_tier = true;
}

/*
 * Events of a TCP state change; the connection ends (as far as the
 * datapath can tell) when it enters TIME_WAIT or CLOSE from a live state.
 */
static __always_inline void flow_state_events(const struct flow_ctx *fc, const struct flow_entry *e,
					      __u8 old_state)
{
	__u8 st = e->tcp_state;

	nfx_event_state(e, old_state, fc->ifindex);
	if (old_state == FLOW_TCP_TIME_WAIT || old_state == FLOW_TCP_CLOSE)
		return;
	if (st == FLOW_TCP_TIME_WAIT)
		nfx_event_end(e, NFX_EV_END_CLOSE, fc->ifindex);
	else if (st == FLOW_TCP_CLOSE)
		nfx_event_end(e, NFX_EV_END_RESET, fc->ifindex);
}

/*
 * Look the flow up in both tiers. Returns the entry, or NULL on a miss
 * (and on a hash collision, counted, which leaves the packet untracked).
 */
static __always_inline struct flow_entry *flow_lookup(struct flow_ctx *fc)
{
	struct flow_entry *e;

	e = bpf_map_lookup_elem(&nfx_flows, &fc->hash);
	if (e) {
		if (likely(nfx_flow_key_eq(&e->key, &fc->key))) {
			fc->assured_tier = true;
			return e;
		}
		nfx_stat_add(NFX_STAT_FLOW_COLLISION, 0);
		return NULL;
	}
	e = bpf_map_lookup_elem(&nfx_flows_new, &fc->hash);
	if (e && !nfx_flow_key_eq(&e->key, &fc->key)) {
		nfx_stat_add(NFX_STAT_FLOW_COLLISION, 0);
		return NULL;
	}
	return e;
}

static __always_inline int flow_create(struct xdp_md *ctx, struct flow_ctx *fc,
				       const struct nfx_pkt *pkt, const struct nfx_config *cfg)
{
	struct flow_entry ne;
	void *tier = &nfx_flows_new;
	__u32 placed = NFX_GC_TIER_NEW;

	/*
	 * A flow being promoted is inserted in nfx_flows before it leaves
	 * nfx_flows_new, so a packet that missed both tiers during the move
	 * finds it here instead of creating a second entry.
	 */
	if (bpf_map_lookup_elem(&nfx_flows, &fc->hash))
		return 0;
	flow_entry_init(&ne, fc, pkt);
	if ((features & NFX_FEAT_CT_KFUNCS) && nfx_ct_adopt(ctx, pkt, &ne))
		nfx_stat_add(NFX_STAT_FLOW_ADOPTED, 0);
	if (ne.flags & FLOW_F_ASSURED) {
		tier = &nfx_flows;
		placed = NFX_GC_TIER_ASSURED;
	} else if (!nfx_quota_admit(&cfg->gc, &pkt->saddr, pkt->family)) {
		/* The source prefix holds its share of the unassured tier. */
		nfx_stat_add(NFX_STAT_FLOW_QUOTA, 0);
		return -1;
	}
	if (bpf_map_update_elem(tier, &fc->hash, &ne, BPF_NOEXIST)) {
		if (bpf_map_update_elem(&nfx_flows_new, &fc->hash, &ne, BPF_NOEXIST)) {
			nfx_stat_add(NFX_STAT_FLOW_FULL, 0);
			return -1;
		}
		placed = NFX_GC_TIER_NEW;
	}
	nfx_gc_track(placed, fc->hash, ne.first_seen);
	nfx_stat_add(NFX_STAT_FLOW_NEW, 0);
	fc->created = true;
	return 0;
}

/*
 * The stage: account the packet to its flow, creating the entry on the
 * first packet. Packets without ports (later fragments, ESP, ...) and ICMP
 * errors are not tracked here.
 */
static __always_inline struct flow_entry *nfx_flow_stage(struct xdp_md *ctx,
							 const struct nfx_pkt *pkt,
							 const struct nfx_config *cfg, __u16 zone,
							 struct flow_ctx *fc)
{
	struct flow_entry *e;
	__u8 seen;
	__u64 secret[2] = { hash_key[0], hash_key[1] };

	if (pkt->l4proto == NFX_IPPROTO_ICMP || pkt->l4proto == NFX_IPPROTO_ICMPV6) {
		if (!nfx_icmp_is_echo(pkt->family, pkt->icmp_type))
			return NULL;
	}
	fc->dir = nfx_flow_key_make(&fc->key, pkt->family, pkt->l4proto, zone, &pkt->saddr,
				    pkt->sport, &pkt->daddr, pkt->dport);
	fc->hash = nfx_flow_hash(&fc->key, secret);
	fc->now = bpf_ktime_get_ns();
	fc->ifindex = ctx->ingress_ifindex;

	e = flow_lookup(fc);
	if (e && flow_expired(e, cfg, fc->now)) {
		/* A stale entry for the same tuple: start the flow afresh. */
		nfx_event_end(e, NFX_EV_END_EXPIRED, fc->ifindex);
		bpf_map_delete_elem(fc->assured_tier ? (void *)&nfx_flows : (void *)&nfx_flows_new,
				    &fc->hash);
		e = NULL;
		fc->assured_tier = false;
	}
	if (!e) {
		if (flow_create(ctx, fc, pkt, cfg))
			return NULL;
		e = flow_lookup(fc);
		if (!e)
			return NULL;
	} else {
		nfx_stat_add(NFX_STAT_FLOW_HIT, 0);
	}
	fc->e = e;

	__sync_fetch_and_add(&e->packets[fc->dir & 1], 1);
	__sync_fetch_and_add(&e->bytes[fc->dir & 1], pkt->l3_len);
	e->last_seen = fc->now;
	seen = flow_dir_seen_flag(fc->dir);
	if (!(e->flags & seen))
		e->flags |= seen;

	if (pkt->l4proto == NFX_IPPROTO_TCP) {
		__u8 old_state = e->tcp_state;

		e->tcp_flags_seen[fc->dir & 1] |= pkt->tcp_flags;
		if (!fc->created && !flow_tcp_update(e, fc->dir, pkt->tcp_flags)) {
			e->invalid++;
			nfx_stat_add(NFX_STAT_TCP_INVALID, pkt->len);
		}
		/* Picked up mid-stream: established once both sides talk. */
		if (e->tcp_state == FLOW_TCP_NONE &&
		    (e->flags & (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI)) ==
			    (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI))
			e->tcp_state = FLOW_TCP_ESTABLISHED;
		if (unlikely(e->tcp_state != old_state))
			flow_state_events(fc, e, old_state);
	}

	if (!(e->flags & FLOW_F_ASSURED)) {
		bool both = (e->flags & (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI)) ==
			    (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI);

		/*
		 * TCP waits for the handshake to complete: a spoofed SYN
		 * draws a SYN-ACK, which must not make the flow ASSURED.
		 */
		if (pkt->l4proto == NFX_IPPROTO_TCP)
			both = both && e->tcp_state >= FLOW_TCP_ESTABLISHED &&
			       e->tcp_state != FLOW_TCP_CLOSE;
		if (both) {
			e->flags |= FLOW_F_ASSURED;
			if (!fc->assured_tier)
				flow_promote(fc, cfg);
		}
	}
	if (fc->created)
		nfx_event_new(fc->e, fc->ifindex);
	return fc->e;
}

#endif /* NFX_BPF_FLOW_H */

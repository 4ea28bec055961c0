/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * In-kernel evaluation of a struct nfx_flow_pred (include/nfx/pred.h).
 * Written for the verifier: fixed trip counts, 64-bit address compares.
 * loader/lib/pred.c holds the plain reference matcher it is tested against.
 */
#ifndef NFX_BPF_PRED_H
#define NFX_BPF_PRED_H

#include "compat.h"
#include "nfx/flow.h"
#include "nfx/pred.h"

static __always_inline bool pred_in_net(const struct nfx_pred_net *n, const union nfx_addr *a)
{
	return (a->q[0] & n->mask.q[0]) == n->addr.q[0] && (a->q[1] & n->mask.q[1]) == n->addr.q[1];
}

/* Does the condition named by bit fail, given whether it holds? */
static __always_inline bool pred_fails(const struct nfx_flow_pred *p, __u32 bit, bool holds)
{
	return (p->match & bit) && holds == !!(p->negate & bit);
}

static __always_inline bool nfx_pred_eval(const struct nfx_flow_pred *p, const struct flow_entry *e,
					  __u64 now)
{
	bool init_hi = e->flags & FLOW_F_INIT_HI;
	const union nfx_addr *src = init_hi ? &e->key.hi_addr : &e->key.lo_addr;
	const union nfx_addr *dst = init_hi ? &e->key.lo_addr : &e->key.hi_addr;
	__u16 sport = nfx_ntohs(init_hi ? e->key.hi_port : e->key.lo_port);
	__u16 dport = nfx_ntohs(init_hi ? e->key.lo_port : e->key.hi_port);
	__u64 age, idle;
	__u32 st;
	int i;

	if (pred_fails(p, NFX_PRED_M_PROTO, e->key.proto == p->proto) ||
	    pred_fails(p, NFX_PRED_M_FAMILY, e->key.family == p->family) ||
	    pred_fails(p, NFX_PRED_M_ZONE, e->key.zone == p->zone) ||
	    pred_fails(p, NFX_PRED_M_MARK, (e->mark & p->mark_mask) == p->mark) ||
	    pred_fails(p, NFX_PRED_M_APP, e->app_id == p->app_id))
		return false;
	st = e->tcp_state;
	if (pred_fails(p, NFX_PRED_M_STATE,
		       e->key.proto == NFX_IPPROTO_TCP && st < 32 &&
			       ((p->tcp_states >> (st & 31)) & 1)))
		return false;
	if ((nfx_flow_status(e) & p->status_mask) != p->status_want)
		return false;
	age = now > e->first_seen ? now - e->first_seen : 0;
	idle = now > e->last_seen ? now - e->last_seen : 0;
	if (pred_fails(p, NFX_PRED_M_AGE, age >= p->age_min && age <= p->age_max) ||
	    pred_fails(p, NFX_PRED_M_IDLE, idle >= p->idle_min && idle <= p->idle_max))
		return false;

	NFX_UNROLL
	for (i = 0; i < NFX_PRED_MAX_NETS; i++) {
		const struct nfx_pred_net *n = &p->nets[i];
		bool hit;

		if (i >= p->nnets)
			break;
		if (e->key.family != n->family) {
			hit = false;
		} else if (n->side == NFX_PRED_SRC) {
			hit = pred_in_net(n, src);
		} else if (n->side == NFX_PRED_DST) {
			hit = pred_in_net(n, dst);
		} else {
			hit = pred_in_net(n, src) || pred_in_net(n, dst);
		}
		if (hit == !!n->neg)
			return false;
	}
	NFX_UNROLL
	for (i = 0; i < NFX_PRED_MAX_PORTS; i++) {
		const struct nfx_pred_ports *r = &p->ports[i];
		bool hs, hd, hit;

		if (i >= p->nports)
			break;
		hs = sport >= r->lo && sport <= r->hi;
		hd = dport >= r->lo && dport <= r->hi;
		hit = r->side == NFX_PRED_SRC ? hs : r->side == NFX_PRED_DST ? hd : (hs || hd);
		if (hit == !!r->neg)
			return false;
	}
	return true;
}

#endif /* NFX_BPF_PRED_H */

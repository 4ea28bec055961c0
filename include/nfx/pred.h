/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow predicates: the conditions of `nfx-loader flush` and `flows`, as
 * one fixed-layout struct shared by the parser (loader/lib/pred.c), the
 * user-space reference matcher, the in-kernel flush program (which gets
 * the struct verbatim in its global data) and the kernel-conntrack flush.
 *
 * A predicate is a conjunction: every condition present must hold. Each
 * condition can be negated on its own ("not src 10.0.0.0/8").
 *
 * Layout rules: fixed-width members only, naturally aligned, explicit
 * padding, so the struct is byte-identical in BPF and in user space.
 */
#ifndef NFX_PRED_H
#define NFX_PRED_H

#include "types.h"
#include "flow.h"

#define NFX_PRED_MAX_NETS 4
#define NFX_PRED_MAX_PORTS 4

/* Which endpoint a prefix or port condition looks at. */
enum nfx_pred_side {
	NFX_PRED_EITHER = 0,	/* either endpoint */
	NFX_PRED_SRC = 1,	/* the initiator (the "original" source) */
	NFX_PRED_DST = 2,	/* the responder */
};

/* nfx_flow_pred.match / .negate: which scalar conditions are present. */
#define NFX_PRED_M_PROTO (1u << 0)
#define NFX_PRED_M_FAMILY (1u << 1)
#define NFX_PRED_M_STATE (1u << 2)	/* TCP state in tcp_states */
#define NFX_PRED_M_ZONE (1u << 3)
#define NFX_PRED_M_MARK (1u << 4)
#define NFX_PRED_M_APP (1u << 5)
#define NFX_PRED_M_AGE (1u << 6)	/* age_min <= now - first_seen <= age_max */
#define NFX_PRED_M_IDLE (1u << 7)	/* idle_min <= now - last_seen <= idle_max */

/*
 * Connection status bits, as conntrack names them. A flow's status is
 * derived from flow_entry.flags; the predicate holds when
 * (status & status_mask) == status_want.
 */
#define NFX_PRED_ST_ASSURED (1u << 0)	/* traffic seen both ways, promoted */
#define NFX_PRED_ST_UNREPLIED (1u << 1)	/* the responder never sent */
#define NFX_PRED_ST_ADOPTED (1u << 2)	/* taken over from kernel conntrack */
#define NFX_PRED_ST_MIDSTREAM (1u << 3)	/* picked up without a SYN */

struct nfx_pred_net {
	union nfx_addr addr;	/* already masked, v4 stored v4-mapped */
	union nfx_addr mask;	/* 128-bit mask (v4: /96 + plen) */
	__u8 family;		/* NFX_AF_INET / NFX_AF_INET6 */
	__u8 side;		/* enum nfx_pred_side */
	__u8 neg;		/* condition negated */
	__u8 plen;		/* as written: 0..32 or 0..128 */
	__u32 pad;
};				/* 40 */

struct nfx_pred_ports {
	__u16 lo, hi;		/* inclusive range, host order */
	__u8 side;		/* enum nfx_pred_side */
	__u8 neg;
	__u16 pad;
};				/* 8 */

struct nfx_flow_pred {
	__u32 match;		/* NFX_PRED_M_* present */
	__u32 negate;		/* NFX_PRED_M_* negated */
	__u32 tcp_states;	/* bit (1 << enum flow_tcp_state) */
	__u32 mark;
	__u32 mark_mask;
	__u16 zone;
	__u16 app_id;		/* nfgrep class; 0 = unclassified */
	__u8 proto;		/* IPPROTO_* */
	__u8 family;		/* NFX_AF_* */
	__u8 status_want;	/* NFX_PRED_ST_* */
	__u8 status_mask;
	__u8 nnets;
	__u8 nports;
	__u8 pad[2];
	__u64 age_min, age_max;	/* ns, inclusive */
	__u64 idle_min, idle_max;
	struct nfx_pred_net nets[NFX_PRED_MAX_NETS];
	struct nfx_pred_ports ports[NFX_PRED_MAX_PORTS];
};
NFX_STATIC_ASSERT(sizeof(struct nfx_flow_pred) == 256, "nfx_flow_pred is 256 bytes");

/* Status bits of an entry, shared by every matcher. */
static __always_inline __u8 nfx_flow_status(const struct flow_entry *e)
{
	__u8 reply_seen = (e->flags & FLOW_F_INIT_HI) ? FLOW_F_SEEN_LO : FLOW_F_SEEN_HI;
	__u8 st = 0;

	if (e->flags & FLOW_F_ASSURED)
		st |= NFX_PRED_ST_ASSURED;
	if (!(e->flags & reply_seen))
		st |= NFX_PRED_ST_UNREPLIED;
	if (e->flags & FLOW_F_ADOPTED)
		st |= NFX_PRED_ST_ADOPTED;
	if (e->flags & FLOW_F_MIDSTREAM)
		st |= NFX_PRED_ST_MIDSTREAM;
	return st;
}

#ifndef __bpf__
/*
 * Parse predicate words. Returns 0, or -EINVAL with nfx_errmsg() naming
 * the offending word and its position: "word 3 'tcpp': unknown condition".
 * Nothing is written to out on failure.
 */
int nfx_pred_parse(int argc, char **argv, struct nfx_flow_pred *out);

/* Reference matcher: the plain-C statement of what a predicate means. */
bool nfx_pred_match(const struct nfx_flow_pred *p, const struct flow_entry *e, __u64 now);

/* An empty predicate matches every flow. */
static inline bool nfx_pred_is_empty(const struct nfx_flow_pred *p)
{
	return !p->match && !p->status_mask && !p->nnets && !p->nports;
}
#endif

#endif /* NFX_PRED_H */

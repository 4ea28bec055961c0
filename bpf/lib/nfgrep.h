/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nfgrep stage: classify the payload of flows still unclassified with the
 * bytecode of include/nfx/nfgrep.h, then mark the flow (flow_entry.app_id).
 *
 * Cost: an established, classified flow pays one load of e->app_id. A flow
 * being classified pays one lookup of its companion state (nfx_nfg_state,
 * keyed by the flow hash) and NFG_WORDS table loads per payload byte, for
 * at most prog.max_packets payload packets and prog.max_bytes bytes per
 * direction; the state is deleted as soon as the flow is decided.
 *
 * Loops: the per-byte and per-protocol loops run through bpf_loop() (5.17+,
 * in Debian's 6.1), so the verifier checks each body once instead of
 * walking NFG_SCAN iterations; every other loop has a small constant bound.
 * No open-coded iterators (not in 6.1).
 *
 * TCP segmentation: the Shift-And state, the head bytes and the step state
 * persist per direction, so a token split over in-order segments matches.
 * The next expected sequence number is kept per direction (learnt from the
 * SYN and SYN-ACK, else from the first payload segment seen): a retransmitted
 * or overlapping segment only contributes its new bytes; a segment that
 * arrives ahead of a gap is copied (up to NFG_HOLD bytes, one segment per
 * flow) and replayed once the gap is filled; a second one ahead, or a
 * longer one, is skipped and the direction continues after it (bytes lost
 * to the matcher, never misattributed).
 */
#ifndef NFX_BPF_NFGREP_H
#define NFX_BPF_NFGREP_H

#include "compat.h"
#include "parse.h"
#include "config.h"
#include "flow.h"
#include "events.h"
#include "nfx/nfgrep.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);		/* double buffer: loaded + next */
	__type(key, __u32);
	__type(value, struct nfg_prog);
} nfx_nfg_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);		/* slot of nfx_nfg_prog in use */
} nfx_nfg_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NFG_STATE_MAX);
	__type(key, __u64);		/* flow hash, as nfx_flows */
	__type(value, struct nfg_state);
} nfx_nfg_state SEC(".maps");

/*
 * Per-CPU work area. Values the loop callbacks accumulate live here, not in
 * the callback context on the stack: the verifier follows stack scalars
 * precisely, so one that changes every iteration keeps a bpf_loop body
 * from ever converging (6.8+ verify callbacks to a fixed point).
 */
struct nfg_scratch {
	__u8 buf[NFG_SCAN];
	__u64 pend[NFG_WORDS];		/* token end bits not handled yet */
	__u64 complete;			/* decide: protocols complete, by index */
	__u32 scan_end;			/* feed: where no pending token can end */
	__u32 win;			/* decide: proto index + 1, 0 none */
	__u8 win_port;			/* decide: the winner matched the port hint */
	__u8 alive;			/* decide: some protocol can still complete */
	__u8 pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);		/* 0: payload copy, 1: zeroes (never written) */
	__type(key, __u32);
	__type(value, struct nfg_scratch);
} nfx_nfg_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NFG_APPS_MAX);
	__type(key, __u32);
	__type(value, struct nfg_name);	/* written by the loader only */
} nfx_nfg_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFG_APPS_MAX);
	__type(key, __u32);
	__type(value, __u64);		/* flows classified, by app id; 0: none matched */
} nfx_nfg_counts SEC(".maps");

/*
 * The matcher is a program of its own, entered by tail call: the pipeline's
 * frame already holds several hundred bytes of stack, and the matcher's
 * loops need their own. Nothing but the verdict is passed across the call:
 * the matcher reads the pipeline's parsed packet and finds its flow again,
 * a cost only packets of flows still being classified pay. The loader puts
 * the matcher in slot 0 (nfg_matcher_install()); with the slot empty the
 * stage is a no-op.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} nfx_nfg_jmp SEC(".maps");

NFX_STATIC_ASSERT(sizeof(struct nfg_state) <= sizeof(struct nfg_scratch),
		  "the zero scratch entry initialises a state");

/*
 * A flow was just marked: count it per app id (nfx_nfg_counts, shown by
 * `nfx-loader nfgrep list`) and emit the NFX_EV_CLASSIFIED event of the
 * event channel (bpf/lib/events.h).
 */
static __always_inline void nfg_classified(struct xdp_md *ctx, const struct flow_entry *e,
					   __u16 app_id)
{
	__u32 idx = app_id == NFG_APP_NONE ? 0 : app_id & (NFG_APPS_MAX - 1);
	__u64 *cnt = bpf_map_lookup_elem(&nfx_nfg_counts, &idx);

	if (cnt)
		*cnt += 1;
	nfx_event_classified(e, ctx->ingress_ifindex);
}

/* Index of the lowest set bit (de Bruijn; BPF has no count-trailing-zeros). */
static const __u8 nfg_debruijn[64] = {
	0,  1,	48, 2,	57, 49, 28, 3,	61, 58, 50, 42, 38, 29, 17, 4,	62, 55, 59, 36, 53, 51,
	43, 22, 45, 39, 33, 30, 24, 18, 12, 5,	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21,
	44, 32, 23, 11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,	13, 8,	7,  6,
};

static __always_inline __u32 nfg_ctz64(__u64 x)
{
	return nfg_debruijn[((x & -x) * 0x03f79d71b4cb0a89ull) >> 58];
}

static __always_inline bool nfg_cmp(__u8 op, __u32 a, __u32 b)
{
	switch (op) {
	case NFG_EQ:
		return a == b;
	case NFG_NE:
		return a != b;
	case NFG_LT:
		return a < b;
	case NFG_LE:
		return a <= b;
	case NFG_GT:
		return a > b;
	case NFG_GE:
		return a >= b;
	}
	return false;
}

enum { NFG_WAIT = 0, NFG_ADVANCE, NFG_FAIL };

/*
 * A helper's size argument, 1 <= n <= max (max a power of two) known to the
 * caller, in a form whose bounds the 6.1 verifier follows (it learns
 * nothing from a "!= 0" test and loses bounds across a select).
 */
static __always_inline __u32 nfg_size(__u32 n, __u32 max)
{
	return ((n - 1) & (max - 1)) + 1;
}

/*
 * v & mask as the very instruction the index goes through: clang may
 * otherwise check one register and index with another it derived, which
 * older verifiers cannot relate.
 */
static __always_inline __u32 nfg_idx(__u32 v, __u32 mask)
{
	__u64 r = v;

	asm volatile("%0 &= %1" : "+r"(r) : "i"(mask));
	return r;
}

/*
 * Evaluate the current step of protocol p in direction d if it is not a
 * searched token: numbers and literals from the head, the first length.
 * A global function: the verifier checks it once, on its own, instead of
 * at every place a step can be settled from.
 */
__noinline int nfx_nfg_eval(const struct nfg_prog *prog, struct nfg_state *st, __u32 p, __u32 d)
{
	const struct nfg_proto *pr;
	struct nfg_dir_state *ds;
	const struct nfg_step *s;
	__u32 cur, avail, si, v = 0, k;

	if (!prog || !st)
		return NFG_WAIT;
	pr = &prog->proto[p & (NFG_MAX_PROTO - 1)];
	ds = &st->dir[d & 1];
	cur = st->step[p & (NFG_MAX_PROTO - 1)][d & 1];
	avail = ds->pos < NFG_HEAD ? ds->pos : NFG_HEAD;

	if (cur >= pr->nsteps[d & 1])
		return NFG_WAIT;
	si = pr->step0[d & 1] + cur;
	s = &prog->step[si & (NFG_MAX_STEP - 1)];
	switch (s->kind) {
	case NFG_S_LEN:
		if (!ds->first_len)
			return NFG_WAIT;
		return nfg_cmp(s->cmp, ds->first_len, s->value) ? NFG_ADVANCE : NFG_FAIL;
	case NFG_S_FIELD: {
		__u32 off = s->off, w = s->width;

		if (off + w > avail)
			return NFG_WAIT;
		if (off > NFG_HEAD - 4)
			off = NFG_HEAD - 4;	/* cannot happen: the compiler checks */
		if (w == 1)
			v = ds->head[off];
		else if (w == 2)
			v = s->flags & NFG_F_LE ? ds->head[off] | ds->head[off + 1] << 8 :
						  ds->head[off] << 8 | ds->head[off + 1];
		else
			v = s->flags & NFG_F_LE ?
				    ds->head[off] | ds->head[off + 1] << 8 |
					    ds->head[off + 2] << 16 |
					    (__u32)ds->head[off + 3] << 24 :
				    (__u32)ds->head[off] << 24 | ds->head[off + 1] << 16 |
					    ds->head[off + 2] << 8 | ds->head[off + 3];
		return nfg_cmp(s->cmp, v & s->mask, s->value) ? NFG_ADVANCE : NFG_FAIL;
	}
	case NFG_S_HEAD: {
		const __u64 *h = (const __u64 *)ds->head;
		bool waiting = false;

		for (k = 0; k < 8; k++) {
			const struct nfg_lit *l;
			__u32 li = s->off + k, w;
			bool eq = true;

			if (k >= s->width)
				break;
			l = &prog->lit[li & (NFG_MAX_LIT - 1)];
			if (l->need > avail) {
				waiting = true;
				continue;
			}
			for (w = 0; w < NFG_HEAD / 8; w++)
				eq = eq && (h[w] & l->mask[w]) == l->value[w];
			if (eq) {
				st->mark[p & (NFG_MAX_PROTO - 1)][d & 1] = l->end;
				return NFG_ADVANCE;
			}
		}
		return waiting ? NFG_WAIT : NFG_FAIL;
	}
	}
	return NFG_WAIT;		/* a searched token: the byte loop moves it */
}

struct nfg_step_ctx {
	const struct nfg_prog *prog;
	struct nfg_state *st;
	__u32 p, d;
};

static long nfg_step_cb(__u32 k, void *arg)
{
	struct nfg_step_ctx *sc = arg;
	__u8 *cur = &sc->st->step[sc->p & (NFG_MAX_PROTO - 1)][sc->d & 1];
	int r = nfx_nfg_eval(sc->prog, sc->st, sc->p, sc->d);

	if (r == NFG_WAIT)
		return 1;
	if (r == NFG_FAIL) {
		*cur = NFG_STEP_FAILED;
		return 1;
	}
	*cur += 1;
	return 0;
}

/* Move p in direction d over every step that can be decided now. */
static __always_inline void nfg_settle(const struct nfg_prog *prog, struct nfg_state *st, __u32 p,
				       __u32 d)
{
	struct nfg_step_ctx sc = { .prog = prog, .st = st, .p = p, .d = d };

	bpf_loop(NFG_MAX_DSTEPS, nfg_step_cb, &sc, 0);
}

struct nfg_loop {
	const struct nfg_prog *prog;
	struct nfg_state *st;
	struct nfg_scratch *scr;
	const __u8 *buf;
	__u32 base;			/* stream offset of buf[0] */
	__u32 d;
	__u32 n;			/* bytes in buf */
};

/* A token ended at stream offset pos (inclusive): does its step take it? */
static __noinline void nfg_hit(const struct nfg_prog *prog, struct nfg_state *st, __u32 tok,
			       __u32 d, __u32 pos)
{
	const struct nfg_tok *t;
	const struct nfg_proto *pr;
	const struct nfg_step *s;
	__u32 p, cur, si, start, want;

	if (!prog || !st)
		return;
	t = &prog->tok[tok & (NFG_MAX_TOK - 1)];
	if (t->dir != d)
		return;
	p = t->proto & (NFG_MAX_PROTO - 1);
	d &= 1;
	cur = st->step[p][d];
	if (cur != t->step)
		return;
	pr = &prog->proto[p];
	si = pr->step0[d] + cur;
	s = &prog->step[si & (NFG_MAX_STEP - 1)];
	start = pos + 1 - t->len;
	if (s->off != NFG_ANCHOR_NONE) {
		want = s->rel ? st->mark[p][d] + s->off : s->off;
		if (start != want)
			return;
	} else if (start < st->mark[p][d]) {
		return;
	}
	if (s->within && pos + 1 > s->within)
		return;
	st->step[p][d] = cur + 1;
	st->mark[p][d] = pos + 1;
	nfg_settle(prog, st, p, d);
}

struct nfg_hits {
	const struct nfg_prog *prog;
	struct nfg_state *st;
	__u64 *pend;
	__u32 d, pos;
};

/* One token end per call: tokens ending on one byte, at most 4 per word. */
static long nfg_hits_cb(__u32 i, void *arg)
{
	struct nfg_hits *hc = arg;
	__u32 w = (i >> 2) & (NFG_WORDS - 1), bit;
	__u64 h;

	if (w >= hc->prog->nwords)
		return 1;		/* words past the program's hold stale bits */
	h = hc->pend[w];
	if (!h)
		return 0;
	hc->pend[w] = h & (h - 1);
	bit = w * 64 + nfg_ctz64(h);
	nfg_hit(hc->prog, hc->st, hc->prog->bit_tok[nfg_idx(bit, NFG_BITS - 1)], hc->d, hc->pos);
	return 0;
}

#define NFG_BYTES_PER_CALL 4

/* One byte through the automaton; token ends go to nfg_hit(). */
static __always_inline void nfg_one_byte(struct nfg_loop *lp, __u32 i)
{
	const struct nfg_prog *prog = lp->prog;
	struct nfg_dir_state *ds = &lp->st->dir[lp->d & 1];
	struct nfg_hits hc;
	__u64 hit = 0, dw;
	__u32 c, w;

	c = lp->buf[i & (NFG_SCAN - 1)];
	/* Shift-And: every token advances by one byte at once. */
#pragma unroll
	for (w = 0; w < NFG_WORDS; w++) {
		if (w >= prog->nwords)
			break;
		dw = ((ds->d[w] << 1) | prog->start[w]) & prog->mask[c][w];
		ds->d[w] = dw;
		hit |= dw & prog->final[w];
	}
	if (likely(!hit))
		return;
#pragma unroll
	for (w = 0; w < NFG_WORDS; w++)
		lp->scr->pend[w] = ds->d[w] & prog->final[w];
	hc.pend = lp->scr->pend;
	hc.prog = prog;
	hc.st = lp->st;
	hc.d = lp->d & 1;
	hc.pos = lp->base + i;
	bpf_loop(NFG_WORDS * 4, nfg_hits_cb, &hc, 0);
}

/* A few bytes per call: the call is a good part of a byte's cost. */
static long nfg_byte(__u32 it, void *arg)
{
	struct nfg_loop *lp = arg;
	__u32 k, i;

#pragma unroll
	for (k = 0; k < NFG_BYTES_PER_CALL; k++) {
		i = it * NFG_BYTES_PER_CALL + k;
		if (i >= lp->n)
			return 1;
		nfg_one_byte(lp, i);
	}
	return 0;
}

/* Keep the first NFG_HEAD bytes of the direction (one byte per call). */
static long nfg_head_cb(__u32 i, void *arg)
{
	struct nfg_loop *lp = arg;
	__u32 at = lp->base + i;

	if (at >= NFG_HEAD)
		return 1;
	lp->st->dir[lp->d & 1].head[nfg_idx(at, NFG_HEAD - 1)] = lp->buf[i & (NFG_SCAN - 1)];
	return 0;
}

static long nfg_settle_cb(__u32 p, void *arg)
{
	struct nfg_loop *lp = arg;
	const struct nfg_proto *pr;
	const struct nfg_step *s;
	__u32 d = lp->d & 1, cur, end;

	p &= NFG_MAX_PROTO - 1;
	nfg_settle(lp->prog, lp->st, p, d);
	/*
	 * Does p wait for a searched token in this direction? Only then are
	 * the bytes worth scanning, and only up to its `within`.
	 */
	pr = &lp->prog->proto[p];
	cur = lp->st->step[p][d];
	if (cur >= pr->nsteps[d] || lp->st->step[p][!d] == NFG_STEP_FAILED)
		return 0;
	s = &lp->prog->step[(pr->step0[d] + cur) & (NFG_MAX_STEP - 1)];
	if (s->kind != NFG_S_TOKEN)
		return 0;
	end = s->within ? s->within : lp->prog->max_bytes;
	if (s->off != NFG_ANCHOR_NONE)
		end = (s->rel ? lp->st->mark[p][d] : 0) + s->off + NFG_TOK_MAX;
	if (end > lp->scr->scan_end)
		lp->scr->scan_end = end;
	return 0;
}

/*
 * Feed n bytes (already in scratch) of direction d starting at the
 * direction's current offset.
 */
static __always_inline void nfg_feed(const struct nfg_prog *prog, struct nfg_state *st,
				     struct nfg_scratch *scr, __u32 n, __u32 d)
{
	struct nfg_dir_state *ds = &st->dir[d & 1];
	const __u8 *buf = scr->buf;
	struct nfg_loop lp = {
		.prog = prog, .st = st, .scr = scr, .buf = buf, .base = ds->pos, .d = d
	};
	__u32 pos = ds->pos, end;

	if (!ds->first_len)
		ds->first_len = n;
	/* Keep the head for numeric steps before anything is evaluated. */
	if (pos < NFG_HEAD)
		bpf_loop(n < NFG_HEAD ? n : NFG_HEAD, nfg_head_cb, &lp, 0);
	ds->pos = pos + n;
	/*
	 * Steps that only need the head can go first; then the bytes, in
	 * order, each token hit settling the steps behind it.
	 */
	scr->scan_end = 0;
	bpf_loop(prog->nproto < NFG_MAX_PROTO ? prog->nproto : NFG_MAX_PROTO, nfg_settle_cb, &lp,
		 0);
	end = scr->scan_end;
	if (end <= pos) {
		/* No token pending here: skip the bytes, forget partial tokens. */
		__builtin_memset(ds->d, 0, sizeof(ds->d));
		return;
	}
	if (n > end - pos)
		n = end - pos;
	lp.n = n;
	bpf_loop((n + NFG_BYTES_PER_CALL - 1) / NFG_BYTES_PER_CALL, nfg_byte, &lp, 0);
}

struct nfg_decide {
	const struct nfg_prog *prog;
	struct nfg_state *st;
	struct nfg_scratch *scr;	/* complete, win, win_port, alive */
};

static __always_inline bool nfg_port_match(const struct nfg_proto *pr, __u16 port)
{
	__u32 k;

	for (k = 0; k < NFG_MAX_PORTS; k++)
		if (k < pr->nports && pr->ports[k] == port)
			return true;
	return false;
}

static long nfg_decide_cb(__u32 p, void *arg)
{
	struct nfg_decide *dc = arg;
	const struct nfg_proto *pr;
	struct nfg_state *st = dc->st;
	__u8 c, s;
	bool pm;

	p &= NFG_MAX_PROTO - 1;
	pr = &dc->prog->proto[p];
	c = st->step[p][0];
	s = st->step[p][1];
	if (c == NFG_STEP_FAILED || s == NFG_STEP_FAILED || (pr->l4 && pr->l4 != st->l4) ||
	    st->packets > pr->packets)
		return 0;
	pm = nfg_port_match(pr, st->srv_port);
	if ((pr->flags & NFG_PF_PORTS_ONLY) && !pm)
		return 0;
	if (c < pr->nsteps[0] || s < pr->nsteps[1]) {
		dc->scr->alive = 1;
		return 0;
	}
	if (pr->parent != NFG_PARENT_NONE) {
		if (!(dc->scr->complete & (1ull << (pr->parent & 63))))
			return 0;
		dc->scr->complete |= 1ull << p;
		if (dc->scr->win == pr->parent + 1u)
			dc->scr->win = p + 1;	/* descend to the sub-protocol */
		return 0;
	}
	dc->scr->complete |= 1ull << p;
	/* Top level: the first one wins, unless a later one matches the port. */
	if (!dc->scr->win || (pm && !dc->scr->win_port)) {
		dc->scr->win = p + 1;
		dc->scr->win_port = pm;
	}
	return 0;
}

/*
 * Run the matcher on one packet; returns the app id to mark the flow with,
 * 0 while undecided.
 */
static __always_inline int nfx_nfg_run(struct xdp_md *ctx, __u64 hash, __u32 meta, __u32 info,
				       __u32 sport, __u16 *packets)
{
	__u32 zero = 0, one = 1, *slot, off = meta & 0xffff, end = meta >> 16, n, d;
	__u32 l4_off = info & 0xffff, l4 = (info >> 16) & 0xff;
	struct nfg_prog *prog;
	struct nfg_state *st;
	struct nfg_scratch *scr, *zeroes;
	struct nfg_decide dc = {};
	__u32 seq = 0, skip = 0;
	struct nfg_dir_state *ds;

	d = (info >> 24) & 1 ? NFG_CLIENT : NFG_SERVER;
	slot = bpf_map_lookup_elem(&nfx_nfg_active, &zero);
	if (!slot)
		return 0;
	prog = bpf_map_lookup_elem(&nfx_nfg_prog, slot);
	if (!prog || prog->magic != NFG_MAGIC || !prog->nproto)
		return 0;
	scr = bpf_map_lookup_elem(&nfx_nfg_scratch, &zero);
	zeroes = bpf_map_lookup_elem(&nfx_nfg_scratch, &one);
	if (!scr || !zeroes)
		return 0;
	st = bpf_map_lookup_elem(&nfx_nfg_state, &hash);
	if (!st || st->gen != prog->gen) {
		/* New flow, or filters reloaded meanwhile: start afresh. */
		if (bpf_map_update_elem(&nfx_nfg_state, &hash, zeroes, BPF_ANY))
			return 0;
		st = bpf_map_lookup_elem(&nfx_nfg_state, &hash);
		if (!st)
			return 0;
		st->gen = prog->gen;
		st->l4 = l4;
		st->srv_port = sport;
	}
	ds = &st->dir[d];
	if (l4 == NFX_IPPROTO_TCP && end <= off) {
		__u8 fl = 0;

		/* SYN or SYN-ACK: the first payload byte is ISN + 1. */
		if (bpf_xdp_load_bytes(ctx, l4_off + 4, &seq, 4) ||
		    bpf_xdp_load_bytes(ctx, l4_off + 13, &fl, 1) || !(fl & NFX_TCP_SYN))
			return 0;
		ds->next_seq = bpf_ntohl(seq) + 1;
		ds->seq_valid = 1;
		return 0;
	}
	if (end <= off || end - off > 0xffff)
		return 0;
	n = end - off;
	st->packets++;

	if (l4 == NFX_IPPROTO_TCP) {
		__s32 delta;

		if (bpf_xdp_load_bytes(ctx, l4_off + 4, &seq, 4))
			return 0;
		seq = bpf_ntohl(seq);
		if (!ds->seq_valid) {
			ds->seq_valid = 1;
			ds->next_seq = seq;
		}
		delta = (__s32)(seq - ds->next_seq);
		if (delta > 0) {
			/* Ahead of a gap: keep it for later if there is room. */
			st->ooo++;
			if (!st->hold_len && n <= NFG_HOLD) {
				if (bpf_xdp_load_bytes(ctx, off, st->hold, nfg_size(n, NFG_HOLD)))
					return 0;
				st->hold_len = n;
				st->hold_seq = seq;
				st->hold_dir = d;
				goto decide;
			}
			/* No room: give the gap up and go on from here. */
			ds->next_seq = seq;
			delta = 0;
		}
		if (delta < 0) {
			skip = -delta;
			if (skip >= n)
				goto decide;	/* retransmission */
		}
		ds->next_seq = seq + n;
	} else {
		/* Datagrams: a token never spans two. */
		__builtin_memset(ds->d, 0, sizeof(ds->d));
	}

	off += skip;
	n -= skip;
	if (ds->pos >= prog->max_bytes)
		goto decide;
	if (n > prog->max_bytes - ds->pos)
		n = prog->max_bytes - ds->pos;
	if (n > NFG_SCAN)
		n = NFG_SCAN;
	if (n == 0 || bpf_xdp_load_bytes(ctx, off, scr->buf, nfg_size(n, NFG_SCAN)))
		goto decide;
	nfg_feed(prog, st, scr, n, d);

	/* The gap is filled: replay the held segment. */
	if (st->hold_len && st->hold_dir == d && st->hold_seq == ds->next_seq) {
		__u32 k, hn = st->hold_len;

		for (k = 0; k < NFG_HOLD / 8; k++)
			((__u64 *)scr->buf)[k] = ((__u64 *)st->hold)[k];
		st->hold_len = 0;
		ds->next_seq += hn;
		if (hn > NFG_HOLD)
			hn = NFG_HOLD;
		if (ds->pos < prog->max_bytes) {
			if (hn > prog->max_bytes - ds->pos)
				hn = prog->max_bytes - ds->pos;
			nfg_feed(prog, st, scr, hn, d);
		}
	}

decide:
	dc.prog = prog;
	dc.st = st;
	dc.scr = scr;
	scr->complete = 0;
	scr->win = 0;
	scr->win_port = 0;
	scr->alive = 0;
	bpf_loop(prog->nproto < NFG_MAX_PROTO ? prog->nproto : NFG_MAX_PROTO, nfg_decide_cb, &dc,
		 0);
	if (scr->win) {
		const struct nfg_proto *wp = &prog->proto[(scr->win - 1) & (NFG_MAX_PROTO - 1)];

		*packets = st->packets;
		if (!(wp->flags & NFG_PF_HAS_CHILD) || st->packets >= prog->max_packets ||
		    st->dir[0].pos >= prog->max_bytes) {
			bpf_map_delete_elem(&nfx_nfg_state, &hash);
			return wp->app_id;
		}
		st->best = scr->win;
		return 0;
	}
	if (!scr->alive || st->packets >= prog->max_packets) {
		*packets = st->packets;
		bpf_map_delete_elem(&nfx_nfg_state, &hash);
		return NFG_APP_NONE;
	}
	return 0;
}

/*
 * The stage, last in the pipeline: packets of flows not yet classified go,
 * with the verdict already taken, to the matcher program, which returns
 * that verdict (a redirect target set by an earlier stage stays set across
 * the tail call). Dropped or aborted packets are not inspected.
 */
static __always_inline int nfx_nfgrep_stage(struct xdp_md *ctx, struct nfx_pkt *pkt,
					    const struct flow_ctx *fc, int verdict)
{
	const struct flow_entry *e = fc->e;

	/*
	 * As little as possible here: values kept live in the pipeline's
	 * frame cost it stack (the 6.1 verifier counts it with the flow
	 * stage's and the event emitter's frames, 512 bytes in all). The
	 * matcher filters the rest (payload, SYN).
	 */
	if (!e || e->app_id || verdict == XDP_DROP || verdict == XDP_ABORTED)
		return verdict;
	/*
	 * The verdict rides in the per-CPU parsed packet's spare word: no
	 * map lookup, no stack. Nothing else reads it after this stage.
	 */
	pkt->pad = verdict;
	bpf_tail_call(ctx, &nfx_nfg_jmp, 0);
	return verdict;			/* no matcher program in the slot */
}

/*
 * The flow of the packet, as the flow stage found it (no accounting), from
 * the pipeline's own parse: NAT may have rewritten the packet since.
 */
static __always_inline struct flow_entry *nfg_flow_of(const struct nfx_pkt *pkt, __u64 *hash,
						      int *dir)
{
	struct nfx_link_conf *lc;
	struct flow_entry *e;
	struct flow_key key;
	__u64 secret[2];

	lc = nfx_link_get();
	if (!lc)
		return NULL;
	*dir = nfx_flow_key_make(&key, pkt->family, pkt->l4proto, lc->zone, &pkt->saddr, pkt->sport,
				 &pkt->daddr, pkt->dport);
	secret[0] = hash_key[0];	/* volatile: set by the loader, never folded */
	secret[1] = hash_key[1];
	*hash = nfx_flow_hash(&key, secret);
	e = bpf_map_lookup_elem(&nfx_flows, hash);
	if (!e)
		e = bpf_map_lookup_elem(&nfx_flows_new, hash);
	if (!e || !nfx_flow_key_eq(&e->key, &key))
		return NULL;
	return e;
}

/*
 * The matcher program (tail call target). NFX_NFGREP_PROGRAM(slot) expands
 * to it after the pipeline's own program, so that the pipeline stays the
 * first program of the object (the one libxdp attaches); slot is the
 * per-CPU map that holds the pipeline's parsed packet.
 */
#define NFX_NFGREP_PROGRAM(slot) \
	SEC("xdp") \
	int nfx_nfgrep(struct xdp_md *ctx) \
	{ \
		const struct nfx_pkt *pkt; \
		struct flow_entry *e; \
		__u32 zero = 0, verdict; \
		__u16 packets = 0; /* packets inspected, for a later event field */ \
		__u64 hash = 0; \
		int dir = 0, r; \
		bool client; \
\
		pkt = bpf_map_lookup_elem(&slot, &zero); \
		if (!pkt) \
			return XDP_PASS; \
		/* the pipeline's verdict (nfx_nfgrep_stage) */ \
		verdict = pkt->pad <= XDP_REDIRECT ? pkt->pad : XDP_PASS; \
		if (pkt->frag || \
		    (pkt->l4proto != NFX_IPPROTO_TCP && pkt->l4proto != NFX_IPPROTO_UDP)) \
			return verdict; \
		/* SYNs carry no payload but the initial sequence numbers. */ \
		if (pkt->payload_end <= pkt->payload_off && !(pkt->tcp_flags & NFX_TCP_SYN)) \
			return verdict; \
		e = nfg_flow_of(pkt, &hash, &dir); \
		if (!e || e->app_id) \
			return verdict; \
		client = flow_is_orig(e, dir); \
		r = nfx_nfg_run(ctx, hash, pkt->payload_off | (__u32)pkt->payload_end << 16, \
				pkt->l4_off | (__u32)pkt->l4proto << 16 | (__u32)client << 24, \
				nfx_ntohs(client ? pkt->dport : pkt->sport), &packets); \
		if (r > 0 && !e->app_id) { \
			e->app_id = r; \
			nfg_classified(ctx, e, r); \
		} \
		return verdict; \
	}

#endif /* NFX_BPF_NFGREP_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Flow-table garbage collector, driven by a bpf_timer inside the kernel.
 *
 * nfx_gc_start (BPF_PROG_TYPE_SYSCALL, run once by the loader at attach
 * and after `gc set`) arms the timer kept in map nfx_gc; every
 * gc.interval_ms the callback runs one slice: it visits at most gc.slice
 * flows of one tier, removing those idle longer than their
 * (pressure-scaled) timeout. A cycle is a pass over the unassured tier,
 * then one over the assured tier; at the end of each pass the live count
 * is published, which gives the fill level and the pf-style timeout scale.
 *
 * A pass takes the flows from the tier's queue (nfx/gc.h): each slice
 * costs what it visits. The first pass over a tier, and any pass after
 * the queue overflowed, is a rescan instead: a walk of the map that
 * registers every flow in a fresh queue. bpf_for_each_map_elem() has no
 * start position, so a rescan slice resumes by skipping the entries the
 * previous slices kept; that costs a callback that returns at once per
 * skipped entry, which is why rescans are the exception.
 *
 * The timer holds a reference on this program; the kernel cancels it and
 * drops the program when the last user reference of nfx_gc goes (detach of
 * the namespace's last link removes its pins).
 */
#include "lib/compat.h"
#include "lib/config.h"
#include "lib/flow.h"
#include "lib/gc.h"
#include "lib/events.h"

#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define GC_CLOCK_MONOTONIC 1
#define GC_SLICE_MAX ((1u << 23) - 1)	/* bpf_loop()'s limit, less the last turn */

/* Set by tests to run a slice at a chosen time; 0: bpf_ktime_get_ns(). */
__u64 now_ns = 0;

struct gc_walk {
	__u64 now;
	__u32 scale;		/* ppm */
	__u32 skip;		/* entries kept by earlier slices of this walk */
	__u32 seen;
	__u32 budget;
	__u32 examined;
	__u32 removed;
	__u32 live;
	__u32 stale;
	__u32 tier;
	__u32 gen;
	__u32 stopped;
};

static __always_inline void quota_recount(const struct nfx_config *cfg, const struct flow_entry *e,
					  __u32 gen)
{
	struct nfx_quota_key k;
	struct nfx_quota_val *v, nv = { .count = 1, .gen = gen, .recount = 1 };

	nfx_quota_key_make(&k, flow_src_addr(e), e->key.family, cfg->gc.quota_plen4,
			   cfg->gc.quota_plen6);
	v = bpf_map_lookup_elem(&nfx_quota, &k);
	if (!v) {
		bpf_map_update_elem(&nfx_quota, &k, &nv, BPF_NOEXIST);
		return;
	}
	if (v->gen != gen) {
		v->gen = gen;
		v->recount = 1;
	} else {
		v->recount++;
	}
}

/*
 * Remove e (key in tier w->tier) if it has expired. Returns true if it was
 * removed; otherwise counts it live (and its quota).
 */
static __always_inline bool gc_expire(struct gc_walk *w, __u64 key, struct flow_entry *e,
				      const struct nfx_config *cfg)
{
	__u64 tmo, last;

	w->examined++;
	/* seconds * ppm * 1000 = ns; fits: 2^32 * 10^6 * 10^3 < 2^64 */
	tmo = (__u64)flow_timeout(e, cfg) * w->scale * 1000;
	last = e->last_seen;
	if (w->now > last && w->now - last > tmo) {
		/*
		 * The event is written before the delete: a preallocated
		 * element can be reused by another CPU's insert as soon as it
		 * is deleted. A flow removed concurrently may so end twice.
		 */
		nfx_event_end(e, NFX_EV_END_EVICTED, 0);
		if (!bpf_map_delete_elem(w->tier ? (void *)&nfx_flows : (void *)&nfx_flows_new,
					 &key)) {
			w->removed++;
			return true;
		}
	}
	w->live++;
	if (!w->tier && cfg->gc.quota && !(e->flags & FLOW_F_ASSURED))
		quota_recount(cfg, e, w->gen);
	return false;
}

/* Rescan: bpf_for_each_map_elem() callback over a whole tier. */
static long gc_entry(void *map, __u64 *key, struct flow_entry *e, struct gc_walk *w)
{
	struct nfx_config *cfg;

	if (++w->seen <= w->skip)
		return 0;
	if (w->examined >= w->budget) {
		w->stopped = 1;
		return 1;
	}
	cfg = nfx_config_get();
	if (!cfg)
		return 1;
	if (!gc_expire(w, *key, e, cfg))
		nfx_gc_track(w->tier, *key, e->first_seen);
	return 0;
}

/*
 * Queue pass: visit the flow of the slot at the tail of q (ring qmap, of
 * tier map tmap). Returns 1 to end the slice.
 */
static __always_inline long gcq_visit(struct gc_walk *w, struct nfx_gc_queue *q, void *qmap,
				      void *tmap)
{
	__u32 size = ((struct bpf_map *)qmap)->max_entries, idx;
	struct nfx_config *cfg = nfx_config_get();
	__u64 pos = q->tail, hash, tag;
	struct nfx_gc_slot *s;
	struct flow_entry *e;
	__s32 ahead;

	if (pos == q->end || !size || !cfg)
		return 1;
	if (w->examined + w->stale >= w->budget) {
		w->stopped = 1;
		return 1;
	}
	idx = (__u32)(pos % size);
	s = bpf_map_lookup_elem(qmap, &idx);
	if (!s)
		return 1;
	/* an atomic read: the hash read below is ordered after it */
	tag = __sync_fetch_and_add(&s->tag, 0);
	ahead = (__s32)((__u32)tag - (__u32)pos);
	if (ahead < 0) {
		/* claimed by a producer that has not written it yet */
		w->stopped = 1;
		return 1;
	}
	q->tail = pos + 1;
	hash = s->hash;
	/* ahead > 0: overwritten by a later lap, counted lost by its writer */
	e = ahead ? NULL : bpf_map_lookup_elem(tmap, &hash);
	if (!e || (__u32)e->first_seen != (__u32)(tag >> 32)) {
		w->stale++;
		return 0;
	}
	if (!gc_expire(w, hash, e, cfg))
		nfx_gc_enqueue(qmap, q, hash, e->first_seen);
	return 0;
}

static long gcq_step(__u64 i, struct gc_walk *w)
{
	struct nfx_gc_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&nfx_gc, &zero);
	if (!st)
		return 1;
	if (w->tier)
		return gcq_visit(w, &st->queue[NFX_GC_TIER_ASSURED], &nfx_gcq, &nfx_flows);
	return gcq_visit(w, &st->queue[NFX_GC_TIER_NEW], &nfx_gcq_new, &nfx_flows_new);
}

/* Set every prefix's count to what the walk found; forget the others. */
static long quota_settle(void *map, struct nfx_quota_key *k, struct nfx_quota_val *v, __u32 *gen)
{
	if (v->gen == *gen)
		v->count = v->recount;
	else
		bpf_map_delete_elem(&nfx_quota, k);
	return 0;
}

/*
 * One call site per map: the 6.1 verifier rejects a bpf_for_each_map_elem()
 * call instruction reached with two different maps ("tail_call abusing
 * map_ptr"), and the compiler merges the two calls of an if/else into one.
 * Out-of-line functions keep them apart.
 */
static __noinline long gc_walk_new(struct gc_walk *w)
{
	return bpf_for_each_map_elem(&nfx_flows_new, gc_entry, w, 0);
}

static __noinline long gc_walk_assured(struct gc_walk *w)
{
	return bpf_for_each_map_elem(&nfx_flows, gc_entry, w, 0);
}

/*
 * A pass over a tier begins (at its first slice, so that it sees what
 * happened since the last): from its queue, or a rescan when the queue
 * overflowed. A rescan starts with a fresh queue, in which the walk
 * registers every flow it keeps; a flow the datapath inserts meanwhile may
 * be registered twice, and the copy costs a visit per pass while it lives.
 */
static __always_inline void gc_pass_begin(struct nfx_gc_state *st, struct nfx_gc_queue *q)
{
	if (q->lost != q->lost_seen)
		q->scanned = 0;
	if (!q->scanned) {
		q->tail = q->head;
		q->lost_seen = q->lost;
	}
	q->end = q->head;
	q->open = 1;
	st->cursor = 0;
}

static __always_inline void gc_slice(struct nfx_gc_state *st, const struct nfx_config *cfg)
{
	struct gc_walk w = {};
	__u64 t0 = bpf_ktime_get_ns();
	__u32 tier = st->tier & 1;
	struct nfx_gc_queue *q = &st->queue[tier];
	bool rescan;

	if (!q->open)
		gc_pass_begin(st, q);
	rescan = !q->scanned;
	w.now = now_ns ? now_ns : t0;
	w.scale = st->scale_ppm;
	w.skip = st->cursor;
	w.budget = cfg->gc.slice ? cfg->gc.slice : 1;
	if (w.budget > GC_SLICE_MAX)
		w.budget = GC_SLICE_MAX;
	w.tier = tier;
	w.gen = st->gen + 1;	/* never 0, the generation of entries the datapath creates */
	if (rescan) {
		if (tier)
			gc_walk_assured(&w);
		else
			gc_walk_new(&w);
	} else {
		/* one turn more than the budget: the turn that finds it spent */
		bpf_loop(w.budget + 1, gcq_step, &w, 0);
	}

	st->slices++;
	st->examined += w.examined;
	st->removed += w.removed;
	st->live[tier] += w.live;
	q->stale += w.stale;
	if (w.stopped) {
		st->cursor += w.live;
	} else {
		st->count[tier] = st->live[tier];
		st->live[tier] = 0;
		q->open = 0;
		if (rescan) {
			q->scanned = 1;
			q->rescans++;
		}
		if (!tier && cfg->gc.quota) {
			__u32 gen = st->gen + 1;

			bpf_for_each_map_elem(&nfx_quota, quota_settle, &gen, 0);
		}
		if (tier) {
			st->tier = NFX_GC_TIER_NEW;
			st->cycles++;
			st->gen++;
			st->last_cycle = w.now;
		} else {
			st->tier = NFX_GC_TIER_ASSURED;
		}
		st->fill = st->count[0] + st->count[1];
	}
	/* pf recomputes the scale on every check; here on every slice */
	st->scale_ppm = nfx_gc_scale(st->fill, cfg->gc.adaptive_start, cfg->gc.adaptive_end);
	st->run_ns += bpf_ktime_get_ns() - t0;
}

/*
 * Delay to the next slice, in the manner of nf_conntrack's gc_worker: the
 * base interval while slices find expired flows (at least 1 in 8 of those
 * examined) or the table is under pressure; otherwise twice the previous
 * delay, up to interval_max_ms. A table of live flows thus costs little,
 * and expired flows are still never used: the datapath checks the timeout
 * on every lookup.
 */
static __always_inline __u32 gc_next_delay(struct nfx_gc_state *st, const struct nfx_config *cfg,
					   __u64 examined, __u64 removed)
{
	__u32 base = cfg->gc.interval_ms, max = cfg->gc.interval_max_ms, d = st->delay_ms;

	if (max <= base || (removed && removed * 8 >= examined) ||
	    (cfg->gc.adaptive_start && st->fill >= cfg->gc.adaptive_start) || d < base)
		return base;
	d = d > max / 2 ? max : d * 2;
	return d;
}

static int gc_timer_cb(void *map, int *key, struct nfx_gc_state *st)
{
	struct nfx_config *cfg = nfx_config_get();
	__u64 ex, rm;

	if (!cfg || !(cfg->flags & NFX_CFG_READY) || !cfg->gc.interval_ms) {
		st->armed = 0;		/* stopped; `gc set interval=N` restarts it */
		return 0;
	}
	ex = st->examined;
	rm = st->removed;
	gc_slice(st, cfg);
	st->delay_ms = gc_next_delay(st, cfg, st->examined - ex, st->removed - rm);
	bpf_timer_start(&st->timer, (__u64)st->delay_ms * NSEC_PER_MSEC, 0);
	return 0;
}

/* Arm (or re-arm with this program's callback) the collector's timer. */
SEC("syscall")
int nfx_gc_start(void *ctx)
{
	struct nfx_config *cfg = nfx_config_get();
	struct nfx_gc_state *st;
	__u32 zero = 0;
	long err;

	st = bpf_map_lookup_elem(&nfx_gc, &zero);
	if (!st || !cfg)
		return -2;	/* -ENOENT */
	if (!cfg->gc.interval_ms)
		return 0;
	if (!st->scale_ppm && !st->cycles)
		st->scale_ppm = NFX_GC_SCALE_ONE;
	st->delay_ms = cfg->gc.interval_ms;
	err = bpf_timer_init(&st->timer, &nfx_gc, GC_CLOCK_MONOTONIC);
	if (err && err != -16)	/* -EBUSY: initialised by an earlier start */
		return err;
	err = bpf_timer_set_callback(&st->timer, gc_timer_cb);
	if (err)
		return err;
	err = bpf_timer_start(&st->timer, (__u64)cfg->gc.interval_ms * NSEC_PER_MSEC, 0);
	if (err)
		return err;
	st->armed = 1;
	return 0;
}

/* One slice now, from user space (`gc run`, tests). */
SEC("syscall")
int nfx_gc_step(void *ctx)
{
	struct nfx_config *cfg = nfx_config_get();
	struct nfx_gc_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&nfx_gc, &zero);
	if (!st || !cfg)
		return -2;
	if (!st->scale_ppm && !st->cycles)
		st->scale_ppm = NFX_GC_SCALE_ONE;
	gc_slice(st, cfg);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

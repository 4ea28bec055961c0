/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Maps of the garbage collector and the per-source-prefix quota of
 * unassured flows, and the datapath's side of the quota.
 *
 * The quota is counted at creation of an unassured flow and given back on
 * promotion; flows that leave the unassured tier any other way (LRU
 * eviction, expiry, flush) are not followed per packet: the collector
 * recounts every prefix on each walk of that tier, so a count that drifted
 * is corrected within one cycle.
 */
#ifndef NFX_BPF_GC_H
#define NFX_BPF_GC_H

#include "compat.h"
#include "nfx/config.h"
#include "nfx/flow.h"
#include "nfx/gc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_gc_state);
} nfx_gc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NFX_QUOTA_MAX);
	__type(key, struct nfx_quota_key);
	__type(value, struct nfx_quota_val);
} nfx_quota SEC(".maps");

/*
 * The collector's queues (nfx/gc.h), one per tier. Twice the tier's size:
 * slots of flows gone before the collector reached them (flushed, evicted
 * by the LRU, replaced) take room until then.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * NFX_FLOWS_NEW_MAX);
	__type(key, __u32);
	__type(value, struct nfx_gc_slot);
} nfx_gcq_new SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * NFX_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct nfx_gc_slot);
} nfx_gcq SEC(".maps");

/*
 * Append a flow to the queue of its tier (qmap, queue q of the state). The
 * size is the map's, read through BTF, so that a loader may size the
 * queues with the tiers.
 */
static __always_inline void nfx_gc_enqueue(void *qmap, struct nfx_gc_queue *q, __u64 hash,
					   __u64 born)
{
	struct nfx_gc_slot *s;
	__u32 size = ((struct bpf_map *)qmap)->max_entries, idx;
	__u64 pos;

	if (!size)
		return;
	pos = __sync_fetch_and_add(&q->head, 1);
	if (pos - q->tail >= size)
		__sync_fetch_and_add(&q->lost, 1);
	idx = (__u32)(pos % size);
	s = bpf_map_lookup_elem(qmap, &idx);
	if (!s)
		return;
	s->hash = hash;
	/* published last, by an exchange: a full barrier (no release store before 6.15) */
	__sync_lock_test_and_set(&s->tag, nfx_gc_tag(born, pos));
}

/* The datapath inserted a flow in tier (enum nfx_gc_tier). */
static __always_inline void nfx_gc_track(__u32 tier, __u64 hash, __u64 born)
{
	struct nfx_gc_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&nfx_gc, &zero);
	if (!st)
		return;
	if (tier == NFX_GC_TIER_ASSURED)
		nfx_gc_enqueue(&nfx_gcq, &st->queue[NFX_GC_TIER_ASSURED], hash, born);
	else
		nfx_gc_enqueue(&nfx_gcq_new, &st->queue[NFX_GC_TIER_NEW], hash, born);
}

/* The initiator's address of an entry. */
static __always_inline const union nfx_addr *flow_src_addr(const struct flow_entry *e)
{
	return e->flags & FLOW_F_INIT_HI ? &e->key.hi_addr : &e->key.lo_addr;
}

/*
 * May src open one more unassured flow? Counts it when it may. A full
 * quota table (an LRU) forgets the least recently used prefix, which then
 * starts from zero: the bound on what a flood can hold is the unassured
 * tier itself, the quota only keeps one prefix from taking all of it.
 */
static __always_inline bool nfx_quota_admit(const struct nfx_gc_conf *gc, const union nfx_addr *src,
					    __u8 family)
{
	struct nfx_quota_key k;
	struct nfx_quota_val *v, nv = { .count = 1 };

	if (!gc->quota)
		return true;
	nfx_quota_key_make(&k, src, family, gc->quota_plen4, gc->quota_plen6);
	v = bpf_map_lookup_elem(&nfx_quota, &k);
	if (v) {
		if (v->count >= gc->quota)
			return false;
		__sync_fetch_and_add(&v->count, 1);
		return true;
	}
	bpf_map_update_elem(&nfx_quota, &k, &nv, BPF_NOEXIST);
	return true;
}

/* An unassured flow of src became assured: give its quota back. */
static __always_inline void nfx_quota_release(const struct nfx_gc_conf *gc,
					      const union nfx_addr *src, __u8 family)
{
	struct nfx_quota_key k;
	struct nfx_quota_val *v;

	if (!gc->quota)
		return;
	nfx_quota_key_make(&k, src, family, gc->quota_plen4, gc->quota_plen6);
	v = bpf_map_lookup_elem(&nfx_quota, &k);
	if (v && v->count)
		__sync_fetch_and_add(&v->count, (__u32)-1);	/* XADD: no v3 atomics needed */
}

#endif /* NFX_BPF_GC_H */

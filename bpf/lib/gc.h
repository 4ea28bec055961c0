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

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Garbage collector state and per-source-prefix quotas, shared by the
 * datapath (quota check), the collector (bpf/nfx_gc.bpf.c) and user space
 * (`nfx-loader gc show`, `status`).
 */
#ifndef NFX_GC_H
#define NFX_GC_H

#include "types.h"

#ifndef __bpf__
#include <linux/bpf.h>	/* struct bpf_timer */
#endif

/* Size of the quota table: source prefixes with unassured flows. */
#define NFX_QUOTA_MAX 16384

/* 1.0 in the fixed-point timeout scale. */
#define NFX_GC_SCALE_ONE 1000000u

/* Walk tiers, in the order one collector cycle visits them. */
enum nfx_gc_tier {
	NFX_GC_TIER_NEW = 0,	/* nfx_flows_new: unassured */
	NFX_GC_TIER_ASSURED = 1,	/* nfx_flows */
	NFX_GC_TIERS,
};

/*
 * The collector's queue of one tier: an array of slots used as a ring, one
 * slot per flow it must visit. The datapath appends a slot when it inserts
 * a flow in the tier; the collector takes slots from the tail, drops the
 * flow if it has expired and otherwise appends it again. A pass over a
 * tier thus costs what it examines, wherever it starts, which a walk of the
 * hash map cannot do (bpf_for_each_map_elem() has no start position).
 *
 * A slot is "written" when the position in its tag equals the low 32 bits
 * of its ring position: a producer claims a position (head) before it
 * writes the slot, and the collector stops at a claimed slot not yet
 * written. A slot whose
 * flow is gone, or was replaced by a newer flow of the same hash (born
 * differs), is stale and skipped. When the ring is full the producer still
 * writes (the oldest unvisited slot is lost) and counts it in lost; the
 * collector then rescans the tier with a walk of the map, which registers
 * every flow again. A rescan also runs first, for flows inserted before
 * the collector started (or from user space).
 */
struct nfx_gc_slot {
	__u64 hash;			/* key of the flow in its tier */
	__u64 tag;			/* nfx_gc_tag(): birth and ring position */
};

/*
 * Low 32 bits of the flow's first_seen above the low 32 bits of the ring
 * position: one 64-bit word, so that publishing a slot is one atomic
 * exchange, ordered after the hash on every architecture.
 */
static __always_inline __u64 nfx_gc_tag(__u64 born, __u64 pos)
{
	return (born << 32) | (__u32)pos;
}

struct nfx_gc_queue {
	__u64 head;			/* next position to claim (datapath, collector) */
	__u64 tail;			/* next position to visit (collector) */
	__u64 end;			/* head when the current pass began */
	__u64 lost;			/* slots overwritten while unvisited */
	__u64 lost_seen;		/* lost at the last rescan */
	__u64 stale;			/* slots of flows already gone, total */
	__u64 rescans;			/* rescans of the tier completed */
	__u32 scanned;			/* 0: the next pass is a rescan */
	__u32 open;			/* a pass over the tier has begun */
};

/*
 * The one value of map nfx_gc. The timer lives here so that it is freed
 * with the map: when the last pin and fd of nfx_gc go away (detach of the
 * last link of the namespace), the kernel cancels the timer and drops the
 * collector program it holds.
 */
struct nfx_gc_state {
	struct bpf_timer timer;
	__u64 cycles;			/* full walks of both tiers */
	__u64 slices;			/* timer callbacks (and `gc run` steps) */
	__u64 examined;			/* entries looked at, total */
	__u64 removed;			/* expired entries removed, total */
	__u64 run_ns;			/* time spent collecting, total */
	__u64 last_cycle;		/* bpf_ktime_get_ns() at the end of the last cycle */
	__u32 tier;			/* enum nfx_gc_tier being walked */
	__u32 cursor;			/* rescan: entries of that tier already walked */
	__u32 count[NFX_GC_TIERS];	/* live entries found by the last walk of each tier */
	__u32 live[NFX_GC_TIERS];	/* live entries counted so far in the current walk */
	__u32 fill;			/* count[0] + count[1] */
	__u32 scale_ppm;		/* timeout scale now, NFX_GC_SCALE_ONE = 100% */
	__u32 gen;			/* quota recount generation, one per cycle */
	__u32 busy;			/* a slice is running (timer or `gc run`) */
	__u32 armed;			/* the timer has been started */
	__u32 delay_ms;			/* until the next slice */
	struct nfx_gc_queue queue[NFX_GC_TIERS];
};

/* Key of map nfx_quota: a source prefix. */
struct nfx_quota_key {
	union nfx_addr prefix;		/* masked to quota_plen4/6 */
	__u32 family;
	__u32 pad;
};

struct nfx_quota_val {
	__u32 count;			/* unassured flows created from the prefix */
	__u32 gen;			/* collector generation of recount */
	__u32 recount;			/* live unassured flows counted in gen */
	__u32 pad;
};

/* Mask an address to a prefix of plen (v4: plen of the v4 part). */
static __always_inline void nfx_prefix_mask(union nfx_addr *a, __u8 family, __u32 plen)
{
	int bits = (family == NFX_AF_INET ? 96 : 0) + (int)plen;
	int k;

	NFX_UNROLL
	for (k = 0; k < 16; k++) {
		int b = bits - 8 * k;

		a->b[k] &= b >= 8 ? 0xff : b <= 0 ? 0 : (__u8)(0xff << (8 - b));
	}
}

static __always_inline void nfx_quota_key_make(struct nfx_quota_key *k, const union nfx_addr *src,
					       __u8 family, __u8 plen4, __u8 plen6)
{
	k->prefix = *src;
	k->family = family;
	k->pad = 0;
	nfx_prefix_mask(&k->prefix, family,
			family == NFX_AF_INET ? (plen4 > 32 ? 32 : plen4) :
						(plen6 > 128 ? 128 : plen6));
}

/*
 * pf's adaptive scale: 1 below start, (end - fill) / (end - start) between
 * start and end, 0 from end on. Returned in parts per million.
 */
static __always_inline __u32 nfx_gc_scale(__u32 fill, __u32 start, __u32 end)
{
	if (!start || end <= start || fill <= start)
		return NFX_GC_SCALE_ONE;
	if (fill >= end)
		return 0;
	return (__u32)((__u64)(end - fill) * NFX_GC_SCALE_ONE / (end - start));
}

#endif /* NFX_GC_H */

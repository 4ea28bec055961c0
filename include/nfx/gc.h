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
	__u32 cursor;			/* entries of that tier already walked this cycle */
	__u32 count[NFX_GC_TIERS];	/* live entries found by the last walk of each tier */
	__u32 live[NFX_GC_TIERS];	/* live entries counted so far in the current walk */
	__u32 fill;			/* count[0] + count[1] */
	__u32 scale_ppm;		/* timeout scale now, NFX_GC_SCALE_ONE = 100% */
	__u32 gen;			/* quota recount generation, one per cycle */
	__u32 busy;			/* a slice is running (timer or `gc run`) */
	__u32 armed;			/* the timer has been started */
	__u32 delay_ms;			/* until the next slice */
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

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Active-active cluster state (map nfx_cluster, one entry per namespace).
 *
 * Every node sees every packet of the shared virtual MAC/IP. A flow's
 * owner is chosen once, on its first packet, by highest-random-weight
 * hashing of the canonical flow key over the live members, and stored in
 * flow_entry.owner; the other nodes drop the flow's packets. Because the
 * key is canonical, both directions pick the same owner, and because every
 * node runs the same computation over the same member list with the same
 * cluster key, every node agrees on it without talking to the others.
 */
#ifndef NFX_CLUSTER_H
#define NFX_CLUSTER_H

#include "types.h"

#define NFX_CLUSTER_MAX 16	/* members; node ids are 1..255 */
#define NFX_CLUSTER_VIPS 8	/* virtual addresses answered by one node */

/* nfx_cluster.flags */
#define NFX_CLUSTER_F_ON (1u << 0)	/* written completely; stage active */
/*
 * A TCP flow first seen mid-stream (no SYN: this node joined, or its nfx
 * restarted, after the flow opened) belongs to this node only if the
 * kernel's conntrack holds it (it carried the flow, or conntrackd
 * committed it here on a takeover); otherwise to one of the OTHER live
 * nodes, which has been carrying it. Without this flag mid-stream flows
 * are hashed like new ones, which can make a returning node forward a
 * flow its peer still owns (duplicates, not loss).
 */
#define NFX_CLUSTER_F_MIDSTREAM_KERNEL (1u << 1)

struct nfx_cluster {
	__u64 key[2];			/* HRW key, identical on every node */
	__u64 changed_ns;		/* CLOCK_MONOTONIC of the last change */
	__u64 live[4];			/* bit per node id: member and alive */
	__u32 gen;			/* bumped on every membership change */
	__u32 flags;			/* NFX_CLUSTER_F_* */
	__u8 self;			/* this node's id */
	__u8 nmembers;
	__u8 nvips;
	__u8 pad;
	__u8 ids[NFX_CLUSTER_MAX];	/* members, alive or not */
	union nfx_addr vips[NFX_CLUSTER_VIPS];	/* v4 stored v4-mapped */
	__u8 vip_family[NFX_CLUSTER_VIPS];	/* NFX_AF_* */
};

/* Per-CPU counters (map nfx_cluster_stats). */
enum nfx_cluster_stat {
	NFX_CL_OWNED,		/* packets of flows this node owns: passed */
	NFX_CL_FOREIGN,		/* packets of flows another node owns: dropped */
	NFX_CL_DECIDED,		/* owner chosen for a new flow */
	NFX_CL_REOWNED,		/* owner was dead: flow given to a live node */
	NFX_CL_TAKEN_OVER,	/* ... and that node is this one */
	NFX_CL_NEIGH_ANSWER,	/* ARP/NS for a virtual address: passed to reply */
	NFX_CL_NEIGH_SILENT,	/* ARP/NS for a virtual address: another node replies */
	NFX_CL_UNTRACKED_PASS,	/* no flow (ICMP error, fragment): this node forwards */
	NFX_CL_UNTRACKED_DROP,	/* no flow: the neighbour node forwards it */
	NFX_CL_NO_OWNER,	/* no live member at all: passed */
	NFX_CL_STAT_MAX,
};

#ifndef __bpf__
static const char *const nfx_cluster_stat_names[NFX_CL_STAT_MAX] = {
	"owned",	"foreign",	"decided",	  "reowned",	    "taken_over",
	"neigh_answer", "neigh_silent", "untracked_pass", "untracked_drop", "no_owner",
};
#endif

static __always_inline bool nfx_cluster_is_live(const struct nfx_cluster *c, __u8 id)
{
	return id && ((c->live[(id >> 6) & 3] >> (id & 63)) & 1);
}

/* splitmix64's finaliser: a cheap, well-mixed score per (flow, node). */
static __always_inline __u64 nfx_cluster_mix(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * Highest random weight (Thaler & Ravishankar): the live member with the
 * largest score for this flow wins. Removing a member only moves the flows
 * it owned, and each of them to any survivor with equal probability.
 * skip (0: none) takes one node out of the vote. Returns 0 when no member
 * is alive.
 */
static __always_inline __u8 nfx_cluster_hrw(const struct nfx_cluster *c, __u64 fhash, __u8 skip)
{
	__u64 best = 0;
	__u8 owner = 0;
	int i;

	NFX_UNROLL
	for (i = 0; i < NFX_CLUSTER_MAX; i++) {
		__u8 id = c->ids[i];
		__u64 s;

		if (i >= c->nmembers)
			break;
		if (!nfx_cluster_is_live(c, id) || id == skip)
			continue;
		s = nfx_cluster_mix(fhash ^ ((__u64)id * 0x9e3779b97f4a7c15ULL));
		if (!owner || s > best) {
			best = s;
			owner = id;
		}
	}
	return owner;
}

#endif /* NFX_CLUSTER_H */

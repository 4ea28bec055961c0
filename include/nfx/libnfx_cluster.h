/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libnfx: active-active cluster membership and ownership.
 *
 * The state lives in the namespace-wide map nfx_cluster; any attached link
 * of the namespace reaches it. Functions return 0 or a negative errno and
 * leave one line of context in nfx_errmsg().
 */
#ifndef NFX_LIBNFX_CLUSTER_H
#define NFX_LIBNFX_CLUSTER_H

#include "nfx/libnfx.h"
#include "nfx/cluster.h"

/* Key both nodes use when none is given (ownership is not a secret). */
#define NFX_CLUSTER_DEFAULT_KEY0 0x6e66782d636c7573ULL	/* "nfx-clus" */
#define NFX_CLUSTER_DEFAULT_KEY1 0x7465722d6b657931ULL	/* "ter-key1" */

/* Current state; all zero when the cluster was never configured. */
int nfx_cluster_get(struct nfx_link *link, struct nfx_cluster *c);
/*
 * Write a new state: bumps gen, stamps changed_ns, sets NFX_CLUSTER_F_ON.
 * Rejected (nothing written) when self is 0, an id repeats or is 0, or
 * more than NFX_CLUSTER_MAX members are listed.
 */
int nfx_cluster_set(struct nfx_link *link, struct nfx_cluster *c);
/* Turn the stage off: every node forwards everything again. */
int nfx_cluster_off(struct nfx_link *link);
/* Mark member id alive (adding it if absent) or dead. */
int nfx_cluster_mark(struct nfx_cluster *c, __u8 id, bool alive);
/* Counters summed over CPUs, out[NFX_CL_STAT_MAX]. */
int nfx_cluster_stats(struct nfx_link *link, __u64 *out);
/*
 * Flows per owner id (owned[256]); owner 0 = not decided yet. tcp_udp
 * (NULL or [256]) counts only TCP and UDP flows, which conntrackd replicates.
 */
int nfx_cluster_owned(struct nfx_link *link, __u64 *owned, __u64 *tcp_udp);
/* Id of the shared nfx_cluster map, to visit a namespace only once. */
__u32 nfx_cluster_map_id(struct nfx_link *link);

#endif /* NFX_LIBNFX_CLUSTER_H */

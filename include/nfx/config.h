/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Run-time configuration (map nfx_config, one entry). The loader writes it
 * at attach time; later commands may change timeouts while traffic runs.
 */
#ifndef NFX_CONFIG_H
#define NFX_CONFIG_H

#include "types.h"
#include "flow.h"

/* nfx_config.flags */
#define NFX_CFG_READY (1u << 0)		/* written completely by the loader */

/* nfx_config.features: what the loader found the kernel to offer. */
#define NFX_FEAT_CT_KFUNCS (1u << 0)	/* bpf_xdp_ct_lookup() is usable */

/* Per-protocol idle timeouts, in seconds. */
struct nfx_timeouts {
	__u32 tcp[FLOW_TCP_STATE_MAX];	/* by enum flow_tcp_state */
	__u32 udp_unreplied;
	__u32 udp_assured;
	__u32 icmp;
	__u32 other;
};

/*
 * Garbage collector and flood limits (nfx_config.gc), changed at run time
 * by `nfx-loader gc set`. The collector is a bpf_timer that walks the flow
 * table in slices of at most slice entries every interval_ms (backing off
 * to interval_max_ms while slices find nothing to expire); timeouts
 * scale down linearly (the pf "adaptive" scheme) while the number of flows
 * is between adaptive_start and adaptive_end, reaching 0 at adaptive_end.
 */
struct nfx_gc_conf {
	__u32 interval_ms;		/* between two slices; 0 stops the collector */
	__u32 slice;			/* entries examined per slice */
	__u32 adaptive_start;		/* flows; 0 disables scaling */
	__u32 adaptive_end;		/* flows, > adaptive_start */
	__u32 quota;			/* unassured flows per source prefix; 0 = off */
	__u8 quota_plen4;		/* source prefix length, IPv4 (default /24) */
	__u8 quota_plen6;		/* IPv6 (default /64) */
	__u16 pad;
	__u32 interval_max_ms;		/* back-off bound; <= interval_ms: no back-off */
};

/*
 * Shared by every link of one network namespace, like the flow table:
 * a router attached on two links sees both directions of a connection
 * in the same entry.
 */
struct nfx_config {
	__u64 hash_key[2];		/* copy of the datapath's SipHash key */
	__u64 netns_ino;		/* namespace the tables belong to */
	__u32 features;			/* NFX_FEAT_* */
	__u32 flags;			/* NFX_CFG_* */
	struct nfx_timeouts timeouts;
	struct nfx_gc_conf gc;
};

/* Per-link settings (map nfx_link, one entry). */
struct nfx_link_conf {
	__u32 ifindex;
	__u16 zone;			/* conntrack zone of this link's flows */
	__u16 flags;			/* NFX_CFG_READY once written */
};

/* Maps pinned per link; every other map is shared within a namespace. */
/* clang-format off */
#define NFX_PER_LINK_MAPS { "nfx_stats", "nfx_link" }
/* clang-format on */

#endif /* NFX_CONFIG_H */

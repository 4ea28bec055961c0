/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * nfx_ct: nfx's conntrack integration, a generic netlink family of its own.
 *
 * Shared by the kernel module (kmod/nfx_ct.c) and user space (loader/kct.c,
 * loader/pred.c). Only fixed-width types; no kernel-only or libc-only headers.
 */
#ifndef NFX_KCT_H
#define NFX_KCT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <stdint.h>
#endif

#define NFX_KCT_GENL_NAME "nfx_ct"
#define NFX_KCT_GENL_VERSION 1

/* Commands. */
enum nfx_kct_cmd {
	NFX_KCT_CMD_UNSPEC,
	NFX_KCT_CMD_FLUSH,	/* selective flush; reply: counters */
	NFX_KCT_CMD_GC_SET,	/* set the pressure-adaptive GC policy */
	NFX_KCT_CMD_GC_GET,	/* policy plus current fill and scale */
	__NFX_KCT_CMD_MAX,
};
#define NFX_KCT_CMD_MAX (__NFX_KCT_CMD_MAX - 1)

/* Top-level attributes. */
enum nfx_kct_attr {
	NFX_KCT_A_UNSPEC,
	NFX_KCT_A_PAD,
	NFX_KCT_A_PRED,		/* nested, enum nfx_kct_pattr */
	NFX_KCT_A_DRY_RUN,	/* flag: count matches, delete nothing */
	NFX_KCT_A_EXAMINED,	/* u64, reply */
	NFX_KCT_A_REMOVED,	/* u64, reply (matched, when dry run) */
	NFX_KCT_A_ELAPSED_NS,	/* u64, reply */
	NFX_KCT_A_GC_ENABLED,	/* u8 0/1 */
	NFX_KCT_A_GC_START,	/* u32 percent of nf_conntrack_max, 1..100 */
	NFX_KCT_A_GC_END,	/* u32 percent, 1..200, > start */
	NFX_KCT_A_GC_INTERVAL_MS, /* u32, 100..600000 */
	NFX_KCT_A_GC_MIN_TIMEOUT, /* u32 seconds: floor of a scaled timeout */
	NFX_KCT_A_GC_FILL,	/* u32 per mille of nf_conntrack_max, reply */
	NFX_KCT_A_GC_SCALE,	/* u32 per mille (1000 = no scaling), reply */
	NFX_KCT_A_GC_COUNT,	/* u32 entries, reply */
	NFX_KCT_A_GC_MAX,	/* u32 nf_conntrack_max, reply */
	NFX_KCT_A_GC_RUNS,	/* u64 passes that found pressure, reply */
	NFX_KCT_A_GC_SHORTENED,	/* u64 timeouts shortened in total, reply */
	NFX_KCT_A_GC_DROPPED,	/* u64 unassured entries early-dropped, reply */
	__NFX_KCT_A_MAX,
};
#define NFX_KCT_A_MAX (__NFX_KCT_A_MAX - 1)

/* Predicate attributes, nested in NFX_KCT_A_PRED. All present ones must hold. */
enum nfx_kct_pattr {
	NFX_KCT_P_UNSPEC,
	NFX_KCT_P_TCP_STATES,	/* u32 mask of 1 << TCP_CONNTRACK_* (any of) */
	NFX_KCT_P_STATUS,	/* u32 mask of NFX_KCT_ST_* (all of) */
	NFX_KCT_P_L4PROTO,	/* u8 IPPROTO_* */
	NFX_KCT_P_FAMILY,	/* u8 AF_INET (2) or AF_INET6 (10) */
	NFX_KCT_P_SRC,		/* 16 bytes; IPv4 in the first 4 */
	NFX_KCT_P_SRC_PLEN,	/* u8 */
	NFX_KCT_P_DST,
	NFX_KCT_P_DST_PLEN,
	NFX_KCT_P_ADDR,		/* either endpoint of the original tuple */
	NFX_KCT_P_ADDR_PLEN,
	NFX_KCT_P_SPORT,	/* u32: lo << 16 | hi, host order */
	NFX_KCT_P_DPORT,
	NFX_KCT_P_PORT,		/* either port */
	NFX_KCT_P_ZONE,		/* u16 */
	NFX_KCT_P_MARK,		/* u32 */
	NFX_KCT_P_MARK_MASK,	/* u32 */
	NFX_KCT_P_AGE_MIN,	/* u32 seconds (needs nf_conntrack_timestamp) */
	NFX_KCT_P_AGE_MAX,	/* absent: unbounded */
	NFX_KCT_P_TMO_MIN,	/* u32 seconds of remaining timeout */
	NFX_KCT_P_TMO_MAX,
	__NFX_KCT_P_MAX,
};
#define NFX_KCT_P_MAX (__NFX_KCT_P_MAX - 1)

/* NFX_KCT_P_STATUS bits. */
#define NFX_KCT_ST_UNREPLIED (1U << 0) /* !IPS_SEEN_REPLY */
#define NFX_KCT_ST_UNASSURED (1U << 1) /* !IPS_ASSURED */
#define NFX_KCT_ST_ASSURED (1U << 2)   /* IPS_ASSURED */
#define NFX_KCT_ST_ALL 0x7U

/* TCP states, numbered as the kernel's enum tcp_conntrack. */
#define NFX_KCT_TCP_NONE 0
#define NFX_KCT_TCP_SYN_SENT 1
#define NFX_KCT_TCP_SYN_RECV 2
#define NFX_KCT_TCP_ESTABLISHED 3
#define NFX_KCT_TCP_FIN_WAIT 4
#define NFX_KCT_TCP_CLOSE_WAIT 5
#define NFX_KCT_TCP_LAST_ACK 6
#define NFX_KCT_TCP_TIME_WAIT 7
#define NFX_KCT_TCP_CLOSE 8
#define NFX_KCT_TCP_SYN_SENT2 9
#define NFX_KCT_TCP_NSTATES 10
#define NFX_KCT_TCP_ALL ((1U << NFX_KCT_TCP_NSTATES) - 1)

/* Which fields of struct nfx_kct_pred are in force. */
#define NFX_KCT_F_TCP_STATES (1U << 0)
#define NFX_KCT_F_STATUS (1U << 1)
#define NFX_KCT_F_L4PROTO (1U << 2)
#define NFX_KCT_F_FAMILY (1U << 3)
#define NFX_KCT_F_SRC (1U << 4)
#define NFX_KCT_F_DST (1U << 5)
#define NFX_KCT_F_ADDR (1U << 6)
#define NFX_KCT_F_SPORT (1U << 7)
#define NFX_KCT_F_DPORT (1U << 8)
#define NFX_KCT_F_PORT (1U << 9)
#define NFX_KCT_F_ZONE (1U << 10)
#define NFX_KCT_F_MARK (1U << 11)
#define NFX_KCT_F_AGE (1U << 12)
#define NFX_KCT_F_TMO (1U << 13)

struct nfx_kct_prefix {
	__u8 addr[16];		/* network order; IPv4 in addr[0..3] */
	__u8 plen;
};

struct nfx_kct_range {
	__u16 lo, hi;		/* inclusive, host order */
};

/*
 * A conntrack predicate: the conjunction of every field whose NFX_KCT_F_*
 * bit is set in @fields. The same struct serves the kernel module, the
 * ctnetlink fallback and the BPF flow-table flush.
 */
struct nfx_kct_pred {
	__u32 fields;
	__u32 tcp_states;	/* mask of 1 << NFX_KCT_TCP_* */
	__u32 status;		/* NFX_KCT_ST_* */
	__u8 l4proto;
	__u8 family;		/* 0, AF_INET or AF_INET6 */
	__u16 zone;
	struct nfx_kct_prefix src, dst, addr;
	struct nfx_kct_range sport, dport, port;
	__u32 mark, mark_mask;
	__u32 age_min, age_max;	/* seconds, inclusive; UINT32_MAX: unbounded */
	__u32 tmo_min, tmo_max;	/* seconds of remaining timeout, inclusive */
};

/* Result of a flush. */
struct nfx_kct_result {
	__u64 examined;
	__u64 removed;		/* matched, for a dry run */
	__u64 elapsed_ns;
	int path;		/* NFX_KCT_PATH_* */
};

#define NFX_KCT_PATH_MODULE 1	 /* in-kernel, nfx_ct genetlink */
#define NFX_KCT_PATH_CTNETLINK 2 /* user-space dump + delete */
#define NFX_KCT_PATH_CTNETLINK_FILTER 3 /* ctnetlink's own filtered flush (mark) */

/* GC policy. */
struct nfx_kct_gc {
	__u32 enabled;
	__u32 start_pct;	/* scaling starts above this fill */
	__u32 end_pct;		/* timeouts reach the floor here */
	__u32 interval_ms;
	__u32 min_timeout;	/* seconds */
	/* GET only: */
	__u32 fill_permille;
	__u32 scale_permille;
	__u32 count, max;
	__u64 runs, shortened, dropped;
};

#endif /* NFX_KCT_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow events: fixed-size records written by the datapath into per-CPU
 * BPF ring buffers, and made from kernel conntrack (ctnetlink) messages by
 * user space, so both sources read the same way.
 *
 * One record is 128 bytes (plus the ring's 8-byte header): big enough for
 * the full canonical key and the final counters, small enough that a 1 MiB
 * ring holds ~7700 events of burst.
 */
#ifndef NFX_EVENTS_H
#define NFX_EVENTS_H

#include "types.h"
#include "flow.h"

enum nfx_event_type {
	NFX_EV_NONE = 0,
	NFX_EV_NEW,		/* flow entry created */
	NFX_EV_STATE,		/* TCP state changed (old_state -> tcp_state) */
	NFX_EV_CLASSIFIED,	/* the classifier set app_id */
	NFX_EV_END,		/* flow over; counters are final */
	NFX_EV_LOST,		/* made by user space: `lost` events never arrived */
	NFX_EV_SYNC,		/* made by user space: entry re-read by a resync dump */
	NFX_EV_TYPE_MAX,
};

enum nfx_event_source {
	NFX_EV_SRC_XDP = 0,	/* nfx datapath, per-CPU rings */
	NFX_EV_SRC_CT,		/* kernel conntrack via ctnetlink */
	NFX_EV_SRC_MAX,
};

/* Why a flow ended (NFX_EV_END). */
enum nfx_event_end_reason {
	NFX_EV_END_UNKNOWN = 0,
	NFX_EV_END_CLOSE,	/* TCP: both FINs acknowledged (TIME_WAIT) */
	NFX_EV_END_RESET,	/* TCP: RST */
	NFX_EV_END_EXPIRED,	/* idle timeout passed; found stale by a packet */
	NFX_EV_END_EVICTED,	/* removed by GC, flush or table pressure */
	NFX_EV_END_DESTROY,	/* kernel conntrack destroyed the entry */
	NFX_EV_END_MAX,
};

struct nfx_event {
	__u8 type;		/*   0  enum nfx_event_type */
	__u8 source;		/*   1  enum nfx_event_source */
	__u8 tcp_state;		/*   2  enum flow_tcp_state after the event */
	__u8 old_state;		/*   3  NFX_EV_STATE: state before */
	__u8 reason;		/*   4  NFX_EV_END: enum nfx_event_end_reason */
	__u8 flags;		/*   5  FLOW_F_* of the entry */
	__u16 app_id;		/*   6  classifier result, 0 = unknown */
	__u32 cpu;		/*   8  CPU (ring) that produced it */
	__u32 ifindex;		/*  12  link whose packet caused it (0: kernel) */
	__u64 ts_ns;		/*  16  CLOCK_MONOTONIC, like flow timestamps */
	__u64 seq;		/*  24  per-CPU sequence; NFX_EV_LOST: events lost */
	struct flow_key key;	/*  32  canonical tuple (40) */
	__u64 packets[2];	/*  72  by enum flow_dir */
	__u64 bytes[2];		/*  88 */
	__u64 first_seen;	/* 104 */
	__u32 mark;		/* 112 */
	__u32 ct_id;		/* 116  kernel conntrack id (NFX_EV_SRC_CT) */
	__u32 ct_status;	/* 120  kernel IPS_* bits (NFX_EV_SRC_CT) */
	__u32 pad;		/* 124 */
};				/* 128 */
NFX_STATIC_ASSERT(sizeof(struct nfx_event) == 128, "nfx_event is 128 bytes");
NFX_STATIC_ASSERT(__builtin_offsetof(struct nfx_event, key) % 8 == 0,
		  "flow key is 8-byte aligned in the event");

/* Per-CPU event counters (map nfx_event_stats), indexed by this enum. */
enum nfx_event_stat {
	NFX_EVS_SEQ,		/* next sequence number = events attempted */
	NFX_EVS_EMITTED,	/* written to the ring */
	NFX_EVS_DROPPED,	/* ring full: lost */
	NFX_EVS_NO_RING,	/* no ring for this CPU: lost */
	NFX_EVS_WAKEUPS,	/* forced wake-ups of the reader */
	NFX_EVS_WAKE_POS,	/* state, not a counter: ring position at the last one */
	NFX_EVS_MAX,
};
NFX_STATIC_ASSERT(NFX_EVS_MAX * 8 <= 64, "event counters fit one cache line");

/*
 * Settings of the event channel (map nfx_event_conf, one entry, shared by
 * the links of a namespace like the flow table).
 */
struct nfx_event_conf {
	__u32 types;		/* bit (1 << type) set: emit that type */
	__u32 wakeup_every;	/* force a wake-up every N events per CPU (0: never) */
	__u32 wakeup_bytes;	/* ... or when a ring holds this many bytes, at most
				 * once per this many bytes written (0: ring / 4) */
	__u32 ring_bytes;	/* size of each per-CPU ring */
};
NFX_STATIC_ASSERT(sizeof(struct nfx_event_conf) == 16, "nfx_event_conf is 16 bytes");

/* Upper bound on CPUs with a ring (outer array size). */
#define NFX_EVENT_CPUS_MAX 256
/* Default per-CPU ring size and wake-up sampling. */
#define NFX_EVENT_RING_BYTES (256 * 1024)
#define NFX_EVENT_WAKEUP_EVERY 256
#define NFX_EVENT_TYPES_ALL \
	((1u << NFX_EV_NEW) | (1u << NFX_EV_STATE) | (1u << NFX_EV_CLASSIFIED) | (1u << NFX_EV_END))

#ifndef __bpf__
static const char *const nfx_event_type_names[NFX_EV_TYPE_MAX] = {
	"none", "new", "state", "classified", "end", "lost", "sync",
};
static const char *const nfx_event_end_names[NFX_EV_END_MAX] = {
	"unknown", "close", "reset", "expired", "evicted", "destroy",
};
static const char *const nfx_event_stat_names[NFX_EVS_MAX] = {
	"seq", "emitted", "dropped", "no_ring", "wakeups", "wake_pos",
};
#endif

#endif /* NFX_EVENTS_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Event channel: flow events into one BPF ring buffer per CPU.
 *
 * A single BPF_MAP_TYPE_RINGBUF takes a spinlock on every reserve and
 * commit; with several CPUs producing, they serialise on it and on its
 * cache lines (see bench/bench_events.sh). Here each CPU owns a ring, found
 * through an ARRAY_OF_MAPS indexed by bpf_get_smp_processor_id(), so the
 * lock is never contended (an XDP program does not migrate while it runs).
 * Ring-in-map-in-map works since Linux 5.10 (map_meta_equal), and libbpf
 * 1.1 creates the inner template from the BTF definition below; the
 * rings themselves are created by the loader, all of one size.
 *
 * Wake-ups are sampled: a record is committed with BPF_RB_NO_WAKEUP unless
 * it is the Nth of its CPU or the ring is filling up, which then forces
 * one. The reader bounds its latency by also draining on a short timer.
 * Every attempt takes a per-CPU sequence number first, so a reader sees a
 * loss as a gap, and the per-CPU counters say why (ring full, no ring).
 */
#ifndef NFX_BPF_EVENTS_H
#define NFX_BPF_EVENTS_H

#include "compat.h"
#include "nfx/flow.h"
#include "nfx/events.h"

struct nfx_event_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NFX_EVENT_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, NFX_EVENT_CPUS_MAX);
	__type(key, __u32);
	__array(values, struct nfx_event_ring);
} nfx_event_rings SEC(".maps");

struct nfx_event_counters {
	__u64 c[NFX_EVS_MAX];
};

/* One slot, per CPU: all counters of an emission in one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_event_counters);
} nfx_event_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_event_conf);
} nfx_event_conf SEC(".maps");

/*
 * Commit flags for a record just reserved in ring: sampled wake-ups.
 * emitted counts this CPU's records including this one.
 *
 * A forced wake-up is an irq_work, i.e. a self-IPI (an exit under
 * virtualisation), so it is spent sparingly: every wakeup_every-th event,
 * or when the ring holds wakeup_bytes, and then again only after another
 * wakeup_bytes were written - a reader that is already running behind
 * gains nothing from more. The kernel's own adaptive rule (wake when the
 * reader has caught up) does not combine with sampling: after records
 * committed without a wake-up, the reader is never "caught up" again.
 */
static __always_inline __u64 nfx_event_wakeup(void *ring, const struct nfx_event_conf *conf,
					      struct nfx_event_counters *cnt, __u64 emitted)
{
	__u64 prod;

	if (conf->wakeup_every && emitted % conf->wakeup_every == 0)
		goto wake;
	if (!conf->wakeup_bytes || bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) < conf->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	prod = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
	if (prod - cnt->c[NFX_EVS_WAKE_POS] < conf->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
wake:
	cnt->c[NFX_EVS_WAKE_POS] = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
	cnt->c[NFX_EVS_WAKEUPS]++;
	return BPF_RB_FORCE_WAKEUP;
}

/* Fill a reserved record from flow e. */
static __always_inline void nfx_event_fill(struct nfx_event *ev, const struct flow_entry *e,
					   __u32 type, __u32 old_state, __u32 reason, __u32 ifindex,
					   __u32 cpu, __u64 seq)
{
	ev->type = type;
	ev->source = NFX_EV_SRC_XDP;
	ev->tcp_state = e->tcp_state;
	ev->old_state = old_state;
	ev->reason = reason;
	ev->flags = e->flags;
	ev->app_id = e->app_id;
	ev->cpu = cpu;
	ev->ifindex = ifindex;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->seq = seq;
	__builtin_memcpy(&ev->key, &e->key, sizeof(ev->key));
	ev->packets[0] = e->packets[0];
	ev->packets[1] = e->packets[1];
	ev->bytes[0] = e->bytes[0];
	ev->bytes[1] = e->bytes[1];
	ev->first_seen = e->first_seen;
	ev->mark = e->mark;
	ev->ct_id = 0;
	ev->ct_status = 0;
	ev->pad = 0;
}

/*
 * Emit one event about flow e. A subprogram rather than inlined: it is
 * called from several places of the pipeline and is only reached when
 * something happens to a flow, never for an established flow's packet.
 * Returns 0, or -1 when the event was not written (filtered or lost).
 */
static __noinline int nfx_event_flow(const struct flow_entry *e, __u32 type, __u32 old_state,
				     __u32 reason, __u32 ifindex)
{
	struct nfx_event_counters *cnt;
	struct nfx_event_conf *conf;
	struct nfx_event *ev;
	__u32 zero = 0, cpu;
	__u64 seq;
	void *ring;

	if (!e)
		return -1;
	conf = bpf_map_lookup_elem(&nfx_event_conf, &zero);
	cnt = bpf_map_lookup_elem(&nfx_event_stats, &zero);
	if (!conf || !cnt || type >= 32 || !(conf->types & (1u << type)))
		return -1;
	cpu = bpf_get_smp_processor_id();
	seq = cnt->c[NFX_EVS_SEQ]++;	/* per CPU: no atomics needed */
	ring = bpf_map_lookup_elem(&nfx_event_rings, &cpu);
	if (!ring) {
		cnt->c[NFX_EVS_NO_RING]++;
		return -1;
	}
	ev = bpf_ringbuf_reserve(ring, sizeof(*ev), 0);
	if (!ev) {
		cnt->c[NFX_EVS_DROPPED]++;
		return -1;
	}
	nfx_event_fill(ev, e, type, old_state, reason, ifindex, cpu, seq);
	cnt->c[NFX_EVS_EMITTED]++;
	bpf_ringbuf_submit(ev, nfx_event_wakeup(ring, conf, cnt, cnt->c[NFX_EVS_EMITTED]));
	return 0;
}

static __always_inline int nfx_event_new(const struct flow_entry *e, __u32 ifindex)
{
	return nfx_event_flow(e, NFX_EV_NEW, 0, 0, ifindex);
}

static __always_inline int nfx_event_state(const struct flow_entry *e, __u8 old_state,
					   __u32 ifindex)
{
	return nfx_event_flow(e, NFX_EV_STATE, old_state, 0, ifindex);
}

static __always_inline int nfx_event_end(const struct flow_entry *e, __u8 reason, __u32 ifindex)
{
	return nfx_event_flow(e, NFX_EV_END, e->tcp_state, reason, ifindex);
}

/* For the classifier: call once after it stored e->app_id. */
static __always_inline int nfx_event_classified(const struct flow_entry *e, __u32 ifindex)
{
	return nfx_event_flow(e, NFX_EV_CLASSIFIED, e->tcp_state, 0, ifindex);
}

#endif /* NFX_BPF_EVENTS_H */

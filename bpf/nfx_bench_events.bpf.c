// SPDX-License-Identifier: GPL-2.0
/*
 * Event producer for bench/bench_events.sh: every run of the program
 * (BPF_PROG_TEST_RUN with a repeat count) emits one 128-byte flow event,
 * either through the datapath's per-CPU rings (nfx_event_flow(), exactly
 * the code the pipeline runs) or into one ring shared by all CPUs, the
 * design the per-CPU rings replace.
 *
 * A tc program rather than XDP: an XDP test run with a repeat count swaps
 * the program into the XDP dispatcher and back around every call, and the
 * synchronize_rcu() that costs would dominate what is measured here.
 */
#include "lib/compat.h"
#include "lib/events.h"

enum bench_mode {
	BENCH_PERCPU = 0,	/* nfx: per-CPU rings, sampled wake-ups */
	BENCH_SHARED,		/* one ring, the kernel's adaptive wake-ups */
	BENCH_SHARED_SAMPLED,	/* one ring, same sampling as nfx */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} nfx_bench_shared_ring SEC(".maps");

__u32 bench_mode = BENCH_PERCPU;
struct flow_entry bench_flow = {};

SEC("tc")
int nfx_bench_events(struct __sk_buff *skb)
{
	struct nfx_event_counters *cnt;
	struct nfx_event_conf *conf;
	struct nfx_event *ev;
	__u32 zero = 0, cpu;
	__u64 seq, flags = 0;

	bench_flow.packets[0]++;
	if (bench_mode == BENCH_PERCPU) {
		nfx_event_flow(&bench_flow, NFX_EV_NEW, 0, 0, 0);
		return 0;
	}
	/* Same bookkeeping as nfx_event_flow(), only the ring differs. */
	conf = bpf_map_lookup_elem(&nfx_event_conf, &zero);
	cnt = bpf_map_lookup_elem(&nfx_event_stats, &zero);
	if (!conf || !cnt)
		return 0;
	cpu = bpf_get_smp_processor_id();
	seq = cnt->c[NFX_EVS_SEQ]++;
	ev = bpf_ringbuf_reserve(&nfx_bench_shared_ring, sizeof(*ev), 0);
	if (!ev) {
		cnt->c[NFX_EVS_DROPPED]++;
		return 0;
	}
	nfx_event_fill(ev, &bench_flow, NFX_EV_NEW, 0, 0, 0, cpu, seq);
	cnt->c[NFX_EVS_EMITTED]++;
	if (bench_mode == BENCH_SHARED_SAMPLED)
		flags = nfx_event_wakeup(&nfx_bench_shared_ring, conf, cnt,
					 cnt->c[NFX_EVS_EMITTED]);
	bpf_ringbuf_submit(ev, flags);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

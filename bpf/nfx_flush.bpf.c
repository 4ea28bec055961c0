// SPDX-License-Identifier: GPL-2.0
/*
 * Selective flush of the flow table, inside the kernel in one call.
 *
 * A BPF_PROG_TYPE_SYSCALL program: the loader loads it on demand, hands it
 * the pinned flow tables with bpf_map__reuse_fd(), writes the predicate to
 * its global data and runs it once with BPF_PROG_TEST_RUN. The program walks
 * both tiers with bpf_for_each_map_elem() and deletes the matching entries
 * (deleting the current element from the callback is allowed for hash
 * maps), so the cost is one syscall whatever the table size.
 */
#include "lib/compat.h"
#include "lib/flowtab.h"
#include "lib/pred.h"
#include "lib/events.h"

/* Inputs, written by the loader before the run. */
struct nfx_flow_pred pred = {};
__u64 now_ns = 0;		/* 0: bpf_ktime_get_ns(); tests pin "now" */
__u32 dry_run = 0;

/* Outputs, per tier (0: unassured, 1: assured). */
__u64 examined[2] = {};
__u64 matched[2] = {};
__u64 removed[2] = {};

struct flush_walk {
	__u64 now;
	__u32 tier;
};

static long flush_entry(void *map, __u64 *key, struct flow_entry *e, struct flush_walk *w)
{
	__u32 t = w->tier & 1;

	examined[t]++;
	if (!nfx_pred_eval(&pred, e, w->now))
		return 0;
	matched[t]++;
	if (dry_run)
		return 0;
	/* before the delete, which may hand the element to another CPU */
	nfx_event_end(e, NFX_EV_END_EVICTED, 0);
	if (!bpf_map_delete_elem(t ? (void *)&nfx_flows : (void *)&nfx_flows_new, key))
		removed[t]++;
	return 0;
}

SEC("syscall")
int nfx_flush(void *ctx)
{
	struct flush_walk w = { .now = now_ns ? now_ns : bpf_ktime_get_ns() };

	w.tier = 0;
	bpf_for_each_map_elem(&nfx_flows_new, flush_entry, &w, 0);
	w.tier = 1;
	bpf_for_each_map_elem(&nfx_flows, flush_entry, &w, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

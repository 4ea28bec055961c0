/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The two tiers of the flow table, on their own so that the programs that
 * walk the table (flush, garbage collector) declare exactly the maps the
 * datapath pins and can take them over with bpf_map__reuse_fd().
 */
#ifndef NFX_BPF_FLOWTAB_H
#define NFX_BPF_FLOWTAB_H

#include "compat.h"
#include "nfx/flow.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NFX_FLOWS_MAX);
	__type(key, __u64);
	__type(value, struct flow_entry);
} nfx_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NFX_FLOWS_NEW_MAX);
	__type(key, __u64);
	__type(value, struct flow_entry);
} nfx_flows_new SEC(".maps");

#endif /* NFX_BPF_FLOWTAB_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The run-time configuration map, written by the loader. */
#ifndef NFX_BPF_CONFIG_H
#define NFX_BPF_CONFIG_H

#include "compat.h"
#include "nfx/config.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_config);
} nfx_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_link_conf);
} nfx_link SEC(".maps");

static __always_inline struct nfx_link_conf *nfx_link_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nfx_link, &zero);
}

static __always_inline struct nfx_config *nfx_config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nfx_config, &zero);
}

#endif /* NFX_BPF_CONFIG_H */

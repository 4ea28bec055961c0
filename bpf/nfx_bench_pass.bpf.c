// SPDX-License-Identifier: GPL-2.0
/* An XDP program that passes everything: the baseline of forwarding benchmarks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int nfx_bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

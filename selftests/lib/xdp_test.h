/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Load the XDP pipeline for BPF_PROG_TEST_RUN tests, configured and ready. */
#ifndef NFX_SELFTEST_XDP_TEST_H
#define NFX_SELFTEST_XDP_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "nfx/config.h"
#include "nfx/flow.h"
#include "nfx/stats.h"
#include "nfx_xdp.skel.h"

struct xdp_test_opts {
	uint32_t flows_max;	/* 0: default sizes */
	uint32_t flows_new_max;
	uint16_t zone;
	uint32_t features;	/* NFX_FEAT_* to enable */
};

/* Open, size, load and configure; NULL (with a message) on failure. */
struct nfx_xdp_bpf *xdp_test_load(const struct xdp_test_opts *o);

/* Run one frame; returns the XDP action, or -errno. */
int xdp_test_run(struct nfx_xdp_bpf *skel, void *frame, size_t len);

/* Counter value (packets) summed over CPUs. */
uint64_t xdp_test_stat(struct nfx_xdp_bpf *skel, enum nfx_stat idx);

/* Find the entry for a packet tuple in either tier; 0 found, -1 not. */
int xdp_test_flow(struct nfx_xdp_bpf *skel, int family, uint8_t proto, const char *src,
		  uint16_t sport, const char *dst, uint16_t dport, struct flow_entry *out,
		  int *tier);

/* Entries in the assured (tier 1) and unassured (tier 0) tables. */
int xdp_test_count(struct nfx_xdp_bpf *skel, int tier);

#endif /* NFX_SELFTEST_XDP_TEST_H */

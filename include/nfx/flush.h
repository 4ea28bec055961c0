/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libnfx: selective flush and garbage collector of the flow table.
 * Same conventions as libnfx.h: 0 or a negative errno, nfx_errmsg().
 */
#ifndef NFX_FLUSH_H
#define NFX_FLUSH_H

#include <stdbool.h>
#include <linux/types.h>

#include "nfx/config.h"
#include "nfx/gc.h"
#include "nfx/pred.h"

struct nfx_link;

struct nfx_flush_result {
	__u64 examined[2];		/* per tier: 0 unassured, 1 assured */
	__u64 matched[2];
	__u64 removed[2];
	__u64 run_ns;			/* the one BPF_PROG_TEST_RUN call */
	__u64 load_ns;			/* loading the flush program */
};

/*
 * Remove (dry_run: count) the entries matching pred, in the kernel, in
 * one call. now: 0 for the current time, else the "now" age and idle
 * conditions are measured against (tests).
 */
int nfx_flush(struct nfx_link *link, const struct nfx_flow_pred *pred, bool dry_run,
	      struct nfx_flush_result *res);
/* The same on explicit flow-table fds (tests, benchmarks). */
int nfx_flush_fds(int flows_new_fd, int flows_fd, const struct nfx_flow_pred *pred, bool dry_run,
		  __u64 now, struct nfx_flush_result *res);

/* Arm the collector's timer for the maps pinned in dir (attach, gc set). */
int nfx_gc_start_dir(const char *dir);
int nfx_gc_start(const char *ifname, const char *pin_root);
/* Run one collector slice now. */
int nfx_gc_step(const char *ifname, const char *pin_root);
int nfx_gc_state(struct nfx_link *link, struct nfx_gc_state *st);
/* Entries the two tiers can hold. */
int nfx_flows_capacity(struct nfx_link *link, __u64 *assured, __u64 *unassured);

/* Defaults written at attach. */
void nfx_gc_defaults(struct nfx_config *cfg, __u64 capacity);

/*
 * Set one KEY=VALUE of the run-time configuration in *cfg (not written to
 * the kernel). On error returns -EINVAL, nfx_errmsg() holds the message
 * and *col (if not NULL) the 0-based offset in "val" or -1 for the key.
 */
int nfx_gc_conf_set(struct nfx_config *cfg, const char *key, const char *val, __u64 capacity,
		    int *col);
/* Checks across keys (adaptive.end > adaptive.start, ...). */
int nfx_gc_conf_check(const struct nfx_config *cfg);
/* Parse a configuration file into *cfg: errors "file:line:col: msg". */
int nfx_gc_conf_load(struct nfx_config *cfg, const char *path, __u64 capacity);

/* Names of the keys, for help and `gc show`. */
extern const char *const nfx_gc_keys[];

#endif /* NFX_FLUSH_H */

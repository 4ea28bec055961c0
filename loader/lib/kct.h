/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the nfx_ct kernel module (generic netlink family "nfx_ct"),
 * with a ctnetlink fallback for the flush when the module is not loaded.
 *
 * Every call returns 0 or a negative errno. When the kernel rejected a
 * request, nfx_kct_errmsg() gives its extended-ack text (else "").
 */
#ifndef NFX_LOADER_KCT_H
#define NFX_LOADER_KCT_H

#include <stdbool.h>

#include <nfx/kct.h>

/* True when the nfx_ct family is registered in this network namespace. */
bool nfx_kct_available(void);

/*
 * Remove (or with @dry_run count) every conntrack entry matching @p. Uses
 * the module when available, else ctnetlink's filtered flush when the
 * predicate is a mark (and family) alone, else ctnetlink dump + batched
 * delete; @out->path says which.
 */
int nfx_kct_flush(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out);

/* The two paths on their own. */
int nfx_kct_flush_module(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out);
int nfx_kct_flush_ctnetlink(const struct nfx_kct_pred *p, bool dry_run, struct nfx_kct_result *out);
/* ctnetlink's in-kernel flush by mark (and family); no dry run. */
int nfx_kct_flush_ctnetlink_filtered(const struct nfx_kct_pred *p, struct nfx_kct_result *out);

/*
 * Set the GC policy. Fields of @gc whose bit is set in @which are sent
 * (NFX_KCT_GC_* below); the kernel keeps the others.
 */
#define NFX_KCT_GC_ENABLED (1U << 0)
#define NFX_KCT_GC_START (1U << 1)
#define NFX_KCT_GC_END (1U << 2)
#define NFX_KCT_GC_INTERVAL (1U << 3)
#define NFX_KCT_GC_MIN_TIMEOUT (1U << 4)
int nfx_kct_gc_set(const struct nfx_kct_gc *gc, unsigned int which);
int nfx_kct_gc_get(struct nfx_kct_gc *gc);

/* Extended-ack text of the last failed request in this thread, or "". */
const char *nfx_kct_errmsg(void);

#endif /* NFX_LOADER_KCT_H */

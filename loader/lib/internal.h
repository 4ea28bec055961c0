/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libnfx internals shared between its source files. */
#ifndef NFX_LIB_INTERNAL_H
#define NFX_LIB_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

/* Record "fmt" as the error text and return err as a negative errno. */
int nfx_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ensure bpffs is mounted at /sys/fs/bpf. */
int nfx_bpffs_ensure(void);

/* snprintf into a fixed buffer; -ENAMETOOLONG when it does not fit. */
int nfx_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Event channel internals (events.c, ctnl.c). */
struct nfx_events;
struct nfx_event;
struct nfx_ct_listener;

enum { NFX_EVN_RESYNC, NFX_EVN_DUMP_RETRY, NFX_EVN_MALFORMED };

int nfx_events_deliver(struct nfx_events *evs, const struct nfx_event *ev);
void nfx_events_lost(struct nfx_events *evs, unsigned int cpu, unsigned char source,
		     unsigned long long n);
void nfx_events_note(struct nfx_events *evs, int what, unsigned long long n);
int nfx_ct_listener_open(struct nfx_events *evs, unsigned int rcvbuf, bool no_mmap,
			 struct nfx_ct_listener **out);
/* true when reading kmod/nfx_nlmmap's mapped ring rather than a socket */
bool nfx_ct_listener_mmap(struct nfx_ct_listener *ct);
void nfx_ct_listener_close(struct nfx_ct_listener *ct);
int nfx_ct_listener_fd(struct nfx_ct_listener *ct);
int nfx_ct_listener_poll(struct nfx_ct_listener *ct, int wait_ms);
int nfx_ct_resync(struct nfx_ct_listener *ct);

#define NFX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* NFX_LIB_INTERNAL_H */

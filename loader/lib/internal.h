/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libnfx internals shared between its source files. */
#ifndef NFX_LIB_INTERNAL_H
#define NFX_LIB_INTERNAL_H

#include <stdio.h>

/* Record "fmt" as the error text and return err as a negative errno. */
int nfx_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ensure bpffs is mounted at /sys/fs/bpf. */
int nfx_bpffs_ensure(void);

/* snprintf into a fixed buffer; -ENAMETOOLONG when it does not fit. */
int nfx_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define NFX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* NFX_LIB_INTERNAL_H */

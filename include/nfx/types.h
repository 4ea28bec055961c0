/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Base types shared by BPF and user space. BPF objects get the kernel's
 * types from vmlinux.h (which they include first); user space from the
 * UAPI headers. Every shared struct is built from these only.
 */
#ifndef NFX_TYPES_H
#define NFX_TYPES_H

#ifndef __bpf__
#include <linux/types.h>
#include <stddef.h>
#include <stdbool.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Loop unrolling is a clang pragma; gcc builds of shared code skip it. */
#ifdef __clang__
#define NFX_UNROLL _Pragma("unroll")
#else
#define NFX_UNROLL
#endif

#define NFX_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/* Address families as the kernel numbers them (AF_INET, AF_INET6). */
#define NFX_AF_INET 2
#define NFX_AF_INET6 10

/*
 * One address slot for both families. IPv4 addresses are stored as
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) so every key has one layout; the
 * family byte next to it keeps a native IPv4 flow apart from an IPv6 flow
 * that happens to use a mapped address.
 */
union nfx_addr {
	__u8 b[16];
	__be16 w[8];
	__be32 v6w[4];
	__u64 q[2];
	struct {
		__u32 pad[3];
		__be32 v4;
	};
};
NFX_STATIC_ASSERT(sizeof(union nfx_addr) == 16, "nfx_addr is 16 bytes");

#endif /* NFX_TYPES_H */

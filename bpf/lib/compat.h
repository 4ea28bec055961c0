/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Lets the packet-handling headers in bpf/lib compile both as BPF (the
 * datapath) and as user-space C (unit tests, fuzz targets, benchmarks).
 */
#ifndef NFX_BPF_COMPAT_H
#define NFX_BPF_COMPAT_H

#ifdef __bpf__
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
/*
 * Linux before 6.3 (Debian's 6.1) forgets every bound of a register after a
 * byte swap (BPF_END), so a swapped 16-bit length used in packet pointer
 * math fails the verifier as "unbounded min value". The AND below is
 * emitted as is (clang would drop it as redundant in C) and gives the
 * verifier the 0..65535 range back; one instruction.
 */
static __always_inline __u32 nfx_bound16(__u32 v)
{
	asm volatile("%0 &= 0xffff" : "+r"(v));
	return v;
}
#define nfx_ntohs(x) nfx_bound16(bpf_ntohs(x))
#define nfx_htons(x) bpf_htons(x)
#define nfx_ntohl(x) bpf_ntohl(x)
#define nfx_htonl(x) bpf_htonl(x)
#else
#include <asm/byteorder.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <arpa/inet.h>
#define nfx_ntohs(x) ntohs(x)
#define nfx_htons(x) htons(x)
#define nfx_ntohl(x) ntohl(x)
#define nfx_htonl(x) htonl(x)
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#include "nfx/types.h"
#include "nfx/consts.h"

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#endif /* NFX_BPF_COMPAT_H */

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
#define nfx_ntohs(x) bpf_ntohs(x)
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

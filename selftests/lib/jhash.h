/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bob Jenkins' lookup3 hashword(), the function behind the kernel's
 * jhash2(): the comparison peer for nfx's flow hash distribution.
 */
#ifndef NFX_SELFTEST_JHASH_H
#define NFX_SELFTEST_JHASH_H

#include <stdint.h>

static inline uint32_t jh_rol(uint32_t x, int k)
{
	return (x << k) | (x >> (32 - k));
}

#define JH_MIX(a, b, c) \
	do { \
		a -= c; \
		a ^= jh_rol(c, 4); \
		c += b; \
		b -= a; \
		b ^= jh_rol(a, 6); \
		a += c; \
		c -= b; \
		c ^= jh_rol(b, 8); \
		b += a; \
		a -= c; \
		a ^= jh_rol(c, 16); \
		c += b; \
		b -= a; \
		b ^= jh_rol(a, 19); \
		a += c; \
		c -= b; \
		c ^= jh_rol(b, 4); \
		b += a; \
	} while (0)

#define JH_FINAL(a, b, c) \
	do { \
		c ^= b; \
		c -= jh_rol(b, 14); \
		a ^= c; \
		a -= jh_rol(c, 11); \
		b ^= a; \
		b -= jh_rol(a, 25); \
		c ^= b; \
		c -= jh_rol(b, 16); \
		a ^= c; \
		a -= jh_rol(c, 4); \
		b ^= a; \
		b -= jh_rol(a, 14); \
		c ^= b; \
		c -= jh_rol(b, 24); \
	} while (0)

/* Hash n 32-bit words with a 32-bit seed (the kernel's jhash2). */
static inline uint32_t jhash_words(const uint32_t *k, uint32_t n, uint32_t seed)
{
	uint32_t a, b, c;

	a = b = c = 0xdeadbeef + (n << 2) + seed;
	while (n > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		JH_MIX(a, b, c);
		n -= 3;
		k += 3;
	}
	switch (n) {
	case 3:
		c += k[2]; /* fall through */
	case 2:
		b += k[1]; /* fall through */
	case 1:
		a += k[0];
		JH_FINAL(a, b, c);
		/* fall through */
	case 0:
		break;
	}
	return c;
}

#endif /* NFX_SELFTEST_JHASH_H */

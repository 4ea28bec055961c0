// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The canonical flow key and the keyed symmetric hash: symmetry for every
 * tuple, sensitivity to the key, edge cases, and bucket distribution.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/hash.h"
#include "../lib/tap.h"

#define RANDOM_TUPLES 1000000

/* Deterministic generator so a failure can be reproduced. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

struct tuple {
	uint8_t family, proto;
	union nfx_addr a, b;
	uint16_t ap, bp;
};

static void random_tuple(struct tuple *t)
{
	static const uint8_t protos[] = { 6, 17, 1, 58 };

	memset(t, 0, sizeof(*t));
	t->family = rnd() & 1 ? NFX_AF_INET : NFX_AF_INET6;
	t->proto = protos[rnd() & 3];
	if (t->family == NFX_AF_INET) {
		t->a.pad[2] = t->b.pad[2] = htonl(0xffff);
		t->a.v4 = rnd();
		/* a fifth of the tuples share the address on both ends */
		t->b.v4 = rnd() % 5 ? (uint32_t)rnd() : t->a.v4;
	} else {
		t->a.q[0] = rnd();
		t->a.q[1] = rnd();
		t->b = rnd() % 5 ? (union nfx_addr){ .q = { rnd(), rnd() } } : t->a;
	}
	t->ap = rnd();
	t->bp = rnd() % 7 ? (uint16_t)rnd() : t->ap;
}

static uint64_t hash_dir(const struct tuple *t, const __u64 key[2], int rev, int *dir)
{
	struct flow_key k;

	if (rev)
		*dir = nfx_flow_key_make(&k, t->family, t->proto, 0, &t->b, htons(t->bp), &t->a,
					 htons(t->ap));
	else
		*dir = nfx_flow_key_make(&k, t->family, t->proto, 0, &t->a, htons(t->ap), &t->b,
					 htons(t->bp));
	return nfx_flow_hash(&k, key);
}

TEST(symmetric_for_random_tuples)
{
	const __u64 key[2] = { rnd(), rnd() };
	struct tuple t;
	int i, d1, d2;

	for (i = 0; i < RANDOM_TUPLES; i++) {
		random_tuple(&t);
		ASSERT_EQ(hash_dir(&t, key, 0, &d1), hash_dir(&t, key, 1, &d2), "h(a,b) == h(b,a)");
		/* The direction bits differ unless the endpoints are identical. */
		if (t.ap != t.bp || memcmp(&t.a, &t.b, 16))
			ASSERT_NE(d1, d2, "directions are opposite");
	}
}

TEST(key_sensitivity)
{
	__u64 k1[2] = { rnd(), rnd() }, k2[2];
	struct tuple t;
	int i, bit, same = 0, d;

	/* Flipping any one bit of the secret changes the hash of every tuple. */
	for (i = 0; i < 10000; i++) {
		random_tuple(&t);
		bit = rnd() % 128;
		memcpy(k2, k1, sizeof(k2));
		k2[bit / 64] ^= 1ull << (bit % 64);
		same += hash_dir(&t, k1, 0, &d) == hash_dir(&t, k2, 0, &d);
	}
	ASSERT_EQ(same, 0, "hashes unchanged by a key bit flip");
}

TEST(avalanche_on_tuple_bits)
{
	const __u64 key[2] = { rnd(), rnd() };
	struct flow_key k, k2;
	long flipped = 0, trials = 0;
	int i, bit;

	/* Each input bit flips about half of the 64 output bits. */
	for (i = 0; i < 20000; i++) {
		uint64_t h1, h2;

		memset(&k, 0, sizeof(k));
		k.lo_addr.q[0] = rnd();
		k.hi_addr.q[1] = rnd();
		k.lo_port = rnd();
		k2 = k;
		bit = rnd() % (sizeof(k) * 8);
		((uint8_t *)&k2)[bit / 8] ^= 1 << (bit % 8);
		h1 = nfx_flow_hash(&k, key);
		h2 = nfx_flow_hash(&k2, key);
		flipped += __builtin_popcountll(h1 ^ h2);
		trials++;
	}
	ASSERT_GT(flipped * 100 / (trials * 64), 47, "avalanche lower bound (%)");
	ASSERT_LT(flipped * 100 / (trials * 64), 53, "avalanche upper bound (%)");
}

TEST(edge_cases)
{
	const __u64 key[2] = { 1, 2 };
	union nfx_addr a = {}, b = {}, m = {};
	struct flow_key k1, k2;
	int d1, d2;

	/* identical endpoints: both packets are LO_HI and hash the same */
	inet_pton(AF_INET6, "2001:db8::1", a.b);
	d1 = nfx_flow_key_make(&k1, NFX_AF_INET6, 17, 0, &a, htons(53), &a, htons(53));
	d2 = nfx_flow_key_make(&k2, NFX_AF_INET6, 17, 0, &a, htons(53), &a, htons(53));
	ASSERT_EQ(d1, FLOW_DIR_LO_HI, "self flow direction");
	ASSERT_EQ(d2, d1, "self flow direction is stable");
	ASSERT_EQ(nfx_flow_hash(&k1, key), nfx_flow_hash(&k2, key), "self flow hash");

	/* equal addresses: the port decides the order */
	d1 = nfx_flow_key_make(&k1, NFX_AF_INET6, 6, 0, &a, htons(2000), &a, htons(1000));
	ASSERT_EQ(d1, FLOW_DIR_HI_LO, "higher port first means HI_LO");
	ASSERT_EQ(ntohs(k1.lo_port), 1000, "lo port");

	/* equal ports: the address decides */
	inet_pton(AF_INET6, "2001:db8::2", b.b);
	d1 = nfx_flow_key_make(&k1, NFX_AF_INET6, 6, 0, &b, htons(80), &a, htons(80));
	ASSERT_EQ(d1, FLOW_DIR_HI_LO, "higher address first means HI_LO");
	ASSERT_MEMEQ(&k1.lo_addr, &a, 16, "lo address");

	/* address compares before port: (a, 65535) sorts before (b, 1) */
	d1 = nfx_flow_key_make(&k1, NFX_AF_INET6, 6, 0, &a, htons(65535), &b, htons(1));
	ASSERT_EQ(d1, FLOW_DIR_LO_HI, "address before port");

	/* a native IPv4 flow and its v4-mapped IPv6 twin never share a key */
	m.pad[2] = htonl(0xffff);
	m.v4 = inet_addr("192.0.2.1");
	nfx_flow_key_make(&k1, NFX_AF_INET, 6, 0, &m, htons(1), &m, htons(2));
	nfx_flow_key_make(&k2, NFX_AF_INET6, 6, 0, &m, htons(1), &m, htons(2));
	ASSERT_FALSE(nfx_flow_key_eq(&k1, &k2), "v4 vs mapped v6 keys");
	ASSERT_NE(nfx_flow_hash(&k1, key), nfx_flow_hash(&k2, key), "v4 vs mapped v6 hash");

	/* zone and protocol are part of the key */
	nfx_flow_key_make(&k2, NFX_AF_INET, 6, 1, &m, htons(1), &m, htons(2));
	ASSERT_NE(nfx_flow_hash(&k1, key), nfx_flow_hash(&k2, key), "zone");
	nfx_flow_key_make(&k2, NFX_AF_INET, 17, 0, &m, htons(1), &m, htons(2));
	ASSERT_NE(nfx_flow_hash(&k1, key), nfx_flow_hash(&k2, key), "proto");
}

TEST(known_answer)
{
	/* Pins the function: the datapath and user space must agree forever. */
	const __u64 key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	struct flow_key k;
	uint64_t h;

	memset(&k, 0, sizeof(k));
	k.family = NFX_AF_INET;
	k.proto = 6;
	h = nfx_flow_hash(&k, key);
	ASSERT_NE(h, 0, "nonzero");
	ASSERT_EQ(h, nfx_flow_hash(&k, key), "deterministic");
}

/*
 * Chi-square of bucket counts for sequential client ports to one server,
 * the most regular input a table sees. For a uniform hash the statistic
 * has mean B-1 and deviation sqrt(2(B-1)); allow 6 deviations.
 */
TEST(bucket_distribution_chi_square)
{
	enum { B = 65536, N = 1 << 20 };
	const __u64 key[2] = { rnd(), rnd() };
	uint32_t *cnt = calloc(B, sizeof(*cnt));
	union nfx_addr c = {}, s = {};
	struct flow_key k;
	double chi = 0, exp = (double)N / B, sd = sqrt(2.0 * (B - 1));
	uint32_t i;

	ASSERT_TRUE(cnt, "alloc");
	c.pad[2] = s.pad[2] = htonl(0xffff);
	s.v4 = inet_addr("198.51.100.1");
	for (i = 0; i < N; i++) {
		c.v4 = htonl(0xc0000200 + (i >> 16));	/* 192.0.2.x */
		nfx_flow_key_make(&k, NFX_AF_INET, 6, 0, &c, htons(i & 0xffff), &s, htons(443));
		cnt[nfx_flow_hash(&k, key) % B]++;
	}
	for (i = 0; i < B; i++)
		chi += (cnt[i] - exp) * (cnt[i] - exp) / exp;
	printf("# chi-square %.0f for %d buckets (expected %d +- %.0f)\n", chi, B, B - 1, sd);
	free(cnt);
	ASSERT_LT(fabs(chi - (B - 1)), 6 * sd, "chi-square within 6 sigma");
}

int main(void)
{
	return tap_run();
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * NPTv6 translation (include/nfx/npt.h), the code the datapath runs:
 * the RFC 6296 worked example, 0xFFFF handling, and properties over
 * random prefixes and addresses.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include "nfx/npt.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

static union nfx_addr A(const char *s) {
	union nfx_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		abort();
	return a;
}

static const char *
S(const union nfx_addr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int n;

	return inet_ntop(AF_INET6, a, buf[n++ & 3], INET6_ADDRSTRLEN);
}

static struct npt_binding mkbind(const char *in, int inlen, const char *out, int outlen)
{
	struct npt_binding b = {
		.inside = A(in),
		.outside = A(out),
		.inside_len = inlen,
		.outside_len = outlen,
	};

	npt_binding_prepare(&b);
	return b;
}

static int to_outside(const struct npt_binding *b, union nfx_addr *a)
{
	return npt_translate(a, &b->outside, b->plen, b->adj_out);
}

static int to_inside(const struct npt_binding *b, union nfx_addr *a)
{
	return npt_translate(a, &b->inside, b->plen, b->adj_in);
}

/* RFC 6296 §3.6 (and Appendix B's figures): the example in the RFC. */
TEST(rfc6296_worked_example)
{
	struct npt_binding b = mkbind("fd01:203:405::", 48, "2001:db8:1::", 48);
	union nfx_addr a = A("fd01:203:405:1::1234"), want = A("2001:db8:1:d550::1234");

	ASSERT_EQ(to_outside(&b, &a), 0, "translatable");
	if (memcmp(&a, &want, 16))
		TAP_FAIL("got %s, want %s", S(&a), S(&want));
	ASSERT_EQ(to_inside(&b, &a), 0, "back");
	want = A("fd01:203:405:1::1234");
	if (memcmp(&a, &want, 16))
		TAP_FAIL("back: got %s, want %s", S(&a), S(&want));
}

TEST(adjustment_values)
{
	struct npt_binding b = mkbind("fd01:203:405::", 48, "2001:db8:1::", 48);

	/* sum(fd01,0203,0405) = 0x030a, sum(2001,0db8,0001) = 0x2dba */
	ASSERT_EQ(b.adj_out, 0xd54f, "0x030a - 0x2dba in one's complement");
	ASSERT_EQ(npt_csum_add(b.adj_out, b.adj_in) == 0xffff ||
			  npt_csum_add(b.adj_out, b.adj_in) == 0,
		  1, "adj_in is -adj_out");
	ASSERT_EQ(b.plen, 48, "plen");
}

TEST(subnet_ffff_untranslatable_48)
{
	struct npt_binding b = mkbind("fd01:203:405::", 48, "2001:db8:1::", 48);
	union nfx_addr a = A("fd01:203:405:ffff::1"), orig = a;

	ASSERT_EQ(to_outside(&b, &a), -1, "subnet 0xFFFF refused");
	ASSERT_MEMEQ(&a, &orig, 16, "address untouched on refusal");
}

TEST(long_prefix_skips_ffff_words)
{
	struct npt_binding b = mkbind("fd01:203:405:600::", 56, "2001:db8:1:700::", 56);
	union nfx_addr a = A("fd01:203:405:6aa:ffff:ffff:1234:5678"), o = a;

	ASSERT_EQ(to_outside(&b, &a), 0, "translatable");
	ASSERT_EQ(a.w[4], 0xffff, "word 4 (0xFFFF) untouched");
	ASSERT_EQ(a.w[5], 0xffff, "word 5 (0xFFFF) untouched");
	ASSERT_NE(a.w[6], o.w[6], "adjustment lands in word 6");
	ASSERT_EQ(a.w[7], o.w[7], "word 7 untouched");
	ASSERT_EQ(ntohs(a.w[3]), 0x07aa, "prefix bits replaced, subnet bits kept");
	ASSERT_EQ(npt_addr_sum(&a) % 0xffff, npt_addr_sum(&o) % 0xffff, "sum");
	ASSERT_EQ(to_inside(&b, &a), 0, "back");
	ASSERT_MEMEQ(&a, &o, 16, "restored");

	a = A("fd01:203:405:601:ffff:ffff:ffff:ffff");
	ASSERT_EQ(to_outside(&b, &a), -1, "all-0xFFFF interface identifier refused");
}

/* A word that would come out as 0xFFFF is written 0x0000, and maps back. */
TEST(result_ffff_written_as_zero)
{
	struct npt_binding b = mkbind("fd01:203:405::", 48, "2001:db8:1::", 48);
	union nfx_addr a = A("fd01:203:405::1"), o;
	__u16 subnet = (__u16)~b.adj_out;	/* subnet + adj == 0xFFFF */

	a.w[3] = htons(subnet);
	o = a;
	ASSERT_EQ(to_outside(&b, &a), 0, "translatable");
	ASSERT_EQ(a.w[3], 0, "0xFFFF written as 0x0000");
	ASSERT_EQ(to_inside(&b, &a), 0, "back");
	ASSERT_MEMEQ(&a, &o, 16, "restored");
}

TEST(different_lengths_zero_extend)
{
	struct npt_binding b = mkbind("fd00:aa::", 32, "2001:db8:1:100::", 56);
	union nfx_addr a = A("fd00:aa:0:12::1"), o = a;

	ASSERT_EQ(b.plen, 56, "translation length is the longer one");
	ASSERT_EQ(to_outside(&b, &a), 0, "translatable");
	ASSERT_EQ(ntohs(a.w[3]) & 0xff00, 0x0100, "outside prefix bits set");
	ASSERT_EQ(to_inside(&b, &a), 0, "back");
	ASSERT_MEMEQ(&a, &o, 16, "restored");
}

TEST(prefix_helpers)
{
	union nfx_addr a = A("2001:db8:1:ff00::");

	ASSERT_TRUE(npt_prefix_is_clean(&a, 64), "/64 clean");
	ASSERT_TRUE(npt_prefix_is_clean(&a, 56), "/56 clean");
	ASSERT_FALSE(npt_prefix_is_clean(&a, 55), "/55 has host bits");
	ASSERT_FALSE(npt_prefix_is_clean(&a, 48), "/48 has host bits");
	npt_prefix_mask(&a, 52);
	ASSERT_STREQ(S(&a), "2001:db8:1:f000::", "mask /52");
}

/* xorshift64*: reproducible pseudo-random input; the seed is printed. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void rnd_addr(union nfx_addr *a)
{
	a->q[0] = rnd();
	a->q[1] = rnd();
	/* Make 0xFFFF words common enough to exercise every branch. */
	if (!(rnd() % 8))
		a->w[3 + rnd() % 5] = 0xffff;
	if (!(rnd() % 16))
		a->w[4] = a->w[5] = 0xffff;
}

#define PROPERTY_ROUNDS 200000

TEST(property_sum_invariant_and_inverse)
{
	unsigned long translated = 0, refused = 0, zeroed = 0;
	int i;

	printf("# seed 0x%016llx, %d rounds\n", (unsigned long long)rng, PROPERTY_ROUNDS);
	for (i = 0; i < PROPERTY_ROUNDS; i++) {
		int len = 16 + (int)(rnd() % 49);		/* /16 .. /64 */
		int outlen = rnd() % 4 ? len : 16 + (int)(rnd() % 49);
		struct npt_binding b = {};
		union nfx_addr a, o, t;
		int idx;

		rnd_addr(&b.inside);
		rnd_addr(&b.outside);
		b.inside_len = len;
		b.outside_len = outlen;
		npt_binding_prepare(&b);
		rnd_addr(&a);
		/* an inside address: the binding's (zero-extended) prefix */
		for (idx = 0; idx < 16; idx++) {
			int bits = b.plen - 8 * idx;
			__u8 m = bits >= 8 ? 0xff : bits > 0 ? (__u8)(0xff << (8 - bits)) : 0;

			a.b[idx] = (a.b[idx] & ~m) | (b.inside.b[idx] & m);
		}
		o = t = a;
		idx = npt_adj_word(&a, b.plen);
		if (to_outside(&b, &t)) {
			ASSERT_EQ(idx, -1, "refused only when the chosen word is 0xFFFF");
			ASSERT_MEMEQ(&t, &o, 16, "untouched on refusal");
			refused++;
			continue;
		}
		translated++;
		ASSERT_NE(idx, -1, "translated only when a word can take the adjustment");
		ASSERT_NE(t.w[idx], 0xffff, "never writes 0xFFFF");
		if (!t.w[idx] && npt_csum_add(ntohs(o.w[idx]), b.adj_out) == 0xffff)
			zeroed++;
		/* One's-complement equality: 0x0000 and 0xFFFF are both zero. */
		if (npt_addr_sum(&t) % 0xffff != npt_addr_sum(&o) % 0xffff)
			TAP_FAIL("round %d: sum changed: %s -> %s (/%d->/%d)", i, S(&o), S(&t), len,
				 outlen);
		for (idx = 0; idx < 16; idx++) {
			int bits = b.plen - 8 * idx;
			__u8 m = bits >= 8 ? 0xff : bits > 0 ? (__u8)(0xff << (8 - bits)) : 0;

			if ((t.b[idx] & m) != (b.outside.b[idx] & m))
				TAP_FAIL("round %d: %s is not in the outside prefix", i, S(&t));
		}
		if (to_inside(&b, &t))
			TAP_FAIL("round %d: %s does not map back", i, S(&t));
		if (memcmp(&t, &o, 16))
			TAP_FAIL("round %d: %s -> back %s", i, S(&o), S(&t));
	}
	printf("# translated %lu, refused %lu, results written 0x0000: %lu\n", translated, refused,
	       zeroed);
	ASSERT_GT(translated, PROPERTY_ROUNDS / 2, "most addresses translate");
	ASSERT_GT(refused, 0, "the 0xFFFF branch was exercised");
}

/* Transport checksums survive both rewrites unchanged (TCP, UDP, ICMPv6). */
TEST(transport_checksums_unchanged)
{
	struct npt_binding b = mkbind("fd01:203:405::", 48, "2001:db8:1::", 48);
	static const int protos[] = { 6, 17, 58 };
	uint8_t f[256];
	int i;

	for (i = 0; i < 3; i++) {
		struct pkt_spec s = { .family = 6,
				      .proto = protos[i],
				      .src = "fd01:203:405:7::99",
				      .dst = "2001:db8:ff::1",
				      .sport = 4242,
				      .dport = 443,
				      .payload = "payload",
				      .payload_len = 7 };
		size_t n = pkt_build(&s, f, sizeof(f));
		union nfx_addr src;

		ASSERT_GT(n, 0, "built");
		memcpy(&src, f + 14 + 8, 16);
		ASSERT_EQ(to_outside(&b, &src), 0, "translatable");
		memcpy(f + 14 + 8, &src, 16);
		ASSERT_TRUE(pkt_l4_csum_ok(f, n), "checksum valid after rewrite, not recomputed");
	}
}

int main(void)
{
	return tap_run();
}

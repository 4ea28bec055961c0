// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for NPTv6: the command-line prefix parser and the
 * datapath's translation function (include/nfx/npt.h).
 *
 * First byte 'P': the rest is a prefix string for nfx_prefix6_parse(); an
 * accepted prefix must be /1../64 without host bits.
 * Otherwise the bytes are two prefixes, two lengths and an address; the
 * translation must keep the address's one's-complement sum, never write
 * 0xFFFF into the adjusted word, and map back to the original.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfx/nat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_parse(const uint8_t *data, size_t size)
{
	char s[128];
	struct nfx_prefix6 p;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (nfx_prefix6_parse(s, NPT_PREFIX_MAX, &p))
		return;
	if (p.len < 1 || p.len > NPT_PREFIX_MAX || !npt_prefix_is_clean(&p.addr, p.len))
		__builtin_trap();
}

static void fuzz_translate(const uint8_t *data, size_t size)
{
	struct npt_binding b = {};
	union nfx_addr a, o;
	int idx, k;

	if (size < 16 + 16 + 2 + 16)
		return;
	memcpy(&b.inside, data, 16);
	memcpy(&b.outside, data + 16, 16);
	b.inside_len = 1 + data[32] % NPT_PREFIX_MAX;
	b.outside_len = 1 + data[33] % NPT_PREFIX_MAX;
	memcpy(&a, data + 34, 16);
	npt_binding_prepare(&b);
	/* make a an inside address */
	for (k = 0; k < 16; k++) {
		int bits = b.plen - 8 * k;
		uint8_t m = bits >= 8 ? 0xff : bits > 0 ? (uint8_t)(0xff << (8 - bits)) : 0;

		a.b[k] = (a.b[k] & ~m) | (b.inside.b[k] & m);
	}
	o = a;
	idx = npt_adj_word(&a, b.plen);
	if (npt_translate(&a, &b.outside, b.plen, b.adj_out)) {
		if (idx >= 0 || memcmp(&a, &o, 16))
			__builtin_trap();
		return;
	}
	if (idx < 0 || a.w[idx] == 0xffff)
		__builtin_trap();
	if (npt_addr_sum(&a) % 0xffff != npt_addr_sum(&o) % 0xffff)
		__builtin_trap();
	if (npt_translate(&a, &b.inside, b.plen, b.adj_in) || memcmp(&a, &o, 16))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 'P')
		fuzz_parse(data + 1, size - 1);
	else
		fuzz_translate(data, size);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address parsing and printing in libnfx (nfx_addr_parse/nfx_addr_str),
 * which reads user-typed filters: whatever parses must print back to a
 * string that parses to the same address.
 */
#include <string.h>
#include <arpa/inet.h>

#include "nfx/libnfx.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[128], out[INET6_ADDRSTRLEN];
	union nfx_addr a, b;
	int fam, fam2;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	fam = nfx_addr_parse(in, &a);
	if (fam < 0)
		return 0;
	FUZZ_ASSERT(fam == NFX_AF_INET || fam == NFX_AF_INET6);
	nfx_addr_str(fam, &a, out, sizeof(out));
	fam2 = nfx_addr_parse(out, &b);
	/* A v4-mapped IPv6 literal prints as IPv6 and stays IPv6. */
	FUZZ_ASSERT(fam2 == fam);
	FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
	return 0;
}

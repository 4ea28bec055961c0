// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Canonical flow keys and the keyed flow hash (include/nfx/hash.h): for any
 * two endpoints, both directions of a connection must give the same key and
 * the same hash, with opposite directions, which is what lets the datapath
 * keep one entry per connection. The input supplies the endpoints, the
 * protocol, the zone and the SipHash key.
 */
#include <string.h>

#include "nfx/hash.h"
#include "fuzz.h"

struct fuzz_in {
	union nfx_addr a, b;
	__be16 pa, pb;
	__u8 family, proto;
	__u16 zone;
	__u64 secret[2];
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_key k1, k2;
	struct fuzz_in in;
	int d1, d2, cmp;

	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	memset(&k1, 0xa5, sizeof(k1));	/* padding must not leak into the key */
	memset(&k2, 0x5a, sizeof(k2));
	d1 = nfx_flow_key_make(&k1, in.family, in.proto, in.zone, &in.a, in.pa, &in.b, in.pb);
	d2 = nfx_flow_key_make(&k2, in.family, in.proto, in.zone, &in.b, in.pb, &in.a, in.pa);

	FUZZ_ASSERT(!memcmp(&k1, &k2, sizeof(k1)));
	FUZZ_ASSERT(nfx_flow_key_eq(&k1, &k2));
	FUZZ_ASSERT(nfx_flow_hash(&k1, in.secret) == nfx_flow_hash(&k2, in.secret));
	cmp = nfx_endpoint_cmp(&in.a, in.pa, &in.b, in.pb);
	FUZZ_ASSERT(cmp == -nfx_endpoint_cmp(&in.b, in.pb, &in.a, in.pa));
	if (cmp)
		FUZZ_ASSERT(d1 != d2);
	else
		FUZZ_ASSERT(d1 == FLOW_DIR_LO_HI && d2 == FLOW_DIR_LO_HI);
	/* lo sorts first. */
	FUZZ_ASSERT(nfx_endpoint_cmp(&k1.lo_addr, k1.lo_port, &k1.hi_addr, k1.hi_port) <= 0);
	FUZZ_ASSERT(k1.family == in.family && k1.proto == in.proto && k1.zone == in.zone);

	/* Any change to the key changes the comparison. */
	k2.zone ^= 1;
	FUZZ_ASSERT(!nfx_flow_key_eq(&k1, &k2));
	return 0;
}

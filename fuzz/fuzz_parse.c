// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The datapath's packet parser (bpf/lib/parse.h), compiled for user space,
 * over arbitrary frames. libFuzzer hands over a heap buffer of exactly
 * `size` bytes, so ASan reports any read past data_end, which is the bug
 * the verifier exists to stop; the asserts check what later stages rely
 * on when the parser says a header is there.
 */
#include "lib/parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_pkt pkt;
	void *d = (void *)data;
	int res;

	res = nfx_parse(d, d + size, &pkt);
	FUZZ_ASSERT(res >= NFX_PARSE_L4 && res <= NFX_PARSE_MALFORMED);
	FUZZ_ASSERT(pkt.len == size);
	if (res == NFX_PARSE_MALFORMED || res == NFX_PARSE_NOT_IP)
		return 0;

	/* IP: the header and the datagram it claims are inside the frame. */
	FUZZ_ASSERT(pkt.family == NFX_AF_INET || pkt.family == NFX_AF_INET6);
	FUZZ_ASSERT(pkt.l3_off >= 14 && pkt.l3_off <= 14 + 4 * NFX_VLAN_MAX);
	FUZZ_ASSERT(pkt.vlan_depth <= NFX_VLAN_MAX);
	FUZZ_ASSERT((size_t)pkt.l3_off + pkt.l3_len <= size);
	FUZZ_ASSERT(pkt.payload_end <= size);
	FUZZ_ASSERT(pkt.l4_off >= pkt.l3_off);
	if (pkt.family == NFX_AF_INET)
		FUZZ_ASSERT(pkt.saddr.pad[0] == 0 && pkt.saddr.pad[1] == 0 &&
			    pkt.saddr.pad[2] == htonl(0xffff));
	if (res == NFX_PARSE_L3)
		return 0;

	/* L4: ports and flags came from bytes inside the datagram. */
	FUZZ_ASSERT(pkt.frag != NFX_FRAG_LATER);
	FUZZ_ASSERT(pkt.l4_off <= pkt.payload_off);
	FUZZ_ASSERT(pkt.payload_off <= pkt.payload_end);
	FUZZ_ASSERT(pkt.payload_end <= pkt.l3_off + pkt.l3_len);
	switch (pkt.l4proto) {
	case NFX_IPPROTO_TCP:
		FUZZ_ASSERT(pkt.payload_off - pkt.l4_off >= 20);
		FUZZ_ASSERT(pkt.sport == *(const __be16 *)(data + pkt.l4_off));
		break;
	case NFX_IPPROTO_UDP:
		FUZZ_ASSERT(pkt.payload_off - pkt.l4_off == 8);
		FUZZ_ASSERT(pkt.dport == *(const __be16 *)(data + pkt.l4_off + 2));
		break;
	case NFX_IPPROTO_ICMP:
	case NFX_IPPROTO_ICMPV6:
		FUZZ_ASSERT(pkt.payload_off - pkt.l4_off == 8);
		FUZZ_ASSERT(pkt.icmp_type == data[pkt.l4_off]);
		FUZZ_ASSERT(pkt.sport == pkt.dport);
		break;
	default:
		FUZZ_ASSERT(!"L4 result for a protocol the parser does not read");
	}
	return 0;
}

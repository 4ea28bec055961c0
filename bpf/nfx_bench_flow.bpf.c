// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark-only comparison tables for the flow stage, measured against
 * the real pipeline by `make bench`:
 *
 *  - TWO_ENTRY: the conntrack layout. Each connection is stored under its
 *    original and its reply tuple (directional 40-byte keys, hashed by
 *    the map's jhash), both pointing at one state slot.
 *  - CANONICAL: one entry per connection keyed by the whole canonical
 *    tuple (the map hashes 40 bytes), without nfx's keyed hash.
 *  - KEYED: nfx's layout (keyed SipHash of the canonical tuple as an
 *    8-byte key, full key compared in the entry) with nothing else of
 *    the pipeline, so the three layouts compare like for like.
 *
 * Both parse the packet and update the same counters as nfx does, so the
 * difference is the table layout alone.
 */
#include "lib/compat.h"
#include "lib/parse.h"
#include "nfx/flow.h"
#include "nfx/hash.h"

#define BENCH_TWO_ENTRY 0
#define BENCH_CANONICAL 1
#define BENCH_KEYED 2

const volatile __u32 variant = BENCH_TWO_ENTRY;
const volatile __u64 hash_key[2] = {};

struct conn_ref {
	__u32 slot;
	__u32 dir;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * NFX_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct conn_ref);
} nfx_bench_tuples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NFX_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct flow_entry);
} nfx_bench_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NFX_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
} nfx_bench_canon SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NFX_FLOWS_MAX);
	__type(key, __u64);
	__type(value, struct flow_entry);
} nfx_bench_keyed SEC(".maps");

static __always_inline void account(struct flow_entry *e, int dir, const struct nfx_pkt *pkt)
{
	__sync_fetch_and_add(&e->packets[dir & 1], 1);
	__sync_fetch_and_add(&e->bytes[dir & 1], pkt->l3_len);
	e->last_seen = bpf_ktime_get_ns();
}

SEC("xdp")
int nfx_bench_flow(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct flow_entry *e;
	struct flow_key k;
	struct nfx_pkt pkt;
	int dir;

	if (nfx_parse(data, data_end, &pkt) != NFX_PARSE_L4)
		return XDP_PASS;

	if (variant == BENCH_KEYED) {
		__u64 secret[2] = { hash_key[0], hash_key[1] };
		__u64 h;

		dir = nfx_flow_key_make(&k, pkt.family, pkt.l4proto, 0, &pkt.saddr, pkt.sport,
					&pkt.daddr, pkt.dport);
		h = nfx_flow_hash(&k, secret);
		e = bpf_map_lookup_elem(&nfx_bench_keyed, &h);
		if (e && nfx_flow_key_eq(&e->key, &k))
			account(e, dir, &pkt);
		return XDP_PASS;
	}
	if (variant == BENCH_CANONICAL) {
		dir = nfx_flow_key_make(&k, pkt.family, pkt.l4proto, 0, &pkt.saddr, pkt.sport,
					&pkt.daddr, pkt.dport);
		e = bpf_map_lookup_elem(&nfx_bench_canon, &k);
		if (e)
			account(e, dir, &pkt);
		return XDP_PASS;
	}

	/* Directional tuple, as conntrack hashes it. */
	__builtin_memset(&k, 0, sizeof(k));
	k.lo_addr = pkt.saddr;
	k.hi_addr = pkt.daddr;
	k.lo_port = pkt.sport;
	k.hi_port = pkt.dport;
	k.proto = pkt.l4proto;
	k.family = pkt.family;
	{
		struct conn_ref *r = bpf_map_lookup_elem(&nfx_bench_tuples, &k);
		__u32 slot;

		if (!r)
			return XDP_PASS;
		slot = r->slot;
		e = bpf_map_lookup_elem(&nfx_bench_slots, &slot);
		if (e)
			account(e, r->dir, &pkt);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

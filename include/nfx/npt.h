/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * NPTv6 (RFC 6296): stateless, checksum-neutral IPv6 prefix translation,
 * and the types of the IPv6 NAT maps (NPTv6 bindings, NAT66 masquerade).
 *
 * The translation functions are pure and compile both into the XDP
 * datapath (bpf/lib/npt.h) and into user space, so the unit tests run on
 * exactly the code that rewrites packets.
 *
 * Arithmetic is the Internet checksum's: 16-bit one's complement. The
 * mapping from prefix A to prefix B adds adj = sum(A) - sum(B) to one
 * 16-bit word of the address, so the one's-complement sum of the whole
 * address, and with it every checksum whose pseudo-header covers the
 * address (TCP, UDP, ICMPv6), is unchanged (RFC 6296 §3.5).
 */
#ifndef NFX_NPT_H
#define NFX_NPT_H

#include "types.h"

#define NPT_PREFIX_MAX 64	/* RFC 6296 §3.7: the IID (bits 64-127) is never a prefix */
#define NPT_BINDINGS_MAX 256	/* NPTv6 bindings per namespace (ids 0..255) */
#define NAT66_RULES_MAX 64	/* masquerade rules per namespace */
#define NAT66_PROBES 16		/* ports tried per new connection */

/*
 * LPM-trie key: the address bytes must follow prefixlen directly (a
 * union nfx_addr would be 8-byte aligned and leave a hole).
 */
struct nfx_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};
NFX_STATIC_ASSERT(sizeof(struct nfx_lpm6_key) == 20, "LPM key has no hole");

/* One NPTv6 binding, the value of both tries (nfx_npt_in, nfx_npt_out). */
struct npt_binding {
	union nfx_addr inside;		/* masked to plen */
	union nfx_addr outside;		/* masked to plen */
	__u32 out_ifindex;		/* the outside link */
	__u32 id;			/* row of nfx_npt_stats */
	__u16 adj_out;			/* inside -> outside, host order */
	__u16 adj_in;			/* outside -> inside */
	__u8 plen;			/* translation length: the longer of the two */
	__u8 inside_len;		/* as configured */
	__u8 outside_len;
	__u8 flags;
	__u32 gen;			/* bumped by each change, shown by list */
};

/* Per-binding counters (nfx_npt_stats, per CPU, indexed by binding id). */
enum npt_counter {
	NPT_CNT_OUT_PKTS,	/* inside -> outside, source rewritten */
	NPT_CNT_OUT_BYTES,
	NPT_CNT_IN_PKTS,	/* outside -> inside, destination rewritten */
	NPT_CNT_IN_BYTES,
	NPT_CNT_ICMP_ERR,	/* ICMPv6 errors whose embedded header was rewritten */
	NPT_CNT_DROP_FFFF,	/* untranslatable: the adjusted word is 0xFFFF */
	NPT_CNT_MAX,
};

struct npt_counters {
	__u64 c[NPT_CNT_MAX];
};

/* NAT66 masquerade rule, the value of nfx_nat66 (keyed by inside prefix). */
struct nat66_rule {
	union nfx_addr addr;		/* the one outside address */
	__u32 out_ifindex;
	__u32 id;			/* row of nfx_nat66_stats */
	__u16 port_lo, port_hi;		/* host order, inclusive */
	__u8 inside_len;
	__u8 pad[3];
};

enum nat66_counter {
	NAT66_CNT_OUT_PKTS,	/* inside -> outside, source translated */
	NAT66_CNT_IN_PKTS,	/* replies, destination translated back */
	NAT66_CNT_NEW,		/* ports allocated */
	NAT66_CNT_EXHAUSTED,	/* no free port in NAT66_PROBES tries: dropped */
	NAT66_CNT_RACE,		/* lost a port to a concurrent allocation: dropped */
	NAT66_CNT_MAX,
};

struct nat66_counters {
	__u64 c[NAT66_CNT_MAX];
};

/* flow_nat.kind: which endpoint of the flow key is the translated one. */
enum nfx_nat_kind {
	NFX_NAT_NONE = 0,
	NFX_NAT_MASQ_LO = 1,	/* key.lo is the masquerade endpoint */
	NFX_NAT_MASQ_HI = 2,
};

/*
 * Forwarding of translated packets (nfx_nat_conf.fwd). The kernel is the
 * default: XDP_REDIRECT bypasses the router's netfilter hooks (its
 * firewall) and silently loses frames to egress devices that cannot take
 * XDP frames (a veth whose peer has neither an XDP program nor GRO), so
 * it is switched on knowingly.
 */
enum nfx_fwd_mode {
	NFX_FWD_KERNEL = 0,	/* XDP_PASS: the kernel routes the translated packet */
	NFX_FWD_XDP = 1,	/* bpf_fib_lookup + XDP_REDIRECT, else the kernel */
};

/* Shared NAT settings (map nfx_nat_conf, one entry). */
struct nfx_nat_conf {
	__u32 fwd;		/* enum nfx_fwd_mode */
	__u32 active;		/* NFX_NAT_ACTIVE_*: which tables hold entries */
};

/*
 * Kept by the loader after every change, so IPv6 traffic of a namespace
 * without bindings or rules skips the prefix-table lookups altogether.
 */
#define NFX_NAT_ACTIVE_NPT (1u << 0)
#define NFX_NAT_ACTIVE_NAT66 (1u << 1)

/* Network-order 16-bit word to host order and back. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define npt_w(x) __builtin_bswap16(x)
#define npt_w32(x) __builtin_bswap32(x)
#else
#define npt_w(x) ((__u16)(x))
#define npt_w32(x) ((__u32)(x))
#endif

/*
 * Loops here stay loops in BPF (bounded, so the verifier accepts them):
 * unrolled, their loads are hoisted and spill registers onto a stack that
 * the pipeline already uses almost entirely.
 */
#ifdef __clang__
#define NPT_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define NPT_NO_UNROLL
#endif

/* One's-complement addition of two 16-bit words (end-around carry). */
static __always_inline __u16 npt_csum_add(__u16 a, __u16 b)
{
	__u32 s = (__u32)a + b;

	return (__u16)((s & 0xffff) + (s >> 16));
}

static __always_inline __u16 npt_csum_sub(__u16 a, __u16 b)
{
	return npt_csum_add(a, (__u16)~b);
}

/*
 * One's-complement sum of the eight words of an address (host order),
 * added as four 32-bit words and folded: 2^16 = 1 modulo 0xFFFF, so this
 * equals the word-by-word sum, and needs half the registers in BPF.
 */
static __always_inline __u16 npt_addr_sum(const union nfx_addr *a)
{
	__u64 s = 0;
	int i;

	NPT_NO_UNROLL
	for (i = 0; i < 4; i++)
		s += npt_w32(a->v6w[i]);
	s = (s & 0xffffffffull) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Clear every bit after the first plen. */
static __always_inline void npt_prefix_mask(union nfx_addr *a, __u32 plen)
{
	int i;

	NPT_NO_UNROLL
	for (i = 0; i < 16; i++) {
		int bits = (int)plen - 8 * i;

		if (bits <= 0)
			a->b[i] = 0;
		else if (bits < 8)
			a->b[i] &= (__u8)(0xff << (8 - bits));
	}
}

/* True when a has no bit set after the first plen. */
static __always_inline bool npt_prefix_is_clean(const union nfx_addr *a, __u32 plen)
{
	union nfx_addr m = *a;

	npt_prefix_mask(&m, plen);
	return m.q[0] == a->q[0] && m.q[1] == a->q[1];
}

/*
 * Adjustment that maps addresses of prefix from to prefix to (both
 * already masked): sum(from) - sum(to) (RFC 6296 §3.1).
 */
static __always_inline __u16 npt_adjustment(const union nfx_addr *from, const union nfx_addr *to)
{
	return npt_csum_sub(npt_addr_sum(from), npt_addr_sum(to));
}

/*
 * Which 16-bit word takes the adjustment, or -1 when the address cannot be
 * translated. /48 and shorter: the subnet word, bits 48-63 (RFC 6296
 * §3.6). /49 to /64: the first word of the interface identifier that is
 * not 0xFFFF (§3.7). 0xFFFF is one's-complement -0; it is never produced
 * by the translation (see npt_translate), so an address holding it in the
 * chosen word could not be mapped back and is refused.
 */
static __always_inline int npt_adj_word(const union nfx_addr *a, __u32 plen)
{
	int i;

	if (plen <= 48)
		return a->w[3] == 0xffff ? -1 : 3;
	NPT_NO_UNROLL
	for (i = 4; i < 8; i++)
		if (a->w[i] != 0xffff)
			return i;
	return -1;
}

/*
 * Translate a in place: its first plen bits become those of to (masked),
 * and adj goes into the word npt_adj_word() picks. Returns 0, or -1 with
 * a untouched when the address is untranslatable.
 */
static __always_inline int npt_translate(union nfx_addr *a, const union nfx_addr *to, __u32 plen,
					 __u16 adj)
{
	union nfx_addr r = *a;
	__u16 w;
	int i, idx;

	NPT_NO_UNROLL
	for (i = 0; i < 8; i++) {
		int bits = (int)plen - 16 * i;
		__u16 keep;

		if (bits <= 0)
			break;
		keep = bits >= 16 ? 0 : (__u16)(0xffff >> bits);
		r.w[i] = (r.w[i] & npt_w(keep)) | (to->w[i] & npt_w((__u16)~keep));
	}
	idx = npt_adj_word(&r, plen);
	if (idx < 0)
		return -1;
	w = npt_csum_add(npt_w(r.w[idx & 7]), adj);
	/* RFC 6296 §3.5: a result of 0xFFFF (-0) is written as 0x0000 (+0). */
	if (w == 0xffff)
		w = 0;
	r.w[idx & 7] = npt_w(w);
	*a = r;
	return 0;
}

/* Fill the derived fields of a binding from its prefixes and lengths. */
static __always_inline void npt_binding_prepare(struct npt_binding *b)
{
	b->plen = b->inside_len > b->outside_len ? b->inside_len : b->outside_len;
	/* The shorter prefix is zero-extended to the longer length. */
	npt_prefix_mask(&b->inside, b->inside_len);
	npt_prefix_mask(&b->outside, b->outside_len);
	b->adj_out = npt_adjustment(&b->inside, &b->outside);
	b->adj_in = npt_adjustment(&b->outside, &b->inside);
}

#endif /* NFX_NPT_H */

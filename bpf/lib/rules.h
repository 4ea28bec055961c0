/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rule stage: first-match classification over per-field bit vectors (see
 * include/nfx/rules.h for the layout), after the flow stage.
 *
 * Atomic replacement: every classifier map is an inner map of a two-slot
 * ARRAY_OF_MAPS. libnfx builds a new set in fresh inner maps, installs
 * them in the slot no packet reads, then flips nfx_rules_cur with one
 * 4-byte update. A packet reads nfx_rules_cur once and only uses that
 * slot, so it sees the old set or the new one, never a mix. Before a slot
 * is rebuilt libnfx waits for an RCU grace period (every update of a
 * map-in-map does synchronize_rcu()), so no packet still runs on it.
 *
 * The verdict is cached in the flow entry (rule_gen/rule_id/verdict) for
 * the original direction, and for the reply direction when it resolves
 * to the same rule; a commit changes the generation, which invalidates
 * every cached verdict at once.
 */
#ifndef NFX_BPF_RULES_H
#define NFX_BPF_RULES_H

#include "compat.h"
#include "parse.h"
#include "flow.h"
#include "nfx/rules.h"

/*
 * Value types the program never uses by value are given by size: clang
 * emits only a forward declaration of them into BTF.
 */
struct nfx_rules_lpm_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct nfx_rule_lpm_key));
	__uint(value_size, sizeof(__u32));
};

struct nfx_rules_exact_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(__u32));
};

/* BPF_F_INNER_MAP: each commit sizes these arrays to the set it holds. */
struct nfx_rules_vhdr_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct nfx_rule_vhdr));
};

struct nfx_rules_word_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
};

struct nfx_rules_act_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct nfx_rule_act));
};

struct nfx_rules_meta_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct nfx_rule_meta));
};

struct nfx_rules_src_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct nfx_rule));
};

#define NFX_RULES_OUTER(name, inner) \
	struct { \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); \
		__uint(max_entries, 2); \
		__type(key, __u32); \
		__array(values, struct inner); \
	} name SEC(".maps")

NFX_RULES_OUTER(nfx_rules_lpm, nfx_rules_lpm_inner);
NFX_RULES_OUTER(nfx_rules_exact, nfx_rules_exact_inner);
NFX_RULES_OUTER(nfx_rules_vhdr, nfx_rules_vhdr_inner);
NFX_RULES_OUTER(nfx_rules_words, nfx_rules_word_inner);
/* Live rules, one bit per position: a delete clears one bit in place. */
NFX_RULES_OUTER(nfx_rules_alive, nfx_rules_word_inner);
NFX_RULES_OUTER(nfx_rules_act, nfx_rules_act_inner);
NFX_RULES_OUTER(nfx_rules_meta, nfx_rules_meta_inner);
/* The rules as written, read back by `rules list`; never by packets. */
NFX_RULES_OUTER(nfx_rules_src, nfx_rules_src_inner);

struct nfx_rules_tail_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NFX_RULES_TAIL);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct nfx_rule));
};
/* Rules appended since the last full commit, matched one by one. */
NFX_RULES_OUTER(nfx_rules_tail, nfx_rules_tail_inner);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nfx_rules_cur SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NFX_RULE_HANDLES);
	__type(key, __u32);
	__type(value, struct nfx_rule_counter);
} nfx_rule_stats SEC(".maps");

/* Rate limiter state per handle: theoretical arrival time (GCRA), ns. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NFX_RULE_HANDLES);
	__type(key, __u32);
	__type(value, __u64);
} nfx_rule_rl SEC(".maps");

/*
 * Scan state. The verifier allows 512 bytes of stack for the whole call
 * chain (program + bpf_loop callback) and the earlier stages already use
 * about 440 of them, so the scan keeps everything, map keys included, in
 * a per-CPU scratch value (XDP never re-enters on a CPU) and bpf_loop
 * gets no context at all.
 */
struct nfx_rule_scratch {
	struct nfx_rule_lpm_key key;
	__u8 pad[3];
	__u32 slot;
	__u32 used;
	__u32 result;
	__u32 k;      /* key of the next map lookup */
	__u32 b, bit; /* block and word being scanned */
	__u64 acc;    /* candidate words left in the block */
	__u64 k64;
	__u64 hash; /* flow key hash, for the tail call */
	__u32 dir;
	__u32 tier;		  /* 0 no flow, 1 unassured, 2 assured */
	struct nfx_pkt pkt;	  /* the packet, for the tail call */
	struct nfx_rule_act tact; /* action of a tail rule */
	__u32 ifindex;		  /* for the tail rules */
	__u32 mark;
	__u16 app;
	__u8 state;
	__u8 pad2;
	__u32 vec[2 * NFX_RF_MAX]; /* per field: value vector, wildcard vector */
	__u32 off[2 * NFX_RF_MAX]; /* this block: slot of its first stored word */
	__u64 sum[2 * NFX_RF_MAX]; /* this block: summary word */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfx_rule_scratch);
} nfx_rules_scratch SEC(".maps");

/* The BPF ISA has no popcount; the classic SWAR reduction. */
static __always_inline __u32 nfx_popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* Index of the lowest set bit of a non-zero word. */
static __always_inline __u32 nfx_ctz64(__u64 x)
{
	return nfx_popcount64((x & -x) - 1);
}

/* Word `bit` of the current block of vector k, 0 when not stored. */
static __always_inline __u64 nfx_rules_vword(void *words, struct nfx_rule_scratch *sc, int k,
					     __u32 bit)
{
	__u64 s = sc->sum[k], *p;

	if (!(s & (1ull << bit)))
		return 0;
	sc->k = sc->off[k] + nfx_popcount64(s & ((1ull << bit) - 1));
	p = bpf_map_lookup_elem(words, &sc->k);
	return p ? *p : 0;
}

/* A key in .rodata: a map lookup needs its key in memory, not on the stack. */
const volatile __u32 nfx_rules_key0 = 0;

static __always_inline struct nfx_rule_scratch *nfx_rules_scratch_get(void)
{
	return bpf_map_lookup_elem(&nfx_rules_scratch, (const void *)&nfx_rules_key0);
}

/* One candidate word: AND the word of every field with the live bits. */
static long nfx_rules_word(__u32 i, void *unused)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	void *words, *alive;
	__u64 word, *a;
	int f;

	if (!sc || !sc->acc)
		return 1;
	words = bpf_map_lookup_elem(&nfx_rules_words, &sc->slot);
	alive = bpf_map_lookup_elem(&nfx_rules_alive, &sc->slot);
	if (!words || !alive)
		return 1;
	sc->bit = nfx_ctz64(sc->acc);
	sc->acc &= sc->acc - 1;
	sc->k = sc->b * 64 + sc->bit;
	a = bpf_map_lookup_elem(alive, &sc->k);
	word = a ? *a : 0;
	NFX_UNROLL
	for (f = 0; f < NFX_RF_MAX; f++) {
		if (!(sc->used & (1u << f)) || !word)
			continue;
		word &= nfx_rules_vword(words, sc, 2 * f, sc->bit & 63) |
			nfx_rules_vword(words, sc, 2 * f + 1, sc->bit & 63);
	}
	if (!word)
		return 0;
	sc->result = (sc->b * 64 + sc->bit) * 64 + nfx_ctz64(word);
	return 1;
}

/*
 * One summary block (64 words, 4,096 rules): AND the summaries of every
 * field, then AND the rule words that survive, lowest first. Runs under
 * bpf_loop so the verifier checks it once, not once per block.
 */
static long nfx_rules_block(__u32 idx, void *unused)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	void *vhdr;
	__u64 acc = ~0ull, b = idx;
	int f;

	/* Bound b in the register the array indexing uses. */
	asm volatile("" : "+r"(b));
	if (!sc || b >= NFX_RULE_BLOCKS)
		return 1;
	vhdr = bpf_map_lookup_elem(&nfx_rules_vhdr, &sc->slot);
	if (!vhdr)
		return 1;

	NFX_UNROLL
	for (f = 0; f < 2 * NFX_RF_MAX; f++) {
		const struct nfx_rule_vhdr *h = NULL;

		sc->sum[f] = 0;
		sc->k = sc->vec[f];
		if ((sc->used & (1u << (f / 2))) && sc->k != NFX_RULE_VEC_NONE)
			h = bpf_map_lookup_elem(vhdr, &sc->k);
		if (h) {
			sc->sum[f] = h->sum[b];
			sc->off[f] = h->base + h->cum[b];
		}
	}
	NFX_UNROLL
	for (f = 0; f < NFX_RF_MAX; f++)
		if (sc->used & (1u << f))
			acc &= sc->sum[2 * f] | sc->sum[2 * f + 1];
	if (!acc)
		return 0;
	sc->acc = acc;
	sc->b = b;
	/*
	 * The candidate words, lowest first, under a nested bpf_loop: a plain
	 * loop would be walked by the verifier once per possible iteration.
	 */
	bpf_loop(64, nfx_rules_word, NULL, 0);
	return sc->result != NFX_RULE_NONE;
}

static __always_inline __u32 nfx_rules_lpm_vec(void *lpm, struct nfx_rule_scratch *sc, __u8 kind,
					       const void *data, __u32 len)
{
	__u32 *v;

	sc->key.prefixlen = 8 + len * 8;
	sc->key.kind = kind;
	__builtin_memset(sc->key.data, 0, 16);
	if (len == 16)
		__builtin_memcpy(sc->key.data, data, 16);
	else if (len == 4)
		__builtin_memcpy(sc->key.data, data, 4);
	else
		__builtin_memcpy(sc->key.data, data, 2);
	v = bpf_map_lookup_elem(lpm, &sc->key);
	return v ? *v : NFX_RULE_VEC_NONE;
}

static __always_inline __u32 nfx_rules_exact_vec(void *exact, struct nfx_rule_scratch *sc,
						 __u32 field, __u32 value)
{
	__u32 *v;

	sc->k64 = ((__u64)field << 32) | value;
	v = bpf_map_lookup_elem(exact, &sc->k64);

	return v ? *v : NFX_RULE_VEC_NONE;
}

static __always_inline __u8 nfx_rules_state(const struct flow_entry *e)
{
	if (!e)
		return NFX_RS_UNTRACKED;
	if ((e->flags & (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI)) != (FLOW_F_SEEN_LO | FLOW_F_SEEN_HI))
		return NFX_RS_NEW;
	return NFX_RS_ESTABLISHED | (e->flags & FLOW_F_ASSURED ? NFX_RS_ASSURED : 0);
}

/* First live rule matching the packet, or NFX_RULE_NONE. */
static __always_inline __u32 nfx_rules_eval(const struct nfx_pkt *pkt, __u32 ifindex,
					    const struct flow_entry *e, __u32 slot,
					    const struct nfx_rule_meta *meta)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	bool v6 = pkt->family == NFX_AF_INET6;
	void *lpm, *exact;
	__u32 used;
	int f;

	if (!sc)
		return NFX_RULE_NONE;
	sc->slot = slot;
	lpm = bpf_map_lookup_elem(&nfx_rules_lpm, &sc->slot);
	exact = bpf_map_lookup_elem(&nfx_rules_exact, &sc->slot);
	if (!lpm || !exact)
		return NFX_RULE_NONE;
	sc->used = used = meta->used;
	sc->result = NFX_RULE_NONE;

	NFX_UNROLL
	for (f = 0; f < NFX_RF_MAX; f++) {
		sc->vec[2 * f] = NFX_RULE_VEC_NONE;
		sc->vec[2 * f + 1] = meta->wild[f];
	}
	if (used & (1u << NFX_RF_SRC))
		sc->vec[2 * NFX_RF_SRC] =
			v6 ? nfx_rules_lpm_vec(lpm, sc, NFX_RLK_SRC6, &pkt->saddr, 16) :
			     nfx_rules_lpm_vec(lpm, sc, NFX_RLK_SRC4, &pkt->saddr.v4, 4);
	if (used & (1u << NFX_RF_DST))
		sc->vec[2 * NFX_RF_DST] =
			v6 ? nfx_rules_lpm_vec(lpm, sc, NFX_RLK_DST6, &pkt->daddr, 16) :
			     nfx_rules_lpm_vec(lpm, sc, NFX_RLK_DST4, &pkt->daddr.v4, 4);
	if (used & (1u << NFX_RF_SPORT))
		sc->vec[2 * NFX_RF_SPORT] =
			nfx_rules_lpm_vec(lpm, sc, NFX_RLK_SPORT, &pkt->sport, 2);
	if (used & (1u << NFX_RF_DPORT))
		sc->vec[2 * NFX_RF_DPORT] =
			nfx_rules_lpm_vec(lpm, sc, NFX_RLK_DPORT, &pkt->dport, 2);
	if (used & (1u << NFX_RF_PROTO))
		sc->vec[2 * NFX_RF_PROTO] =
			nfx_rules_exact_vec(exact, sc, NFX_RF_PROTO, pkt->l4proto);
	if (used & (1u << NFX_RF_IIF))
		sc->vec[2 * NFX_RF_IIF] = nfx_rules_exact_vec(exact, sc, NFX_RF_IIF, ifindex);
	if (used & (1u << NFX_RF_FLAGS))
		sc->vec[2 * NFX_RF_FLAGS] = nfx_rules_exact_vec(
			exact, sc, NFX_RF_FLAGS,
			pkt->l4proto == NFX_IPPROTO_TCP ? pkt->tcp_flags : NFX_RF_FLAGS_NOT_TCP);
	if (used & (1u << NFX_RF_STATE))
		sc->vec[2 * NFX_RF_STATE] =
			nfx_rules_exact_vec(exact, sc, NFX_RF_STATE, nfx_rules_state(e));
	if (used & (1u << NFX_RF_APP))
		sc->vec[2 * NFX_RF_APP] =
			nfx_rules_exact_vec(exact, sc, NFX_RF_APP, e ? e->app_id : 0);
	if (used & (1u << NFX_RF_MARK))
		sc->vec[2 * NFX_RF_MARK] =
			nfx_rules_exact_vec(exact, sc, NFX_RF_MARK, e ? e->mark : 0);

	bpf_loop(NFX_RULE_BLOCKS, nfx_rules_block, NULL, 0);
	return sc->result;
}

static __always_inline bool nfx_rules_pfx(__u8 fam, __u8 plen, const union nfx_addr *ra,
					  const struct nfx_pkt *p, const union nfx_addr *pa)
{
	int w;

	if (fam != p->family)
		return false;
	if (fam == NFX_AF_INET) {
		__u32 m = !plen ? 0 : plen >= 32 ? ~0u : ~0u << (32 - plen);

		return !((nfx_ntohl(ra->v4) ^ nfx_ntohl(pa->v4)) & m);
	}
	NFX_UNROLL
	for (w = 0; w < 4; w++) {
		int bits = (int)plen - w * 32;
		__u32 m = bits >= 32 ? ~0u : bits <= 0 ? 0 : ~0u << (32 - bits);

		if ((nfx_ntohl(ra->v6w[w]) ^ nfx_ntohl(pa->v6w[w])) & m)
			return false;
	}
	return true;
}

/* The reference semantics of one rule, for the short tail. */
static __always_inline bool nfx_rules_match_one(const struct nfx_rule *r,
						const struct nfx_rule_scratch *sc)
{
	const struct nfx_pkt *p = &sc->pkt;
	__u32 u = r->used;
	__u16 sp = nfx_ntohs(p->sport), dp = nfx_ntohs(p->dport);

	if (r->pad & NFX_RULE_F_DEAD)
		return false;
	if ((u & (1u << NFX_RF_SRC)) &&
	    !nfx_rules_pfx(r->src_family, r->src_plen, &r->src, p, &p->saddr))
		return false;
	if ((u & (1u << NFX_RF_DST)) &&
	    !nfx_rules_pfx(r->dst_family, r->dst_plen, &r->dst, p, &p->daddr))
		return false;
	if ((u & (1u << NFX_RF_SPORT)) && (sp < r->sport_lo || sp > r->sport_hi))
		return false;
	if ((u & (1u << NFX_RF_DPORT)) && (dp < r->dport_lo || dp > r->dport_hi))
		return false;
	if ((u & (1u << NFX_RF_PROTO)) && p->l4proto != r->proto)
		return false;
	if ((u & (1u << NFX_RF_IIF)) && sc->ifindex != r->iif)
		return false;
	if ((u & (1u << NFX_RF_FLAGS)) &&
	    (p->l4proto != NFX_IPPROTO_TCP || (p->tcp_flags & r->flags_mask) != r->flags_val))
		return false;
	if ((u & (1u << NFX_RF_STATE)) && !(sc->state & r->state_mask))
		return false;
	if ((u & (1u << NFX_RF_APP)) && sc->app != r->app)
		return false;
	if ((u & (1u << NFX_RF_MARK)) && sc->mark != r->mark)
		return false;
	return true;
}

static long nfx_rules_tail_cb(__u32 k, void *unused)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	const struct nfx_rule *r;
	void *tail;

	if (!sc)
		return 1;
	tail = bpf_map_lookup_elem(&nfx_rules_tail, &sc->slot);
	if (!tail)
		return 1;
	sc->k = k;
	r = bpf_map_lookup_elem(tail, &sc->k);
	if (!r)
		return 1;
	if (!nfx_rules_match_one(r, sc))
		return 0;
	sc->result = NFX_RULES_MAX + k;
	return 1;
}

static __always_inline __u32 nfx_rules_cached(const struct flow_entry *e)
{
	return e->rule_id | ((__u32)(e->verdict & NFX_RV_IDX16) << 16);
}

/* Count the packet on rule idx of the slot and carry out its action. */
static __always_inline int nfx_rules_apply(struct nfx_rule_scratch *sc, __u32 slot, __u32 idx,
					   __u32 len, struct flow_entry *e)
{
	const struct nfx_rule_act *act;
	struct nfx_rule_counter *cnt;
	void *inner;

	if (idx >= NFX_RULES_MAX + NFX_RULES_TAIL)
		return XDP_PASS; /* no rule matched: accept, like an empty chain */
	if (idx >= NFX_RULES_MAX) {
		/* A tail rule: its action is in the rule itself. */
		const struct nfx_rule *tr;

		sc->k = slot;
		inner = bpf_map_lookup_elem(&nfx_rules_tail, &sc->k);
		if (!inner)
			return XDP_PASS;
		sc->k = idx - NFX_RULES_MAX;
		tr = bpf_map_lookup_elem(inner, &sc->k);
		if (!tr)
			return XDP_PASS;
		sc->tact.handle = tr->handle;
		sc->tact.action = tr->action;
		sc->tact.mark = tr->set_mark;
		sc->tact.rate_ns = tr->rate ? (__u64)tr->rate_unit * 1000000000ull / tr->rate : 0;
		sc->tact.burst = tr->burst;
		act = &sc->tact;
	} else {
		sc->k = slot;
		inner = bpf_map_lookup_elem(&nfx_rules_act, &sc->k);
		if (!inner)
			return XDP_PASS;
		sc->k = idx;
		act = bpf_map_lookup_elem(inner, &sc->k);
		if (!act)
			return XDP_PASS;
	}
	sc->k = act->handle;
	cnt = bpf_map_lookup_elem(&nfx_rule_stats, &sc->k);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	}
	switch (act->action) {
	case NFX_RA_DROP:
		return XDP_DROP;
	case NFX_RA_MARK:
		if (e && e->mark != act->mark)
			e->mark = act->mark;
		return XDP_PASS;
	case NFX_RA_RATELIMIT: {
		__u64 *tat = bpf_map_lookup_elem(&nfx_rule_rl, &sc->k);
		__u64 now = bpf_ktime_get_ns(), t;

		if (!tat)
			return XDP_PASS;
		/*
		 * GCRA: one packet per rate_ns, at most burst ahead of time.
		 * Unlocked: two CPUs racing may let one extra packet through.
		 */
		t = *tat < now ? now : *tat;
		if (t - now > (__u64)act->rate_ns * act->burst)
			return XDP_DROP;
		*tat = t + act->rate_ns;
		return XDP_PASS;
	}
	}
	return XDP_PASS;
}

/*
 * Slot 0: the classifier program (nfx_xdp_rules), put there by libnfx at
 * attach (nfx_rules_prog_install) so every program still loads alone.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} nfx_rules_progs SEC(".maps");

/*
 * The stage's fast path, a function of its own (not inlined) so that its
 * few locals do not grow the pipeline's frame, which is near the 512-byte
 * limit. A flow whose verdict is cached costs two array lookups and the
 * counter. Returns the XDP action, or NFX_RULES_CLASSIFY when the packet
 * must go through the classifier program (tail call from the pipeline's
 * top frame: the kernel refuses tail calls from a function whose callers
 * hold more than 256 bytes of stack).
 */
#define NFX_RULES_CLASSIFY (-1)

static __attribute__((noinline)) int nfx_rules_fast(const struct nfx_pkt *pkt, struct flow_entry *e,
						    __u32 dir, __u32 tier, __u64 hash)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	__u32 *cur;

	if (!sc)
		return XDP_PASS;
	sc->hash = hash;
	sc->dir = dir;
	sc->tier = e ? tier : 0;
	sc->pkt.len = pkt->len;
	sc->pkt.family = pkt->family;
	sc->pkt.l4proto = pkt->l4proto;
	sc->pkt.tcp_flags = pkt->tcp_flags;
	sc->pkt.sport = pkt->sport;
	sc->pkt.dport = pkt->dport;
	sc->pkt.saddr = pkt->saddr;
	sc->pkt.daddr = pkt->daddr;
	sc->k = 0;
	cur = bpf_map_lookup_elem(&nfx_rules_cur, &sc->k);
	if (!cur || !*cur)
		return XDP_PASS;
	if (e && e->rule_gen == *cur && (e->verdict & NFX_RV_VALID) &&
	    ((e->verdict & NFX_RV_REPLY) || flow_is_orig(e, sc->dir)))
		return nfx_rules_apply(sc, *cur & 1, nfx_rules_cached(e), sc->pkt.len, e);
	return NFX_RULES_CLASSIFY;
}

/* The classifier program's body: the packet as the pipeline saw it. */
static __always_inline int nfx_rules_classify(struct xdp_md *ctx, struct flow_entry **out_e,
					      int *out_dir)
{
	struct nfx_rule_scratch *sc = nfx_rules_scratch_get();
	const struct nfx_rule_meta *meta;
	struct flow_entry *e = NULL;
	__u32 gen, slot, idx, *cur;
	void *inner;
	bool orig;

	if (!sc)
		return XDP_PASS;
	/* Only on a cache miss: the flow entry is looked up a second time. */
	if (sc->tier == 2)
		e = bpf_map_lookup_elem(&nfx_flows, &sc->hash);
	else if (sc->tier == 1)
		e = bpf_map_lookup_elem(&nfx_flows_new, &sc->hash);
	*out_e = e;
	*out_dir = sc->dir;
	orig = e && flow_is_orig(e, sc->dir);
	sc->k = 0;
	cur = bpf_map_lookup_elem(&nfx_rules_cur, &sc->k);
	if (!cur || !*cur)
		return XDP_PASS;
	gen = *cur;
	slot = gen & 1;
	sc->k = slot;
	inner = bpf_map_lookup_elem(&nfx_rules_meta, &sc->k);
	if (!inner)
		return XDP_PASS;
	sc->k = 0;
	meta = bpf_map_lookup_elem(inner, &sc->k);
	if (!meta || !meta->nrules)
		return XDP_PASS;

	idx = nfx_rules_eval(&sc->pkt, ctx->ingress_ifindex, e, slot, meta);
	if (idx == NFX_RULE_NONE && meta->tail_n) {
		sc->ifindex = ctx->ingress_ifindex;
		sc->state = nfx_rules_state(e);
		sc->app = e ? e->app_id : 0;
		sc->mark = e ? e->mark : 0;
		sc->result = NFX_RULE_NONE;
		bpf_loop(meta->tail_n < NFX_RULES_TAIL ? meta->tail_n : NFX_RULES_TAIL,
			 nfx_rules_tail_cb, NULL, 0);
		idx = sc->result;
	}
	/*
	 * Cache only when neither the rule found nor any rule before it
	 * looks at something that changes during the flow; tail rules and
	 * misses past a tail are evaluated every time.
	 */
	if (e && idx < meta->first_volatile && !(idx == NFX_RULE_NONE && meta->tail_n) &&
	    (idx < NFX_RULES_MAX || idx == NFX_RULE_NONE)) {
		if (orig) {
			e->verdict = 0;
			e->rule_id = idx & 0xffff;
			e->rule_gen = gen;
			e->verdict = NFX_RV_VALID | ((idx >> 16) & NFX_RV_IDX16);
		} else if (e->rule_gen == gen && (e->verdict & NFX_RV_VALID) &&
			   nfx_rules_cached(e) == idx) {
			e->verdict |= NFX_RV_REPLY;
		}
	}
	return nfx_rules_apply(sc, slot, idx, sc->pkt.len, e);
}

#endif /* NFX_BPF_RULES_H */

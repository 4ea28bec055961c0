// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ruleset compiler: rules -> per-field bit vectors (include/nfx/rules.h),
 * in memory. rules.c then writes the result into fresh maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "nfx/libnfx.h"
#include "internal.h"
#include "rules_int.h"
#include "rules_build.h"

/* --- growable arrays --- */

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t nc;
	void *nv;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 16;
	while (nc < need)
		nc *= 2;
	nv = realloc(*v, nc * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

struct idxlist {
	__u32 *v;
	size_t n, cap;
};

static int idx_push(struct idxlist *l, __u32 x)
{
	if (grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = x;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void idx_sort_unique(struct idxlist *l)
{
	size_t i, o = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	for (i = 0; i < l->n; i++)
		if (!o || l->v[o - 1] != l->v[i])
			l->v[o++] = l->v[i];
	l->n = o;
}

/* --- vectors, deduplicated by content --- */

struct vdedup {
	__u64 hash;
	__u32 id;
	__u32 len;
	__u32 first; /* first rule index, cheap pre-check */
};

static __u64 vec_hash(const __u32 *v, size_t n)
{
	__u64 h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= v[i];
		h *= 1099511628211ull;
	}
	return h ^ n;
}

/* Open-addressing table of vector hashes -> id; ids index b->vecs_src. */
static int vec_find(struct rb *b, __u64 h, const __u32 *v, size_t n)
{
	size_t i, mask = b->dd_cap - 1;

	if (!b->dd_cap)
		return -1;
	for (i = h & mask; b->dd[i].len; i = (i + 1) & mask) {
		const struct vdedup *d = &b->dd[i];

		if (d->hash == h && d->len == n && d->first == v[0] &&
		    !memcmp(b->vsrc[d->id].v, v, n * sizeof(*v)))
			return d->id;
	}
	return -1;
}

static int dd_insert(struct rb *b, __u64 h, __u32 id, __u32 len, __u32 first)
{
	size_t i, mask;

	if ((b->dd_n + 1) * 2 > b->dd_cap) {
		struct vdedup *old = b->dd;
		size_t oc = b->dd_cap, k;

		b->dd_cap = oc ? oc * 2 : 1024;
		b->dd = calloc(b->dd_cap, sizeof(*b->dd));
		if (!b->dd)
			return -ENOMEM;
		b->dd_n = 0;
		for (k = 0; k < oc; k++)
			if (old[k].len &&
			    dd_insert(b, old[k].hash, old[k].id, old[k].len, old[k].first))
				return -ENOMEM;
		free(old);
	}
	mask = b->dd_cap - 1;
	for (i = h & mask; b->dd[i].len; i = (i + 1) & mask)
		;
	b->dd[i] = (struct vdedup){ .hash = h, .id = id, .len = len, .first = first };
	b->dd_n++;
	return 0;
}

/*
 * Store a sorted, unique list of rule positions as a sparse vector;
 * returns its id, or NFX_RULE_VEC_NONE for an empty list.
 */
static __u32 vec_add(struct rb *b, const __u32 *v, size_t n)
{
	struct nfx_rule_vhdr *h;
	__u64 hash;
	size_t i;
	__u32 id, cum = 0;
	int found, blk;

	if (!n)
		return NFX_RULE_VEC_NONE;
	hash = vec_hash(v, n);
	found = vec_find(b, hash, v, n);
	if (found >= 0)
		return found;
	if (grow((void **)&b->vhdr, &b->vhdr_cap, b->nvec + 1, sizeof(*b->vhdr)) ||
	    grow((void **)&b->vsrc, &b->vsrc_cap, b->nvec + 1, sizeof(*b->vsrc)))
		goto nomem;
	id = b->nvec++;
	h = &b->vhdr[id];
	memset(h, 0, sizeof(*h));
	h->base = b->nwords;
	for (i = 0; i < n; i++) {
		__u32 w = v[i] / 64;

		if (!(h->sum[w / 64] & (1ull << (w % 64)))) {
			if (grow((void **)&b->words, &b->words_cap, b->nwords + 1,
				 sizeof(*b->words)))
				goto nomem;
			h->sum[w / 64] |= 1ull << (w % 64);
			b->words[b->nwords++] = 0;
		}
		b->words[b->nwords - 1] |= 1ull << (v[i] % 64);
	}
	for (blk = 0; blk < NFX_RULE_BLOCKS; blk++) {
		h->cum[blk] = cum;
		cum += __builtin_popcountll(h->sum[blk]);
	}
	b->vsrc[id].v = malloc(n * sizeof(*v));
	if (!b->vsrc[id].v)
		goto nomem;
	memcpy(b->vsrc[id].v, v, n * sizeof(*v));
	b->vsrc[id].n = n;
	if (dd_insert(b, hash, id, n, v[0]))
		goto nomem;
	return id;
nomem:
	b->err = -ENOMEM;
	return NFX_RULE_VEC_NONE;
}

static int lpm_push(struct rb *b, __u8 kind, const __u8 *data, __u32 bits, __u32 vec)
{
	struct rb_lpm *e;

	if (vec == NFX_RULE_VEC_NONE)
		return 0;
	if (grow((void **)&b->lpm, &b->lpm_cap, b->nlpm + 1, sizeof(*b->lpm)))
		return -ENOMEM;
	e = &b->lpm[b->nlpm++];
	memset(e, 0, sizeof(*e));
	e->key.prefixlen = 8 + bits;
	e->key.kind = kind;
	memcpy(e->key.data, data, 16);
	e->vec = vec;
	return 0;
}

static int exact_push(struct rb *b, __u32 field, __u32 value, __u32 vec)
{
	if (vec == NFX_RULE_VEC_NONE)
		return 0;
	if (grow((void **)&b->ex, &b->ex_cap, b->nex + 1, sizeof(*b->ex)))
		return -ENOMEM;
	b->ex[b->nex].key = ((__u64)field << 32) | value;
	b->ex[b->nex].vec = vec;
	b->nex++;
	return 0;
}

/* --- prefixes --- */

struct pfx {
	__u8 kind;
	__u8 plen; /* bits within the family */
	__u8 data[16];
	__u32 rule;
};

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->plen != y->plen)
		return x->plen - y->plen;
	c = memcmp(x->data, y->data, 16);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void mask_bits(__u8 *d, unsigned int bits)
{
	unsigned int k;

	for (k = bits; k < 128; k++)
		d[k / 8] &= ~(0x80 >> (k % 8));
}

/* Find [lo, hi) of the sorted entries equal to (kind, plen, data). */
static size_t pfx_find(const struct pfx *v, size_t n, const struct pfx *key, size_t *hi)
{
	size_t lo = 0, up = n, m;

	while (lo < up) {
		m = (lo + up) / 2;
		struct pfx t = v[m];

		t.rule = 0;
		if (cmp_pfx(&t, key) < 0)
			lo = m + 1;
		else
			up = m;
	}
	for (*hi = lo; *hi < n && v[*hi].kind == key->kind && v[*hi].plen == key->plen &&
		       !memcmp(v[*hi].data, key->data, 16);
	     (*hi)++)
		;
	return lo;
}

static int build_prefixes(struct rb *b, const struct nfx_rule *rules, size_t n, bool src)
{
	struct pfx *v = NULL;
	struct idxlist l = {};
	size_t cnt = 0, i, j;
	int err = 0;

	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct nfx_rule *r = &rules[i];
		const union nfx_addr *a = src ? &r->src : &r->dst;
		__u8 fam = src ? r->src_family : r->dst_family;

		if (!(r->used & (1u << (src ? NFX_RF_SRC : NFX_RF_DST))))
			continue;
		v[cnt].kind = (src ? NFX_RLK_SRC4 : NFX_RLK_DST4) + (fam == NFX_AF_INET6);
		v[cnt].plen = src ? r->src_plen : r->dst_plen;
		if (fam == NFX_AF_INET6)
			memcpy(v[cnt].data, a->b, 16);
		else
			memcpy(v[cnt].data, &a->v4, 4);
		mask_bits(v[cnt].data, v[cnt].plen);
		v[cnt].rule = i;
		cnt++;
	}
	qsort(v, cnt, sizeof(*v), cmp_pfx);
	/*
	 * The LPM finds the longest stored prefix of an address; its vector
	 * must also hold the rules of every shorter stored prefix covering it.
	 */
	for (i = 0; i < cnt; i = j) {
		int bits = v[i].kind == NFX_RLK_SRC6 || v[i].kind == NFX_RLK_DST6 ? 128 : 32;
		struct pfx key;
		int len;
		__u32 vec;

		for (j = i; j < cnt && v[j].kind == v[i].kind && v[j].plen == v[i].plen &&
			    !memcmp(v[j].data, v[i].data, 16);
		     j++)
			;
		l.n = 0;
		for (len = 0; len <= v[i].plen && len <= bits; len++) {
			size_t lo, hi;

			key = v[i];
			key.rule = 0;
			key.plen = len;
			mask_bits(key.data, len);
			for (lo = pfx_find(v, cnt, &key, &hi); lo < hi; lo++)
				if (idx_push(&l, v[lo].rule)) {
					err = -ENOMEM;
					goto out;
				}
		}
		idx_sort_unique(&l);
		vec = vec_add(b, l.v, l.n);
		if (b->err || lpm_push(b, v[i].kind, v[i].data, v[i].plen, vec)) {
			err = -ENOMEM;
			goto out;
		}
	}
out:
	free(l.v);
	free(v);
	return err;
}

/* --- port ranges: elementary intervals, then prefixes of the port --- */

static int port_prefixes(struct rb *b, __u8 kind, __u32 lo, __u32 hi, __u32 vec)
{
	/* Largest aligned block at lo that stays within hi, repeatedly. */
	while (lo <= hi) {
		__u32 size = 1;
		__u8 d[16] = {};
		int bits = 16;

		while (bits > 0 && !(lo & (size * 2 - 1)) && lo + size * 2 - 1 <= hi) {
			size *= 2;
			bits--;
		}
		d[0] = lo >> 8;
		d[1] = lo & 0xff;
		if (lpm_push(b, kind, d, bits, vec))
			return -ENOMEM;
		lo += size;
	}
	return 0;
}

static const struct nfx_rule *port_rules;
static bool port_src;

static __u32 port_lo(__u32 i)
{
	return port_src ? port_rules[i].sport_lo : port_rules[i].dport_lo;
}

static __u32 port_hi(__u32 i)
{
	return port_src ? port_rules[i].sport_hi : port_rules[i].dport_hi;
}

static int cmp_by_lo(const void *a, const void *b)
{
	__u32 x = port_lo(*(const __u32 *)a), y = port_lo(*(const __u32 *)b);

	return x < y ? -1 : x > y;
}

/*
 * Sweep the elementary intervals (between consecutive range ends) left
 * to right, keeping the ranges open at the current one.
 */
static int build_ports(struct rb *b, const struct nfx_rule *rules, size_t n, bool src)
{
	__u32 field = src ? NFX_RF_SPORT : NFX_RF_DPORT;
	struct idxlist pts = {}, byl = {}, act = {}, set = {};
	size_t i, k, next = 0;
	int err = -ENOMEM;

	port_rules = rules;
	port_src = src;
	for (i = 0; i < n; i++) {
		if (!(rules[i].used & (1u << field)))
			continue;
		if (idx_push(&pts, port_lo(i)) || idx_push(&pts, port_hi(i) + 1u) ||
		    idx_push(&byl, i))
			goto out;
	}
	idx_sort_unique(&pts);
	if (byl.n)
		qsort(byl.v, byl.n, sizeof(*byl.v), cmp_by_lo);
	for (k = 0; k + 1 < pts.n; k++) {
		__u32 lo = pts.v[k], hi = pts.v[k + 1] - 1, vec;
		size_t j, o = 0;

		while (next < byl.n && port_lo(byl.v[next]) <= lo)
			if (idx_push(&act, byl.v[next++]))
				goto out;
		for (j = 0; j < act.n; j++)
			if (port_hi(act.v[j]) >= lo)
				act.v[o++] = act.v[j];
		act.n = o;
		set.n = 0;
		for (j = 0; j < act.n; j++)
			if (idx_push(&set, act.v[j]))
				goto out;
		idx_sort_unique(&set);
		vec = vec_add(b, set.v, set.n);
		if (b->err || port_prefixes(b, src ? NFX_RLK_SPORT : NFX_RLK_DPORT, lo, hi, vec))
			goto out;
	}
	err = 0;
out:
	free(pts.v);
	free(byl.v);
	free(act.v);
	free(set.v);
	return err;
}

/* --- exact fields --- */

struct kv {
	__u32 value;
	__u32 rule;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static __u32 exact_value(const struct nfx_rule *r, int field)
{
	switch (field) {
	case NFX_RF_PROTO:
		return r->proto;
	case NFX_RF_IIF:
		return r->iif;
	case NFX_RF_APP:
		return r->app;
	default:
		return r->mark;
	}
}

static int build_exact(struct rb *b, const struct nfx_rule *rules, size_t n, int field)
{
	struct kv *v = calloc(n ? n : 1, sizeof(*v));
	struct idxlist l = {};
	size_t cnt = 0, i, j;
	int err = -ENOMEM;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (rules[i].used & (1u << field)) {
			v[cnt].value = exact_value(&rules[i], field);
			v[cnt++].rule = i;
		}
	qsort(v, cnt, sizeof(*v), cmp_kv);
	for (i = 0; i < cnt; i = j) {
		l.n = 0;
		for (j = i; j < cnt && v[j].value == v[i].value; j++)
			if (idx_push(&l, v[j].rule))
				goto out;
		if (exact_push(b, field, v[i].value, vec_add(b, l.v, l.n)) || b->err)
			goto out;
	}
	err = 0;
out:
	free(l.v);
	free(v);
	return err;
}

/* Small value spaces (TCP flags, flow state): one vector per value. */
static int build_enum(struct rb *b, const struct nfx_rule *rules, size_t n, int field)
{
	static const __u32 states[] = { NFX_RS_NEW, NFX_RS_ESTABLISHED,
					NFX_RS_ESTABLISHED | NFX_RS_ASSURED, NFX_RS_UNTRACKED };
	struct idxlist l = {};
	__u32 c, nvals = field == NFX_RF_FLAGS ? 64 : NFX_ARRAY_SIZE(states);
	size_t i;
	int err = -ENOMEM;

	for (c = 0; c < nvals; c++) {
		__u32 val = field == NFX_RF_FLAGS ? c : states[c];

		l.n = 0;
		for (i = 0; i < n; i++) {
			const struct nfx_rule *r = &rules[i];
			bool m;

			if (!(r->used & (1u << field)))
				continue;
			if (field == NFX_RF_FLAGS)
				m = (val & r->flags_mask) == r->flags_val;
			else
				m = val & r->state_mask;
			if (m && idx_push(&l, i))
				goto out;
		}
		if (exact_push(b, field, val, vec_add(b, l.v, l.n)) || b->err)
			goto out;
	}
	err = 0;
out:
	free(l.v);
	return err;
}

int nfx_rb_build(struct rb *b, const struct nfx_rule *rules, size_t n)
{
	struct idxlist l = {};
	size_t i;
	int f, err;

	memset(&b->meta, 0, sizeof(b->meta));
	b->meta.nrules = n;
	b->meta.first_volatile = 0xffffffffu;
	for (i = 0; i < n; i++) {
		b->meta.used |= rules[i].used;
		if ((rules[i].used & NFX_RF_VOLATILE) && b->meta.first_volatile == 0xffffffffu)
			b->meta.first_volatile = i;
	}
	if ((err = build_prefixes(b, rules, n, true)) ||
	    (err = build_prefixes(b, rules, n, false)) || (err = build_ports(b, rules, n, true)) ||
	    (err = build_ports(b, rules, n, false)) ||
	    (err = build_exact(b, rules, n, NFX_RF_PROTO)) ||
	    (err = build_exact(b, rules, n, NFX_RF_IIF)) ||
	    (err = build_exact(b, rules, n, NFX_RF_APP)) ||
	    (err = build_exact(b, rules, n, NFX_RF_MARK)) ||
	    (b->meta.used & (1u << NFX_RF_FLAGS) &&
	     (err = build_enum(b, rules, n, NFX_RF_FLAGS))) ||
	    (b->meta.used & (1u << NFX_RF_STATE) && (err = build_enum(b, rules, n, NFX_RF_STATE))))
		goto out;
	for (f = 0; f < NFX_RF_MAX; f++) {
		b->meta.wild[f] = NFX_RULE_VEC_NONE;
		if (!(b->meta.used & (1u << f)))
			continue;
		l.n = 0;
		for (i = 0; i < n; i++)
			if (!(rules[i].used & (1u << f)) && idx_push(&l, i)) {
				err = -ENOMEM;
				goto out;
			}
		b->meta.wild[f] = vec_add(b, l.v, l.n);
		if (b->err) {
			err = b->err;
			goto out;
		}
	}
	/* Live bits: every position in use. */
	b->alive = calloc(NFX_RULE_WORDS, sizeof(*b->alive));
	if (!b->alive) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		b->alive[i / 64] |= 1ull << (i % 64);
	err = b->err;
out:
	free(l.v);
	return err;
}

void nfx_rb_free(struct rb *b)
{
	size_t i;

	for (i = 0; i < b->nvec; i++)
		free(b->vsrc[i].v);
	free(b->vsrc);
	free(b->vhdr);
	free(b->words);
	free(b->lpm);
	free(b->ex);
	free(b->dd);
	free(b->alive);
	memset(b, 0, sizeof(*b));
}

/* --- the reference matcher: what the vectors must agree with --- */

static bool pfx_match(__u8 fam, __u8 plen, const union nfx_addr *pa, __u8 pfam,
		      const union nfx_addr *a)
{
	int off = fam == NFX_AF_INET ? 96 : 0, k;

	if (fam != pfam)
		return false;
	for (k = 0; k < plen; k++) {
		int bit = off + k;
		__u8 m = 0x80 >> (bit % 8);

		if ((pa->b[bit / 8] & m) != (a->b[bit / 8] & m))
			return false;
	}
	return true;
}

bool nfx_rule_match(const struct nfx_rule *r, const struct nfx_rule_pkt *p)
{
	__u32 u = r->used;

	if ((u & (1u << NFX_RF_SRC)) &&
	    !pfx_match(r->src_family, r->src_plen, &r->src, p->family, &p->src))
		return false;
	if ((u & (1u << NFX_RF_DST)) &&
	    !pfx_match(r->dst_family, r->dst_plen, &r->dst, p->family, &p->dst))
		return false;
	if ((u & (1u << NFX_RF_SPORT)) && (p->sport < r->sport_lo || p->sport > r->sport_hi))
		return false;
	if ((u & (1u << NFX_RF_DPORT)) && (p->dport < r->dport_lo || p->dport > r->dport_hi))
		return false;
	if ((u & (1u << NFX_RF_PROTO)) && p->proto != r->proto)
		return false;
	if ((u & (1u << NFX_RF_IIF)) && p->iif != r->iif)
		return false;
	if ((u & (1u << NFX_RF_FLAGS)) &&
	    (p->proto != 6 || (p->tcp_flags & r->flags_mask) != r->flags_val))
		return false;
	if ((u & (1u << NFX_RF_STATE)) && !(p->state & r->state_mask))
		return false;
	if ((u & (1u << NFX_RF_APP)) && p->app != r->app)
		return false;
	if ((u & (1u << NFX_RF_MARK)) && p->mark != r->mark)
		return false;
	return true;
}

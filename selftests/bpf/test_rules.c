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
static int load_text(struct nfx_rules *r, const char *text, struct nfx_rules_commit_info *ci);

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

static void equivalence(size_t nrules, int npkts, size_t nappend)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	struct nfx_rule *rules = calloc(nrules, sizeof(*rules)), *parsed = NULL;
	__u64 *expect = NULL;
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
		if (i == nrules - nappend) {
			ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
			ASSERT_FALSE(ci.incremental, "first commit builds the set");
		}
		if (i >= nrules - nappend && (i - (nrules - nappend)) % 10 == 0 &&
		    i > nrules - nappend) {
			/* appends, ten per batch: to the tail, in place */
			ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
			ASSERT_TRUE(ci.incremental, "append applied in place");
			ASSERT_LE(ci.syscalls, 16, "a handful of syscalls for ten rules");
		}
		if (i >= nrules - nappend && (i - (nrules - nappend)) % 10 == 0)
			ASSERT_EQ(nfx_rules_begin(r, 0), 0, "begin append");
		ASSERT_EQ(nfx_rules_add(r, &rules[i], NULL), 0, "add");
	}
	ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
	ASSERT_EQ(ci.rules, nrules, "rules committed");
	if (nappend)
		ASSERT_TRUE(ci.incremental, "last append in place");

	expect = calloc(nrules, sizeof(*expect));
	ASSERT_TRUE(expect, "alloc");

	for (k = 0; k < npkts; k++) {
		struct nfx_rule_pkt p;
		struct pkt_spec s;
		char sb[64], db[64];
		size_t len;
		int want, got, m;

		rnd_pkt(&p, &s, sb, db);
		len = pkt_build(&s, frame, sizeof(frame));
		ASSERT_TRUE(len, "build");
		flows_clear(skel); /* every packet starts a flow: state NEW */
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
			printf("# rule %zu: %llu packets, expected %llu\n", i,
			       (unsigned long long)pk, (unsigned long long)expect[i]);
		ASSERT_EQ(pk, expect[i], "per-rule packet counter");
	}
	free(expect);
	free(rules);
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

TEST(equivalence_10_rules)
{
	equivalence(10, 400, 0);
}

TEST(equivalence_300_rules)
{
	equivalence(300, 600, 0);
}

TEST(equivalence_5000_rules)
{
	equivalence(5000, 400, 0);
}

TEST(equivalence_with_appended_tail)
{
	/* 300 rules built, then 60 appended in batches of ten (tail of 64) */
	equivalence(360, 600, 60);
}

TEST(append_past_the_tail_rebuilds)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	struct pkt_spec s = PKT_UDP4("10.0.0.1", 4000, "10.0.0.2", 7777);
	uint8_t buf[256];
	size_t len;
	int i;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(nfx_rules_open_obj(skel->obj, &r), 0, "open");
	ASSERT_EQ(load_text(r, "tcp dport 1 drop\n", &ci), 0, nfx_errmsg());
	ASSERT_EQ(nfx_rules_begin(r, 0), 0, "begin");
	for (i = 0; i < NFX_RULES_TAIL + 1; i++) {
		char line[64];

		snprintf(line, sizeof(line), "udp dport %d drop", 7000 + i);
		ASSERT_EQ(nfx_rules_add_text(r, line, NULL), 0, "add");
	}
	ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
	ASSERT_FALSE(ci.incremental, "more than the tail holds: full rebuild");
	ASSERT_EQ(ci.rules, NFX_RULES_TAIL + 2, "all rules");
	s.dport = 7000 + NFX_RULES_TAIL;
	len = pkt_build(&s, buf, sizeof(buf));
	ASSERT_EQ(xdp_test_run(skel, buf, len), 1, "last appended rule drops");
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

static int load_text(struct nfx_rules *r, const char *text, struct nfx_rules_commit_info *ci)
{
	struct nfx_rule *v;
	size_t n, i;
	int err;

	if (nfx_rules_parse("set", text, strlen(text), &v, &n) < 0)
		return -1;
	err = nfx_rules_begin(r, NFX_RULES_REPLACE);
	for (i = 0; i < n && !err; i++)
		err = nfx_rules_add(r, &v[i], NULL);
	free(v);
	return err ? err : nfx_rules_commit(r, ci);
}

/* Two sets that both accept the probe, at different positions, through
 * different fields, and drop everything else: a packet classified on a
 * mix of the two sets' maps would find no rule or a wrong one. */
static char *set_a, *set_b;

static char *make_set(bool a)
{
	size_t cap = 1 << 16, o = 0;
	char *t = malloc(cap);
	int i;

	for (i = 0; i < (a ? 300 : 120); i++)
		o += snprintf(t + o, cap - o,
			      a ? "ip saddr 172.16.%d.%d/32 drop\n" : "tcp dport %d drop\n",
			      a ? i / 250 : 1000 + i, i % 250);
	o += snprintf(t + o, cap - o,
		      a ? "ip daddr 192.0.2.0/24 accept\n" :
			  "udp dport 53 ip saddr 10.9.0.0/16 accept\n");
	snprintf(t + o, cap - o, "drop\n");
	return t;
}

struct swap_traffic {
	struct nfx_xdp_bpf *skel;
	volatile bool stop;
	long sent, dropped, errors;
};

static void *swap_traffic_run(void *arg)
{
	struct swap_traffic *st = arg;
	uint8_t buf[256];
	uint16_t port = 1;

	while (!st->stop) {
		struct pkt_spec s = PKT_UDP4("10.9.9.9", port, "192.0.2.1", 53);
		size_t len = pkt_build(&s, buf, sizeof(buf));
		int ret = xdp_test_run(st->skel, buf, len);

		port = port == 60000 ? 1 : port + 1; /* a new flow each time */
		st->sent++;
		if (ret == 1)
			st->dropped++;
		else if (ret != 2)
			st->errors++;
	}
	return NULL;
}

TEST(atomic_replacement_under_traffic)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct swap_traffic st = { .skel = skel };
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	pthread_t th;
	int i;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(nfx_rules_open_obj(skel->obj, &r), 0, "open");
	set_a = make_set(true);
	set_b = make_set(false);
	ASSERT_EQ(load_text(r, set_a, &ci), 0, nfx_errmsg());
	ASSERT_EQ(pthread_create(&th, NULL, swap_traffic_run, &st), 0, "thread");
	for (i = 0; i < 40; i++)
		ASSERT_EQ(load_text(r, i % 2 ? set_a : set_b, &ci), 0, nfx_errmsg());
	st.stop = true;
	pthread_join(th, NULL);
	printf("# %ld packets during 40 swaps, %ld dropped\n", st.sent, st.dropped);
	ASSERT_GT(st.sent, 100, "traffic ran during the swaps");
	ASSERT_EQ(st.errors, 0, "no run errors");
	ASSERT_EQ(st.dropped, 0, "no packet saw a mix of two sets");
	free(set_a);
	free(set_b);
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

TEST(verdict_cached_per_flow_and_invalidated)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	struct pkt_spec s = PKT_UDP4("10.0.0.1", 4000, "10.0.0.2", 53);
	struct flow_entry e;
	uint8_t buf[256];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	__u64 pk, by;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(nfx_rules_open_obj(skel->obj, &r), 0, "open");
	ASSERT_EQ(load_text(r, "udp dport 53 drop\nudp dport 1-100 count\n", &ci), 0, nfx_errmsg());
	ASSERT_EQ(xdp_test_run(skel, buf, len), 1, "dropped");
	ASSERT_EQ(xdp_test_flow(skel, 4, 17, "10.0.0.1", 4000, "10.0.0.2", 53, &e, NULL), 0,
		  "flow");
	ASSERT_TRUE(e.verdict & NFX_RV_VALID, "verdict cached in the flow");
	ASSERT_EQ(e.rule_id, 0, "rule 0 cached");
	ASSERT_EQ(xdp_test_run(skel, buf, len), 1, "dropped from the cache");
	ASSERT_EQ(nfx_rules_counters(r, 1, &pk, &by), 0, "counters");
	ASSERT_EQ(pk, 2, "both packets counted on the drop rule");

	/* A delete is applied in place and invalidates the cache. */
	ASSERT_EQ(nfx_rules_begin(r, 0), 0, "begin");
	ASSERT_EQ(nfx_rules_del(r, 1), 0, "del");
	ASSERT_EQ(nfx_rules_commit(r, &ci), 0, nfx_errmsg());
	ASSERT_TRUE(ci.incremental, "delete applied in place");
	ASSERT_EQ(ci.rules, 1, "one rule left");
	ASSERT_EQ(xdp_test_run(skel, buf, len), 2, "passes once the rule is gone");
	ASSERT_EQ(nfx_rules_counters(r, 2, &pk, &by), 0, "counters");
	ASSERT_EQ(pk, 1, "now counted on the count rule");
	ASSERT_EQ(xdp_test_flow(skel, 4, 17, "10.0.0.1", 4000, "10.0.0.2", 53, &e, NULL), 0,
		  "flow");
	ASSERT_EQ(e.rule_id, 1, "rule 1 cached");

	/* Reply direction: cached too once it resolves to the same rule. */
	{
		struct pkt_spec rs = PKT_UDP4("10.0.0.2", 53, "10.0.0.1", 4000);
		size_t rl = pkt_build(&rs, buf, sizeof(buf));

		ASSERT_EQ(xdp_test_run(skel, buf, rl), 2, "reply passes");
	}
	/* A volatile match (ct state) before the rule disables the cache. */
	ASSERT_EQ(load_text(r, "ct state new drop\nudp dport 53 count\n", &ci), 0, nfx_errmsg());
	len = pkt_build(&s, buf, sizeof(buf));
	ASSERT_EQ(xdp_test_run(skel, buf, len), 2, "established flow passes the ct state new rule");
	ASSERT_EQ(xdp_test_flow(skel, 4, 17, "10.0.0.1", 4000, "10.0.0.2", 53, &e, NULL), 0,
		  "flow");
	ASSERT_TRUE(e.rule_gen != ci.generation * 2 + 0 && e.rule_gen != ci.generation * 2 + 1,
		    "nothing cached after a volatile rule");
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

TEST(empty_and_bad_commits_change_nothing)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_rules_commit_info ci;
	struct nfx_rules *r = NULL;
	struct pkt_spec s = PKT_TCP4("10.0.0.1", 4000, "10.0.0.2", 22, PKT_SYN);
	uint8_t buf[256];
	size_t len = pkt_build(&s, buf, sizeof(buf));

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(nfx_rules_open_obj(skel->obj, &r), 0, "open");
	ASSERT_EQ(xdp_test_run(skel, buf, len), 2, "no rules: pass");
	ASSERT_EQ(load_text(r, "tcp dport 22 drop\n", &ci), 0, nfx_errmsg());
	ASSERT_EQ(nfx_rules_begin(r, NFX_RULES_REPLACE), 0, "begin");
	ASSERT_TRUE(nfx_rules_add_text(r, "tcp dport 99999 accept", NULL) < 0, "bad rule refused");
	nfx_rules_abort(r);
	s.sport = 4001;
	len = pkt_build(&s, buf, sizeof(buf));
	ASSERT_EQ(xdp_test_run(skel, buf, len), 1, "old set still in force");
	ASSERT_EQ(load_text(r, "", &ci), 0, "empty set");
	s.sport = 4002;
	len = pkt_build(&s, buf, sizeof(buf));
	ASSERT_EQ(xdp_test_run(skel, buf, len), 2, "empty set: pass");
	nfx_rules_close(r);
	nfx_xdp_bpf__destroy(skel);
}

int main(void)
{
	return tap_run();
}

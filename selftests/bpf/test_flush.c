// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The in-kernel flush (bpf/nfx_flush.bpf.c) against the user-space
 * reference matcher: over a random population in both tiers, a flush
 * removes exactly the entries the reference matches and nothing else;
 * --dry-run counts the same set and changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "nfx/pred.h"
#include "../lib/tap.h"

#define POP 3000
#define NOW (100000ull * 1000000000ull)

static struct flow_entry pop[POP];
static __u64 keys[POP];
static int tier_of[POP];

static __u64 rnd(void)
{
	return ((__u64)random() << 31) ^ random();
}

static void random_addr(union nfx_addr *a, int family)
{
	static const char *const v4[] = { "10.0.0.0", "10.1.0.0", "192.0.2.0", "198.51.100.0" };
	static const char *const v6[] = { "2001:db8::", "2001:db8:1::", "fd00::" };

	if (family == NFX_AF_INET) {
		nfx_addr_parse(v4[random() % 4], a);
		a->b[14] = random() % 4;
		a->b[15] = random() % 256;
	} else {
		nfx_addr_parse(v6[random() % 3], a);
		a->b[7] = random() % 2;
		a->b[15] = random() % 256;
	}
}

static void random_entry(struct flow_entry *e)
{
	static const __u8 protos[] = { 6, 6, 6, 17, 17, 1, 58, 132 };
	static const __u16 ports[] = { 22, 53, 80, 443, 1024, 8080, 40000, 65535 };
	int fam = random() % 3 ? NFX_AF_INET : NFX_AF_INET6;

	memset(e, 0, sizeof(*e));
	random_addr(&e->key.lo_addr, fam);
	random_addr(&e->key.hi_addr, fam);
	e->key.lo_port = htons(random() % 2 ? ports[random() % 8] : random() % 65536);
	e->key.hi_port = htons(ports[random() % 8]);
	e->key.proto = protos[random() % 8];
	e->key.family = fam;
	e->key.zone = random() % 3;
	e->flags = random() & 0xff;
	e->tcp_state = e->key.proto == 6 ? random() % FLOW_TCP_STATE_MAX : 0;
	e->mark = random() % 4 ? 0 : random() & 0xff;
	e->app_id = random() % 5;
	e->first_seen = NOW - (rnd() % 7200) * 1000000000ull;
	e->last_seen = e->first_seen + (rnd() % (NOW - e->first_seen + 1));
}

struct tables {
	int fd[2];	/* 0: unassured LRU, 1: assured hash */
};

static void fill(struct tables *t)
{
	int i;

	for (i = 0; i < POP; i++)
		if (bpf_map_update_elem(t->fd[tier_of[i]], &keys[i], &pop[i], BPF_NOEXIST))
			TAP_FAIL("fill entry %d: %s", i, strerror(errno));
}

static void clear(struct tables *t)
{
	int i, k;

	for (i = 0; i < POP; i++)
		for (k = 0; k < 2; k++)
			bpf_map_delete_elem(t->fd[k], &keys[i]);
}

static int tables_open(struct tables *t)
{
	int i;

	srandom(8);
	for (i = 0; i < POP; i++) {
		random_entry(&pop[i]);
		keys[i] = rnd() | 1;
		tier_of[i] = !!(pop[i].flags & FLOW_F_ASSURED);
	}
	/* Larger than the population: the LRU tier must never evict here. */
	t->fd[0] = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "nfx_flows_new", 8,
				  sizeof(struct flow_entry), 4 * POP, NULL);
	t->fd[1] = bpf_map_create(BPF_MAP_TYPE_HASH, "nfx_flows", 8, sizeof(struct flow_entry),
				  4 * POP, NULL);
	return t->fd[0] < 0 || t->fd[1] < 0 ? -errno : 0;
}

/* Check the table holds exactly the population minus the expected removals. */
static void check_rest(struct tables *t, const struct nfx_flow_pred *p, bool removed,
		       const char *what)
{
	struct flow_entry got;
	int i;

	for (i = 0; i < POP; i++) {
		bool want_gone = removed && nfx_pred_match(p, &pop[i], NOW);
		bool present = !bpf_map_lookup_elem(t->fd[tier_of[i]], &keys[i], &got);

		if (present == want_gone)
			TAP_FAIL("%s: entry %d %s", what, i,
				 present ? "left in place though it matches" :
					   "removed though it does not match");
	}
}

static const char *const fixed[] = {
	"unreplied",
	"tcp state SYN_SENT,SYN_RECV",
	"not assured udp",
	"src 10.1.0.0/16",
	"dst 2001:db8::/48 port 80-443",
	"host 10.0.0.0/8 not sport 1000-50000",
	"zone 2 mark 0x10/0xf0",
	"app 3 ipv4",
	"age > 1h idle <= 10m",
	"ipv6 not established",
	"not src 10.0.0.0/8 not dst 10.0.0.0/8",
	"icmpv6",
	"not tcp ipv6",
	"adopted midstream",
	"replied dport 53",
	"sctp",
};

static const char *const fragments[] = {
	"tcp",
	"udp",
	"not tcp",
	"unreplied",
	"replied",
	"assured",
	"unassured",
	"syn_sent",
	"state ESTABLISHED,TIME_WAIT",
	"src 10.0.0.0/15",
	"dst 192.0.2.0/24",
	"host fd00::/16",
	"not host 198.51.100.0/25",
	"port 40000-65535",
	"sport 443",
	"not dport 22-80",
	"zone 1",
	"not zone 0",
	"mark 0/0xff",
	"app 0",
	"age < 30m",
	"idle > 5m",
	"ipv4",
	"ipv6",
	"midstream",
	"not adopted",
};

static int words_of(char *buf, char **argv, int max)
{
	int n = 0;
	char *tok;

	for (tok = strtok(buf, " "); tok && n < max; tok = strtok(NULL, " "))
		argv[n++] = tok;
	return n;
}

static void run_case(struct tables *t, const char *text)
{
	struct nfx_flush_result r;
	struct nfx_flow_pred p;
	char buf[256], *argv[32];
	__u64 want = 0;
	int argc, i;

	snprintf(buf, sizeof(buf), "%s", text);
	argc = words_of(buf, argv, 32);
	if (nfx_pred_parse(argc, argv, &p))
		TAP_FAIL("'%s': %s", text, nfx_errmsg());
	for (i = 0; i < POP; i++)
		want += nfx_pred_match(&p, &pop[i], NOW);

	fill(t);
	if (nfx_flush_fds(t->fd[0], t->fd[1], &p, true, NOW, &r))
		TAP_FAIL("dry run '%s': %s", text, nfx_errmsg());
	if (r.matched[0] + r.matched[1] != want || r.removed[0] + r.removed[1])
		TAP_FAIL("dry run '%s': matched %llu removed %llu, reference %llu", text,
			 (unsigned long long)(r.matched[0] + r.matched[1]),
			 (unsigned long long)(r.removed[0] + r.removed[1]),
			 (unsigned long long)want);
	check_rest(t, &p, false, "dry run changes nothing");

	if (nfx_flush_fds(t->fd[0], t->fd[1], &p, false, NOW, &r))
		TAP_FAIL("flush '%s': %s", text, nfx_errmsg());
	if (r.examined[0] + r.examined[1] != POP)
		TAP_FAIL("'%s': examined %llu of %d", text,
			 (unsigned long long)(r.examined[0] + r.examined[1]), POP);
	if (r.removed[0] + r.removed[1] != want)
		TAP_FAIL("'%s': removed %llu, reference matches %llu", text,
			 (unsigned long long)(r.removed[0] + r.removed[1]),
			 (unsigned long long)want);
	check_rest(t, &p, true, text);
	clear(t);
}

TEST(flush_matches_reference)
{
	struct tables t;
	size_t i;
	int k, tried = 0;

	if (geteuid())
		SKIP("needs root for BPF");
	if (tables_open(&t))
		SKIP("cannot create BPF maps: %s", strerror(errno));
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		run_case(&t, fixed[i]);
	/* random conjunctions of fragments */
	for (k = 0; k < 60 && tried < 30; k++) {
		char text[256] = "";
		struct nfx_flow_pred p;
		char buf[256], *argv[32];
		int n = 1 + random() % 3, j;

		for (j = 0; j < n; j++) {
			size_t len = strlen(text);

			snprintf(text + len, sizeof(text) - len, "%s%s", j ? " " : "",
				 fragments[random() % (sizeof(fragments) / sizeof(fragments[0]))]);
		}
		snprintf(buf, sizeof(buf), "%s", text);
		if (nfx_pred_parse(words_of(buf, argv, 32), argv, &p))
			continue;	/* e.g. "tcp udp": a condition given twice */
		run_case(&t, text);
		tried++;
	}
	ASSERT_GE(tried, 20, "random predicates run");
	close(t.fd[0]);
	close(t.fd[1]);
}

TEST(flush_empty_predicate_removes_all)
{
	struct nfx_flow_pred p = { .age_max = ~0ull, .idle_max = ~0ull };
	struct nfx_flush_result r;
	struct tables t;
	__u64 k;
	int i;

	if (geteuid())
		SKIP("needs root for BPF");
	if (tables_open(&t))
		SKIP("cannot create BPF maps: %s", strerror(errno));
	fill(&t);
	ASSERT_EQ(nfx_flush_fds(t.fd[0], t.fd[1], &p, false, NOW, &r), 0, "flush");
	ASSERT_EQ(r.removed[0] + r.removed[1], POP, "all removed");
	for (i = 0; i < 2; i++)
		ASSERT_NE(bpf_map_get_next_key(t.fd[i], NULL, &k), 0, "tier empty");
	close(t.fd[0]);
	close(t.fd[1]);
}

int main(void)
{
	return tap_run();
}

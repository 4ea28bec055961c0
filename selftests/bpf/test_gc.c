// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flood resistance, quotas and the garbage collector, through
 * BPF_PROG_TEST_RUN on small tables (bpf_map__set_max_entries).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "nfx/gc.h"
#include "nfx_xdp.skel.h"
#include "nfx_gc.skel.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

#define TIER 256 /* entries per tier in these tests */
#define ESTABLISHED 64
#define SERVER "198.51.100.1"

static void config(int cfg_fd, int link_fd, __u64 capacity)
{
	struct nfx_config cfg = {};
	struct nfx_link_conf lc = { .ifindex = 1, .flags = NFX_CFG_READY };
	__u32 zero = 0;
	int i;

	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 120;
	cfg.timeouts.tcp[FLOW_TCP_ESTABLISHED] = 3600;
	cfg.timeouts.udp_unreplied = 30;
	cfg.timeouts.udp_assured = 120;
	cfg.timeouts.icmp = 30;
	cfg.timeouts.other = 600;
	nfx_gc_defaults(&cfg, capacity);
	cfg.flags = NFX_CFG_READY;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, 0) ||
	    (link_fd >= 0 && bpf_map_update_elem(link_fd, &zero, &lc, 0)))
		TAP_FAIL("write configuration: %s", strerror(errno));
}

static void set_gc(int cfg_fd, const char *key, const char *val)
{
	struct nfx_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg) ||
	    nfx_gc_conf_set(&cfg, key, val, 2 * TIER, NULL) ||
	    bpf_map_update_elem(cfg_fd, &zero, &cfg, 0))
		TAP_FAIL("set %s=%s: %s", key, val, nfx_errmsg());
}

static struct nfx_xdp_bpf *xdp_open(void)
{
	struct nfx_xdp_bpf *skel = nfx_xdp_bpf__open();

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.nfx_flows, TIER);
	bpf_map__set_max_entries(skel->maps.nfx_flows_new, TIER);
	skel->rodata->features = 0; /* no kernel conntrack adoption */
	skel->rodata->hash_key[0] = 0x0123456789abcdefull;
	skel->rodata->hash_key[1] = 0xfedcba9876543210ull;
	if (nfx_xdp_bpf__load(skel)) {
		nfx_xdp_bpf__destroy(skel);
		return NULL;
	}
	config(bpf_map__fd(skel->maps.nfx_config), bpf_map__fd(skel->maps.nfx_link), 2 * TIER);
	return skel;
}

static void run_pkt(struct nfx_xdp_bpf *skel, const struct pkt_spec *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	static uint8_t buf[256];
	size_t len = pkt_build(s, buf, sizeof(buf));

	o.data_in = buf;
	o.data_size_in = len;
	if (!len || bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &o))
		TAP_FAIL("test run: %s", strerror(errno));
	if (o.retval != XDP_PASS)
		TAP_FAIL("verdict %u", o.retval);
}

static __u64 stat_of(struct nfx_xdp_bpf *skel, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct nfx_counter v[ncpu];
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_stats), &idx, v))
		TAP_FAIL("stats: %s", strerror(errno));
	for (c = 0; c < ncpu; c++)
		sum += v[c].packets;
	return sum;
}

/* Entries of a tier; with want_port, those whose server port is it. */
static int count_tier(int fd, __u64 *pkts)
{
	__u64 key, next;
	struct flow_entry e;
	int n = 0;
	void *prev = NULL;

	if (pkts)
		*pkts = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e))
			continue;
		n++;
		if (pkts)
			*pkts += e.packets[0] + e.packets[1];
	}
	return n;
}

static void client(char *buf, int i)
{
	sprintf(buf, "192.0.2.%d", 1 + i % 200);
}

static void handshake(struct nfx_xdp_bpf *skel, int i)
{
	char c[32];
	struct pkt_spec s;
	__u16 port = 20000 + i;

	client(c, i);
	s = (struct pkt_spec)PKT_TCP4(c, port, SERVER, 80, PKT_SYN);
	run_pkt(skel, &s);
	s = (struct pkt_spec)PKT_TCP4(SERVER, 80, c, port, PKT_SYN | PKT_ACK);
	run_pkt(skel, &s);
	s = (struct pkt_spec)PKT_TCP4(c, port, SERVER, 80, PKT_ACK);
	run_pkt(skel, &s);
}

static void spoofed(char *buf, bool v6)
{
	if (v6)
		sprintf(buf, "2001:db8:%x:%x::%x", (unsigned)random() & 0xffff,
			(unsigned)random() & 0xffff, (unsigned)random() & 0xffff);
	else
		sprintf(buf, "10.%ld.%ld.%ld", random() % 256, random() % 256, 1 + random() % 254);
}

static void pin_to_one_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("#   cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

TEST(flood_never_evicts_assured)
{
	struct nfx_xdp_bpf *skel;
	__u64 pk0, pk1, hits0, created;
	int i, afd, nfd;

	if (geteuid())
		SKIP("needs root for BPF");
	skel = xdp_open();
	if (!skel)
		SKIP("cannot load nfx_xdp: %s", strerror(errno));
	afd = bpf_map__fd(skel->maps.nfx_flows);
	nfd = bpf_map__fd(skel->maps.nfx_flows_new);
	/*
	 * The LRU tier keeps free elements per CPU: a run that migrates
	 * between CPUs can leave part of the tier in another CPU's list and
	 * never fill it. One CPU makes the fill level a property of nfx.
	 */
	pin_to_one_cpu();
	for (i = 0; i < ESTABLISHED; i++)
		handshake(skel, i);
	ASSERT_EQ(count_tier(afd, NULL), ESTABLISHED, "established flows are assured");
	ASSERT_EQ(count_tier(nfd, NULL), 0, "unassured tier empty");

	/* 10x the whole table of spoofed SYNs and spoofed UDP, v4 and v6 */
	srandom(1);
	for (i = 0; i < 10 * 2 * TIER; i++) {
		char src[64];
		struct pkt_spec s;
		bool v6 = i % 4 == 3;

		spoofed(src, v6);
		if (i % 2)
			s = (struct pkt_spec){ .family = v6 ? 6 : 4,
					       .proto = 6,
					       .src = src,
					       .dst = v6 ? "2001:db8:ffff::1" : SERVER,
					       .sport = 1024 + random() % 60000,
					       .dport = 80,
					       .tcp_flags = PKT_SYN };
		else
			s = (struct pkt_spec){ .family = v6 ? 6 : 4,
					       .proto = 17,
					       .src = src,
					       .dst = v6 ? "2001:db8:ffff::1" : SERVER,
					       .sport = 1024 + random() % 60000,
					       .dport = 53 };
		run_pkt(skel, &s);
	}
	created = stat_of(skel, NFX_STAT_FLOW_NEW);
	ASSERT_GE(created, ESTABLISHED + 10 * TIER, "the flood created flows");
	ASSERT_GE(count_tier(nfd, NULL), TIER * 9 / 10, "the flood filled the unassured tier");
	ASSERT_EQ(count_tier(afd, &pk0), ESTABLISHED, "every established flow still in place");

	/* and every one still works: one lookup, a hit, its counters move */
	hits0 = stat_of(skel, NFX_STAT_FLOW_HIT);
	for (i = 0; i < ESTABLISHED; i++) {
		char c[32];
		struct pkt_spec s;

		client(c, i);
		s = (struct pkt_spec)PKT_TCP4(c, 20000 + i, SERVER, 80, PKT_ACK | PKT_PSH);
		s.payload = "data";
		s.payload_len = 4;
		run_pkt(skel, &s);
	}
	ASSERT_EQ(stat_of(skel, NFX_STAT_FLOW_HIT) - hits0, ESTABLISHED, "each flow found");
	ASSERT_EQ(count_tier(afd, &pk1), ESTABLISHED, "no flow created anew");
	ASSERT_EQ(pk1 - pk0, ESTABLISHED, "each flow counted its packet");
	nfx_xdp_bpf__destroy(skel);
}

TEST(quota_per_source_prefix)
{
	struct nfx_xdp_bpf *skel;
	int i, nfd, cfd;
	char src[32];
	struct pkt_spec s;

	if (geteuid())
		SKIP("needs root for BPF");
	skel = xdp_open();
	if (!skel)
		SKIP("cannot load nfx_xdp: %s", strerror(errno));
	nfd = bpf_map__fd(skel->maps.nfx_flows_new);
	cfd = bpf_map__fd(skel->maps.nfx_config);
	set_gc(cfd, "quota", "8");
	set_gc(cfd, "quota.prefix4", "24");
	for (i = 0; i < 50; i++) {
		sprintf(src, "203.0.113.%d", 1 + i);
		s = (struct pkt_spec)PKT_TCP4(src, 30000 + i, SERVER, 80, PKT_SYN);
		run_pkt(skel, &s);
	}
	ASSERT_EQ(count_tier(nfd, NULL), 8, "one /24 holds its quota only");
	ASSERT_EQ(stat_of(skel, NFX_STAT_FLOW_QUOTA), 42, "refusals counted");
	s = (struct pkt_spec)PKT_TCP4("203.0.114.1", 30000, SERVER, 80, PKT_SYN);
	run_pkt(skel, &s);
	ASSERT_EQ(count_tier(nfd, NULL), 9, "another /24 is not affected");

	/* completing a handshake gives the quota back */
	s = (struct pkt_spec)PKT_TCP4(SERVER, 80, "203.0.113.1", 30000, PKT_SYN | PKT_ACK);
	run_pkt(skel, &s);
	s = (struct pkt_spec)PKT_TCP4("203.0.113.1", 30000, SERVER, 80, PKT_ACK);
	run_pkt(skel, &s);
	ASSERT_EQ(count_tier(bpf_map__fd(skel->maps.nfx_flows), NULL), 1, "promoted");
	s = (struct pkt_spec)PKT_TCP4("203.0.113.200", 31000, SERVER, 80, PKT_SYN);
	run_pkt(skel, &s);
	ASSERT_EQ(count_tier(nfd, NULL), 9, "a slot was free again");
	ASSERT_EQ(stat_of(skel, NFX_STAT_FLOW_QUOTA), 42, "not refused");
	nfx_xdp_bpf__destroy(skel);
}

/* ---- the collector ---- */

#define NOW (50000ull * 1000000000ull)
#define SEC 1000000000ull

static struct nfx_gc_bpf *gc_open(void)
{
	struct nfx_gc_bpf *skel = nfx_gc_bpf__open();

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.nfx_flows, 4 * TIER);
	bpf_map__set_max_entries(skel->maps.nfx_flows_new, 4 * TIER);
	if (nfx_gc_bpf__load(skel)) {
		nfx_gc_bpf__destroy(skel);
		return NULL;
	}
	config(bpf_map__fd(skel->maps.nfx_config), bpf_map__fd(skel->maps.nfx_link), 8 * TIER);
	return skel;
}

/* In a TEST: the collector on maps of its own, or SKIP with the reason. */
#define GC_OPEN_OR_SKIP(skel) \
	do { \
		if (geteuid()) \
			SKIP("needs root for BPF"); \
		(skel) = gc_open(); \
		if (!(skel)) \
			SKIP("cannot load nfx_gc: %s", strerror(errno)); \
	} while (0)

static void put_flows(int fd, int n, __u8 proto, __u8 flags, __u8 state, __u64 last_seen)
{
	struct flow_entry e = {};
	__u64 key;
	int i;

	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		nfx_addr_parse("192.0.0.0", &e.key.lo_addr); /* + i below */
		nfx_addr_parse(SERVER, &e.key.hi_addr);
		e.key.lo_addr.b[14] = i >> 8;
		e.key.lo_addr.b[15] = i;
		e.key.lo_port = htons(1000 + i);
		e.key.hi_port = htons(80);
		e.key.proto = proto;
		e.key.family = NFX_AF_INET;
		e.flags = flags;
		e.tcp_state = state;
		e.first_seen = last_seen;
		e.last_seen = last_seen;
		key = 0x1000000ull * proto + 0x100000ull * flags + i;
		if (bpf_map_update_elem(fd, &key, &e, BPF_NOEXIST))
			TAP_FAIL("insert: %s", strerror(errno));
	}
}

static void gc_state(struct nfx_gc_bpf *skel, struct nfx_gc_state *st)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_gc), &zero, st))
		TAP_FAIL("gc state: %s", strerror(errno));
}

/* Run slices until n more cycles are complete. (Timing loops below wait up
 * to 10 s: the machine may be loaded; they end as soon as the state is seen.) */
static void gc_cycles(struct nfx_gc_bpf *skel, int n)
{
	struct nfx_gc_state st;
	__u64 want;
	int i;

	gc_state(skel, &st);
	want = st.cycles + n;
	for (i = 0; i < 1000 && st.cycles < want; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_gc_step), &o) ||
		    o.retval)
			TAP_FAIL("gc step: %s / %d", strerror(errno), (int)o.retval);
		gc_state(skel, &st);
	}
	if (st.cycles < want)
		TAP_FAIL("collector made no progress");
}

TEST(gc_expires_by_protocol_and_state)
{
	struct nfx_gc_bpf *skel;
	int afd, nfd;

	GC_OPEN_OR_SKIP(skel);
	skel->bss->now_ns = NOW;
	afd = bpf_map__fd(skel->maps.nfx_flows);
	nfd = bpf_map__fd(skel->maps.nfx_flows_new);
	set_gc(bpf_map__fd(skel->maps.nfx_config), "slice", "7"); /* many slices per walk */
	/* UDP unreplied 30 s: 40 s idle goes, 20 s idle stays */
	put_flows(nfd, 50, 17, FLOW_F_SEEN_LO, 0, NOW - 40 * SEC);
	put_flows(nfd, 30, 17, FLOW_F_SEEN_HI, 0, NOW - 20 * SEC);
	/* TCP ESTABLISHED 3600 s stays; TIME_WAIT 120 s goes after 200 s */
	put_flows(afd, 40, 6, FLOW_F_ASSURED, FLOW_TCP_ESTABLISHED, NOW - 200 * SEC);
	put_flows(afd, 20, 6, FLOW_F_ASSURED | FLOW_F_SEEN_HI, FLOW_TCP_TIME_WAIT, NOW - 200 * SEC);
	gc_cycles(skel, 1);
	ASSERT_EQ(count_tier(nfd, NULL), 30, "unassured tier: expired UDP removed, live kept");
	ASSERT_EQ(count_tier(afd, NULL), 40, "assured tier: TIME_WAIT removed, ESTABLISHED kept");
	{
		struct nfx_gc_state st;

		gc_state(skel, &st);
		ASSERT_EQ(st.removed, 70, "removals counted");
		ASSERT_EQ(st.fill, 70, "fill level");
		ASSERT_GT(st.slices, 10, "walked in slices");
	}
	nfx_gc_bpf__destroy(skel);
}

TEST(gc_recounts_quotas)
{
	struct nfx_quota_key k, gone;
	struct nfx_quota_val v = { .count = 5 }, got;
	union nfx_addr a;
	struct nfx_gc_bpf *skel;
	int qfd;

	GC_OPEN_OR_SKIP(skel);
	skel->bss->now_ns = NOW;
	qfd = bpf_map__fd(skel->maps.nfx_quota);
	set_gc(bpf_map__fd(skel->maps.nfx_config), "quota", "5");
	/* 3 live unassured flows from 192.0.0.0/24 (put_flows), but the count drifted to 5
	 * (evictions are not followed per packet); another prefix has none left */
	put_flows(bpf_map__fd(skel->maps.nfx_flows_new), 3, 17, FLOW_F_SEEN_LO, 0, NOW);
	nfx_addr_parse("192.0.0.0", &a);
	nfx_quota_key_make(&k, &a, NFX_AF_INET, 24, 64);
	nfx_addr_parse("203.0.113.0", &a);
	nfx_quota_key_make(&gone, &a, NFX_AF_INET, 24, 64);
	ASSERT_EQ(bpf_map_update_elem(qfd, &k, &v, 0), 0, "drifted count");
	ASSERT_EQ(bpf_map_update_elem(qfd, &gone, &v, 0), 0, "stale prefix");
	gc_cycles(skel, 1);
	ASSERT_EQ(bpf_map_lookup_elem(qfd, &k, &got), 0, "prefix kept");
	ASSERT_EQ(got.count, 3, "count set to the live flows");
	ASSERT_NE(bpf_map_lookup_elem(qfd, &gone, &got), 0, "prefix without flows forgotten");
	nfx_gc_bpf__destroy(skel);
}

/* Queue of a tier, read from the collector's state. */
static struct nfx_gc_queue queue_of(int gc_fd, __u32 tier)
{
	struct nfx_gc_state st;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(gc_fd, &zero, &st))
		TAP_FAIL("gc state: %s", strerror(errno));
	return st.queue[tier];
}

/* Age flows first..first+n-1 of those put_flows(..., proto, flags, ...) put. */
static void age_flows(int fd, int first, int n, __u8 proto, __u8 flags, __u64 last_seen)
{
	struct flow_entry e;
	__u64 key;
	int i;

	for (i = first; i < first + n; i++) {
		key = 0x1000000ull * proto + 0x100000ull * flags + i;
		if (bpf_map_lookup_elem(fd, &key, &e))
			TAP_FAIL("age: %s", strerror(errno));
		e.last_seen = last_seen;
		if (bpf_map_update_elem(fd, &key, &e, BPF_EXIST))
			TAP_FAIL("age: %s", strerror(errno));
	}
}

/*
 * After the first cycle (a rescan, for flows put from user space) the
 * collector visits its queue: a pass costs the flows it holds plus the
 * slots of flows gone, never a walk of the table.
 */
TEST(gc_pass_costs_what_the_queue_holds)
{
	struct nfx_gc_state st0, st1;
	struct nfx_gc_queue q;
	struct nfx_gc_bpf *skel;
	int afd, gfd, i;
	__u64 key;

	GC_OPEN_OR_SKIP(skel);
	skel->bss->now_ns = NOW;
	afd = bpf_map__fd(skel->maps.nfx_flows);
	gfd = bpf_map__fd(skel->maps.nfx_gc);
	set_gc(bpf_map__fd(skel->maps.nfx_config), "slice", "16");
	put_flows(afd, 100, 6, FLOW_F_ASSURED, FLOW_TCP_ESTABLISHED, NOW);
	gc_cycles(skel, 1);
	q = queue_of(gfd, NFX_GC_TIER_ASSURED);
	ASSERT_EQ(q.rescans, 1, "first pass over the assured tier is a rescan");
	ASSERT_EQ(q.head - q.tail, 100, "the rescan registered every flow");

	gc_state(skel, &st0);
	gc_cycles(skel, 1);
	gc_state(skel, &st1);
	q = queue_of(gfd, NFX_GC_TIER_ASSURED);
	ASSERT_EQ(q.rescans, 1, "no rescan while nothing overflowed");
	ASSERT_EQ(st1.examined - st0.examined, 100, "a cycle examines the live flows once");
	ASSERT_GE(st1.slices - st0.slices, 100 / 16, "in slices of at most 16");
	ASSERT_EQ(st1.fill, 100, "fill level from the queue pass");

	/* 30 flows flushed behind the collector's back: their slots are stale */
	for (i = 0; i < 30; i++) {
		key = 0x1000000ull * 6 + 0x100000ull * FLOW_F_ASSURED + i;
		if (bpf_map_delete_elem(afd, &key))
			TAP_FAIL("delete: %s", strerror(errno));
	}
	/* 20 of the 70 left idle past ESTABLISHED's 3600 s */
	age_flows(afd, 30, 20, 6, FLOW_F_ASSURED, NOW - 4000 * SEC);
	gc_state(skel, &st0);
	q = queue_of(gfd, NFX_GC_TIER_ASSURED);
	gc_cycles(skel, 1);
	gc_state(skel, &st1);
	ASSERT_EQ(queue_of(gfd, NFX_GC_TIER_ASSURED).stale - q.stale, 30,
		  "slots of the flushed flows skipped");
	ASSERT_EQ(st1.examined - st0.examined, 70, "the others examined");
	ASSERT_EQ(st1.removed - st0.removed, 20, "the idle ones removed from the queue pass");
	ASSERT_EQ(count_tier(afd, NULL), 50, "live flows kept");
	q = queue_of(gfd, NFX_GC_TIER_ASSURED);
	ASSERT_EQ(q.head - q.tail, 50, "and queued for the next pass");
	ASSERT_EQ(q.rescans, 1, "still no rescan");
	nfx_gc_bpf__destroy(skel);
}

/* The collector on the datapath's maps, as the loader sets it up from pins. */
static struct nfx_gc_bpf *gc_open_on(struct nfx_xdp_bpf *xdp)
{
	struct nfx_gc_bpf *skel = nfx_gc_bpf__open();
	struct bpf_map *m, *dm;

	if (!skel)
		return NULL;
	bpf_object__for_each_map(m, skel->obj) {
		if (bpf_map__is_internal(m))
			continue;
		dm = bpf_object__find_map_by_name(xdp->obj, bpf_map__name(m));
		if (!dm || bpf_map__reuse_fd(m, bpf_map__fd(dm))) {
			TAP_FAIL("map %s not shared", bpf_map__name(m));
			nfx_gc_bpf__destroy(skel);
			return NULL;
		}
	}
	if (nfx_gc_bpf__load(skel)) {
		nfx_gc_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void udp_flows(struct nfx_xdp_bpf *skel, int first, int n)
{
	struct pkt_spec s;
	char c[32];
	int i;

	for (i = first; i < first + n; i++) {
		client(c, i);
		s = (struct pkt_spec)PKT_UDP4(c, 30000 + i, SERVER, 53);
		run_pkt(skel, &s);
	}
}

/*
 * Flows the datapath creates and promotes are queued as they appear; a
 * queue that overflows is rebuilt by a rescan, after which every flow is
 * queued once again.
 */
TEST(gc_queue_follows_the_datapath)
{
	struct nfx_gc_state st0, st1;
	struct nfx_gc_queue q;
	struct nfx_xdp_bpf *xdp;
	struct nfx_gc_bpf *gc;
	int gfd, i;

	if (geteuid())
		SKIP("needs root for BPF");
	xdp = nfx_xdp_bpf__open();
	if (!xdp)
		SKIP("cannot open nfx_xdp: %s", strerror(errno));
	bpf_map__set_max_entries(xdp->maps.nfx_flows, TIER);
	bpf_map__set_max_entries(xdp->maps.nfx_flows_new, TIER);
	bpf_map__set_max_entries(xdp->maps.nfx_gcq, 2 * TIER);
	bpf_map__set_max_entries(xdp->maps.nfx_gcq_new, 64); /* small: overflows */
	xdp->rodata->features = 0;
	if (nfx_xdp_bpf__load(xdp)) {
		nfx_xdp_bpf__destroy(xdp);
		SKIP("cannot load nfx_xdp: %s", strerror(errno));
	}
	config(bpf_map__fd(xdp->maps.nfx_config), bpf_map__fd(xdp->maps.nfx_link), 2 * TIER);
	gc = gc_open_on(xdp);
	if (!gc) {
		nfx_xdp_bpf__destroy(xdp);
		SKIP("cannot load nfx_gc: %s", strerror(errno));
	}
	gfd = bpf_map__fd(gc->maps.nfx_gc);
	set_gc(bpf_map__fd(xdp->maps.nfx_config), "slice", "1000");

	for (i = 0; i < 10; i++)
		handshake(xdp, i);
	udp_flows(xdp, 0, 5);
	q = queue_of(gfd, NFX_GC_TIER_ASSURED);
	ASSERT_EQ(q.head, 10, "each promotion queued in the assured tier");
	q = queue_of(gfd, NFX_GC_TIER_NEW);
	ASSERT_EQ(q.head, 15, "each creation queued in the unassured tier");
	gc_cycles(gc, 1); /* the first: rescans */

	udp_flows(xdp, 100, 7);
	gc_state(gc, &st0);
	gc_cycles(gc, 1);
	gc_state(gc, &st1);
	ASSERT_EQ(st1.examined - st0.examined, 10 + 5 + 7, "new flows visited from the queue");
	ASSERT_EQ(queue_of(gfd, NFX_GC_TIER_NEW).rescans, 1, "no rescan");

	/*
	 * 30 flows promoted leave 30 stale slots in the unassured queue of
	 * 64, which then overflows with 30 more creations: 12 + 30 + 30 > 64
	 */
	for (i = 10; i < 40; i++)
		handshake(xdp, i);
	udp_flows(xdp, 200, 30);
	q = queue_of(gfd, NFX_GC_TIER_NEW);
	ASSERT_GT(q.lost, 0, "overflow counted");
	gc_cycles(gc, 1);
	q = queue_of(gfd, NFX_GC_TIER_NEW);
	ASSERT_EQ(q.rescans, 2, "overflow answered by a rescan");
	ASSERT_EQ(q.head - q.tail, 5 + 7 + 30, "which queued every unassured flow again");
	gc_state(gc, &st0);
	gc_cycles(gc, 1);
	gc_state(gc, &st1);
	ASSERT_EQ(st1.examined - st0.examined, 40 + 5 + 7 + 30, "and the queue passes resume");
	ASSERT_EQ(queue_of(gfd, NFX_GC_TIER_NEW).rescans, 2, "without another rescan");
	ASSERT_EQ(queue_of(gfd, NFX_GC_TIER_ASSURED).rescans, 1, "the other tier kept its queue");
	nfx_gc_bpf__destroy(gc);
	nfx_xdp_bpf__destroy(xdp);
}

/* Scale after two cycles over n assured flows idle 60 s (timeout 100 s). */
static __u32 adaptive_case(int n, int *left)
{
	struct nfx_gc_bpf *skel = gc_open();
	struct nfx_gc_state st;
	int cfd;

	if (!skel)
		SKIP("cannot load nfx_gc: %s", strerror(errno));
	skel->bss->now_ns = NOW;
	cfd = bpf_map__fd(skel->maps.nfx_config);
	set_gc(cfd, "tcp.established", "100s");
	set_gc(cfd, "adaptive.start", "100");
	set_gc(cfd, "adaptive.end", "300");
	put_flows(bpf_map__fd(skel->maps.nfx_flows), n, 6, FLOW_F_ASSURED, FLOW_TCP_ESTABLISHED,
		  NOW - 60 * SEC);
	gc_cycles(skel, 2);
	gc_state(skel, &st);
	*left = count_tier(bpf_map__fd(skel->maps.nfx_flows), NULL);
	nfx_gc_bpf__destroy(skel);
	return st.scale_ppm;
}

TEST(adaptive_timeouts_shorten_as_fill_rises)
{
	__u32 s50, s150, s250;
	int l50, l150, l250;

	if (geteuid())
		SKIP("needs root for BPF");
	s50 = adaptive_case(50, &l50);
	s150 = adaptive_case(150, &l150);
	s250 = adaptive_case(250, &l250);
	ASSERT_EQ(s50, NFX_GC_SCALE_ONE, "below adaptive.start: full timeouts");
	ASSERT_EQ(l50, 50, "idle 60 s < 100 s kept");
	ASSERT_EQ(s150, 750000, "fill 150 of 100..300: 75%");
	ASSERT_EQ(l150, 150, "idle 60 s < 75 s kept");
	/* fill 250: 25% -> 25 s: the flows go; the scale then relaxes */
	ASSERT_EQ(l250, 0, "idle 60 s > 25 s removed under pressure");
	ASSERT_GT(s50, s150, "scale falls with fill");
	ASSERT_EQ(nfx_gc_scale(250, 100, 300), 250000, "scale at fill 250");
	ASSERT_EQ(nfx_gc_scale(300, 100, 300), 0, "scale at adaptive.end");
	ASSERT_EQ(s250, NFX_GC_SCALE_ONE, "table empty again: full timeouts");
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec;
}

TEST(timer_collects_and_goes_with_the_map)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct nfx_gc_bpf *skel;
	struct nfx_gc_state st;
	int nfd, i, fd;

	GC_OPEN_OR_SKIP(skel);
	nfd = bpf_map__fd(skel->maps.nfx_flows_new);
	set_gc(bpf_map__fd(skel->maps.nfx_config), "interval", "10ms");
	set_gc(bpf_map__fd(skel->maps.nfx_config), "interval.max", "80ms");
	/* 1 s timeout and flows last seen at boot: works however short the uptime */
	set_gc(bpf_map__fd(skel->maps.nfx_config), "udp.unreplied", "1s");
	put_flows(nfd, 40, 17, FLOW_F_SEEN_LO, 0, 1);
	put_flows(nfd, 10, 17, FLOW_F_SEEN_HI, 0, mono_ns() + 3600 * SEC);
	ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_gc_start), &o), 0,
		  "start");
	ASSERT_EQ((int)o.retval, 0, "timer armed");
	for (i = 0; i < 1000 && count_tier(nfd, NULL) > 10; i++)
		usleep(10000);
	gc_state(skel, &st);
	if (count_tier(nfd, NULL) != 10)
		TAP_FAIL(
			"the timer removed %d of 40 expired flows (armed %u, slices %llu, examined %llu)",
			50 - count_tier(nfd, NULL), st.armed, (unsigned long long)st.slices,
			(unsigned long long)st.examined);
	for (i = 0; i < 1000; i++) {
		gc_state(skel, &st);
		if (st.slices >= 3)
			break;
		usleep(10000);
	}
	ASSERT_EQ(st.armed, 1, "armed");
	ASSERT_GE(st.slices, 3, "re-arms itself");
	/* nothing left to expire: the delay backs off to interval.max */
	for (i = 0; i < 1000; i++) {
		gc_state(skel, &st);
		if (st.delay_ms == 80)
			break;
		usleep(10000);
	}
	ASSERT_EQ(st.delay_ms, 80, "backed off to interval.max");

	if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.nfx_gc_start), &info, &len))
		TAP_FAIL("prog info: %s", strerror(errno));
	nfx_gc_bpf__destroy(skel);
	/* the last reference of the map gone, the kernel frees timer and program */
	for (i = 0; i < 1000; i++) {
		fd = bpf_prog_get_fd_by_id(info.id);
		if (fd < 0)
			break;
		close(fd);
		usleep(10000);
	}
	ASSERT_LT(fd, 0, "no program left behind");
}

int main(void)
{
	return tap_run();
}

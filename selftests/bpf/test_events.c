// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The event channel through BPF_PROG_TEST_RUN: the flow stage emits into
 * small per-CPU rings, read back with libnfx's events API.
 *
 * The test thread is pinned to one CPU: an XDP test run executes on the
 * calling CPU with migration disabled, so every event lands in that CPU's
 * ring and the capacity arithmetic below is exact.
 */
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/consts.h"
#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "nfx_xdp.skel.h"
#include "../lib/tap.h"
#include "../lib/pkt.h"

#define RING_BYTES 4096
/* Each record takes its 8-byte header plus 128 bytes; a ring accepts a
 * record while producer - consumer stays below its size. */
#define REC_BYTES (8 + sizeof(struct nfx_event))
#define RING_CAP ((RING_BYTES - 1) / REC_BYTES)

#define MAX_SEEN 1024

struct fixture {
	struct nfx_xdp_bpf *skel;
	struct nfx_events *evs;
	int cpu;
	struct nfx_event seen[MAX_SEEN];
	int nseen;
};

static struct fixture fx;

static int on_event(const struct nfx_event *ev, void *ctx)
{
	struct fixture *f = ctx;

	if (f->nseen < MAX_SEEN)
		f->seen[f->nseen++] = *ev;
	return 0;
}

static void teardown(void)
{
	nfx_events_close(fx.evs);
	nfx_xdp_bpf__destroy(fx.skel);
	fx.evs = NULL;
	fx.skel = NULL;
	fx.nseen = 0;
}

/* Load the pipeline with tiny rings; udp_timeout 0 expires UDP at once. */
static int setup(__u32 udp_timeout)
{
	struct nfx_event_conf conf = {
		.types = NFX_EVENT_TYPES_ALL,
		.wakeup_every = 8,
		.ring_bytes = RING_BYTES,
	};
	struct nfx_events_opts eo = { .sz = sizeof(eo), .cb = on_event, .ctx = &fx };
	struct nfx_link_conf lc = { .ifindex = 1, .flags = NFX_CFG_READY };
	struct nfx_config cfg = { .flags = NFX_CFG_READY };
	cpu_set_t set;
	__u32 zero = 0;
	int i;

	teardown();
	CPU_ZERO(&set);
	fx.cpu = sched_getcpu();
	CPU_SET(fx.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	fx.skel = nfx_xdp_bpf__open();
	if (!fx.skel)
		return -errno;
	fx.skel->rodata->hash_key[0] = 0x0123456789abcdefull;
	fx.skel->rodata->hash_key[1] = 0xfedcba9876543210ull;
	fx.skel->rodata->features = 0;
	if (nfx_xdp_bpf__load(fx.skel))
		return errno ? -errno : -EINVAL;
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 60;
	cfg.timeouts.udp_unreplied = udp_timeout;
	cfg.timeouts.udp_assured = udp_timeout;
	cfg.timeouts.icmp = cfg.timeouts.other = 30;
	if (bpf_map_update_elem(bpf_map__fd(fx.skel->maps.nfx_config), &zero, &cfg, 0) ||
	    bpf_map_update_elem(bpf_map__fd(fx.skel->maps.nfx_link), &zero, &lc, 0))
		return -errno;
	i = nfx_events_rings_create(bpf_map__fd(fx.skel->maps.nfx_event_rings),
				    bpf_map__fd(fx.skel->maps.nfx_event_conf), &conf);
	if (i < 0)
		return i;
	eo.rings_fd = bpf_map__fd(fx.skel->maps.nfx_event_rings);
	return nfx_events_open(NULL, &eo, &fx.evs);
}

static int run_pkt(const struct pkt_spec *s)
{
	static uint8_t buf[256];
	size_t len = pkt_build(s, buf, sizeof(buf));
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = buf,
		.data_size_in = len,
		.repeat = 1,
	};
	int err = bpf_prog_test_run_opts(bpf_program__fd(fx.skel->progs.nfx_xdp), &o);

	return err ? -errno : (int)o.retval;
}

static int udp_flows(int first_port, int n)
{
	int i, r;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = PKT_UDP4("192.0.2.1", first_port + i, "198.51.100.1", 53);

		r = run_pkt(&s);
		if (r != NFX_XDP_PASS)
			return r < 0 ? r : -EPROTO;
	}
	return 0;
}

static void counters(__u64 *tot)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus * NFX_EVS_MAX];
	__u32 zero = 0;
	int c, i;

	memset(tot, 0, sizeof(__u64) * NFX_EVS_MAX);
	if (bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.nfx_event_stats), &zero, vals))
		return;
	for (c = 0; c < ncpus; c++)
		for (i = 0; i < NFX_EVS_MAX; i++)
			tot[i] += vals[c * NFX_EVS_MAX + i];
}

/* Drain everything queued (the rings were filled without wake-ups). */
static int drain(void)
{
	int n, total = 0;

	while ((n = nfx_events_poll(fx.evs, 0)) > 0)
		total += n;
	return n < 0 ? n : total;
}

#define SETUP(t)                                                           \
	do {                                                               \
		int _e = setup(t);                                         \
		if (_e == -EPERM)                                          \
			SKIP("needs root (CAP_BPF)");                      \
		ASSERT_EQ(_e, 0, "load pipeline and open rings");         \
	} while (0)

TEST(record_layout)
{
	ASSERT_EQ(sizeof(struct nfx_event), 128, "event size");
	ASSERT_EQ(RING_CAP, 30, "records in a 4 KiB ring");
}

TEST(no_loss_below_capacity)
{
	__u64 c[NFX_EVS_MAX];
	int i, j;

	SETUP(30);
	ASSERT_EQ(udp_flows(10000, RING_CAP), 0, "run packets");
	ASSERT_EQ(drain(), RING_CAP, "events delivered");
	counters(c);
	ASSERT_EQ(c[NFX_EVS_EMITTED], RING_CAP, "emitted");
	ASSERT_EQ(c[NFX_EVS_DROPPED], 0, "dropped");
	ASSERT_EQ(c[NFX_EVS_NO_RING], 0, "no ring");
	for (i = 0; i < fx.nseen; i++) {
		const struct nfx_event *ev = &fx.seen[i];

		ASSERT_EQ(ev->type, NFX_EV_NEW, "type");
		ASSERT_EQ(ev->source, NFX_EV_SRC_XDP, "source");
		ASSERT_EQ(ev->cpu, fx.cpu, "cpu");
		ASSERT_EQ(ev->seq, i, "sequence without gaps");
		ASSERT_EQ(ev->key.proto, 17, "proto");
		ASSERT_EQ(ev->packets[0] + ev->packets[1], 1, "first packet counted");
		/* every flow exactly once */
		for (j = 0; j < i; j++)
			ASSERT_TRUE(memcmp(&fx.seen[j].key, &ev->key, sizeof(ev->key)),
				    "distinct flows");
	}
	/* Consumed: the ring takes a full load again, still without loss. */
	fx.nseen = 0;
	ASSERT_EQ(udp_flows(20000, RING_CAP), 0, "second load");
	ASSERT_EQ(drain(), RING_CAP, "second load delivered");
	counters(c);
	ASSERT_EQ(c[NFX_EVS_DROPPED], 0, "still nothing dropped");
	ASSERT_EQ(fx.seen[0].seq, RING_CAP, "sequence continues");
}

TEST(drops_counted_above_capacity)
{
	struct nfx_events_stats st;
	__u64 c[NFX_EVS_MAX];
	int over = 100, i, lost_at = -1;

	SETUP(30);
	ASSERT_EQ(udp_flows(30000, over), 0, "run packets");
	counters(c);
	ASSERT_EQ(c[NFX_EVS_SEQ], over, "attempts");
	ASSERT_EQ(c[NFX_EVS_EMITTED], RING_CAP, "emitted up to capacity");
	ASSERT_EQ(c[NFX_EVS_DROPPED], over - RING_CAP, "the rest counted as dropped");
	ASSERT_EQ(drain(), RING_CAP, "what fit is delivered");
	/* The next event reveals the gap to the reader, in order. */
	ASSERT_EQ(udp_flows(40000, 1), 0, "one more flow");
	ASSERT_EQ(drain(), 2, "lost record + new event");
	for (i = 0; i < fx.nseen; i++)
		if (fx.seen[i].type == NFX_EV_LOST)
			lost_at = i;
	ASSERT_EQ(lost_at, RING_CAP, "gap reported where it happened");
	ASSERT_EQ(fx.seen[lost_at].seq, over - RING_CAP, "gap size");
	ASSERT_EQ(fx.seen[lost_at + 1].seq, over, "sequence after the gap");
	nfx_events_get_stats(fx.evs, &st);
	ASSERT_EQ(st.lost, c[NFX_EVS_DROPPED], "reader's loss = datapath's drop count");
}

TEST(tcp_lifecycle)
{
	static const struct {
		int from_client;
		uint8_t flags;
	} steps[] = {
		{ 1, PKT_SYN }, { 0, PKT_SYN | PKT_ACK }, { 1, PKT_ACK }, { 1, PKT_FIN | PKT_ACK },
		{ 0, PKT_ACK }, { 0, PKT_FIN | PKT_ACK }, { 1, PKT_ACK },
	};
	static const __u8 want_states[] = {
		FLOW_TCP_SYN_RECV,   FLOW_TCP_ESTABLISHED, FLOW_TCP_FIN_WAIT,
		FLOW_TCP_CLOSE_WAIT, FLOW_TCP_LAST_ACK,	   FLOW_TCP_TIME_WAIT,
	};
	size_t i;
	int k = 0;

	SETUP(30);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pkt_spec c =
			PKT_TCP4("192.0.2.1", 40000, "198.51.100.1", 80, steps[i].flags);
		struct pkt_spec s =
			PKT_TCP4("198.51.100.1", 80, "192.0.2.1", 40000, steps[i].flags);

		ASSERT_EQ(run_pkt(steps[i].from_client ? &c : &s), NFX_XDP_PASS, "run");
	}
	ASSERT_EQ(drain(), 8, "new + 6 state changes + end");
	ASSERT_EQ(fx.seen[k].type, NFX_EV_NEW, "first: new");
	ASSERT_EQ(fx.seen[k].tcp_state, FLOW_TCP_SYN_SENT, "new in SYN_SENT");
	for (i = 0; i < sizeof(want_states); i++) {
		k++;
		ASSERT_EQ(fx.seen[k].type, NFX_EV_STATE, "state event");
		ASSERT_EQ(fx.seen[k].tcp_state, want_states[i], "new state");
		ASSERT_EQ(fx.seen[k].old_state, fx.seen[k - 1].tcp_state, "old state chains");
	}
	k++;
	ASSERT_EQ(fx.seen[k].type, NFX_EV_END, "last: end");
	ASSERT_EQ(fx.seen[k].reason, NFX_EV_END_CLOSE, "closed");
	ASSERT_EQ(fx.seen[k].packets[0] + fx.seen[k].packets[1], 7, "final packet count");
	ASSERT_TRUE(fx.seen[k].flags & FLOW_F_ASSURED, "assured");
}

TEST(tcp_reset_and_udp_expiry)
{
	struct pkt_spec syn = PKT_TCP4("192.0.2.9", 41000, "198.51.100.1", 443, PKT_SYN);
	struct pkt_spec rst = PKT_TCP4("198.51.100.1", 443, "192.0.2.9", 41000, PKT_RST | PKT_ACK);
	struct pkt_spec udp = PKT_UDP6("2001:db8::1", 5000, "2001:db8::2", 5001);

	SETUP(0);
	ASSERT_EQ(run_pkt(&syn), NFX_XDP_PASS, "syn");
	ASSERT_EQ(run_pkt(&rst), NFX_XDP_PASS, "rst");
	ASSERT_EQ(drain(), 3, "new, state, end");
	ASSERT_EQ(fx.seen[2].type, NFX_EV_END, "end");
	ASSERT_EQ(fx.seen[2].reason, NFX_EV_END_RESET, "reset");
	fx.nseen = 0;
	/* UDP timeout 0: the second packet finds its flow stale. */
	ASSERT_EQ(run_pkt(&udp), NFX_XDP_PASS, "udp 1");
	usleep(1000);
	ASSERT_EQ(run_pkt(&udp), NFX_XDP_PASS, "udp 2");
	ASSERT_EQ(drain(), 3, "new, end (expired), new");
	ASSERT_EQ(fx.seen[0].type, NFX_EV_NEW, "new");
	ASSERT_EQ(fx.seen[1].type, NFX_EV_END, "end");
	ASSERT_EQ(fx.seen[1].reason, NFX_EV_END_EXPIRED, "expired");
	ASSERT_EQ(fx.seen[1].packets[0] + fx.seen[1].packets[1], 1,
		  "final counters of the old flow");
	ASSERT_EQ(fx.seen[1].key.family, NFX_AF_INET6, "v6 key");
	ASSERT_EQ(fx.seen[2].type, NFX_EV_NEW, "flow starts afresh");
}

TEST(type_mask)
{
	struct nfx_event_conf conf;
	__u32 zero = 0;
	__u64 c[NFX_EVS_MAX];

	SETUP(30);
	ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.nfx_event_conf), &zero, &conf), 0,
		  "read conf");
	conf.types = 1u << NFX_EV_END;
	ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.nfx_event_conf), &zero, &conf, 0),
		  0, "write conf");
	ASSERT_EQ(udp_flows(50000, 5), 0, "run");
	ASSERT_EQ(drain(), 0, "new events masked");
	counters(c);
	ASSERT_EQ(c[NFX_EVS_SEQ], 0, "masked events take no sequence number");
	teardown();
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Two CPUs, two rings: the reader still delivers in time order. */
TEST(cross_cpu_order)
{
	int i, switches = 0;

	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP("needs two online CPUs");
	SETUP(30);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(pin_cpu(i & 1), 0, "pin");
		ASSERT_EQ(udp_flows(60000 + i, 1), 0, "run");
	}
	pin_cpu(fx.cpu);
	ASSERT_EQ(drain(), 20, "all events");
	for (i = 1; i < fx.nseen; i++) {
		ASSERT_LE(fx.seen[i - 1].ts_ns, fx.seen[i].ts_ns, "timestamps in order");
		switches += fx.seen[i - 1].cpu != fx.seen[i].cpu;
		ASSERT_EQ(ntohs(fx.seen[i].key.lo_port) - ntohs(fx.seen[i - 1].key.lo_port), 1,
			  "flows in the order they were made");
	}
	ASSERT_EQ(switches, 19, "rings interleaved by time, not read one after the other");
}

int main(void)
{
	int r = tap_run();

	teardown();
	return r;
}

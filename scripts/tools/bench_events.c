// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_events MODE PRODUCERS SECONDS
 *
 * Events per second delivered to user space, with PRODUCERS threads each
 * pinned to its own CPU generating events for SECONDS, and one consumer
 * thread reading them:
 *   percpu          nfx: one ring per CPU, sampled wake-ups
 *   shared          one BPF ring buffer for all CPUs, adaptive wake-ups
 *   shared-sampled  one ring, nfx's sampled wake-ups (isolates the lock)
 *   percpu-libnfx   percpu, read through libnfx's events API (its cost)
 *   nlmmap          conntrack events from kmod nfx_nlmmap's mapped ring (the
 *                   module must be loaded; works on the initial namespace,
 *                   so meant for the VM)
 * The first three share one consumer loop (libbpf ring_buffer, a counting
 * callback, a 50 ms drain timer), so only the rings differ.
 *   ctnetlink       kernel conntrack events over recvmsg (libnfx --kernel
 *                   reader); producers create and delete conntrack entries
 *                   through ctnetlink in a private network namespace
 * BPF producers run nfx_bench_events (a tc program) through
 * BPF_PROG_TEST_RUN.
 *
 * Prints one line of key=value pairs for bench/bench_events.sh.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "nfx_bench_events.skel.h"

#define PERCPU_RING_BYTES (1u << 20)	/* x2 CPUs = the shared ring's 2 MiB */
#define TEST_RUN_REPEAT 20000

enum mode { M_PERCPU, M_SHARED, M_SHARED_SAMPLED, M_CTNETLINK, M_PERCPU_LIBNFX, M_NLMMAP, M_MAX };

static const char *const mode_names[] = {
	"percpu", "shared", "shared-sampled", "ctnetlink", "percpu-libnfx", "nlmmap",
};

struct bench {
	enum mode mode;
	int producers;
	struct nfx_bench_events_bpf *skel;
	atomic_int stop_producers;
	atomic_int stop_consumer;
	atomic_ullong produced;		/* ctnetlink: entries created + deleted */
	unsigned long long delivered, lost;
	int err;
};

struct producer {
	struct bench *b;
	int cpu;
	int idx;
};

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *bpf_producer(void *arg)
{
	struct producer *p = arg;
	struct bench *b = p->b;
	unsigned char pkt[64] = { [12] = 0x08 };	/* any frame: the program ignores it */
	struct bpf_test_run_opts o = {
		.sz = sizeof(o),
		.data_in = pkt,
		.data_size_in = sizeof(pkt),
		.repeat = TEST_RUN_REPEAT,
	};
	int fd = bpf_program__fd(b->skel->progs.nfx_bench_events);

	pin(p->cpu);
	while (!atomic_load(&b->stop_producers))
		if (bpf_prog_test_run_opts(fd, &o)) {
			b->err = -errno;
			break;
		}
	return NULL;
}

static void put_tuple(struct nlmsghdr *nlh, int type, __be32 src, __be32 dst, __be16 sp, __be16 dp)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, sp);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dp);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

/* Create (or delete) one UDP conntrack entry and wait for the ack. */
static int ct_op(struct mnl_socket *nl, char *buf, int msg, __u32 seq, __be32 src, __be16 sp)
{
	__be32 dst = htonl(0xc0000202);	/* 192.0.2.2, only inside the private netns */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	int n;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			   (msg == IPCTNL_MSG_CT_NEW ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sp, htons(53));
	if (msg == IPCTNL_MSG_CT_NEW) {
		put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, htons(53), sp);
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(60));
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0 ? -errno : 0;
}

static void *ct_producer(void *arg)
{
	struct producer *p = arg;
	struct bench *b = p->b;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	__u32 seq = 0, i = 0;

	pin(p->cpu);
	if (!nl || !buf || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		b->err = -errno;
		goto out;
	}
	while (!atomic_load(&b->stop_producers)) {
		/* a distinct tuple per cycle: 10.<producer>.x.y:port */
		__be32 src = htonl(0x0a000000 | (p->idx << 16) | (i >> 8 & 0xffff));
		__be16 sp = htons(1024 + (i & 0xff));

		if (ct_op(nl, buf, IPCTNL_MSG_CT_NEW, ++seq, src, sp) == 0)
			atomic_fetch_add(&b->produced, 1);
		if (ct_op(nl, buf, IPCTNL_MSG_CT_DELETE, ++seq, src, sp) == 0)
			atomic_fetch_add(&b->produced, 1);
		i++;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return NULL;
}

static int count_event(const struct nfx_event *ev, void *ctx)
{
	struct bench *b = ctx;

	if (ev->type == NFX_EV_LOST)
		b->lost += ev->seq;
	else if (ev->type != NFX_EV_SYNC)
		b->delivered++;
	return 0;
}

static int count_sample(void *ctx, void *data, size_t size)
{
	struct bench *b = ctx;

	if (size >= sizeof(struct nfx_event))
		b->delivered++;
	return 0;
}

static void *consumer(void *arg)
{
	struct bench *b = arg;
	struct nfx_events_opts eo = { .sz = sizeof(eo), .cb = count_event, .ctx = b };
	struct nfx_events *evs = NULL;
	struct ring_buffer *rb = NULL;
	int err = 0;

	/* A CPU of its own when there is one left; else the scheduler decides. */
	if (b->producers < libbpf_num_possible_cpus())
		pin(b->producers);

	if (b->mode == M_SHARED || b->mode == M_SHARED_SAMPLED) {
		rb = ring_buffer__new(bpf_map__fd(b->skel->maps.nfx_bench_shared_ring),
				      count_sample, b, NULL);
		if (!rb)
			err = -errno;
	} else if (b->mode == M_PERCPU) {
		int outer = bpf_map__fd(b->skel->maps.nfx_event_rings);
		__u32 i, id;

		for (i = 0; !err && !bpf_map_lookup_elem(outer, &i, &id); i++) {
			int fd = bpf_map_get_fd_by_id(id);

			if (fd < 0) {
				err = -errno;
				break;
			}
			if (!rb) {
				rb = ring_buffer__new(fd, count_sample, b, NULL);
				err = rb ? 0 : -errno;
			} else {
				err = ring_buffer__add(rb, fd, count_sample, b);
			}
			close(fd);
		}
	} else {
		eo.no_mmap = b->mode == M_CTNETLINK;
		if (b->mode == M_CTNETLINK || b->mode == M_NLMMAP)
			eo.kernel = true;
		else
			eo.rings_fd = bpf_map__fd(b->skel->maps.nfx_event_rings);
		err = nfx_events_open(NULL, &eo, &evs);
	}
	if (err) {
		fprintf(stderr, "bench_events: consumer: %s\n", nfx_errmsg());
		b->err = err;
		return NULL;
	}
	while (!atomic_load(&b->stop_consumer)) {
		if (rb) {
			ring_buffer__poll(rb, 50);
			ring_buffer__consume(rb);	/* records committed without a wake-up */
		} else {
			nfx_events_poll(evs, 50);
		}
	}
	/* drain what is left */
	if (rb)
		ring_buffer__consume(rb);
	else
		nfx_events_poll(evs, 0);
	ring_buffer__free(rb);
	nfx_events_close(evs);
	return NULL;
}

static int setup_bpf(struct bench *b)
{
	struct nfx_event_conf conf = {
		.types = NFX_EVENT_TYPES_ALL,
		.wakeup_every = NFX_EVENT_WAKEUP_EVERY,
		.ring_bytes = PERCPU_RING_BYTES,
	};
	const char *wake = getenv("BENCH_WAKEUP_EVERY");
	__u32 zero = 0;
	int n;

	if (wake)
		conf.wakeup_every = atoi(wake);

	b->skel = nfx_bench_events_bpf__open_and_load();
	if (!b->skel) {
		fprintf(stderr, "bench_events: cannot load the BPF object: %s\n", strerror(errno));
		return -errno;
	}
	b->skel->bss->bench_mode = b->mode == M_SHARED ? 1 : b->mode == M_SHARED_SAMPLED ? 2 : 0;
	n = nfx_events_rings_create(bpf_map__fd(b->skel->maps.nfx_event_rings),
				    bpf_map__fd(b->skel->maps.nfx_event_conf), &conf);
	if (n < 0) {
		fprintf(stderr, "bench_events: %s\n", nfx_errmsg());
		return n;
	}
	/* the shared ring's wake-up threshold: a quarter, like each per-CPU ring */
	if (b->mode == M_SHARED_SAMPLED) {
		conf.wakeup_bytes = 2 * PERCPU_RING_BYTES / 4;
		bpf_map_update_elem(bpf_map__fd(b->skel->maps.nfx_event_conf), &zero, &conf, 0);
	}
	return 0;
}

static unsigned long long bpf_counter(struct bench *b, int which)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus * NFX_EVS_MAX];
	unsigned long long sum = 0;
	__u32 zero = 0;
	int c;

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.nfx_event_stats), &zero, vals))
		return 0;
	for (c = 0; c < ncpus; c++)
		sum += vals[c * NFX_EVS_MAX + which];
	return sum;
}

int main(int argc, char **argv)
{
	struct bench b = {};
	struct producer prod[8];
	pthread_t pt[8] = {}, ct;
	int ncpus = libbpf_num_possible_cpus();
	double secs;
	int i, m;
	__u64 t0, t1;

	if (argc != 4) {
		fprintf(stderr,
			"usage: bench_events percpu|shared|shared-sampled|ctnetlink|percpu-libnfx PRODUCERS SECONDS\n");
		return 2;
	}
	for (m = 0; m < M_MAX && strcmp(argv[1], mode_names[m]); m++)
		;
	b.mode = m;
	b.producers = atoi(argv[2]);
	secs = atof(argv[3]);
	if (m == M_MAX || b.producers < 1 || b.producers > 8 || secs <= 0) {
		fprintf(stderr, "bench_events: bad arguments\n");
		return 2;
	}
	libbpf_set_print(NULL);
	if (b.mode == M_NLMMAP) {
		if (access("/dev/nfx_nlmmap", F_OK)) {
			fprintf(stderr,
				"bench_events: nlmmap: the nfx_nlmmap module is not loaded\n");
			return 4;
		}
	} else if (b.mode == M_CTNETLINK) {
		/* Private conntrack table: nothing else's events, nothing left behind. */
		if (unshare(CLONE_NEWNET)) {
			fprintf(stderr, "bench_events: unshare(CLONE_NEWNET): %s\n",
				strerror(errno));
			return 1;
		}
	} else if (setup_bpf(&b)) {
		return 1;
	}
	if (pthread_create(&ct, NULL, consumer, &b))
		return 1;
	usleep(100000);	/* the consumer listens before anything is produced */
	t0 = nfx_now_ns();
	for (i = 0; i < b.producers; i++) {
		const char *offs = getenv("BENCH_CPU_OFFSET");
		int off = offs ? atoi(offs) : 0;

		prod[i] = (struct producer){ .b = &b, .cpu = (i + off) % ncpus, .idx = i };
		if (pthread_create(&pt[i], NULL,
				   b.mode == M_CTNETLINK || b.mode == M_NLMMAP ? ct_producer :
										 bpf_producer,
				   &prod[i])) {
			b.producers = i;	/* join only the threads that exist */
			break;
		}
	}
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&b.stop_producers, 1);
	for (i = 0; i < b.producers; i++)
		pthread_join(pt[i], NULL);
	t1 = nfx_now_ns();
	usleep(300000);	/* let the consumer drain the backlog */
	atomic_store(&b.stop_consumer, 1);
	pthread_join(ct, NULL);
	if (b.err) {
		fprintf(stderr, "bench_events: %s\n", strerror(-b.err));
		return 1;
	}
	if (b.mode != M_CTNETLINK && b.mode != M_NLMMAP) {
		b.produced = bpf_counter(&b, NFX_EVS_SEQ);
		b.lost = bpf_counter(&b, NFX_EVS_DROPPED);
	}
	printf("mode=%s producers=%d secs=%.3f produced=%llu delivered=%llu lost=%llu rate=%.0f\n",
	       mode_names[b.mode], b.producers, (t1 - t0) / 1e9,
	       (unsigned long long)atomic_load(&b.produced), b.delivered, b.lost,
	       b.delivered / ((t1 - t0) / 1e9));
	nfx_bench_events_bpf__destroy(b.skel);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Helper of bench/bench_flush.sh.
 *
 *   bench_flush nfx N        fill a flow table of N flows (half UNREPLIED, in
 *                            the unassured tier; half ASSURED) with batch
 *                            updates, flush "unreplied" in the kernel, then
 *                            refill and time collector cycles over N live flows
 *   bench_flush ct N SECS    create up to N kernel conntrack entries over
 *                            ctnetlink (half TCP SYN_SENT unreplied, half
 *                            ESTABLISHED assured) in the current netns, giving
 *                            up after SECS seconds
 *
 * Output: KEY=VALUE lines for the script.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "nfx/gc.h"
#include "nfx_gc.skel.h"

#define BATCH 4096

static void flow_of(__u64 i, struct flow_entry *e, __u64 now)
{
	memset(e, 0, sizeof(*e));
	nfx_addr_parse("10.0.0.0", &e->key.lo_addr);
	nfx_addr_parse("192.0.2.1", &e->key.hi_addr);
	e->key.lo_addr.b[13] = i >> 16;
	e->key.lo_addr.b[14] = i >> 8;
	e->key.lo_addr.b[15] = i;
	e->key.lo_port = htons(1024 + i % 60000);
	e->key.hi_port = htons(80);
	e->key.proto = 6;
	e->key.family = NFX_AF_INET;
	e->first_seen = e->last_seen = now;
	if (i & 1) {
		e->flags = FLOW_F_SEEN_LO | FLOW_F_SEEN_HI | FLOW_F_ASSURED;
		e->tcp_state = FLOW_TCP_ESTABLISHED;
	} else {
		e->flags = FLOW_F_SEEN_LO;	/* UNREPLIED */
		e->tcp_state = FLOW_TCP_SYN_SENT;
	}
}

static int fill(int fd[2], __u64 n)
{
	static __u64 keys[2][BATCH];
	static struct flow_entry vals[2][BATCH];
	__u32 cnt[2] = {}, c;
	__u64 i, now = nfx_now_ns();
	int t;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	for (i = 0; i <= n; i++) {
		for (t = 0; t < 2; t++) {
			if (cnt[t] == BATCH || (i == n && cnt[t])) {
				c = cnt[t];
				if (bpf_map_update_batch(fd[t], keys[t], vals[t], &c, &o)) {
					fprintf(stderr, "batch update: %s\n", strerror(errno));
					return -1;
				}
				cnt[t] = 0;
			}
		}
		if (i == n)
			break;
		t = i & 1;
		keys[t][cnt[t]] = i * 0x9e3779b97f4a7c15ull | 1;
		flow_of(i, &vals[t][cnt[t]], now);
		cnt[t]++;
	}
	return 0;
}

static int bench_nfx(__u64 n)
{
	struct nfx_flow_pred p;
	struct nfx_flush_result r;
	struct nfx_gc_bpf *gc;
	struct nfx_gc_state st;
	char *words[] = { "unreplied" };
	__u64 t0, cyc0, slices0, run0;
	__u32 zero = 0;
	int fd[2], i, err;

	/* sized like an attach that holds n flows */
	fd[0] = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "nfx_flows_new", 8, sizeof(struct flow_entry),
			       n / 2 + n / 8, NULL);
	fd[1] = bpf_map_create(BPF_MAP_TYPE_HASH, "nfx_flows", 8, sizeof(struct flow_entry),
			       n / 2 + n / 8, NULL);
	if (fd[0] < 0 || fd[1] < 0) {
		fprintf(stderr, "map create: %s\n", strerror(errno));
		return 1;
	}
	t0 = nfx_now_ns();
	if (fill(fd, n))
		return 1;
	printf("nfx_fill_ns=%llu\n", (unsigned long long)(nfx_now_ns() - t0));
	if (nfx_pred_parse(1, words, &p) || nfx_flush_fds(fd[0], fd[1], &p, false, 0, &r)) {
		fprintf(stderr, "%s\n", nfx_errmsg());
		return 1;
	}
	printf("nfx_examined=%llu\nnfx_removed=%llu\nnfx_flush_ns=%llu\nnfx_load_ns=%llu\n",
	       (unsigned long long)(r.examined[0] + r.examined[1]),
	       (unsigned long long)(r.removed[0] + r.removed[1]), (unsigned long long)r.run_ns,
	       (unsigned long long)r.load_ns);

	/* the same from user space: batch walk, one delete per match */
	if (fill(fd, n))
		return 1;
	{
		static __u64 keys[BATCH];
		static struct flow_entry vals[BATCH];
		__u64 now = nfx_now_ns(), removed = 0, calls = 0;
		int t;

		t0 = nfx_now_ns();
		for (t = 0; t < 2; t++) {
			__u64 in = 0, out = 0;
			bool first = true;

			for (;;) {
				__u32 cnt = BATCH, k;
				int rr = bpf_map_lookup_batch(fd[t], first ? NULL : &in, &out, keys,
							      vals, &cnt, NULL);

				if (rr && errno != ENOENT)
					return 1;
				calls++;
				for (k = 0; k < cnt; k++) {
					if (!nfx_pred_match(&p, &vals[k], now))
						continue;
					calls++;
					removed += !bpf_map_delete_elem(fd[t], &keys[k]);
				}
				if (rr)
					break;
				in = out;
				first = false;
			}
		}
		printf("user_flush_ns=%llu\nuser_removed=%llu\nuser_syscalls=%llu\n",
		       (unsigned long long)(nfx_now_ns() - t0), (unsigned long long)removed,
		       (unsigned long long)calls);
	}

	/* collector over n live flows: refill the removed half */
	if (fill(fd, n))
		return 1;
	gc = nfx_gc_bpf__open();
	if (!gc)
		return 1;
	bpf_map__reuse_fd(gc->maps.nfx_flows_new, fd[0]);
	bpf_map__reuse_fd(gc->maps.nfx_flows, fd[1]);
	/* queues sized with the tiers, as the datapath's (twice the tier) */
	bpf_map__set_max_entries(gc->maps.nfx_gcq_new, 2 * n);
	bpf_map__set_max_entries(gc->maps.nfx_gcq, 2 * n);
	err = nfx_gc_bpf__load(gc);
	if (err) {
		fprintf(stderr, "gc load: %s\n", strerror(-err));
		nfx_gc_bpf__destroy(gc);
		return 1;
	}
	{
		struct nfx_config cfg = {};

		for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
			cfg.timeouts.tcp[i] = 3600;
		nfx_gc_defaults(&cfg, n);
		if (getenv("GC_SLICE"))
			cfg.gc.slice = strtoul(getenv("GC_SLICE"), NULL, 10);
		cfg.flags = NFX_CFG_READY;
		bpf_map_update_elem(bpf_map__fd(gc->maps.nfx_config), &zero, &cfg, 0);
		printf("gc_interval_ms=%u\ngc_interval_max_ms=%u\ngc_slice=%u\n",
		       cfg.gc.interval_ms, cfg.gc.interval_max_ms, cfg.gc.slice);
	}
	/*
	 * The flows were put from user space: the first cycle is the rescan
	 * that queues them (a walk of the map, reported apart); then three
	 * cycles from the queues, the collector's steady state.
	 */
	for (i = 0; i < 4; i++) {
		int fdst = bpf_map__fd(gc->maps.nfx_gc);

		bpf_map_lookup_elem(fdst, &zero, &st);
		cyc0 = st.cycles;
		slices0 = st.slices;
		run0 = st.run_ns;
		while (st.cycles == cyc0) {
			LIBBPF_OPTS(bpf_test_run_opts, o);

			if (bpf_prog_test_run_opts(bpf_program__fd(gc->progs.nfx_gc_step), &o)) {
				nfx_gc_bpf__destroy(gc);
				return 1;
			}
			bpf_map_lookup_elem(fdst, &zero, &st);
		}
		if (!i)
			printf("gc_rescan_cycle_ns=%llu\ngc_rescan_slices=%llu\n",
			       (unsigned long long)(st.run_ns - run0),
			       (unsigned long long)(st.slices - slices0));
	}
	printf("gc_cycle_ns=%llu\ngc_cycle_slices=%llu\ngc_examined=%llu\ngc_live=%u\n",
	       (unsigned long long)(st.run_ns - run0), (unsigned long long)(st.slices - slices0),
	       (unsigned long long)st.examined, st.fill);
	nfx_gc_bpf__destroy(gc);
	return 0;
}

/* ---- kernel conntrack over ctnetlink ---- */

static void put_tuple(struct nlmsghdr *nlh, int type, __be32 src, __be32 dst, __be16 sp, __be16 dp)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *x;

	x = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, x);
	x = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 6);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, sp);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dp);
	mnl_attr_nest_end(nlh, x);
	mnl_attr_nest_end(nlh, t);
}

static int last_error;

static int drain(struct mnl_socket *nl, __u64 *errors, int flags)
{
	static char buf[256 * 1024];
	ssize_t len;

	while ((len = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), flags)) > 0) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int rem = len;

		for (; mnl_nlmsg_ok(h, rem); h = mnl_nlmsg_next(h, &rem))
			if (h->nlmsg_type == NLMSG_ERROR &&
			    ((struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error)
				(*errors)++,
					last_error = ((struct nlmsgerr *)mnl_nlmsg_get_payload(h))
							     ->error;
	}
	return 0;
}

static int bench_ct(__u64 n, unsigned secs)
{
	static char buf[64 * 1024];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	__u64 i, sent = 0, errors = 0, t0 = nfx_now_ns(), deadline = t0 + secs * 1000000000ull;
	size_t off = 0;
	int bufsz = 32 << 20;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctnetlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh;
		struct nfgenmsg *nfg;
		struct nlattr *pi, *tcp;
		__be32 src = htonl(0x0a000000 | (__u32)(i >> 1)), dst = htonl(0xc0000201);
		__be16 sp = htons(1024 + i % 60000), dp = htons(80);
		bool est = i & 1;

		if (off + 512 > sizeof(buf)) {
			if (mnl_socket_sendto(nl, buf, off) < 0) {
				perror("sendto");
				return 1;
			}
			off = 0;
			drain(nl, &errors, MSG_DONTWAIT);
			if (nfx_now_ns() > deadline)
				break;
		}
		nlh = mnl_nlmsg_put_header(buf + off);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
		nlh->nlmsg_seq = i;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_INET;
		nfg->version = NFNETLINK_V0;
		nfg->res_id = 0;
		put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sp, dp);
		put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, dp, sp);
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(3600));
		if (est)
			mnl_attr_put_u32(nlh, CTA_STATUS,
					 htonl(IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED));
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
				est ? TCP_CONNTRACK_ESTABLISHED : TCP_CONNTRACK_SYN_SENT);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
		off += nlh->nlmsg_len;
		sent++;
	}
	if (off && mnl_socket_sendto(nl, buf, off) < 0) {
		perror("sendto");
		return 1;
	}
	usleep(100000);
	drain(nl, &errors, MSG_DONTWAIT);
	printf("ct_last_error=%d\n", last_error);
	printf("ct_sent=%llu\nct_errors=%llu\nct_fill_ns=%llu\n", (unsigned long long)sent,
	       (unsigned long long)errors, (unsigned long long)(nfx_now_ns() - t0));
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	__u64 n = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;

	if (argc >= 3 && !strcmp(argv[1], "nfx") && n >= 2)
		return bench_nfx(n);
	if (argc >= 4 && !strcmp(argv[1], "ct") && n >= 2)
		return bench_ct(n, strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: bench_flush nfx N | ct N SECONDS\n");
	return 2;
}

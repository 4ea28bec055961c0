// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Cluster membership in the nfx_cluster map; ownership counts. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx_cluster.h"
#include "internal.h"

static int cluster_fd(struct nfx_link *link)
{
	return nfx_link_map_fd(link, "nfx_cluster");
}

int nfx_cluster_get(struct nfx_link *link, struct nfx_cluster *c)
{
	__u32 zero = 0;
	int fd = cluster_fd(link);

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, c))
		return nfx_err(-errno, "cannot read nfx_cluster: %s", strerror(errno));
	return 0;
}

static int cluster_check(const struct nfx_cluster *c)
{
	int i, j;

	if (!c->self)
		return nfx_err(-EINVAL, "this node's id (--self) is not set");
	if (c->nmembers > NFX_CLUSTER_MAX)
		return nfx_err(-E2BIG, "at most %d members", NFX_CLUSTER_MAX);
	if (c->nvips > NFX_CLUSTER_VIPS)
		return nfx_err(-E2BIG, "at most %d virtual addresses", NFX_CLUSTER_VIPS);
	for (i = 0; i < c->nmembers; i++) {
		if (!c->ids[i])
			return nfx_err(-EINVAL, "node id 0 is reserved");
		for (j = 0; j < i; j++)
			if (c->ids[j] == c->ids[i])
				return nfx_err(-EINVAL, "node id %u listed twice", c->ids[i]);
	}
	for (i = 0; i < 256; i++) {
		bool member = false;

		if (!((c->live[i >> 6] >> (i & 63)) & 1))
			continue;
		for (j = 0; j < c->nmembers; j++)
			member |= c->ids[j] == i;
		if (!member)
			return nfx_err(-EINVAL, "node %d is alive but not a member", i);
	}
	return 0;
}

int nfx_cluster_set(struct nfx_link *link, struct nfx_cluster *c)
{
	struct nfx_cluster old;
	__u32 zero = 0;
	int fd = cluster_fd(link), err;

	if (fd < 0)
		return fd;
	err = cluster_check(c);
	if (err)
		return err;
	err = nfx_cluster_get(link, &old);
	if (err)
		return err;
	c->gen = old.gen + 1;
	c->changed_ns = nfx_now_ns();
	c->flags |= NFX_CLUSTER_F_ON;
	/*
	 * One syscall, but an array update copies into the live value: a
	 * packet racing it may read old and new fields mixed. Only decisions
	 * taken during those microseconds can be affected (the same window as
	 * nodes learning a change at different times); stored owners are not.
	 */
	if (bpf_map_update_elem(fd, &zero, c, BPF_ANY))
		return nfx_err(-errno, "cannot write nfx_cluster: %s", strerror(errno));
	return 0;
}

int nfx_cluster_off(struct nfx_link *link)
{
	struct nfx_cluster c;
	__u32 zero = 0;
	int fd = cluster_fd(link), err;

	if (fd < 0)
		return fd;
	err = nfx_cluster_get(link, &c);
	if (err)
		return err;
	c.flags &= ~NFX_CLUSTER_F_ON;
	c.gen++;
	c.changed_ns = nfx_now_ns();
	if (bpf_map_update_elem(fd, &zero, &c, BPF_ANY))
		return nfx_err(-errno, "cannot write nfx_cluster: %s", strerror(errno));
	return 0;
}

int nfx_cluster_mark(struct nfx_cluster *c, __u8 id, bool alive)
{
	int i;

	if (!id)
		return nfx_err(-EINVAL, "node id 0 is reserved");
	for (i = 0; i < c->nmembers && c->ids[i] != id; i++)
		;
	if (i == c->nmembers) {
		if (!alive)
			return 0;	/* not a member: already not alive */
		if (c->nmembers == NFX_CLUSTER_MAX)
			return nfx_err(-E2BIG, "at most %d members", NFX_CLUSTER_MAX);
		c->ids[c->nmembers++] = id;
	}
	if (alive)
		c->live[id >> 6] |= 1ULL << (id & 63);
	else
		c->live[id >> 6] &= ~(1ULL << (id & 63));
	return 0;
}

int nfx_cluster_stats(struct nfx_link *link, __u64 *out)
{
	int fd = nfx_link_map_fd(link, "nfx_cluster_stats");
	/* Per-CPU values are sized by possible CPUs, not online ones. */
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[1024];
	__u32 i;
	int c;

	if (fd < 0)
		return fd;
	if (ncpu < 1 || ncpu > 1024)
		return nfx_err(-ERANGE, "cannot size per-CPU values for %d CPUs", ncpu);
	for (i = 0; i < NFX_CL_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			return nfx_err(-errno, "cannot read nfx_cluster_stats: %s",
				       strerror(errno));
		out[i] = 0;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

struct owner_count {
	__u64 *all, *tcp_udp;
};

static int count_owner(const struct flow_entry *e, void *ctx)
{
	struct owner_count *oc = ctx;

	oc->all[e->owner]++;
	if (oc->tcp_udp && (e->key.proto == 6 || e->key.proto == 17))
		oc->tcp_udp[e->owner]++;
	return 0;
}

int nfx_cluster_owned(struct nfx_link *link, __u64 *owned, __u64 *tcp_udp)
{
	struct owner_count oc = { owned, tcp_udp };
	int n;

	memset(owned, 0, 256 * sizeof(*owned));
	if (tcp_udp)
		memset(tcp_udp, 0, 256 * sizeof(*tcp_udp));
	n = nfx_flows_foreach(link, count_owner, &oc);
	return n < 0 ? n : 0;
}

__u32 nfx_cluster_map_id(struct nfx_link *link)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = cluster_fd(link);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

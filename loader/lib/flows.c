// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading the flow table from user space, in batches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "nfx/libnfx.h"
#include "internal.h"

#define FLOW_BATCH 1024

static const char *const flow_tiers[] = { "nfx_flows", "nfx_flows_new" };

/*
 * One map walk with BPF_MAP_LOOKUP_BATCH: a syscall per FLOW_BATCH entries.
 * A map modified during the walk may show an entry twice or not at all,
 * as any hash table iteration under traffic does.
 */
static int walk_tier(int fd, nfx_flow_cb cb, void *ctx)
{
	__u64 *keys = calloc(FLOW_BATCH, sizeof(*keys));
	struct flow_entry *vals = calloc(FLOW_BATCH, sizeof(*vals));
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0, n = 0;

	if (!keys || !vals) {
		err = nfx_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		__u32 count = FLOW_BATCH;
		__u32 i;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count,
					     NULL);

		if (r && errno != ENOENT) {
			err = nfx_err(-errno, "flow table walk: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < count; i++) {
			n++;
			if (cb && cb(&vals[i], ctx) < 0)
				goto out;
		}
		if (r)
			break;	/* ENOENT: that was the last batch */
		in = out;
		first = false;
	}
	err = n;
out:
	free(keys);
	free(vals);
	return err;
}

int nfx_flows_foreach(struct nfx_link *link, nfx_flow_cb cb, void *ctx)
{
	size_t i;
	int total = 0;

	for (i = 0; i < NFX_ARRAY_SIZE(flow_tiers); i++) {
		int fd = nfx_link_map_fd(link, flow_tiers[i]);
		int n;

		if (fd < 0)
			return fd;
		n = walk_tier(fd, cb, ctx);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

static int count_tier(struct nfx_link *link, const char *name, __u64 *out)
{
	int fd = nfx_link_map_fd(link, name);
	int n;

	if (fd < 0)
		return fd;
	n = walk_tier(fd, NULL, NULL);
	if (n < 0)
		return n;
	if (out)
		*out = n;
	return 0;
}

int nfx_flows_count(struct nfx_link *link, __u64 *assured, __u64 *unassured)
{
	int err = count_tier(link, flow_tiers[0], assured);

	return err ? err : count_tier(link, flow_tiers[1], unassured);
}

__u32 nfx_link_table_id(struct nfx_link *link)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = nfx_link_map_fd(link, flow_tiers[0]);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

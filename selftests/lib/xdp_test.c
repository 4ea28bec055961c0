// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/hash.h"
#include "nfx/libnfx.h"
#include "xdp_test.h"

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, ap) : 0;
}

struct nfx_xdp_bpf *xdp_test_load(const struct xdp_test_opts *o)
{
	struct xdp_test_opts def = {};
	struct nfx_config cfg = {};
	struct nfx_link_conf lc = {};
	struct nfx_xdp_bpf *skel;
	__u32 zero = 0;
	int i;

	if (!o)
		o = &def;
	libbpf_set_print(quiet);
	skel = nfx_xdp_bpf__open();
	if (!skel) {
		printf("# cannot open skeleton: %s\n", strerror(errno));
		return NULL;
	}
	if (o->flows_max)
		bpf_map__set_max_entries(skel->maps.nfx_flows, o->flows_max);
	if (o->flows_new_max)
		bpf_map__set_max_entries(skel->maps.nfx_flows_new, o->flows_new_max);
	if (getrandom((void *)skel->rodata->hash_key, sizeof(skel->rodata->hash_key), 0) < 0)
		goto fail;
	skel->rodata->features = o->features;
	if (nfx_xdp_bpf__load(skel)) {
		printf("# cannot load skeleton: %s\n", strerror(errno));
		goto fail;
	}
	memcpy(cfg.hash_key, (const void *)skel->rodata->hash_key, sizeof(cfg.hash_key));
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 60;
	cfg.timeouts.udp_unreplied = cfg.timeouts.udp_assured = 60;
	cfg.timeouts.icmp = cfg.timeouts.other = 60;
	cfg.features = o->features;
	cfg.flags = NFX_CFG_READY;
	lc.zone = o->zone;
	lc.flags = NFX_CFG_READY;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0))
		goto fail;
	return skel;
fail:
	nfx_xdp_bpf__destroy(skel);
	return NULL;
}

int xdp_test_run(struct nfx_xdp_bpf *skel, void *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &opts);

	return err ? -errno : (int)opts.retval;
}

uint64_t xdp_test_stat(struct nfx_xdp_bpf *skel, enum nfx_stat idx)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct nfx_counter v[ncpu > 0 ? ncpu : 1];
	__u32 key = idx;
	uint64_t sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_stats), &key, v))
		return 0;
	for (c = 0; c < ncpu; c++)
		sum += v[c].packets;
	return sum;
}

int xdp_test_flow(struct nfx_xdp_bpf *skel, int family, uint8_t proto, const char *src,
		  uint16_t sport, const char *dst, uint16_t dport, struct flow_entry *out,
		  int *tier)
{
	union nfx_addr s, d;
	struct flow_key k;
	struct nfx_link_conf lc;
	__u64 key[2], h;
	__u32 zero = 0;

	memcpy(key, (const void *)skel->rodata->hash_key, sizeof(key));
	if (nfx_addr_parse(src, &s) < 0 || nfx_addr_parse(dst, &d) < 0)
		return -1;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc))
		return -1;
	nfx_flow_key_make(&k, family == 4 ? NFX_AF_INET : NFX_AF_INET6, proto, lc.zone, &s,
			  htons(sport), &d, htons(dport));
	h = nfx_flow_hash(&k, key);
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows), &h, out)) {
		if (tier)
			*tier = 1;
	} else if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows_new), &h, out)) {
		if (tier)
			*tier = 0;
	} else {
		return -1;
	}
	return nfx_flow_key_eq(&out->key, &k) ? 0 : -1;
}

int xdp_test_count(struct nfx_xdp_bpf *skel, int tier)
{
	int fd = bpf_map__fd(tier ? skel->maps.nfx_flows : skel->maps.nfx_flows_new);
	__u64 key, next;
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

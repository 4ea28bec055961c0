// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Selective flush: load bpf/nfx_flush.bpf.c on demand, give it the pinned
 * flow tables, run it once. The program walks and deletes inside the
 * kernel, so the cost is one BPF_PROG_TEST_RUN whatever the table size
 * (a user-space walk needs a lookup batch per 1024 entries and a delete
 * per matching entry).
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "internal.h"
#include "nfx_flush.skel.h"

/* Load the opened program, hand it the predicate, run it once. */
static int flush_run(struct nfx_flush_bpf *skel, const struct nfx_flow_pred *pred, bool dry_run,
		     __u64 now, struct nfx_flush_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	__u64 t0 = nfx_now_ns(), t1;
	int err, i;

	skel->bss->pred = *pred;
	skel->bss->dry_run = dry_run;
	skel->bss->now_ns = now;
	err = nfx_flush_bpf__load(skel);
	if (err)
		return nfx_err(
			err,
			"cannot load the flush program: %s (BPF_PROG_TYPE_SYSCALL needs Linux 5.14+; -v shows the verifier log)",
			strerror(-err));
	t1 = nfx_now_ns();
	res->load_ns = t1 - t0;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_flush), &topts);
	res->run_ns = nfx_now_ns() - t1;
	if (err)
		return nfx_err(-errno, "cannot run the flush program: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		res->examined[i] = skel->bss->examined[i];
		res->matched[i] = skel->bss->matched[i];
		res->removed[i] = skel->bss->removed[i];
	}
	return 0;
}

int nfx_flush_fds(int flows_new_fd, int flows_fd, const struct nfx_flow_pred *pred, bool dry_run,
		  __u64 now, struct nfx_flush_result *res)
{
	struct nfx_flush_bpf *skel;
	int err;

	memset(res, 0, sizeof(*res));
	skel = nfx_flush_bpf__open();
	if (!skel)
		return nfx_err(-errno, "cannot open the flush program: %s", strerror(errno));
	err = bpf_map__reuse_fd(skel->maps.nfx_flows_new, flows_new_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.nfx_flows, flows_fd);
	if (err)
		err = nfx_err(err, "cannot use the flow table: %s (made by another nfx version?)",
			      strerror(-err));
	else
		err = flush_run(skel, pred, dry_run, now, res);
	nfx_flush_bpf__destroy(skel);
	return err;
}

/*
 * On an attached link the program takes every map of the link that it
 * declares: the flow tables, and the event channel so that each removed
 * flow is reported (END, reason evicted). A map the link does not pin
 * (an older attach) stays private to the program; the tables must exist.
 */
int nfx_flush(struct nfx_link *link, const struct nfx_flow_pred *pred, bool dry_run,
	      struct nfx_flush_result *res)
{
	struct nfx_flush_bpf *skel;
	struct bpf_map *map;
	int err = 0, fd;

	memset(res, 0, sizeof(*res));
	skel = nfx_flush_bpf__open();
	if (!skel)
		return nfx_err(-errno, "cannot open the flush program: %s", strerror(errno));
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (bpf_map__is_internal(map))
			continue;
		fd = nfx_link_map_fd(link, name);
		if (fd < 0) {
			if (!strcmp(name, "nfx_flows") || !strcmp(name, "nfx_flows_new")) {
				err = fd;
				break;
			}
			continue;
		}
		err = bpf_map__reuse_fd(map, fd);
		if (err) {
			err = nfx_err(err, "cannot use map %s: %s (made by another nfx version?)",
				      name, strerror(-err));
			break;
		}
	}
	if (!err)
		err = flush_run(skel, pred, dry_run, 0, res);
	nfx_flush_bpf__destroy(skel);
	return err;
}

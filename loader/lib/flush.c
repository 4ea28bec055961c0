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

int nfx_flush_fds(int flows_new_fd, int flows_fd, const struct nfx_flow_pred *pred,
		  bool dry_run, __u64 now, struct nfx_flush_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct nfx_flush_bpf *skel;
	__u64 t0 = nfx_now_ns(), t1;
	int err, i;

	memset(res, 0, sizeof(*res));
	skel = nfx_flush_bpf__open();
	if (!skel)
		return nfx_err(-errno, "cannot open the flush program: %s", strerror(errno));
	err = bpf_map__reuse_fd(skel->maps.nfx_flows_new, flows_new_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.nfx_flows, flows_fd);
	if (err) {
		err = nfx_err(err, "cannot use the flow table: %s (made by another nfx version?)",
			      strerror(-err));
		goto out;
	}
	skel->bss->pred = *pred;
	skel->bss->dry_run = dry_run;
	skel->bss->now_ns = now;
	err = nfx_flush_bpf__load(skel);
	if (err) {
		err = nfx_err(err, "cannot load the flush program: %s (BPF_PROG_TYPE_SYSCALL needs Linux 5.14+; -v shows the verifier log)",
			      strerror(-err));
		goto out;
	}
	t1 = nfx_now_ns();
	res->load_ns = t1 - t0;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_flush), &topts);
	res->run_ns = nfx_now_ns() - t1;
	if (err) {
		err = nfx_err(-errno, "cannot run the flush program: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		res->examined[i] = skel->bss->examined[i];
		res->matched[i] = skel->bss->matched[i];
		res->removed[i] = skel->bss->removed[i];
	}
out:
	nfx_flush_bpf__destroy(skel);
	return err;
}

int nfx_flush(struct nfx_link *link, const struct nfx_flow_pred *pred, bool dry_run,
	      struct nfx_flush_result *res)
{
	int nfd = nfx_link_map_fd(link, "nfx_flows_new");
	int afd = nfx_link_map_fd(link, "nfx_flows");

	if (nfd < 0 || afd < 0)
		return nfd < 0 ? nfd : afd;
	return nfx_flush_fds(nfd, afd, pred, dry_run, 0, res);
}

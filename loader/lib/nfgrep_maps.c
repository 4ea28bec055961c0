// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Installing a compiled nfgrep program: the datapath reads the program
 * from the slot nfx_nfg_active names, so the new program is written to the
 * other slot and switched to with one map update; packets in flight finish
 * with the old one, which stays intact until the next load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "nfx/nfgc.h"
#include "internal.h"

int nfg_active(const struct nfg_maps *m, struct nfg_prog **out)
{
	__u32 zero = 0, slot = 0;
	struct nfg_prog *p;

	if (bpf_map_lookup_elem(m->active_fd, &zero, &slot)) {
		int err = errno ? -errno : -EIO;

		nfx_err(err, "nfx_nfg_active: %s", strerror(-err));
		return err;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->prog_fd, &slot, p)) {
		int err = errno ? -errno : -EIO;

		free(p);
		nfx_err(err, "nfx_nfg_prog: %s", strerror(-err));
		return err;
	}
	*out = p;
	return slot;
}

/* Give every name an app id, reusing the id a name already has. */
static int assign_ids(const struct nfg_maps *m, struct nfg_compiled *c)
{
	struct nfg_name *names;
	__u32 id;
	int i, err = 0;

	names = calloc(NFG_APPS_MAX, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (id = 1; id < NFG_APPS_MAX; id++)
		if (bpf_map_lookup_elem(m->names_fd, &id, &names[id])) {
			err = nfx_err(-errno, "nfx_nfg_names: %s", strerror(errno));
			goto out;
		}
	for (i = 0; i < c->prog->nproto; i++) {
		__u32 free_id = 0;

		for (id = 1; id < NFG_APPS_MAX; id++) {
			if (!strncmp(names[id].name, c->names[i], NFG_NAME_MAX))
				break;
			if (!free_id && !names[id].name[0])
				free_id = id;
		}
		if (id == NFG_APPS_MAX) {
			if (!free_id) {
				err = nfx_err(-ENOSPC, "no free app id for '%s' (%d names in use)",
					      c->names[i], NFG_APPS_MAX - 1);
				goto out;
			}
			id = free_id;
			memcpy(names[id].name, c->names[i], NFG_NAME_MAX);
			/* A new name is added before any program can use its id. */
			if (bpf_map_update_elem(m->names_fd, &id, &names[id], BPF_ANY)) {
				err = nfx_err(-errno, "nfx_nfg_names: %s", strerror(errno));
				goto out;
			}
		}
		c->prog->proto[i].app_id = id;
	}
out:
	free(names);
	return err;
}

int nfg_install(const struct nfg_maps *m, struct nfg_compiled *c)
{
	struct nfg_prog *old = NULL;
	__u32 zero = 0, next;
	struct timespec ts;
	int slot, err;

	slot = nfg_active(m, &old);
	if (slot < 0)
		return slot;
	if (!old) /* nfg_active() sets it whenever it succeeds */
		return -EIO;
	err = assign_ids(m, c);
	if (err)
		goto out;
	/* A generation the running flows cannot have: they restart. */
	clock_gettime(CLOCK_REALTIME, &ts);
	c->prog->gen = old->gen + 1 + (__u32)(ts.tv_nsec & 0xfff0);
	next = !slot;
	if (bpf_map_update_elem(m->prog_fd, &next, c->prog, BPF_ANY)) {
		err = nfx_err(-errno, "nfx_nfg_prog: %s", strerror(errno));
		goto out;
	}
	if (bpf_map_update_elem(m->active_fd, &zero, &next, BPF_ANY))
		err = nfx_err(-errno, "nfx_nfg_active: %s", strerror(errno));
out:
	free(old);
	return err;
}

int nfg_matcher_install(int jmp_fd, int matcher_prog_fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(jmp_fd, &zero, &matcher_prog_fd, BPF_ANY))
		return nfx_err(-errno, "nfx_nfg_jmp: %s", strerror(errno));
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libnfx rules API: batches of adds and deletes, committed atomically.
 *
 * Commit of a new set: compile it (rules_build.c), create inner maps of
 * exactly the needed size, fill them with batched updates, put them in
 * the slot of every two-slot outer map that no packet reads, then flip
 * nfx_rules_cur (one 4-byte update). Afterwards one RCU grace period
 * (which the kernel waits for on any map-in-map update) guarantees no
 * packet still reads the old slot, and the old inner maps are released.
 *
 * A batch of deletes only is applied in place: clearing a rule's bit in
 * the live-rules word (one 8-byte write) removes it; the generation is
 * bumped so cached verdicts are recomputed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/libnfx.h"
#include "internal.h"
#include "rules_int.h"
#include "rules_build.h"

enum {
	OM_LPM,
	OM_EXACT,
	OM_VHDR,
	OM_WORDS,
	OM_ALIVE,
	OM_ACT,
	OM_META,
	OM_SRC,
	OM_TAIL,
	OM_MAX,
};

static const char *const outer_names[OM_MAX] = {
	"nfx_rules_lpm", "nfx_rules_exact", "nfx_rules_vhdr", "nfx_rules_words", "nfx_rules_alive",
	"nfx_rules_act", "nfx_rules_meta",  "nfx_rules_src",  "nfx_rules_tail",
};

struct nfx_rules {
	int outer[OM_MAX];
	int cur_fd, stats_fd, rl_fd;
	/* the batch */
	bool in_batch, only_deletes, from_current;
	struct nfx_rule *rules;
	size_t n, cap;
	__u32 next_handle;
	__u32 *dels;
	size_t ndel, delcap;
	size_t n_base; /* rules read back at begin */
	__u32 syscalls;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int rules_alloc(struct nfx_rules **out)
{
	struct nfx_rules *r = calloc(1, sizeof(*r));
	int i;

	if (!r)
		return nfx_err(-ENOMEM, "rules: out of memory");
	for (i = 0; i < OM_MAX; i++)
		r->outer[i] = -1;
	r->cur_fd = r->stats_fd = r->rl_fd = -1;
	*out = r;
	return 0;
}

int nfx_rules_open(struct nfx_link *link, struct nfx_rules **out)
{
	struct nfx_rules *r = NULL;
	int i, err;

	err = rules_alloc(&r);
	if (err || !r)
		return err ? err : -ENOMEM;
	for (i = 0; i < OM_MAX; i++) {
		r->outer[i] = nfx_link_map_fd(link, outer_names[i]);
		if (r->outer[i] < 0)
			goto fail;
	}
	r->cur_fd = nfx_link_map_fd(link, "nfx_rules_cur");
	r->stats_fd = nfx_link_map_fd(link, "nfx_rule_stats");
	r->rl_fd = nfx_link_map_fd(link, "nfx_rule_rl");
	if (r->cur_fd < 0 || r->stats_fd < 0 || r->rl_fd < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	free(r);
	return nfx_err(-ENOENT, "rules: %s (is the link attached by this version of nfx?)",
		       nfx_errmsg());
}

int nfx_rules_prog_install(struct bpf_object *obj)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "nfx_xdp_rules");
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "nfx_rules_progs");
	__u32 zero = 0;
	int fd;

	if (!p || !m)
		return nfx_err(-ENOENT, "rules: no classifier program in the object");
	fd = bpf_program__fd(p);
	if (fd < 0)
		return 0; /* not loaded: packets go unclassified, as with no rules */
	if (bpf_map_update_elem(bpf_map__fd(m), &zero, &fd, BPF_ANY))
		return nfx_err(-errno, "rules: installing the classifier program: %s",
			       strerror(errno));
	return 0;
}

int nfx_rules_open_obj(struct bpf_object *obj, struct nfx_rules **out)
{
	struct nfx_rules *r = NULL;
	struct bpf_map *m;
	int i, err;

	err = nfx_rules_prog_install(obj);
	if (err)
		return err;
	err = rules_alloc(&r);
	if (err || !r)
		return err ? err : -ENOMEM;
	{
		static const char *const extra_names[3] = { "nfx_rules_cur", "nfx_rule_stats",
							    "nfx_rule_rl" };
		int *extra[3] = { &r->cur_fd, &r->stats_fd, &r->rl_fd };

		for (i = 0; i < OM_MAX + 3; i++) {
			const char *name = i < OM_MAX ? outer_names[i] : extra_names[i - OM_MAX];
			int fd;

			m = bpf_object__find_map_by_name(obj, name);
			fd = m ? bpf_map__fd(m) : -1;
			if (fd < 0) {
				free(r);
				return nfx_err(-ENOENT, "rules: map %s not in the object", name);
			}
			if (i < OM_MAX)
				r->outer[i] = fd;
			else
				*extra[i - OM_MAX] = fd;
		}
	}
	*out = r;
	return 0;
}

void nfx_rules_close(struct nfx_rules *r)
{
	if (!r)
		return;
	free(r->rules);
	free(r->dels);
	free(r);
}

static int cur_get(struct nfx_rules *r, __u32 *cur)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(r->cur_fd, &zero, cur))
		return nfx_err(-errno, "rules: reading nfx_rules_cur: %s", strerror(errno));
	return 0;
}

/* fd of the inner map of outer map om in slot; -ENOENT when empty. */
static int inner_fd(struct nfx_rules *r, int om, __u32 slot)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(r->outer[om], &slot, &id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return nfx_err(-errno, "rules: inner map of %s: %s", outer_names[om],
			       strerror(errno));
	return fd;
}

/* Read n values of an array map with batched lookups. */
static int array_read(int fd, void *vals, size_t vsz, size_t n)
{
	size_t done = 0;
	__u32 *keys = malloc((n ? n : 1) * sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (done < n) {
		__u32 count = n - done, out_batch;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 in = done;

		err = bpf_map_lookup_batch(fd, done ? &in : NULL, &out_batch, keys + done,
					   (char *)vals + done * vsz, &count, &o);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		err = 0;
		if (!count)
			break;
		done += count;
		if (out_batch != done - 1 && out_batch != done)
			break;
	}
	free(keys);
	return err;
}

/* The committed set, live rules only, into a fresh array. */
static int load_current(struct nfx_rules *r, struct nfx_rule **out, size_t *n, __u32 *next_handle,
			__u32 **positions)
{
	struct nfx_rule_meta meta;
	struct nfx_rule *v = NULL;
	__u64 *alive = NULL;
	__u32 cur, slot, zero = 0, *pos = NULL;
	size_t i, o = 0;
	int fd = -1, err;

	*out = NULL;
	*n = 0;
	*next_handle = 1;
	if (positions)
		*positions = NULL;
	err = cur_get(r, &cur);
	if (err || !cur)
		return err;
	slot = cur & 1;
	fd = inner_fd(r, OM_META, slot);
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &zero, &meta) ? -errno : 0;
	close(fd);
	if (err)
		return nfx_err(err, "rules: reading the set's meta: %s", strerror(-err));
	*next_handle = meta.next_handle;
	v = calloc(meta.nrules ? meta.nrules : 1, sizeof(*v));
	alive = calloc(NFX_RULE_WORDS, sizeof(*alive));
	pos = calloc(meta.nrules ? meta.nrules : 1, sizeof(*pos));
	if (!v || !alive || !pos) {
		err = -ENOMEM;
		goto out;
	}
	fd = inner_fd(r, OM_SRC, slot);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = array_read(fd, v, sizeof(*v), meta.nrules);
	close(fd);
	if (err)
		goto out;
	fd = inner_fd(r, OM_ALIVE, slot);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = array_read(fd, alive, sizeof(*alive), NFX_RULE_WORDS);
	close(fd);
	if (err)
		goto out;
	for (i = 0; i < meta.nrules; i++)
		if (alive[i / 64] & (1ull << (i % 64))) {
			pos[o] = i;
			v[o++] = v[i];
		}
	if (meta.tail_n) {
		struct nfx_rule tail[NFX_RULES_TAIL];
		struct nfx_rule *nv = realloc(v, (o + meta.tail_n) * sizeof(*v));
		__u32 *np = realloc(pos, (o + meta.tail_n) * sizeof(*pos));

		if (nv)
			v = nv;
		if (np)
			pos = np;
		if (!nv || !np) {
			err = -ENOMEM;
			goto out;
		}
		fd = inner_fd(r, OM_TAIL, slot);
		if (fd < 0) {
			err = fd;
			goto out;
		}
		err = array_read(fd, tail, sizeof(*tail), NFX_RULES_TAIL);
		close(fd);
		if (err)
			goto out;
		for (i = 0; i < meta.tail_n && i < NFX_RULES_TAIL; i++)
			if (!(tail[i].pad & NFX_RULE_F_DEAD)) {
				pos[o] = NFX_RULES_MAX + i;
				v[o++] = tail[i];
			}
	}
	*out = v;
	*n = o;
	v = NULL;
	if (positions) {
		*positions = pos;
		pos = NULL;
	}
out:
	free(v);
	free(pos);
	free(alive);
	if (err)
		return nfx_err(err, "rules: reading the committed set: %s", strerror(-err));
	return 0;
}

int nfx_rules_begin(struct nfx_rules *r, unsigned int flags)
{
	int err;

	nfx_rules_abort(r);
	r->in_batch = true;
	r->only_deletes = true;
	r->from_current = !(flags & NFX_RULES_REPLACE);
	err = load_current(r, &r->rules, &r->n, &r->next_handle, NULL);
	if (err) {
		r->in_batch = false;
		return err;
	}
	r->cap = r->n;
	r->n_base = r->n;
	if (flags & NFX_RULES_REPLACE) {
		r->n = 0;
		r->only_deletes = false;
	}
	return 0;
}

void nfx_rules_abort(struct nfx_rules *r)
{
	free(r->rules);
	r->rules = NULL;
	r->n = r->cap = 0;
	r->ndel = 0;
	r->in_batch = false;
}

static __u32 handle_alloc(struct nfx_rules *r)
{
	if (!r->next_handle || r->next_handle >= NFX_RULE_HANDLES)
		r->next_handle = 1;
	return r->next_handle++;
}

int nfx_rules_add(struct nfx_rules *r, const struct nfx_rule *rule, __u32 *handle)
{
	if (!r->in_batch)
		return nfx_err(-EINVAL, "rules: add outside a batch (call nfx_rules_begin)");
	if (r->n >= NFX_RULES_MAX)
		return nfx_err(-E2BIG, "rules: more than %d rules", NFX_RULES_MAX);
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 256;
		struct nfx_rule *nv = realloc(r->rules, nc * sizeof(*nv));

		if (!nv)
			return nfx_err(-ENOMEM, "rules: out of memory");
		r->rules = nv;
		r->cap = nc;
	}
	r->rules[r->n] = *rule;
	r->rules[r->n].handle = 0; /* given at commit, when the set is final */
	r->n++;
	r->only_deletes = false;
	if (handle)
		*handle = 0;
	return 0;
}

int nfx_rules_add_text(struct nfx_rules *r, const char *line, __u32 *handle)
{
	struct nfx_rule rule;
	int err;

	err = nfx_rules_parse_line("rule", 1, line, strlen(line), &rule);
	if (err < 0)
		return err;
	if (!err)
		return nfx_err(-EINVAL, "rule:1:1: empty rule");
	return nfx_rules_add(r, &rule, handle);
}

int nfx_rules_add_file(struct nfx_rules *r, const char *path)
{
	struct nfx_rule *v;
	size_t n, i, len = 0, cap = 0;
	char *text = NULL;
	FILE *f;
	int err = 0;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return nfx_err(-errno, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (len + 65536 > cap) {
			char *nt = realloc(text, cap = cap ? cap * 2 : 1 << 20);

			if (!nt) {
				err = nfx_err(-ENOMEM, "%s: out of memory", path);
				goto out;
			}
			text = nt;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		err = nfx_err(-EIO, "%s: read error", path);
		goto out;
	}
	err = nfx_rules_parse(path, text, len, &v, &n);
	if (err < 0)
		goto out;
	err = 0;
	if (r->n + n > NFX_RULES_MAX) {
		err = nfx_err(-E2BIG, "%s: the set would have %zu rules, more than %d", path,
			      r->n + n, NFX_RULES_MAX);
	} else {
		for (i = 0; i < n && !err; i++)
			err = nfx_rules_add(r, &v[i], NULL);
	}
	free(v);
out:
	free(text);
	if (f != stdin)
		fclose(f);
	return err;
}

int nfx_rules_del(struct nfx_rules *r, __u32 handle)
{
	size_t i;

	if (!r->in_batch)
		return nfx_err(-EINVAL, "rules: delete outside a batch (call nfx_rules_begin)");
	for (i = 0; i < r->n; i++)
		if (r->rules[i].handle == handle && handle)
			break;
	if (i == r->n)
		return nfx_err(-ENOENT, "rules: no rule with handle %u", handle);
	memmove(&r->rules[i], &r->rules[i + 1], (r->n - i - 1) * sizeof(*r->rules));
	r->n--;
	if (r->ndel == r->delcap) {
		size_t nc = r->delcap ? r->delcap * 2 : 16;
		__u32 *nv = realloc(r->dels, nc * sizeof(*nv));

		if (!nv)
			return nfx_err(-ENOMEM, "rules: out of memory");
		r->dels = nv;
		r->delcap = nc;
	}
	r->dels[r->ndel++] = handle;
	return 0;
}

/* Create an inner map and fill it with one batched update. */
static int inner_create(struct nfx_rules *r, int om, enum bpf_map_type type, __u32 ksz, __u32 vsz,
			__u32 max, __u32 flags, const void *keys, const void *vals, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, co, .map_flags = flags);
	static const char *const short_names[OM_MAX] = {
		"nfx_r_lpm", "nfx_r_exact", "nfx_r_vhdr", "nfx_r_words", "nfx_r_alive",
		"nfx_r_act", "nfx_r_meta",  "nfx_r_src",  "nfx_r_tail",
	};
	int fd, err;

	fd = bpf_map_create(type, short_names[om], ksz, vsz, max ? max : 1, &co);
	if (fd < 0)
		return nfx_err(-errno, "rules: creating %s (%u entries): %s", short_names[om], max,
			       strerror(errno));
	r->syscalls++;
	if (!n)
		return fd;
	if (type == BPF_MAP_TYPE_LPM_TRIE) {
		__u32 i;

		/* The LPM trie has no batch operations (kernel 6.1 to 6.18). */
		for (i = 0; i < n; i++) {
			if (bpf_map_update_elem(fd, (const char *)keys + (size_t)i * ksz,
						(const char *)vals + (size_t)i * vsz, BPF_ANY)) {
				err = -errno;
				goto fail;
			}
			r->syscalls++;
		}
		return fd;
	}
	{
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
		__u32 done = 0;

		while (done < n) {
			__u32 count = n - done;

			if (bpf_map_update_batch(fd, (const char *)keys + (size_t)done * ksz,
						 (const char *)vals + (size_t)done * vsz, &count,
						 &bo)) {
				err = -errno;
				goto fail;
			}
			r->syscalls++;
			done += count;
		}
	}
	return fd;
fail:
	close(fd);
	return nfx_err(err, "rules: filling %s: %s", short_names[om], strerror(-err));
}

/* Zero the counters and limiter state of the handles a set introduces. */
static int reset_handles(struct nfx_rules *r, const __u32 *handles, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	void *zeros;
	__u32 count;
	int err = 0;

	if (!n)
		return 0;
	if (ncpu < 1)
		return nfx_err(-EINVAL, "rules: cannot count CPUs");
	zeros = calloc(n, sizeof(struct nfx_rule_counter) * ncpu);
	if (!zeros)
		return nfx_err(-ENOMEM, "rules: out of memory");
	count = n;
	if (bpf_map_update_batch(r->stats_fd, handles, zeros, &count, &bo))
		err = nfx_err(-errno, "rules: resetting counters: %s", strerror(errno));
	count = n;
	if (!err && bpf_map_update_batch(r->rl_fd, handles, zeros, &count, &bo))
		err = nfx_err(-errno, "rules: resetting rate limiters: %s", strerror(errno));
	r->syscalls += 2;
	free(zeros);
	return err;
}

static int commit_deletes(struct nfx_rules *r, struct nfx_rules_commit_info *ci)
{
	struct nfx_rule *cur_rules = NULL;
	__u32 cur, *pos = NULL, nh, zero = 0;
	size_t n, i, k;
	int fd = -1, err;
	__u64 t0 = now_ns();

	err = load_current(r, &cur_rules, &n, &nh, &pos);
	if (err)
		return err;
	err = cur_get(r, &cur);
	if (err)
		goto out;
	fd = inner_fd(r, OM_ALIVE, cur & 1);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	for (k = 0; k < r->ndel; k++) {
		__u32 w;
		__u64 word;

		for (i = 0; i < n && cur_rules[i].handle != r->dels[k]; i++)
			;
		if (i == n)
			continue;
		if (pos[i] >= NFX_RULES_MAX) {
			/* A tail rule: flag it in its entry (one byte changes). */
			struct nfx_rule dead = cur_rules[i];
			__u32 k2 = pos[i] - NFX_RULES_MAX;
			int tfd = inner_fd(r, OM_TAIL, cur & 1);

			if (tfd < 0) {
				err = tfd;
				goto out;
			}
			dead.pad |= NFX_RULE_F_DEAD;
			err = bpf_map_update_elem(tfd, &k2, &dead, BPF_ANY) ? -errno : 0;
			close(tfd);
			if (err) {
				err = nfx_err(err, "rules: deleting a tail rule: %s",
					      strerror(-err));
				goto out;
			}
			r->syscalls++;
			continue;
		}
		w = pos[i] / 64;
		if (bpf_map_lookup_elem(fd, &w, &word)) {
			err = nfx_err(-errno, "rules: reading live bits: %s", strerror(errno));
			goto out;
		}
		/* One aligned 8-byte store: a packet sees the rule or not. */
		word &= ~(1ull << (pos[i] % 64));
		if (bpf_map_update_elem(fd, &w, &word, BPF_ANY)) {
			err = nfx_err(-errno, "rules: clearing a live bit: %s", strerror(errno));
			goto out;
		}
		r->syscalls += 2;
	}
	ci->build_ns = now_ns() - t0;
	t0 = now_ns();
	/* New generation, same slot: cached verdicts are recomputed. */
	cur = (((cur >> 1) + 1) << 1) | (cur & 1);
	if (!(cur >> 1))
		cur = (1u << 1) | (cur & 1);
	if (bpf_map_update_elem(r->cur_fd, &zero, &cur, BPF_ANY)) {
		err = nfx_err(-errno, "rules: bumping the generation: %s", strerror(errno));
		goto out;
	}
	r->syscalls++;
	ci->switch_ns = now_ns() - t0;
	ci->incremental = true;
	ci->generation = cur >> 1;
	ci->rules = r->n;
out:
	if (fd >= 0)
		close(fd);
	free(cur_rules);
	free(pos);
	return err;
}

/*
 * Appends only: the new rules go to the tail of the committed set. Each
 * entry is written first, then the tail count in the set's meta (one
 * 4-byte field changes), then the generation (cached misses must see the
 * new rules). The work is a few syscalls per rule, whatever the set size.
 */
static int commit_appends(struct nfx_rules *r, __u32 cur, struct nfx_rules_commit_info *ci)
{
	struct nfx_rule_meta meta;
	__u32 zero = 0, slot = cur & 1, k, nadd = r->n - r->n_base, *newh = NULL;
	int mfd = -1, tfd = -1, err;
	__u64 t0 = now_ns();
	size_t i;

	mfd = inner_fd(r, OM_META, slot);
	tfd = inner_fd(r, OM_TAIL, slot);
	if (mfd < 0 || tfd < 0) {
		err = mfd < 0 ? mfd : tfd;
		goto out;
	}
	if (bpf_map_lookup_elem(mfd, &zero, &meta)) {
		err = nfx_err(-errno, "rules: reading the set's meta: %s", strerror(errno));
		goto out;
	}
	if (meta.tail_n + nadd > NFX_RULES_TAIL) {
		err = -ENOSPC;
		goto out;
	}
	newh = calloc(nadd, sizeof(*newh));
	if (!newh) {
		err = nfx_err(-ENOMEM, "rules: out of memory");
		goto out;
	}
	for (i = 0; i < nadd; i++) {
		struct nfx_rule *ru = &r->rules[r->n_base + i];

		ru->handle = handle_alloc(r);
		newh[i] = ru->handle;
	}
	err = reset_handles(r, newh, nadd);
	if (err)
		goto out;
	for (i = 0; i < nadd; i++) {
		k = meta.tail_n + i;
		if (bpf_map_update_elem(tfd, &k, &r->rules[r->n_base + i], BPF_ANY)) {
			err = nfx_err(-errno, "rules: writing a tail rule: %s", strerror(errno));
			goto out;
		}
		r->syscalls++;
	}
	meta.tail_n += nadd;
	meta.next_handle = r->next_handle;
	if (bpf_map_update_elem(mfd, &zero, &meta, BPF_ANY)) {
		err = nfx_err(-errno, "rules: publishing the tail: %s", strerror(errno));
		goto out;
	}
	r->syscalls++;
	ci->build_ns = now_ns() - t0;
	t0 = now_ns();
	cur = (((cur >> 1) + 1) << 1) | slot;
	if (bpf_map_update_elem(r->cur_fd, &zero, &cur, BPF_ANY)) {
		err = nfx_err(-errno, "rules: bumping the generation: %s", strerror(errno));
		goto out;
	}
	r->syscalls++;
	ci->switch_ns = now_ns() - t0;
	ci->incremental = true;
	ci->generation = cur >> 1;
	ci->rules = r->n;
	err = 0;
out:
	free(newh);
	if (mfd >= 0)
		close(mfd);
	if (tfd >= 0)
		close(tfd);
	return err;
}

int nfx_rules_commit(struct nfx_rules *r, struct nfx_rules_commit_info *info)
{
	struct nfx_rules_commit_info ci = {};
	struct rb b = {};
	struct nfx_rule_act *acts = NULL;
	__u32 *keys = NULL, *vecs = NULL, *newh = NULL;
	struct nfx_rule_lpm_key *lkeys = NULL;
	__u64 *ekeys = NULL;
	int fds[OM_MAX], i, err;
	__u32 cur, slot, oldslot, zero = 0, one, gen;
	size_t k, nnew = 0, maxn;
	__u64 t0 = now_ns();

	for (i = 0; i < OM_MAX; i++)
		fds[i] = -1;
	if (!r->in_batch)
		return nfx_err(-EINVAL, "rules: commit outside a batch");
	r->syscalls = 0;
	err = cur_get(r, &cur);
	if (err)
		return err;
	if (r->only_deletes && cur) {
		err = commit_deletes(r, &ci);
		goto done;
	}
	if (cur && r->from_current && !r->ndel && r->n > r->n_base) {
		err = commit_appends(r, cur, &ci);
		if (err != -ENOSPC)
			goto done;
		/* tail full: fold everything into a new set */
	}

	/* Handles: kept for rules carried over, new ones for the rest. */
	newh = calloc(r->n ? r->n : 1, sizeof(*newh));
	if (!newh) {
		err = nfx_err(-ENOMEM, "rules: out of memory");
		goto out;
	}
	for (k = 0; k < r->n; k++)
		if (!r->rules[k].handle) {
			r->rules[k].handle = handle_alloc(r);
			newh[nnew++] = r->rules[k].handle;
		}
	err = nfx_rb_build(&b, r->rules, r->n);
	if (err) {
		err = nfx_err(err, "rules: compiling %zu rules: %s", r->n, strerror(-err));
		goto out;
	}
	b.meta.next_handle = r->next_handle;

	maxn = r->n;
	if (b.nvec > maxn)
		maxn = b.nvec;
	if (b.nwords > maxn)
		maxn = b.nwords;
	if (b.nex > maxn)
		maxn = b.nex;
	if (NFX_RULE_WORDS > maxn)
		maxn = NFX_RULE_WORDS;
	keys = malloc(maxn * sizeof(*keys));
	vecs = malloc((b.nlpm > b.nex ? b.nlpm : b.nex) * sizeof(*vecs) + 4);
	lkeys = malloc((b.nlpm ? b.nlpm : 1) * sizeof(*lkeys));
	ekeys = malloc((b.nex ? b.nex : 1) * sizeof(*ekeys));
	acts = calloc(r->n ? r->n : 1, sizeof(*acts));
	if (!keys || !vecs || !lkeys || !ekeys || !acts) {
		err = nfx_err(-ENOMEM, "rules: out of memory");
		goto out;
	}
	for (k = 0; k < maxn; k++)
		keys[k] = k;
	for (k = 0; k < b.nlpm; k++) {
		lkeys[k] = b.lpm[k].key;
		vecs[k] = b.lpm[k].vec;
	}
	for (k = 0; k < r->n; k++) {
		const struct nfx_rule *ru = &r->rules[k];

		acts[k].handle = ru->handle;
		acts[k].action = ru->action;
		acts[k].mark = ru->set_mark;
		if (ru->action == NFX_RA_RATELIMIT) {
			acts[k].rate_ns = (__u64)ru->rate_unit * 1000000000ull / ru->rate;
			acts[k].burst = ru->burst;
		}
	}
	err = reset_handles(r, newh, nnew);
	if (err)
		goto out;

	fds[OM_LPM] =
		inner_create(r, OM_LPM, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct nfx_rule_lpm_key), 4,
			     b.nlpm, BPF_F_NO_PREALLOC, lkeys, vecs, b.nlpm);
	if (fds[OM_LPM] < 0)
		goto fail;
	for (k = 0; k < b.nex; k++) {
		ekeys[k] = b.ex[k].key;
		vecs[k] = b.ex[k].vec;
	}
	fds[OM_EXACT] =
		inner_create(r, OM_EXACT, BPF_MAP_TYPE_HASH, 8, 4, b.nex, 0, ekeys, vecs, b.nex);
	if (fds[OM_EXACT] < 0)
		goto fail;
	fds[OM_VHDR] = inner_create(r, OM_VHDR, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct nfx_rule_vhdr),
				    b.nvec, BPF_F_INNER_MAP, keys, b.vhdr, b.nvec);
	if (fds[OM_VHDR] < 0)
		goto fail;
	fds[OM_WORDS] = inner_create(r, OM_WORDS, BPF_MAP_TYPE_ARRAY, 4, 8, b.nwords,
				     BPF_F_INNER_MAP, keys, b.words, b.nwords);
	if (fds[OM_WORDS] < 0)
		goto fail;
	fds[OM_ALIVE] = inner_create(r, OM_ALIVE, BPF_MAP_TYPE_ARRAY, 4, 8, NFX_RULE_WORDS,
				     BPF_F_INNER_MAP, keys, b.alive, NFX_RULE_WORDS);
	if (fds[OM_ALIVE] < 0)
		goto fail;
	fds[OM_ACT] = inner_create(r, OM_ACT, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct nfx_rule_act),
				   r->n, BPF_F_INNER_MAP, keys, acts, r->n);
	if (fds[OM_ACT] < 0)
		goto fail;
	fds[OM_META] = inner_create(r, OM_META, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct nfx_rule_meta),
				    1, 0, keys, &b.meta, 1);
	if (fds[OM_META] < 0)
		goto fail;
	fds[OM_SRC] = inner_create(r, OM_SRC, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct nfx_rule), r->n,
				   BPF_F_INNER_MAP, keys, r->rules, r->n);
	if (fds[OM_SRC] < 0)
		goto fail;
	fds[OM_TAIL] = inner_create(r, OM_TAIL, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct nfx_rule),
				    NFX_RULES_TAIL, 0, keys, NULL, 0);
	if (fds[OM_TAIL] < 0)
		goto fail;

	/*
	 * Install in the slot nobody reads. The previous commit ended with
	 * a grace period after its flip, so no packet still runs on it.
	 */
	oldslot = cur & 1;
	slot = cur ? !oldslot : 0;
	for (i = 0; i < OM_MAX; i++) {
		if (bpf_map_update_elem(r->outer[i], &slot, &fds[i], BPF_ANY)) {
			err = nfx_err(-errno, "rules: installing %s: %s", outer_names[i],
				      strerror(errno));
			goto out;
		}
		r->syscalls++;
	}
	ci.build_ns = now_ns() - t0;

	t0 = now_ns();
	gen = (cur >> 1) + 1;
	if (!gen || gen >= (1u << 31))
		gen = 1;
	one = (gen << 1) | slot;
	if (bpf_map_update_elem(r->cur_fd, &zero, &one, BPF_ANY)) {
		err = nfx_err(-errno, "rules: switching to the new set: %s", strerror(errno));
		goto out;
	}
	r->syscalls++;
	ci.switch_ns = now_ns() - t0;

	t0 = now_ns();
	if (cur && slot != oldslot) {
		/*
		 * Re-writing a slot of a map-in-map waits for an RCU grace
		 * period: after it, no packet that read the old generation is
		 * still running, and the old inner maps can go.
		 */
		bpf_map_update_elem(r->outer[OM_META], &slot, &fds[OM_META], BPF_ANY);
		for (i = 0; i < OM_MAX; i++)
			bpf_map_delete_elem(r->outer[i], &oldslot);
		r->syscalls += 1 + OM_MAX;
	}
	ci.cleanup_ns = now_ns() - t0;
	ci.generation = gen;
	ci.rules = r->n;
	ci.vectors = b.nvec;
	ci.words = b.nwords;
	ci.lpm_keys = b.nlpm;
	ci.exact_keys = b.nex;
	err = 0;
	goto out;
fail:
	for (i = 0; i < OM_MAX; i++)
		if (fds[i] < 0) {
			err = fds[i];
			break;
		}
out:
	for (i = 0; i < OM_MAX; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(keys);
	free(vecs);
	free(lkeys);
	free(ekeys);
	free(acts);
	free(newh);
	nfx_rb_free(&b);
done:
	ci.syscalls = r->syscalls;
	if (info)
		*info = ci;
	if (!err)
		nfx_rules_abort(r);
	return err;
}

int nfx_rules_foreach(struct nfx_rules *r, nfx_rule_cb cb, void *ctx)
{
	struct nfx_rule *v;
	size_t n, i;
	__u32 nh;
	int err;

	err = load_current(r, &v, &n, &nh, NULL);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = cb(&v[i], ctx) < 0 ? 1 : 0;
	free(v);
	return 0;
}

int nfx_rules_counters(struct nfx_rules *r, __u32 handle, __u64 *packets, __u64 *bytes)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct nfx_rule_counter *c;

	if (ncpu < 1)
		return nfx_err(-EINVAL, "rules: cannot count CPUs");
	c = calloc(ncpu, sizeof(*c));
	if (!c)
		return nfx_err(-ENOMEM, "rules: out of memory");
	if (bpf_map_lookup_elem(r->stats_fd, &handle, c)) {
		free(c);
		return nfx_err(-errno, "rules: counters of handle %u: %s", handle, strerror(errno));
	}
	*packets = *bytes = 0;
	for (i = 0; i < ncpu; i++) {
		*packets += c[i].packets;
		*bytes += c[i].bytes;
	}
	free(c);
	return 0;
}

int nfx_rule_format(const struct nfx_rule *ru, char *buf, size_t len)
{
	static const char *const flag_names[] = { "fin", "syn", "rst", "psh", "ack", "urg" };
	static const char *const state_names[] = { "new", "established", "assured", "untracked" };
	char a[64], tmp[128];
	size_t o = 0;
	int k;

#define OUT(...) \
	do { \
		int _n = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__); \
		if (_n > 0) \
			o += _n; \
	} while (0)
	if (len)
		buf[0] = 0;
	if (ru->used & (1u << NFX_RF_IIF)) {
		if (ru->iifname[0])
			OUT("iif %s ", ru->iifname);
		else
			OUT("iif %u ", ru->iif);
	}
	if (ru->used & (1u << NFX_RF_SRC))
		OUT("%s saddr %s/%u ", ru->src_family == NFX_AF_INET ? "ip" : "ip6",
		    nfx_addr_str(ru->src_family, &ru->src, a, sizeof(a)), ru->src_plen);
	if (ru->used & (1u << NFX_RF_DST))
		OUT("%s daddr %s/%u ", ru->dst_family == NFX_AF_INET ? "ip" : "ip6",
		    nfx_addr_str(ru->dst_family, &ru->dst, a, sizeof(a)), ru->dst_plen);
	if ((ru->used & (1u << NFX_RF_PROTO)) &&
	    !((ru->proto == 6 || ru->proto == 17) &&
	      (ru->used & ((1u << NFX_RF_SPORT) | (1u << NFX_RF_DPORT) | (1u << NFX_RF_FLAGS)))))
		OUT("meta l4proto %u ", ru->proto);
	if (ru->used & (1u << NFX_RF_SPORT)) {
		OUT("%s sport %u", ru->proto == 6 ? "tcp" : "udp", ru->sport_lo);
		if (ru->sport_hi != ru->sport_lo)
			OUT("-%u", ru->sport_hi);
		OUT(" ");
	}
	if (ru->used & (1u << NFX_RF_DPORT)) {
		OUT("%s dport %u", ru->proto == 6 ? "tcp" : "udp", ru->dport_lo);
		if (ru->dport_hi != ru->dport_lo)
			OUT("-%u", ru->dport_hi);
		OUT(" ");
	}
	if (ru->used & (1u << NFX_RF_FLAGS)) {
		size_t t = 0;

		tmp[0] = 0;
		for (k = 0; k < 6; k++)
			if (ru->flags_val & (1 << k))
				t += snprintf(tmp + t, sizeof(tmp) - t, "%s%s", t ? "," : "",
					      flag_names[k]);
		OUT("tcp flags %s", t ? tmp : "none");
		if (ru->flags_mask != ru->flags_val) {
			t = 0;
			for (k = 0; k < 6; k++)
				if (ru->flags_mask & (1 << k))
					t += snprintf(tmp + t, sizeof(tmp) - t, "%s%s",
						      t ? "," : "", flag_names[k]);
			OUT(" / %s", tmp);
		}
		OUT(" ");
	}
	if (ru->used & (1u << NFX_RF_STATE)) {
		size_t t = 0;

		for (k = 0; k < 4; k++)
			if (ru->state_mask & (1 << k))
				t += snprintf(tmp + t, sizeof(tmp) - t, "%s%s", t ? "," : "",
					      state_names[k]);
		OUT("ct state %s ", tmp);
	}
	if (ru->used & (1u << NFX_RF_APP)) {
		const char *an = nfx_rules_app_name(ru->app);

		if (an)
			OUT("app %s ", an);
		else
			OUT("app %u ", ru->app);
	}
	if (ru->used & (1u << NFX_RF_MARK))
		OUT("meta mark 0x%x ", ru->mark);
	switch (ru->action) {
	case NFX_RA_ACCEPT:
		OUT("accept");
		break;
	case NFX_RA_DROP:
		OUT("drop");
		break;
	case NFX_RA_COUNT:
		OUT("count");
		break;
	case NFX_RA_MARK:
		OUT("meta mark set 0x%x", ru->set_mark);
		break;
	case NFX_RA_RATELIMIT:
		OUT("rate-limit %u/%s burst %u", ru->rate,
		    ru->rate_unit == 1	  ? "second" :
		    ru->rate_unit == 60	  ? "minute" :
		    ru->rate_unit == 3600 ? "hour" :
					    "day",
		    ru->burst);
		break;
	default:
		OUT("action-%u", ru->action);
	}
#undef OUT
	return o < len ? 0 : -ENOSPC;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfx-verify: load every program of every BPF object through the running
 * kernel's verifier, one program at a time, and report whether it was
 * accepted and what it costs: instructions in the object, after the
 * verifier's rewrites (xlated), JITed bytes, and instructions the verifier
 * walked (verified_insns, the figure that hits the 1M complexity limit).
 *
 *   nfx-verify [-j] [-v] [-D VAR=VALUE]... [OBJECT.bpf.o...]
 *
 * Without objects, every build/NAME.bpf.o. -D sets a .rodata variable before the
 * load (e.g. -D features=0xffffffff), so that code behind a feature flag is
 * verified too instead of being dropped as dead. One program per load means
 * a rejected program does not hide the others' figures.
 * Exit status: 0 all accepted, 1 some rejected or unreadable, 2 usage.
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_DEFS 32
#define LOG_SIZE (4u << 20)

struct rodata_def {
	const char *name;
	unsigned long long value;
};

struct verify_opts {
	bool json;
	int verbose;
	int ndefs;
	struct rodata_def defs[MAX_DEFS];
};

struct prog_result {
	char name[128];
	char section[128];
	bool loaded;
	int err;
	unsigned int insns;
	unsigned int xlated_insns;
	unsigned int jited_bytes;
	unsigned int verified_insns;
};

static int verbose_level;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (verbose_level < 2 && level != LIBBPF_WARN)
		return 0;
	if (verbose_level < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Write the -D values into the object's .rodata before it is loaded. */
static int set_rodata(struct bpf_object *obj, const struct verify_opts *o)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map = NULL, *m;
	const struct btf *btf;
	size_t size;
	void *data;
	int i, k, id, err = 0;

	if (!o->ndefs)
		return 0;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t len = strlen(n);

		if (len >= 7 && !strcmp(n + len - 7, ".rodata"))
			map = m;
	}
	btf = bpf_object__btf(obj);
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (!map || id < 0) {
		/* Nothing to set, as for a -D variable an object does not declare. */
		if (o->verbose)
			fprintf(stderr, "nfx-verify: %s: no .rodata to set -D values in\n",
				bpf_object__name(obj));
		return 0;
	}
	data = malloc(bpf_map__value_size(map));
	if (!data)
		return -ENOMEM;
	memcpy(data, bpf_map__initial_value(map, &size), bpf_map__value_size(map));
	sec = btf__type_by_id(btf, id);
	for (i = 0; i < o->ndefs; i++) {
		bool found = false;

		vs = btf_var_secinfos(sec);
		for (k = 0; k < btf_vlen(sec); k++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			unsigned long long v = o->defs[i].value;

			if (strcmp(btf__name_by_offset(btf, var->name_off), o->defs[i].name))
				continue;
			if (vs->size > sizeof(v) || vs->offset + vs->size > size) {
				fprintf(stderr,
					"nfx-verify: %s: %s is not an integer up to 8 bytes\n",
					bpf_object__name(obj), o->defs[i].name);
				err = -EINVAL;
				goto out;
			}
			/* Little-endian host: the low bytes of v are the value. */
			memcpy((char *)data + vs->offset, &v, vs->size);
			found = true;
		}
		if (!found && o->verbose)
			fprintf(stderr, "nfx-verify: %s: no .rodata variable %s\n",
				bpf_object__name(obj), o->defs[i].name);
	}
	err = bpf_map__set_initial_value(map, data, size);
out:
	free(data);
	return err;
}

/* Load only program number idx of path, and read back what the kernel made of it. */
static int verify_one(const char *path, int idx, const struct verify_opts *o, struct prog_result *r,
		      char *log)
{
	struct bpf_program *prog, *target = NULL;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_object *obj;
	int i = 0, err;

	obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(obj);
	if (err)
		return err;
	bpf_object__for_each_program(prog, obj) {
		bool me = i++ == idx;

		bpf_program__set_autoload(prog, me);
		if (me)
			target = prog;
	}
	if (!target) {
		err = -ENOENT;
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", bpf_program__name(target));
	snprintf(r->section, sizeof(r->section), "%s", bpf_program__section_name(target));
	r->insns = bpf_program__insn_cnt(target);
	log[0] = '\0';
	bpf_program__set_log_buf(target, log, LOG_SIZE);
	err = set_rodata(obj, o);
	if (err)
		goto out;
	err = bpf_object__load(obj);
	r->err = err;
	if (err) {
		err = 0; /* a rejection is a result, not a tool failure */
		goto out;
	}
	r->loaded = true;
	err = bpf_obj_get_info_by_fd(bpf_program__fd(target), &info, &len);
	if (err) {
		err = -errno;
		goto out;
	}
	r->xlated_insns = info.xlated_prog_len / sizeof(struct bpf_insn);
	r->jited_bytes = info.jited_prog_len;
	r->verified_insns = info.verified_insns;
out:
	bpf_object__close(obj);
	return err;
}

static int count_progs(const char *path, int *n)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int err = libbpf_get_error(obj);

	if (err)
		return err;
	*n = 0;
	bpf_object__for_each_program(prog, obj)
		(*n)++;
	bpf_object__close(obj);
	return 0;
}

/* Object file name without directories and the .bpf.o suffix. */
static void object_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(buf, len, "%s", base ? base + 1 : path);
	dot = strstr(buf, ".bpf.o");
	if (dot)
		*dot = '\0';
}

static void print_log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);
	int n = 0;

	while (p > log && n <= lines)
		if (*--p == '\n')
			n++;
	fprintf(stderr, "%s\n", p == log ? p : p + 1);
}

static int verify_object(const char *path, const struct verify_opts *o, const char *kernel,
			 char *log, int *rejected)
{
	char objname[128];
	int i, n, err;

	object_name(path, objname, sizeof(objname));
	err = count_progs(path, &n);
	if (err) {
		fprintf(stderr, "nfx-verify: %s: cannot open: %s\n", path, strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		struct prog_result r = {};

		err = verify_one(path, i, o, &r, log);
		if (err) {
			fprintf(stderr, "nfx-verify: %s: program %d: %s\n", path, i,
				strerror(-err));
			return err;
		}
		if (!r.loaded)
			(*rejected)++;
		if (o->json) {
			printf("{\"kernel\":\"%s\",\"object\":\"%s\",\"program\":\"%s\","
			       "\"section\":\"%s\",\"loaded\":%s,\"error\":%d,\"insns\":%u,"
			       "\"xlated_insns\":%u,\"jited_bytes\":%u,\"verified_insns\":%u}\n",
			       kernel, objname, r.name, r.section, r.loaded ? "true" : "false",
			       r.err, r.insns, r.xlated_insns, r.jited_bytes, r.verified_insns);
		} else {
			printf("%-16s %-24s %-12s %-8s %7u %7u %7u %9u\n", objname, r.name,
			       r.section, r.loaded ? "ok" : "REJECTED", r.insns, r.xlated_insns,
			       r.jited_bytes, r.verified_insns);
		}
		if (!r.loaded) {
			fprintf(stderr, "nfx-verify: %s: %s rejected: %s; verifier log tail:\n",
				objname, r.name, strerror(-r.err));
			print_log_tail(log, o->verbose ? 200 : 20);
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: nfx-verify [-j] [-v] [-D VAR=VALUE]... [OBJECT.bpf.o...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct verify_opts o = {};
	struct utsname uts;
	glob_t g = {};
	char *log = NULL;
	int i, c, rejected = 0, failed = 0, ret;

	while ((c = getopt(argc, argv, "jvD:h")) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'D': {
			char *eq = strchr(optarg, '='), *end;

			if (!eq || eq == optarg || o.ndefs == MAX_DEFS)
				return usage();
			*eq = '\0';
			o.defs[o.ndefs].name = optarg;
			errno = 0;
			o.defs[o.ndefs].value = strtoull(eq + 1, &end, 0);
			if (errno || *end || !eq[1]) {
				fprintf(stderr, "nfx-verify: -D %s: '%s' is not a number\n", optarg,
					eq + 1);
				return 2;
			}
			o.ndefs++;
			break;
		}
		default:
			return usage();
		}
	}
	verbose_level = o.verbose;
	libbpf_set_print(print_libbpf);
	if (optind == argc) {
		if (glob("build/*.bpf.o", 0, NULL, &g) || !g.gl_pathc) {
			fprintf(stderr, "nfx-verify: no build/*.bpf.o (run make first)\n");
			globfree(&g);
			return 1;
		}
	}
	log = malloc(LOG_SIZE);
	if (!log) {
		globfree(&g);
		return 1;
	}
	uname(&uts);
	if (!o.json)
		printf("# kernel %s\n%-16s %-24s %-12s %-8s %7s %7s %7s %9s\n", uts.release,
		       "object", "program", "section", "result", "insns", "xlated", "jited",
		       "verified");
	if (optind == argc) {
		for (i = 0; i < (int)g.gl_pathc; i++)
			if (verify_object(g.gl_pathv[i], &o, uts.release, log, &rejected))
				failed++;
	} else {
		for (i = optind; i < argc; i++)
			if (verify_object(argv[i], &o, uts.release, log, &rejected))
				failed++;
	}
	ret = rejected || failed ? 1 : 0;
	globfree(&g);
	free(log);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Garbage collector control: arming its timer, its run-time settings
 * (KEY=VALUE, from the command line or a file) and its state.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/consts.h"
#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "internal.h"
#include "nfx_gc.skel.h"

/* Give every map of obj the one of that name pinned in dir. */
static int reuse_pinned_maps(struct bpf_object *obj, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int fd, err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = nfx_path(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return nfx_err(-errno, "cannot open %s: %s", path, strerror(errno));
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err)
			return nfx_err(err, "cannot use %s: %s (made by another nfx version?)",
				       path, strerror(-err));
	}
	return 0;
}

/* Load the collector against dir's maps and run one of its programs. */
static int gc_run_prog(const char *dir, bool start)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct nfx_gc_bpf *skel = nfx_gc_bpf__open();
	struct bpf_program *prog;
	int err;

	if (!skel)
		return nfx_err(-errno, "cannot open the collector program: %s", strerror(errno));
	err = reuse_pinned_maps(skel->obj, dir);
	if (err)
		goto out;
	/* Load only the program we run: the other stays out of the kernel. */
	bpf_program__set_autoload(skel->progs.nfx_gc_start, start);
	bpf_program__set_autoload(skel->progs.nfx_gc_step, !start);
	err = nfx_gc_bpf__load(skel);
	if (err) {
		err = nfx_err(
			err,
			"cannot load the collector: %s (bpf_timer in a syscall program needs Linux 5.15+; -v shows the verifier log)",
			strerror(-err));
		goto out;
	}
	prog = start ? skel->progs.nfx_gc_start : skel->progs.nfx_gc_step;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	if (err)
		err = nfx_err(-errno, "cannot run the collector: %s", strerror(errno));
	else if ((int)topts.retval < 0)
		err = nfx_err((int)topts.retval, "the collector did not start: %s",
			      strerror(-(int)topts.retval));
out:
	/* The armed timer keeps its own reference on the program. */
	nfx_gc_bpf__destroy(skel);
	return err;
}

int nfx_gc_start_dir(const char *dir)
{
	return gc_run_prog(dir, true);
}

int nfx_gc_start(const char *ifname, const char *pin_root)
{
	char dir[PATH_MAX];
	int err = nfx_path(dir, sizeof(dir), "%s/%s", nfx_pin_root(pin_root), ifname);

	return err ? err : gc_run_prog(dir, true);
}

int nfx_gc_step(const char *ifname, const char *pin_root)
{
	char dir[PATH_MAX];
	int err = nfx_path(dir, sizeof(dir), "%s/%s", nfx_pin_root(pin_root), ifname);

	return err ? err : gc_run_prog(dir, false);
}

int nfx_gc_state(struct nfx_link *link, struct nfx_gc_state *st)
{
	int fd = nfx_link_map_fd(link, "nfx_gc");
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, st))
		return nfx_err(-errno, "cannot read the collector state: %s", strerror(errno));
	return 0;
}

static int max_entries(struct nfx_link *link, const char *name, __u64 *out)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = nfx_link_map_fd(link, name);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return nfx_err(-errno, "%s: %s", name, strerror(errno));
	*out = info.max_entries;
	return 0;
}

int nfx_flows_capacity(struct nfx_link *link, __u64 *assured, __u64 *unassured)
{
	int err = max_entries(link, "nfx_flows", assured);

	return err ? err : max_entries(link, "nfx_flows_new", unassured);
}

void nfx_gc_defaults(struct nfx_config *cfg, __u64 capacity)
{
	struct nfx_gc_conf *g = &cfg->gc;

	g->interval_ms = 1000;
	g->interval_max_ms = 8000;
	g->slice = 65536;
	/* pf's defaults: scaling starts at 60% and ends at 120% of the limit */
	g->adaptive_start = capacity * 6 / 10;
	g->adaptive_end = capacity * 12 / 10;
	g->quota = NFX_FLOWS_NEW_MAX / 16;
	g->quota_plen4 = 24;
	g->quota_plen6 = 64;
}

enum gc_key_kind { K_TIMEOUT, K_MS, K_COUNT, K_FLOWS, K_PLEN4, K_PLEN6 };

static const struct gc_key {
	const char *name;
	enum gc_key_kind kind;
	size_t off;
} gc_keys[] = {
#define TCP(st, name) \
	{ \
		"tcp." name, K_TIMEOUT, offsetof(struct nfx_config, timeouts.tcp[st]) \
	}
	TCP(FLOW_TCP_NONE, "none"),
	TCP(FLOW_TCP_SYN_SENT, "syn_sent"),
	TCP(FLOW_TCP_SYN_RECV, "syn_recv"),
	TCP(FLOW_TCP_ESTABLISHED, "established"),
	TCP(FLOW_TCP_FIN_WAIT, "fin_wait"),
	TCP(FLOW_TCP_CLOSE_WAIT, "close_wait"),
	TCP(FLOW_TCP_LAST_ACK, "last_ack"),
	TCP(FLOW_TCP_TIME_WAIT, "time_wait"),
	TCP(FLOW_TCP_CLOSE, "close"),
#undef TCP
	{ "udp.unreplied", K_TIMEOUT, offsetof(struct nfx_config, timeouts.udp_unreplied) },
	{ "udp.assured", K_TIMEOUT, offsetof(struct nfx_config, timeouts.udp_assured) },
	{ "icmp", K_TIMEOUT, offsetof(struct nfx_config, timeouts.icmp) },
	{ "other", K_TIMEOUT, offsetof(struct nfx_config, timeouts.other) },
	{ "interval", K_MS, offsetof(struct nfx_config, gc.interval_ms) },
	{ "interval.max", K_MS, offsetof(struct nfx_config, gc.interval_max_ms) },
	{ "slice", K_COUNT, offsetof(struct nfx_config, gc.slice) },
	{ "adaptive.start", K_FLOWS, offsetof(struct nfx_config, gc.adaptive_start) },
	{ "adaptive.end", K_FLOWS, offsetof(struct nfx_config, gc.adaptive_end) },
	{ "quota", K_COUNT, offsetof(struct nfx_config, gc.quota) },
	{ "quota.prefix4", K_PLEN4, offsetof(struct nfx_config, gc.quota_plen4) },
	{ "quota.prefix6", K_PLEN6, offsetof(struct nfx_config, gc.quota_plen6) },
};

const char *const nfx_gc_keys[] = {
	"tcp.none",	  "tcp.syn_sent",
	"tcp.syn_recv",	  "tcp.established",
	"tcp.fin_wait",	  "tcp.close_wait",
	"tcp.last_ack",	  "tcp.time_wait",
	"tcp.close",	  "udp.unreplied",
	"udp.assured",	  "icmp",
	"other",	  "interval",
	"interval.max",	  "slice",
	"adaptive.start", "adaptive.end",
	"quota",	  "quota.prefix4",
	"quota.prefix6",  NULL,
};

/* Integer with an optional unit; *ns in nanoseconds. No unit: seconds. */
static int parse_dur(const char *s, __u64 *ns, int *col)
{
	static const struct {
		const char *u;
		__u64 mul;
	} units[] = {
		{ "ms", 1000000ull },	   { "s", 1000000000ull },     { "m", 60000000000ull },
		{ "h", 3600000000000ull }, { "d", 86400000000000ull }, { "", 1000000000ull },
	};
	unsigned long long v;
	char *end;
	size_t i;

	*col = 0;
	if (!isdigit((unsigned char)*s))
		return nfx_err(-EINVAL, "'%s' is not a duration (e.g. 30s, 5m, 2h, 1d)", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	for (i = 0; !errno && i < NFX_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].u))
			continue;
		if (v > ULLONG_MAX / units[i].mul)
			break;
		*ns = v * units[i].mul;
		return 0;
	}
	*col = end - s;
	return nfx_err(-EINVAL, "'%s' is not a duration (integer with ms, s, m, h or d)", s);
}

static int parse_count(const char *s, __u64 max, __u64 *out, int *col)
{
	unsigned long long v;
	char *end;

	*col = 0;
	if (!isdigit((unsigned char)*s))
		return nfx_err(-EINVAL, "'%s' is not a number", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max) {
		*col = *end ? end - s : 0;
		return nfx_err(-EINVAL, "'%s' is not a number 0..%llu", s, (unsigned long long)max);
	}
	*out = v;
	return 0;
}

int nfx_gc_conf_set(struct nfx_config *cfg, const char *key, const char *val, __u64 capacity,
		    int *col)
{
	const struct gc_key *k = NULL;
	__u64 v = 0, ns;
	int c = -1, err;
	size_t i, n;
	char *p;

	for (i = 0; i < NFX_ARRAY_SIZE(gc_keys); i++)
		if (!strcasecmp(gc_keys[i].name, key))
			k = &gc_keys[i];
	if (col)
		*col = -1;
	if (!k)
		return nfx_err(-EINVAL, "unknown key '%s'", key);
	switch (k->kind) {
	case K_TIMEOUT:
		err = parse_dur(val, &ns, &c);
		if (!err && (ns % 1000000000ull || ns / 1000000000ull > UINT_MAX))
			err = nfx_err(-EINVAL, "%s: timeouts are whole seconds up to %u", key,
				      UINT_MAX);
		v = ns / 1000000000ull;
		break;
	case K_MS:
		err = parse_dur(val, &ns, &c);
		if (!err && (ns / 1000000ull > UINT_MAX))
			err = nfx_err(-EINVAL, "%s: too long", key);
		v = ns / 1000000ull;
		break;
	case K_COUNT:
		err = parse_count(val, UINT_MAX, &v, &c);
		break;
	case K_FLOWS:
		n = strlen(val);
		if (n && val[n - 1] == '%') {
			char buf[32];

			if (n >= sizeof(buf)) {
				err = nfx_err(-EINVAL, "'%s' is not a number", val);
				break;
			}
			memcpy(buf, val, n - 1);
			buf[n - 1] = '\0';
			err = parse_count(buf, 1000, &v, &c);
			v = v * capacity / 100;
		} else {
			err = parse_count(val, UINT_MAX, &v, &c);
		}
		if (!err && v > UINT_MAX)
			err = nfx_err(-EINVAL, "%s: %s is too large", key, val);
		break;
	case K_PLEN4:
	case K_PLEN6:
		err = parse_count(val[0] == '/' ? val + 1 : val, k->kind == K_PLEN4 ? 32 : 128, &v,
				  &c);
		if (!err && !v)
			err = nfx_err(-EINVAL,
				      "%s: a /0 quota prefix would be one quota for all sources",
				      key);
		break;
	default:
		err = -EINVAL;
	}
	if (err) {
		if (col)
			*col = c;
		return err;
	}
	p = (char *)cfg + k->off;
	if (k->kind == K_PLEN4 || k->kind == K_PLEN6)
		*(__u8 *)p = v;
	else
		*(__u32 *)p = v;
	return 0;
}

int nfx_gc_conf_check(const struct nfx_config *cfg)
{
	const struct nfx_gc_conf *g = &cfg->gc;

	if (g->adaptive_start && g->adaptive_end <= g->adaptive_start)
		return nfx_err(
			-EINVAL,
			"adaptive.end (%u) must be above adaptive.start (%u); adaptive.start=0 turns scaling off",
			g->adaptive_end, g->adaptive_start);
	if (g->interval_ms && !g->slice)
		return nfx_err(-EINVAL, "slice must be at least 1 while the collector runs");
	return 0;
}

int nfx_gc_conf_load(struct nfx_config *cfg, const char *path, __u64 capacity)
{
	struct nfx_config tmp = *cfg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, err = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return nfx_err(-errno, "%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *k, *ke, *v, *ve, *hash;
		int col;

		lineno++;
		if (memchr(line, '\0', len)) {
			err = nfx_err(-EINVAL, "%s:%d:1: NUL byte in a text file", path, lineno);
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (!*k)
			continue;
		for (ke = k; *ke && !isspace((unsigned char)*ke) && *ke != '='; ke++)
			;
		for (v = ke; isspace((unsigned char)*v); v++)
			;
		if (*v != '=') {
			err = nfx_err(-EINVAL, "%s:%d:%d: expected KEY = VALUE", path, lineno,
				      (int)(v - line) + 1);
			break;
		}
		for (v++; isspace((unsigned char)*v); v++)
			;
		for (ve = v + strlen(v); ve > v && isspace((unsigned char)ve[-1]); ve--)
			;
		*ke = '\0';
		*ve = '\0';
		if (!*v) {
			err = nfx_err(-EINVAL, "%s:%d:%d: '%s' needs a value", path, lineno,
				      (int)(v - line) + 1, k);
			break;
		}
		err = nfx_gc_conf_set(&tmp, k, v, capacity, &col);
		if (err) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", nfx_errmsg());
			err = nfx_err(err, "%s:%d:%d: %s", path, lineno,
				      (int)((col < 0 ? k : v + col) - line) + 1, msg);
			break;
		}
	}
	if (!err && ferror(f))
		err = nfx_err(-EIO, "%s: read error", path);
	free(line);
	fclose(f);
	if (!err) {
		err = nfx_gc_conf_check(&tmp);
		if (err) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", nfx_errmsg());
			err = nfx_err(err, "%s: %s", path, msg);
		}
	}
	if (!err)
		*cfg = tmp;
	return err;
}

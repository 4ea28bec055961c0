// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attach, detach and inspect nfx on a link.
 *
 * Attach loads the XDP pipeline through libxdp (so other XDP programs can
 * share the interface through its dispatcher) and pins the program and all
 * maps under <pin root>/<ifname>/. Every step is undone on failure, and
 * detach removes exactly what attach created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "nfx/consts.h"
#include "nfx/events.h"
#include "nfx/nfgc.h"
#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "internal.h"
#include "rules_int.h"
#include "nfx_xdp.skel.h"

#define NFX_PROG_PIN "nfx_xdp"
#define NFX_MAX_MAPS 64

struct nfx_link {
	char ifname[IF_NAMESIZE];
	char dir[PATH_MAX];
	int nmaps;
	struct {
		char name[64];
		int fd;
	} maps[NFX_MAX_MAPS];
};

int nfx_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return nfx_err(-ENAMETOOLONG, "path too long: %s...", buf);
	return 0;
}

const char *nfx_pin_root(const char *override)
{
	const char *env = getenv("NFX_PIN_ROOT");

	if (override && *override)
		return override;
	if (env && *env)
		return env;
	return NFX_PIN_ROOT;
}

__u64 nfx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int nfx_bpffs_ensure(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return nfx_err(-errno,
			       "bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s",
			       strerror(errno));
	return 0;
}

static int check_name(const char *ifname)
{
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return nfx_err(-EINVAL, "'%s' is not a valid interface name", ifname ? ifname : "");
	return 0;
}

static int check_privileges(void)
{
	if (geteuid() != 0)
		return nfx_err(
			-EPERM,
			"permission denied: nfx needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
	return 0;
}

static int check_kernel(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return nfx_err(
			-EOPNOTSUPP,
			"unsupported kernel: no BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF for CO-RE)");
	return 0;
}

/* Remove every pin in dir, then dir itself, then the root if now empty. */
static int unpin_dir(const char *dir)
{
	char path[PATH_MAX], root[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nfx_path(path, sizeof(path), "%s/%s", dir, de->d_name) || unlink(path))
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		err = -errno;
	snprintf(root, sizeof(root), "%s", dir);
	*strrchr(root, '/') = '\0';
	rmdir(root);	/* fails harmlessly while other links are attached */
	return err;
}

static enum xdp_attach_mode to_xdp_mode(enum nfx_xdp_mode mode)
{
	switch (mode) {
	case NFX_MODE_NATIVE:
		return XDP_MODE_NATIVE;
	case NFX_MODE_GENERIC:
		return XDP_MODE_SKB;
	default:
		return XDP_MODE_UNSPEC;
	}
}

static int pin_objects(struct nfx_xdp_bpf *skel, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return nfx_err(-errno, "cannot create %s: %s", dir, strerror(errno));

	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = nfx_path(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		if (!err)
			err = bpf_map__pin(map, path);
		if (err)
			return nfx_err(err, "cannot pin map %s at %s: %s", bpf_map__name(map), path,
				       strerror(-err));
	}
	err = nfx_path(path, sizeof(path), "%s/%s", dir, NFX_PROG_PIN);
	if (!err)
		err = bpf_program__pin(skel->progs.nfx_xdp, path);
	if (err)
		return nfx_err(err, "cannot pin program at %s: %s", path, strerror(-err));
	return 0;
}

static int prog_id_of_fd(int fd, __u32 *id, __u64 *load_time)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	if (err)
		return -errno;
	*id = info.id;
	if (load_time)
		*load_time = info.load_time;
	return 0;
}

/* Find our program among those libxdp reports on ifindex. */
static struct xdp_program *find_attached(struct xdp_multiprog *mp, __u32 id)
{
	struct xdp_program *p;

	if (!mp || libxdp_get_error(mp))
		return NULL;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && xdp_program__id(p) == id ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}

static int detach_prog(int ifindex, __u32 id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	p = find_attached(mp, id);
	if (p) {
		if (xdp_multiprog__is_legacy(mp))
			err = xdp_multiprog__detach(mp);
		else
			err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	}
	xdp_multiprog__close(mp);
	return err;
}

static bool btf_has_func(const char *path, const char *name, struct btf *base)
{
	struct btf *btf = base ? btf__parse_split(path, base) : btf__parse(path, NULL);
	bool found;

	if (libbpf_get_error(btf))
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return found;
}

/* What the running kernel offers, read from its BTF (vmlinux and modules). */
__u32 nfx_probe_features(void)
{
	struct btf *vmlinux = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	__u32 feat = 0;

	if (libbpf_get_error(vmlinux))
		return 0;
	if (btf_has_func("/sys/kernel/btf/vmlinux", "bpf_xdp_ct_lookup", NULL) ||
	    btf_has_func("/sys/kernel/btf/nf_conntrack", "bpf_xdp_ct_lookup", vmlinux))
		feat |= NFX_FEAT_CT_KFUNCS;
	btf__free(vmlinux);
	return feat;
}

static __u64 netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u64)st.st_ino;
}

static bool is_per_link_map(const char *name)
{
	static const char *const per_link[] = NFX_PER_LINK_MAPS;
	size_t i;

	for (i = 0; i < NFX_ARRAY_SIZE(per_link); i++)
		if (!strcmp(per_link[i], name))
			return true;
	return false;
}

/*
 * Another link of this namespace that nfx is attached to: its shared maps
 * (flow table, configuration, ...) are reused so that both directions of
 * a routed connection meet in one entry. Returns 1 and fills sib/cfg.
 */
static int find_sibling(const char *root, const char *ifname, char *sib, size_t len,
			struct nfx_config *cfg)
{
	__u64 ino = netns_ino();
	struct dirent *de;
	DIR *d = opendir(root);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX];
		__u32 zero = 0;
		int fd;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, ifname) ||
		    nfx_path(path, sizeof(path), "%s/%s/nfx_config", root, de->d_name))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!bpf_map_lookup_elem(fd, &zero, cfg) && cfg->netns_ino == ino &&
		    (cfg->flags & NFX_CFG_READY) && !nfx_path(sib, len, "%s/%s", root, de->d_name))
			found = 1;
		close(fd);
	}
	closedir(d);
	return found;
}

static int reuse_shared_maps(struct nfx_xdp_bpf *skel, const char *sib)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int fd, err;

	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map) || is_per_link_map(bpf_map__name(map)))
			continue;
		err = nfx_path(path, sizeof(path), "%s/%s", sib, bpf_map__name(map));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return nfx_err(-errno, "cannot open shared map %s: %s", path,
				       strerror(errno));
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err)
			return nfx_err(
				err,
				"cannot share map %s (was it made by another nfx version?): %s",
				path, strerror(-err));
	}
	return 0;
}

static int fill_link_conf(struct nfx_xdp_bpf *skel, int ifindex, const struct nfx_attach_opts *o)
{
	struct nfx_link_conf lc = { .ifindex = ifindex, .zone = o->zone, .flags = NFX_CFG_READY };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0))
		return nfx_err(-errno, "cannot write link configuration: %s", strerror(errno));
	return 0;
}

static int fill_config(struct nfx_xdp_bpf *skel, const struct nfx_attach_opts *o)
{
	struct nfx_config cfg = {};
	__u32 zero = 0;
	int i;

	/* The datapath reads its key from rodata; this copy is for tools. */
	memcpy(cfg.hash_key, (const void *)skel->rodata->hash_key, sizeof(cfg.hash_key));
	cfg.netns_ino = netns_ino();
	/* Defaults close to nf_conntrack's, shorter where it is generous. */
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 120;
	cfg.timeouts.tcp[FLOW_TCP_NONE] = 300;
	cfg.timeouts.tcp[FLOW_TCP_SYN_SENT] = 60;
	cfg.timeouts.tcp[FLOW_TCP_SYN_RECV] = 60;
	cfg.timeouts.tcp[FLOW_TCP_ESTABLISHED] = 86400;
	cfg.timeouts.tcp[FLOW_TCP_FIN_WAIT] = 120;
	cfg.timeouts.tcp[FLOW_TCP_CLOSE_WAIT] = 60;
	cfg.timeouts.tcp[FLOW_TCP_LAST_ACK] = 30;
	cfg.timeouts.tcp[FLOW_TCP_TIME_WAIT] = 120;
	cfg.timeouts.tcp[FLOW_TCP_CLOSE] = 10;
	cfg.timeouts.udp_unreplied = 30;
	cfg.timeouts.udp_assured = 120;
	cfg.timeouts.icmp = 30;
	cfg.timeouts.other = 600;
	nfx_gc_defaults(&cfg, (__u64)bpf_map__max_entries(skel->maps.nfx_flows) +
				      bpf_map__max_entries(skel->maps.nfx_flows_new));
	cfg.features = skel->rodata->features;
	cfg.flags = NFX_CFG_READY;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0))
		return nfx_err(-errno, "cannot write configuration: %s", strerror(errno));
	return 0;
}

/* The per-CPU event rings live as long as the (shared) outer map. */
static int fill_events(struct nfx_xdp_bpf *skel, const struct nfx_attach_opts *o)
{
	struct nfx_event_conf conf = {
		.types = NFX_EVENT_TYPES_ALL,
		.wakeup_every = NFX_EVENT_WAKEUP_EVERY,
		.ring_bytes = o->event_ring_bytes,
	};
	int n = nfx_events_rings_create(bpf_map__fd(skel->maps.nfx_event_rings),
					bpf_map__fd(skel->maps.nfx_event_conf), &conf);

	return n < 0 ? n : 0;
}

int nfx_attach(const char *ifname, const struct nfx_attach_opts *opts)
{
	struct nfx_attach_opts o = {};
	struct nfx_xdp_bpf *skel = NULL;
	struct xdp_program *xprog = NULL;
	const char *root;
	char dir[PATH_MAX];
	bool attached = false, pinned = false;
	struct nfx_config sib_cfg;
	char sib[PATH_MAX];
	int shared;
	struct stat st;
	__u32 prog_id = 0;
	int ifindex, err;

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	err = check_name(ifname);
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return nfx_err(-ENODEV, "%s: no such interface", ifname);
	err = check_privileges();
	if (!err)
		err = check_kernel();
	if (!err)
		err = nfx_bpffs_ensure();
	if (err)
		return err;

	root = nfx_pin_root(o.pin_root);
	err = nfx_path(dir, sizeof(dir), "%s/%s", root, ifname);
	if (err)
		return err;
	if (stat(dir, &st) == 0) {
		if (!o.replace)
			return nfx_err(
				-EEXIST,
				"%s: nfx is already attached (pins in %s); detach first or use --replace",
				ifname, dir);
		err = nfx_detach(ifname, root);
		if (err)
			return err;
	}
	/* After a replace: detaching the last link removes the root too. */
	if (mkdir(root, 0700) && errno != EEXIST)
		return nfx_err(-errno, "cannot create %s: %s", root, strerror(errno));

	skel = nfx_xdp_bpf__open();
	if (!skel) {
		err = nfx_err(-errno, "%s: cannot open the BPF object: %s", ifname,
			      strerror(errno));
		goto out;
	}
	shared = find_sibling(root, ifname, sib, sizeof(sib), &sib_cfg);
	if (shared) {
		/* Same key and features as the links whose tables we join. */
		memcpy((void *)skel->rodata->hash_key, sib_cfg.hash_key, sizeof(sib_cfg.hash_key));
		skel->rodata->features = sib_cfg.features;
		err = reuse_shared_maps(skel, sib);
		if (err)
			goto out;
	} else {
		if (getrandom((void *)skel->rodata->hash_key, sizeof(skel->rodata->hash_key), 0) !=
		    sizeof(skel->rodata->hash_key)) {
			err = nfx_err(-errno, "getrandom: %s", strerror(errno));
			goto out;
		}
		skel->rodata->features = o.no_ct_adopt ? 0 : nfx_probe_features();
	}

	xprog = xdp_program__from_bpf_obj(skel->obj, NULL);
	err = libxdp_get_error(xprog);
	if (err) {
		xprog = NULL;
		err = nfx_err(err, "%s: libxdp cannot use the BPF object: %s", ifname,
			      strerror(-err));
		goto out;
	}
	err = xdp_program__attach(xprog, ifindex, to_xdp_mode(o.mode), 0);
	if (err) {
		char buf[256];

		libxdp_strerror(err, buf, sizeof(buf));
		if (o.mode == NFX_MODE_NATIVE && err == -EOPNOTSUPP)
			err = nfx_err(
				err,
				"%s: XDP native mode not supported by driver (try --mode generic)",
				ifname);
		else
			err = nfx_err(err, "%s: cannot attach XDP program: %s", ifname, buf);
		goto out;
	}
	attached = true;
	err = prog_id_of_fd(bpf_program__fd(skel->progs.nfx_xdp), &prog_id, NULL);
	if (err) {
		err = nfx_err(err, "%s: cannot read program info: %s", ifname, strerror(-err));
		goto out;
	}
	err = fill_link_conf(skel, ifindex, &o);
	if (!err)
		err = nfg_matcher_install(bpf_map__fd(skel->maps.nfx_nfg_jmp),
					  bpf_program__fd(skel->progs.nfx_nfgrep));
	if (!err)
		err = nfx_rules_prog_install(skel->obj);
	if (!err && !shared)
		err = fill_config(skel, &o);
	if (!err && !shared)
		err = fill_events(skel, &o);
	if (err)
		goto out;
	pinned = true;
	err = pin_objects(skel, dir);
	/*
	 * The links of a netns share one collector. Without it (bpf_timer in
	 * a syscall program needs 5.15) nfx still works: the datapath ignores
	 * expired entries on lookup; `gc show` and `status` say it is stopped.
	 */
	if (!err && !shared && nfx_gc_start_dir(dir))
		fprintf(stderr, "nfx: %s: warning: garbage collector not started: %s\n", ifname,
			nfx_errmsg());
out:
	if (err) {
		if (attached)
			detach_prog(ifindex, prog_id);
		if (pinned)
			unpin_dir(dir);
	}
	xdp_program__close(xprog);
	nfx_xdp_bpf__destroy(skel);
	return err;
}

int nfx_detach(const char *ifname, const char *pin_root)
{
	const char *root = nfx_pin_root(pin_root);
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	__u32 id = 0;
	int ifindex, fd, err;

	err = check_name(ifname);
	if (!err)
		err = check_privileges();
	if (!err)
		err = nfx_path(dir, sizeof(dir), "%s/%s", root, ifname);
	if (err)
		return err;
	if (stat(dir, &st))
		return nfx_err(-ENOENT, "%s: nfx is not attached (no pins in %s)", ifname, dir);

	err = nfx_path(path, sizeof(path), "%s/%s", dir, NFX_PROG_PIN);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* No id: nothing of ours is attached; the pins still go. */
		if (prog_id_of_fd(fd, &id, NULL))
			id = 0;
		close(fd);
	}
	ifindex = if_nametoindex(ifname);
	if (ifindex && id) {
		err = detach_prog(ifindex, id);
		if (err)
			return nfx_err(err, "%s: cannot detach XDP program %u: %s", ifname, id,
				       strerror(-err));
	}
	err = unpin_dir(dir);
	if (err)
		return nfx_err(err, "%s: cannot remove pins in %s: %s", ifname, dir,
			       strerror(-err));
	return 0;
}

int nfx_link_open(const char *ifname, const char *pin_root, struct nfx_link **out)
{
	struct nfx_link *link;
	struct dirent *de;
	DIR *d;
	int err;

	err = check_name(ifname);
	if (err)
		return err;
	link = calloc(1, sizeof(*link));
	if (!link)
		return nfx_err(-ENOMEM, "out of memory");
	snprintf(link->ifname, sizeof(link->ifname), "%s", ifname);
	err = nfx_path(link->dir, sizeof(link->dir), "%s/%s", nfx_pin_root(pin_root), ifname);
	if (err)
		goto fail;
	d = opendir(link->dir);
	if (!d) {
		err = errno == ENOENT ? nfx_err(-ENOENT, "%s: nfx is not attached (no pins in %s)",
						ifname, link->dir) :
					nfx_err(-errno, "%s: cannot read %s: %s", ifname, link->dir,
						strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) && link->nmaps < NFX_MAX_MAPS) {
		char path[PATH_MAX];
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(link->maps[0].name) ||
		    nfx_path(path, sizeof(path), "%s/%s", link->dir, de->d_name))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.type ||
		    !strcmp(de->d_name, NFX_PROG_PIN)) {
			close(fd);
			continue;
		}
		/* Fits: names this long were skipped above. */
		memcpy(link->maps[link->nmaps].name, de->d_name, strlen(de->d_name) + 1);
		link->maps[link->nmaps++].fd = fd;
	}
	closedir(d);
	*out = link;
	return 0;
fail:
	free(link);
	return err;
}

void nfx_link_close(struct nfx_link *link)
{
	int i;

	if (!link)
		return;
	for (i = 0; i < link->nmaps; i++)
		close(link->maps[i].fd);
	free(link);
}

int nfx_link_map_fd(struct nfx_link *link, const char *name)
{
	int i;

	for (i = 0; i < link->nmaps; i++)
		if (!strcmp(link->maps[i].name, name))
			return link->maps[i].fd;
	return nfx_err(-ENOENT, "%s: map %s is not pinned in %s", link->ifname, name, link->dir);
}

int nfx_link_info(struct nfx_link *link, struct nfx_link_info *info)
{
	struct xdp_multiprog *mp;
	struct nfx_config cfg;
	char path[PATH_MAX];
	int fd, err;

	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "%s", link->ifname);
	info->ifindex = if_nametoindex(link->ifname);
	err = nfx_path(path, sizeof(path), "%s/%s", link->dir, NFX_PROG_PIN);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return nfx_err(-errno, "%s: program pin %s: %s", link->ifname, path,
			       strerror(errno));
	err = prog_id_of_fd(fd, &info->prog_id, &info->load_time_ns);
	close(fd);
	if (err)
		return nfx_err(err, "%s: program info: %s", link->ifname, strerror(-err));
	if (!nfx_link_config(link, &cfg))
		info->features = cfg.features;
	fd = nfx_link_map_fd(link, "nfx_link");
	if (fd >= 0) {
		struct nfx_link_conf lc;
		__u32 zero = 0;

		if (!bpf_map_lookup_elem(fd, &zero, &lc))
			info->zone = lc.zone;
	}
	if (!info->ifindex)
		return 0;
	mp = xdp_multiprog__get_from_ifindex(info->ifindex);
	if (mp && !libxdp_get_error(mp)) {
		info->attached = find_attached(mp, info->prog_id) != NULL;
		info->multiprog = !xdp_multiprog__is_legacy(mp);
		switch (xdp_multiprog__attach_mode(mp)) {
		case XDP_MODE_NATIVE:
			info->mode = NFX_MODE_NATIVE;
			break;
		case XDP_MODE_SKB:
			info->mode = NFX_MODE_GENERIC;
			break;
		default:
			info->mode = NFX_MODE_AUTO;
		}
		xdp_multiprog__close(mp);
	}
	return 0;
}

int nfx_link_stats(struct nfx_link *link, struct nfx_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = nfx_link_map_fd(link, "nfx_stats");
	struct nfx_counter *percpu;
	__u32 i;
	int c;

	if (fd < 0)
		return fd;
	if (ncpu < 0)
		return nfx_err(ncpu, "cannot count CPUs");
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return nfx_err(-ENOMEM, "out of memory");
	for (i = 0; i < NFX_STAT_MAX; i++) {
		out[i].packets = out[i].bytes = 0;
		if (bpf_map_lookup_elem(fd, &i, percpu))
			continue;
		for (c = 0; c < ncpu; c++) {
			out[i].packets += percpu[c].packets;
			out[i].bytes += percpu[c].bytes;
		}
	}
	free(percpu);
	return 0;
}

int nfx_link_config(struct nfx_link *link, struct nfx_config *cfg)
{
	int fd = nfx_link_map_fd(link, "nfx_config");
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, cfg))
		return nfx_err(-errno, "%s: cannot read configuration: %s", link->ifname,
			       strerror(errno));
	return 0;
}

int nfx_link_set_config(struct nfx_link *link, const struct nfx_config *cfg)
{
	int fd = nfx_link_map_fd(link, "nfx_config");
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &zero, cfg, 0))
		return nfx_err(-errno, "%s: cannot write configuration: %s", link->ifname,
			       strerror(errno));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pins are global; a listing shows the links of the caller's namespace. */
static bool link_in_this_netns(const char *root, const char *name)
{
	struct nfx_config cfg;
	char path[PATH_MAX];
	__u32 zero = 0;
	bool mine = true;
	int fd;

	if (nfx_path(path, sizeof(path), "%s/%s/nfx_config", root, name))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return true;	/* show it, so the user sees what is broken */
	if (!bpf_map_lookup_elem(fd, &zero, &cfg))
		mine = cfg.netns_ino == netns_ino();
	close(fd);
	return mine;
}

int nfx_links_list(const char *pin_root, char ***names)
{
	const char *root = nfx_pin_root(pin_root);
	struct dirent *de;
	char **v = NULL;
	int n = 0;
	DIR *d;

	*names = NULL;
	d = opendir(root);
	if (!d) {
		if (errno != ENOENT)
			return nfx_err(-errno, "cannot read %s: %s", root, strerror(errno));
	} else {
		while ((de = readdir(d))) {
			char **nv;

			if (de->d_name[0] == '.' || de->d_type != DT_DIR ||
			    !link_in_this_netns(root, de->d_name))
				continue;
			nv = realloc(v, (n + 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			v[n++] = strdup(de->d_name);
		}
		closedir(d);
	}
	if (!v)
		v = calloc(1, sizeof(*v));
	if (!v)
		return nfx_err(-ENOMEM, "out of memory");
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	return n;
}

void nfx_links_free(char **names)
{
	char **p;

	for (p = names; p && *p; p++)
		free(*p);
	free(names);
}

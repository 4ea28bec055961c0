// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv6 NAT configuration: NPTv6 bindings and NAT66 masquerade rules.
 *
 * A binding lives in two LPM tries, by inside and by outside prefix, with
 * the same value. Changes are single-element updates, ordered so that
 * other bindings are never touched and the binding being changed is never
 * missing: add inserts the outside key first (inbound works before
 * outbound starts), delete removes the inside key first (outbound stops
 * before inbound), and follow inserts the new outside key, replaces the
 * inside value in one update, then removes the old outside key.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/nat.h"
#include "internal.h"

int nfx_prefix6_parse(const char *s, int max_len, struct nfx_prefix6 *p)
{
	char buf[INET6_ADDRSTRLEN + 8], clean[INET6_ADDRSTRLEN];
	const char *slash;
	struct nfx_prefix6 m;
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!s || !(slash = strchr(s, '/')))
		return nfx_err(-EINVAL, "'%s' is not a prefix (ADDRESS/LENGTH)", s ? s : "");
	if ((size_t)(slash - s) >= sizeof(buf))
		return nfx_err(-EINVAL, "'%s' is not an IPv6 prefix", s);
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET6, buf, p->addr.b) != 1)
		return nfx_err(-EINVAL, "'%s' is not an IPv6 prefix: '%s' is not an IPv6 address",
			       s, buf);
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || len > 128)
		return nfx_err(-EINVAL, "'%s': '%s' is not a prefix length (0-128)", s, slash + 1);
	if ((int)len > max_len)
		return nfx_err(
			-EINVAL,
			"'%s': prefixes longer than /%d are not supported (RFC 6296 translates the routing prefix, never the interface identifier)",
			s, max_len);
	if (len == 0)
		return nfx_err(-EINVAL, "'%s': a /0 prefix would translate every address", s);
	p->len = len;
	m = *p;
	npt_prefix_mask(&m.addr, len);
	if (memcmp(&m.addr, &p->addr, 16)) {
		inet_ntop(AF_INET6, m.addr.b, clean, sizeof(clean));
		return nfx_err(-EINVAL, "'%s': host bits set after /%lu (did you mean %s/%lu?)", s,
			       len, clean, len);
	}
	return 0;
}

const char *nfx_prefix6_str(const struct nfx_prefix6 *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, p->addr.b, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

static const char *pstr(const union nfx_addr *a, int len)
{
	static __thread char buf[4][INET6_ADDRSTRLEN + 8];
	static __thread int n;
	struct nfx_prefix6 p = { .addr = *a, .len = len };

	return nfx_prefix6_str(&p, buf[n++ & 3], sizeof(buf[0]));
}

int nfx_nat_maps(struct nfx_link *link, struct nfx_nat_maps *m)
{
	static const char *const names[] = {
		"nfx_npt_in", "nfx_npt_out",	 "nfx_npt_stats",
		"nfx_nat66",  "nfx_nat66_stats", "nfx_nat_conf",
	};
	int *fds[] = { &m->npt_in, &m->npt_out,	    &m->npt_stats,
		       &m->nat66,  &m->nat66_stats, &m->nat_conf };
	size_t i;

	for (i = 0; i < NFX_ARRAY_SIZE(names); i++) {
		*fds[i] = nfx_link_map_fd(link, names[i]);
		if (*fds[i] < 0)
			return nfx_err(
				*fds[i],
				"%s (attached by an nfx without IPv6 NAT? detach and attach again)",
				nfx_errmsg());
	}
	return 0;
}

/* Per-CPU row: zero it, or sum it into out[n]. */
static int percpu_row(int fd, __u32 id, __u64 *out, int n, bool zero)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int i, c, err = 0;

	if (ncpu <= 0)
		return nfx_err(-EINVAL, "cannot count possible CPUs");
	vals = calloc((size_t)ncpu * n, sizeof(__u64));
	if (!vals)
		return nfx_err(-ENOMEM, "out of memory");
	if (zero) {
		if (bpf_map_update_elem(fd, &id, vals, BPF_ANY))
			err = nfx_err(-errno, "cannot reset counters %u: %s", id, strerror(errno));
	} else if (bpf_map_lookup_elem(fd, &id, vals)) {
		err = nfx_err(-errno, "cannot read counters %u: %s", id, strerror(errno));
	} else {
		memset(out, 0, n * sizeof(__u64));
		for (c = 0; c < ncpu; c++)
			for (i = 0; i < n; i++)
				out[i] += vals[c * n + i];
	}
	free(vals);
	return err;
}

/* Every entry of an LPM trie (keys and values), malloc'ed. */
static int trie_dump(int fd, size_t vsize, struct nfx_lpm6_key **keys, void **vals)
{
	struct nfx_lpm6_key k, next, *ks = NULL;
	char *vs = NULL;
	int n = 0, cap = 0;
	bool first = true;

	for (;;) {
		if (bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
			if (errno == ENOENT)
				break;
			int err = -errno;

			free(ks);
			free(vs);
			nfx_err(err, "cannot walk prefix table: %s", strerror(-err));
			return err;
		}
		first = false;
		k = next;
		if (n == cap) {
			struct nfx_lpm6_key *nk;
			char *nv;

			cap = cap ? cap * 2 : 16;
			nk = realloc(ks, cap * sizeof(*ks));
			if (nk)
				ks = nk;
			nv = realloc(vs, cap * vsize);
			if (nv)
				vs = nv;
			if (!nk || !nv) {
				free(ks);
				free(vs);
				nfx_err(-ENOMEM, "out of memory");
				return -ENOMEM;
			}
		}
		if (bpf_map_lookup_elem(fd, &k, vs + n * vsize))
			continue;	/* removed meanwhile */
		ks[n++] = k;
	}
	*keys = ks;
	*vals = vs;
	return n;
}

static int free_id(const __u32 *used, int n, __u32 max)
{
	__u32 id;
	int i;

	for (id = 0; id < max; id++) {
		for (i = 0; i < n && used[i] != id; i++)
			;
		if (i == n)
			return id;
	}
	return -1;
}

/* Entries of an LPM trie (at most max): 0 when empty. */
static int trie_count(int fd, int max)
{
	struct nfx_lpm6_key k, next;
	int n = 0;

	if (bpf_map_get_next_key(fd, NULL, &next))
		return 0;
	do {
		k = next;
		n++;
	} while (n <= max && !bpf_map_get_next_key(fd, &k, &next));
	return n;
}

/*
 * Tell the datapath which tables hold entries (nfx_nat_conf.active). Set
 * after an entry goes in and cleared after the last one is gone, so a
 * flag is never off while its table has entries.
 */
static int nat_conf_refresh(const struct nfx_nat_maps *m)
{
	struct nfx_nat_conf c = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->nat_conf, &zero, &c))
		return nfx_err(-errno, "cannot read NAT settings: %s", strerror(errno));
	c.active = 0;
	if (trie_count(m->npt_in, NPT_BINDINGS_MAX) || trie_count(m->npt_out, NPT_BINDINGS_MAX))
		c.active |= NFX_NAT_ACTIVE_NPT;
	if (trie_count(m->nat66, NAT66_RULES_MAX))
		c.active |= NFX_NAT_ACTIVE_NAT66;
	if (bpf_map_update_elem(m->nat_conf, &zero, &c, BPF_ANY))
		return nfx_err(-errno, "cannot write NAT settings: %s", strerror(errno));
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct nfx_npt_info *x = a, *y = b;

	return (x->b.id > y->b.id) - (x->b.id < y->b.id);
}

int nfx_npt_list(const struct nfx_nat_maps *m, struct nfx_npt_info **out)
{
	struct nfx_lpm6_key *keys = NULL;
	struct npt_binding *vals = NULL;
	struct nfx_npt_info *info;
	int n, i, err;

	*out = NULL;
	n = trie_dump(m->npt_in, sizeof(*vals), &keys, (void **)&vals);
	if (n < 0)
		return n;
	if (n > 0 && (!keys || !vals)) {
		/* cannot happen; spelled out for the analyzer */
		free(keys);
		free(vals);
		return -EIO;
	}
	info = calloc(n ? n : 1, sizeof(*info));
	if (!info) {
		nfx_err(-ENOMEM, "out of memory");
		n = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		info[i].b = vals[i];
		err = percpu_row(m->npt_stats, vals[i].id, info[i].cnt.c, NPT_CNT_MAX, false);
		if (err) {
			free(info);
			n = err < 0 ? err : -EIO;
			goto out;
		}
	}
	qsort(info, n, sizeof(*info), cmp_id);
	*out = info;
out:
	free(keys);
	free(vals);
	return n;
}

static struct nfx_lpm6_key lpm_key(const union nfx_addr *a, int len)
{
	struct nfx_lpm6_key k = { .prefixlen = len };

	memcpy(k.addr, a, 16);
	return k;
}

int nfx_npt_add(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		const struct nfx_prefix6 *out, __u32 out_ifindex)
{
	struct npt_binding b = {
		.inside = in->addr,
		.outside = out->addr,
		.inside_len = in->len,
		.outside_len = out->len,
		.out_ifindex = out_ifindex,
		.gen = 1,
	};
	struct nfx_lpm6_key kin, kout;
	struct nfx_npt_info *all;
	__u32 used[NPT_BINDINGS_MAX];
	int n, i, id, err = 0;

	if (in->len > NPT_PREFIX_MAX || out->len > NPT_PREFIX_MAX || !in->len || !out->len)
		return nfx_err(-EINVAL, "prefix lengths must be /1 to /%d", NPT_PREFIX_MAX);
	npt_binding_prepare(&b);
	kin = lpm_key(&b.inside, b.plen);
	kout = lpm_key(&b.outside, b.plen);
	if (!memcmp(&kin, &kout, sizeof(kin)))
		return nfx_err(-EINVAL, "inside and outside prefix are the same");

	n = nfx_npt_list(m, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const struct npt_binding *o = &all[i].b;

		used[i] = o->id;
		if (o->plen == b.plen && !memcmp(&o->inside, &b.inside, 16))
			err = nfx_err(-EEXIST, "inside prefix %s is already bound (to %s)",
				      pstr(&b.inside, b.inside_len),
				      pstr(&o->outside, o->outside_len));
		else if (o->plen == b.plen && !memcmp(&o->outside, &b.outside, 16))
			err = nfx_err(-EEXIST, "outside prefix %s is already bound (to %s)",
				      pstr(&b.outside, b.outside_len),
				      pstr(&o->inside, o->inside_len));
		if (err)
			break;
	}
	free(all);
	if (err)
		return err;
	id = free_id(used, n, NPT_BINDINGS_MAX);
	if (id < 0)
		return nfx_err(-ENOSPC, "all %d bindings are in use", NPT_BINDINGS_MAX);
	b.id = id;
	err = percpu_row(m->npt_stats, id, NULL, NPT_CNT_MAX, true);
	if (err)
		return err;
	if (bpf_map_update_elem(m->npt_out, &kout, &b, BPF_NOEXIST))
		return nfx_err(-errno, "cannot add outside prefix %s: %s",
			       pstr(&b.outside, b.outside_len), strerror(errno));
	if (bpf_map_update_elem(m->npt_in, &kin, &b, BPF_NOEXIST)) {
		err = nfx_err(-errno, "cannot add inside prefix %s: %s",
			      pstr(&b.inside, b.inside_len), strerror(errno));
		bpf_map_delete_elem(m->npt_out, &kout);
		return err;
	}
	return nat_conf_refresh(m);
}

/* The binding configured with prefix p on the inside (or outside). */
static int npt_find(const struct nfx_nat_maps *m, const struct nfx_prefix6 *p, bool inside,
		    struct npt_binding *found)
{
	struct nfx_npt_info *all;
	int n, i;

	n = nfx_npt_list(m, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const struct npt_binding *b = &all[i].b;

		if (inside ? b->inside_len == p->len && !memcmp(&b->inside, &p->addr, 16) :
			     b->outside_len == p->len && !memcmp(&b->outside, &p->addr, 16)) {
			*found = *b;
			free(all);
			return 0;
		}
	}
	free(all);
	return -ENOENT;
}

int nfx_npt_del(const struct nfx_nat_maps *m, const struct nfx_prefix6 *p)
{
	struct nfx_lpm6_key kin, kout;
	struct npt_binding b;

	if (npt_find(m, p, true, &b) && npt_find(m, p, false, &b))
		return nfx_err(-ENOENT, "no binding with prefix %s", pstr(&p->addr, p->len));
	kin = lpm_key(&b.inside, b.plen);
	kout = lpm_key(&b.outside, b.plen);
	if (bpf_map_delete_elem(m->npt_in, &kin) && errno != ENOENT)
		return nfx_err(-errno, "cannot remove inside prefix: %s", strerror(errno));
	if (bpf_map_delete_elem(m->npt_out, &kout) && errno != ENOENT)
		return nfx_err(-errno, "cannot remove outside prefix: %s", strerror(errno));
	return nat_conf_refresh(m);
}

int nfx_npt_follow(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		   const struct nfx_prefix6 *new_out)
{
	struct nfx_lpm6_key kin_old, kout_old, kin, kout;
	struct npt_binding old, b;
	struct nfx_npt_info *all;
	int n, i, err = 0;

	if (npt_find(m, in, true, &old))
		return nfx_err(-ENOENT, "no binding with inside prefix %s",
			       pstr(&in->addr, in->len));
	b = old;
	b.outside = new_out->addr;
	b.outside_len = new_out->len;
	npt_binding_prepare(&b);
	b.gen = old.gen + 1;
	kin_old = lpm_key(&old.inside, old.plen);
	kout_old = lpm_key(&old.outside, old.plen);
	kin = lpm_key(&b.inside, b.plen);
	kout = lpm_key(&b.outside, b.plen);
	if (old.outside_len == b.outside_len && !memcmp(&old.outside, &b.outside, 16))
		return 0;	/* unchanged: nothing to do */
	if (!memcmp(&kin, &kout, sizeof(kin)))
		return nfx_err(-EINVAL, "inside and outside prefix are the same");

	n = nfx_npt_list(m, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n && !err; i++)
		if (all[i].b.id != old.id && all[i].b.plen == b.plen &&
		    !memcmp(&all[i].b.outside, &b.outside, 16))
			err = nfx_err(-EEXIST, "outside prefix %s is already bound (to %s)",
				      pstr(&b.outside, b.outside_len),
				      pstr(&all[i].b.inside, all[i].b.inside_len));
	free(all);
	if (err)
		return err;

	/* 1. the new outside prefix starts translating inbound */
	if (bpf_map_update_elem(m->npt_out, &kout, &b, BPF_ANY))
		return nfx_err(-errno, "cannot add outside prefix %s: %s",
			       pstr(&b.outside, b.outside_len), strerror(errno));
	/* 2. outbound switches to it in one update */
	if (bpf_map_update_elem(m->npt_in, &kin, &b, BPF_ANY)) {
		err = nfx_err(-errno, "cannot update inside prefix %s: %s",
			      pstr(&b.inside, b.inside_len), strerror(errno));
		bpf_map_delete_elem(m->npt_out, &kout);
		return err;
	}
	if (memcmp(&kin, &kin_old, sizeof(kin)))
		bpf_map_delete_elem(m->npt_in, &kin_old);
	/* 3. the old outside prefix stops */
	if (memcmp(&kout, &kout_old, sizeof(kout)))
		bpf_map_delete_elem(m->npt_out, &kout_old);
	return 0;
}

int nfx_nat66_list(const struct nfx_nat_maps *m, struct nfx_nat66_info **out)
{
	struct nfx_lpm6_key *keys = NULL;
	struct nat66_rule *vals = NULL;
	struct nfx_nat66_info *info;
	int n, i, err;

	*out = NULL;
	n = trie_dump(m->nat66, sizeof(*vals), &keys, (void **)&vals);
	if (n < 0)
		return n;
	if (n > 0 && (!keys || !vals)) {
		/* cannot happen; spelled out for the analyzer */
		free(keys);
		free(vals);
		return -EIO;
	}
	info = calloc(n ? n : 1, sizeof(*info));
	if (!info) {
		nfx_err(-ENOMEM, "out of memory");
		n = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		memcpy(&info[i].inside.addr, keys[i].addr, 16);
		info[i].inside.len = keys[i].prefixlen;
		info[i].r = vals[i];
		err = percpu_row(m->nat66_stats, vals[i].id, info[i].cnt.c, NAT66_CNT_MAX, false);
		if (err) {
			free(info);
			n = err < 0 ? err : -EIO;
			goto out;
		}
	}
	*out = info;
out:
	free(keys);
	free(vals);
	return n;
}

int nfx_nat66_add(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		  const union nfx_addr *addr, __u16 port_lo, __u16 port_hi, __u32 out_ifindex)
{
	struct nat66_rule r = {
		.addr = *addr,
		.out_ifindex = out_ifindex,
		.port_lo = port_lo,
		.port_hi = port_hi,
		.inside_len = in->len,
	};
	struct nfx_lpm6_key k = lpm_key(&in->addr, in->len);
	struct nfx_nat66_info *all;
	__u32 used[NAT66_RULES_MAX];
	int n, i, id, err = 0;
	union nfx_addr am = *addr;

	if (!port_lo || port_lo > port_hi)
		return nfx_err(-EINVAL, "port range %u-%u is empty or starts at 0", port_lo,
			       port_hi);
	npt_prefix_mask(&am, in->len);
	if (!memcmp(&am, &in->addr, 16))
		return nfx_err(-EINVAL, "masquerade address %s is inside %s", pstr(addr, 128),
			       pstr(&in->addr, in->len));
	n = nfx_nat66_list(m, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n && !err; i++) {
		used[i] = all[i].r.id;
		if (all[i].inside.len == in->len && !memcmp(&all[i].inside.addr, &in->addr, 16))
			err = nfx_err(-EEXIST,
				      "inside prefix %s already has a masquerade rule (to %s)",
				      pstr(&in->addr, in->len), pstr(&all[i].r.addr, 128));
	}
	free(all);
	if (err)
		return err;
	id = free_id(used, n, NAT66_RULES_MAX);
	if (id < 0)
		return nfx_err(-ENOSPC, "all %d masquerade rules are in use", NAT66_RULES_MAX);
	r.id = id;
	err = percpu_row(m->nat66_stats, id, NULL, NAT66_CNT_MAX, true);
	if (err)
		return err;
	if (bpf_map_update_elem(m->nat66, &k, &r, BPF_NOEXIST))
		return nfx_err(-errno, "cannot add masquerade rule: %s", strerror(errno));
	return nat_conf_refresh(m);
}

int nfx_nat66_del(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in)
{
	struct nfx_lpm6_key k = lpm_key(&in->addr, in->len);

	/*
	 * Replies of connections already translated are still translated back
	 * from their flow entries; packets from inside no longer are.
	 */
	if (bpf_map_delete_elem(m->nat66, &k))
		return nfx_err(-errno,
			       errno == ENOENT ? "no masquerade rule for %s" :
						 "cannot remove masquerade rule for %s",
			       pstr(&in->addr, in->len));
	return nat_conf_refresh(m);
}

int nfx_nat_set_fwd(const struct nfx_nat_maps *m, enum nfx_fwd_mode mode)
{
	struct nfx_nat_conf c = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->nat_conf, &zero, &c))
		return nfx_err(-errno, "cannot read forwarding mode: %s", strerror(errno));
	c.fwd = mode;
	if (bpf_map_update_elem(m->nat_conf, &zero, &c, BPF_ANY))
		return nfx_err(-errno, "cannot set forwarding mode: %s", strerror(errno));
	return 0;
}

int nfx_nat_get_fwd(const struct nfx_nat_maps *m, enum nfx_fwd_mode *mode)
{
	struct nfx_nat_conf c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->nat_conf, &zero, &c))
		return nfx_err(-errno, "cannot read forwarding mode: %s", strerror(errno));
	*mode = c.fwd;
	return 0;
}

int nfx_if_global6(const char *ifname, bool want_addr, struct nfx_prefix6 *p)
{
	struct ifaddrs *ifa, *i;
	int err = -ENOENT;

	if (getifaddrs(&ifa))
		return nfx_err(-errno, "cannot list addresses: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *sa = (const void *)i->ifa_addr;
		const struct sockaddr_in6 *nm = (const void *)i->ifa_netmask;
		const __u8 *b;
		int len = 0, k;

		if (!sa || sa->sin6_family != AF_INET6 || strcmp(i->ifa_name, ifname))
			continue;
		b = sa->sin6_addr.s6_addr;
		/* global scope only: not link-local, loopback or multicast */
		if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff ||
		    IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&sa->sin6_addr))
			continue;
		for (k = 0; nm && k < 16; k++)
			len += __builtin_popcount(nm->sin6_addr.s6_addr[k]);
		memcpy(&p->addr, b, 16);
		if (want_addr) {
			p->len = 128;
			err = 0;
			break;
		}
		if (len == 0 || len > NPT_PREFIX_MAX)
			continue;	/* a /128 from DHCPv6 tells no prefix */
		p->len = len;
		npt_prefix_mask(&p->addr, len);
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	if (err)
		return nfx_err(err, "%s has no global IPv6 %s", ifname,
			       want_addr ? "address" : "prefix of /64 or shorter");
	return 0;
}

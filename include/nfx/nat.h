/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libnfx: IPv6 NAT configuration, NPTv6 bindings (RFC 6296) and NAT66
 * masquerade rules. Same conventions as libnfx.h: 0 or a count on
 * success, a negative errno on failure with nfx_errmsg() set.
 *
 * Every change is one or a few single-element map updates ordered so
 * that traffic of other bindings is never disturbed and a binding being
 * changed is never absent (see nat.c).
 */
#ifndef NFX_NAT_API_H
#define NFX_NAT_API_H

#include "nfx/libnfx.h"
#include "nfx/npt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An IPv6 prefix as given on the command line. */
struct nfx_prefix6 {
	union nfx_addr addr;
	__u8 len;
};

/*
 * Parse "ADDR/LEN" for NPTv6/NAT66: IPv6, LEN 1..max_len, no host bits set.
 * The error names the problem ("host bits set after /48 (2001:db8:1::/48?)").
 */
int nfx_prefix6_parse(const char *s, int max_len, struct nfx_prefix6 *p);
const char *nfx_prefix6_str(const struct nfx_prefix6 *p, char *buf, size_t len);

/* The pinned maps the functions below work on, by fd. */
struct nfx_nat_maps {
	int npt_in, npt_out, npt_stats;
	int nat66, nat66_stats;
	int nat_conf;
};
int nfx_nat_maps(struct nfx_link *link, struct nfx_nat_maps *m);

struct nfx_npt_info {
	struct npt_binding b;
	struct npt_counters cnt;	/* summed over CPUs */
};

int nfx_npt_add(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		const struct nfx_prefix6 *out, __u32 out_ifindex);
/* Remove the binding whose inside (or, if none, outside) prefix is p. */
int nfx_npt_del(const struct nfx_nat_maps *m, const struct nfx_prefix6 *p);
/* Replace a binding's outside prefix in place (delegated prefix change). */
int nfx_npt_follow(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		   const struct nfx_prefix6 *new_out);
/* All bindings, sorted by id; *out is malloc'ed. Returns the count. */
int nfx_npt_list(const struct nfx_nat_maps *m, struct nfx_npt_info **out);

struct nfx_nat66_info {
	struct nfx_prefix6 inside;
	struct nat66_rule r;
	struct nat66_counters cnt;
};

int nfx_nat66_add(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in,
		  const union nfx_addr *addr, __u16 port_lo, __u16 port_hi, __u32 out_ifindex);
int nfx_nat66_del(const struct nfx_nat_maps *m, const struct nfx_prefix6 *in);
int nfx_nat66_list(const struct nfx_nat_maps *m, struct nfx_nat66_info **out);

int nfx_nat_set_fwd(const struct nfx_nat_maps *m, enum nfx_fwd_mode mode);
int nfx_nat_get_fwd(const struct nfx_nat_maps *m, enum nfx_fwd_mode *mode);

/*
 * The global-scope IPv6 prefix of ifname (first address, masked to its
 * own length, at most /64), or its address itself with want_addr.
 */
int nfx_if_global6(const char *ifname, bool want_addr, struct nfx_prefix6 *p);

#ifdef __cplusplus
}
#endif
#endif /* NFX_NAT_API_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * npt, nat66: IPv6 network prefix translation (RFC 6296) and NAT66
 * masquerade. The tables are shared by every nfx link of a namespace;
 * IFNAME names the outside link (and the link whose pins are opened).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "nfx/nat.h"
#include "cli.h"

struct nat_cmd {
	struct nfx_link *link;
	struct nfx_nat_maps maps;
};

static int nat_open(struct cli_ctx *ctx, const char *ifname, struct nat_cmd *nc)
{
	memset(nc, 0, sizeof(*nc));
	if (nfx_link_open(ifname, ctx->pin_root, &nc->link)) {
		cli_fail(ctx, "%s (attach nfx to %s first)", nfx_errmsg(), ifname);
		return CLI_EXIT_FAIL;
	}
	if (nfx_nat_maps(nc->link, &nc->maps)) {
		cli_fail(ctx, "%s", nfx_errmsg());
		nfx_link_close(nc->link);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* The first link under the pin root, for commands whose IFNAME is optional. */
static int nat_open_any(struct cli_ctx *ctx, int argc, char **argv, struct nat_cmd *nc)
{
	char **links;
	int err;

	memset(nc, 0, sizeof(*nc));
	if (argc)
		return nat_open(ctx, argv[0], nc);
	if (nfx_links_list(ctx->pin_root, &links) < 0) {
		cli_fail(ctx, "%s", nfx_errmsg());
		return CLI_EXIT_FAIL;
	}
	if (!links[0]) {
		nfx_links_free(links);
		cli_fail(ctx, "nfx is not attached to any link");
		return CLI_EXIT_FAIL;
	}
	err = nat_open(ctx, links[0], nc);
	nfx_links_free(links);
	return err;
}

/* "WORD VALUE" pairs after the link: find the value of word, or NULL. */
static const char *word_val(int argc, char **argv, const char *word)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], word))
			return argv[i + 1];
	return NULL;
}

/* Every word must be one of allowed and carry a value. */
static int check_words(struct cli_ctx *ctx, int argc, char **argv, const char *const *allowed)
{
	int i, k;

	for (i = 0; i < argc; i += 2) {
		for (k = 0; allowed[k] && strcmp(allowed[k], argv[i]); k++)
			;
		if (!allowed[k])
			return cli_usage(ctx, "argument %d: unknown word '%s'", i + 2, argv[i]);
		if (i + 1 >= argc)
			return cli_usage(ctx, "argument %d: '%s' needs a value", i + 2, argv[i]);
	}
	return 0;
}

static int parse_prefix_arg(struct cli_ctx *ctx, const char *what, const char *s,
			    struct nfx_prefix6 *p)
{
	if (nfx_prefix6_parse(s, NPT_PREFIX_MAX, p))
		return cli_fail(ctx, "%s prefix: %s", what, nfx_errmsg());
	return 0;
}

static const char *ifname_of(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%u", ifindex);
	return buf;
}

/* ---- npt ---- */

static int npt_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "inside", "outside", NULL };
	struct nfx_prefix6 in, out;
	struct nat_cmd nc;
	const char *si, *so;
	unsigned int ifindex;
	int err;

	if (argc < 1)
		return cli_usage(ctx, "npt add: missing IFNAME");
	err = check_words(ctx, argc - 1, argv + 1, words);
	if (err)
		return err;
	si = word_val(argc - 1, argv + 1, "inside");
	so = word_val(argc - 1, argv + 1, "outside");
	if (!si || !so)
		return cli_usage(ctx, "npt add IFNAME inside PREFIX outside PREFIX");
	if (parse_prefix_arg(ctx, "inside", si, &in) || parse_prefix_arg(ctx, "outside", so, &out))
		return CLI_EXIT_FAIL;
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex)
		return cli_fail(ctx, "%s: no such interface", argv[0]);
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	err = nfx_npt_add(&nc.maps, &in, &out, ifindex);
	nfx_link_close(nc.link);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->verbose)
		printf("%s <-> %s on %s\n", si, so, argv[0]);
	return 0;
}

static int npt_del(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "inside", "outside", NULL };
	struct nfx_prefix6 p;
	struct nat_cmd nc;
	const char *s;
	int err;

	if (argc != 3)
		return cli_usage(ctx, "npt del IFNAME (inside|outside) PREFIX");
	err = check_words(ctx, argc - 1, argv + 1, words);
	if (err)
		return err;
	s = argv[2];
	if (parse_prefix_arg(ctx, argv[1], s, &p))
		return CLI_EXIT_FAIL;
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	err = nfx_npt_del(&nc.maps, &p);
	nfx_link_close(nc.link);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	return 0;
}

static int npt_list(struct cli_ctx *ctx, int argc, char **argv)
{
	struct nfx_npt_info *all;
	struct nat_cmd nc;
	int n, i;

	if (argc > 1)
		return cli_usage(ctx, "npt list [IFNAME]");
	if (nat_open_any(ctx, argc, argv, &nc))
		return CLI_EXIT_FAIL;
	n = nfx_npt_list(&nc.maps, &all);
	nfx_link_close(nc.link);
	if (n < 0)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_arr_start(jw);
		for (i = 0; i < n; i++) {
			const struct npt_binding *b = &all[i].b;
			const __u64 *c = all[i].cnt.c;
			struct nfx_prefix6 pi = { b->inside, b->inside_len };
			struct nfx_prefix6 po = { b->outside, b->outside_len };
			char s1[64], s2[64], ifn[IF_NAMESIZE];

			jw_obj_start(jw);
			jw_ku64(jw, "id", b->id);
			jw_kstr(jw, "inside", nfx_prefix6_str(&pi, s1, sizeof(s1)));
			jw_kstr(jw, "outside", nfx_prefix6_str(&po, s2, sizeof(s2)));
			jw_kstr(jw, "link", ifname_of(b->out_ifindex, ifn));
			jw_ku64(jw, "ifindex", b->out_ifindex);
			jw_ku64(jw, "translation_length", b->plen);
			jw_ku64(jw, "generation", b->gen);
			jw_ku64(jw, "out_packets", c[NPT_CNT_OUT_PKTS]);
			jw_ku64(jw, "out_bytes", c[NPT_CNT_OUT_BYTES]);
			jw_ku64(jw, "in_packets", c[NPT_CNT_IN_PKTS]);
			jw_ku64(jw, "in_bytes", c[NPT_CNT_IN_BYTES]);
			jw_ku64(jw, "icmp_errors", c[NPT_CNT_ICMP_ERR]);
			jw_ku64(jw, "untranslatable", c[NPT_CNT_DROP_FFFF]);
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_free(jw);
	} else {
		printf("%-3s %-28s %-28s %-10s %9s %9s %8s %8s %4s\n", "id", "inside", "outside",
		       "link", "out pkts", "in pkts", "icmp err", "untrans", "gen");
		for (i = 0; i < n; i++) {
			const struct npt_binding *b = &all[i].b;
			const __u64 *c = all[i].cnt.c;
			struct nfx_prefix6 pi = { b->inside, b->inside_len };
			struct nfx_prefix6 po = { b->outside, b->outside_len };
			char s1[64], s2[64], ifn[IF_NAMESIZE], k[4][16];

			printf("%-3u %-28s %-28s %-10s %9s %9s %8s %8s %4u\n", b->id,
			       nfx_prefix6_str(&pi, s1, sizeof(s1)),
			       nfx_prefix6_str(&po, s2, sizeof(s2)), ifname_of(b->out_ifindex, ifn),
			       cli_fmt_count(k[0], 16, c[NPT_CNT_OUT_PKTS]),
			       cli_fmt_count(k[1], 16, c[NPT_CNT_IN_PKTS]),
			       cli_fmt_count(k[2], 16, c[NPT_CNT_ICMP_ERR]),
			       cli_fmt_count(k[3], 16, c[NPT_CNT_DROP_FFFF]), b->gen);
		}
	}
	free(all);
	return 0;
}

/* The binding's configured outside length, or -ENOENT. */
static int outside_len_of(const struct nat_cmd *nc, const struct nfx_prefix6 *in,
			  struct nfx_prefix6 *cur)
{
	struct nfx_npt_info *all;
	int n, i, len = -ENOENT;

	n = nfx_npt_list(&nc->maps, &all);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (all[i].b.inside_len == in->len && !memcmp(&all[i].b.inside, &in->addr, 16)) {
			len = all[i].b.outside_len;
			cur->addr = all[i].b.outside;
			cur->len = len;
		}
	free(all);
	return len;
}

/* New outside prefix from DEV: the first LEN bits of its global address. */
static int follow_from_dev(const char *dev, int len, struct nfx_prefix6 *out)
{
	struct nfx_prefix6 a;
	int err = nfx_if_global6(dev, true, &a);

	if (err)
		return err;
	out->addr = a.addr;
	out->len = len;
	npt_prefix_mask(&out->addr, len);
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void follow_signal(int sig)
{
	follow_stop = 1;
}

/* Apply the prefix of dev whenever the kernel reports an IPv6 address change. */
static int follow_watch(struct cli_ctx *ctx, struct nat_cmd *nc, const struct nfx_prefix6 *in,
			const char *dev, int len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct sigaction sa = { .sa_handler = follow_signal };
	struct mnl_socket *nl;
	int ret = 0;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return cli_fail(ctx, "netlink: %s", strerror(errno));
	if (mnl_socket_bind(nl, RTMGRP_IPV6_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
		ret = cli_fail(ctx, "netlink bind: %s", strerror(errno));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!follow_stop) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		struct nfx_prefix6 next, cur;
		char s1[64], s2[64];

		if (poll(&pfd, 1, 1000) <= 0)
			continue;	/* timeout or signal: check the flag */
		if (mnl_socket_recvfrom(nl, buf, sizeof(buf)) < 0 && errno != EINTR) {
			ret = cli_fail(ctx, "netlink receive: %s", strerror(errno));
			break;
		}
		if (outside_len_of(nc, in, &cur) < 0) {
			ret = cli_fail(ctx, "the binding of %s was removed",
				       nfx_prefix6_str(in, s1, sizeof(s1)));
			break;
		}
		/* No global address any more: keep translating to the last prefix. */
		if (follow_from_dev(dev, len, &next))
			continue;
		if (cur.len == next.len && !memcmp(&cur.addr, &next.addr, 16))
			continue;
		if (nfx_npt_follow(&nc->maps, in, &next)) {
			fprintf(stderr, "%s: %s: %s\n", ctx->prog, ctx->cmd, nfx_errmsg());
			continue;
		}
		printf("%s: outside %s -> %s\n", nfx_prefix6_str(in, s1, sizeof(s1)),
		       nfx_prefix6_str(&cur, s2, sizeof(s2)),
		       nfx_prefix6_str(&next, s1, sizeof(s1)));
		fflush(stdout);
	}
out:
	mnl_socket_close(nl);
	return ret;
}

static int npt_follow(struct cli_ctx *ctx, int argc, char **argv, bool watch)
{
	static const char *const words[] = { "inside", "outside", "from", NULL };
	struct nfx_prefix6 in, out, cur;
	const char *si, *so, *dev;
	struct nat_cmd nc;
	int err, len;

	if (argc < 1)
		return cli_usage(ctx, "npt follow: missing IFNAME");
	err = check_words(ctx, argc - 1, argv + 1, words);
	if (err)
		return err;
	si = word_val(argc - 1, argv + 1, "inside");
	so = word_val(argc - 1, argv + 1, "outside");
	dev = word_val(argc - 1, argv + 1, "from");
	if (!si || !!so == !!dev)
		return cli_usage(
			ctx,
			"npt follow IFNAME inside PREFIX (outside PREFIX | from DEV [--watch])");
	if (watch && !dev)
		return cli_usage(ctx, "--watch follows an interface: use 'from DEV'");
	if (parse_prefix_arg(ctx, "inside", si, &in) ||
	    (so && parse_prefix_arg(ctx, "outside", so, &out)))
		return CLI_EXIT_FAIL;
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	len = outside_len_of(&nc, &in, &cur);
	if (len < 0) {
		err = cli_fail(ctx, "no binding with inside prefix %s", si);
		goto out;
	}
	if (dev && follow_from_dev(dev, len, &out)) {
		err = cli_fail(ctx, "%s", nfx_errmsg());
		goto out;
	}
	if (nfx_npt_follow(&nc.maps, &in, &out)) {
		err = cli_fail(ctx, "%s", nfx_errmsg());
		goto out;
	}
	if (ctx->verbose || watch) {
		char s1[64];

		printf("%s: outside %s\n", si, nfx_prefix6_str(&out, s1, sizeof(s1)));
		fflush(stdout);
	}
	err = watch ? follow_watch(ctx, &nc, &in, dev, len) : 0;
out:
	nfx_link_close(nc.link);
	return err;
}

static int do_npt(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *sub = argv[0];

	argc--;
	argv++;
	if (!strcmp(sub, "add"))
		return npt_add(ctx, argc, argv);
	if (!strcmp(sub, "del"))
		return npt_del(ctx, argc, argv);
	if (!strcmp(sub, "list") || !strcmp(sub, "show"))
		return npt_list(ctx, argc, argv);
	if (!strcmp(sub, "follow"))
		return npt_follow(ctx, argc, argv, cli_flag(cli_current, v, "watch"));
	return cli_usage(ctx, "unknown subcommand '%s' (add, del, list, follow)", sub);
}

/* ---- nat66 ---- */

static int parse_ports(struct cli_ctx *ctx, const char *s, __u16 *lo, __u16 *hi)
{
	unsigned long a, b;
	char *end;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (*end == '-')
		b = strtoul(end + 1, &end, 10);
	else
		b = a;
	if (errno || *end || !*s || a < 1 || b > 65535 || a > b)
		return cli_fail(ctx, "ports '%s': expected LO-HI within 1-65535, LO <= HI", s);
	*lo = a;
	*hi = b;
	return 0;
}

static int nat66_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const words[] = { "inside", "to", "ports", NULL };
	const char *si, *sto, *sports;
	struct nfx_prefix6 in, to;
	__u16 lo = 61000, hi = 65535;
	unsigned int ifindex;
	struct nat_cmd nc;
	int err;

	if (argc < 1)
		return cli_usage(ctx, "nat66 add: missing IFNAME");
	err = check_words(ctx, argc - 1, argv + 1, words);
	if (err)
		return err;
	si = word_val(argc - 1, argv + 1, "inside");
	sto = word_val(argc - 1, argv + 1, "to");
	sports = word_val(argc - 1, argv + 1, "ports");
	if (!si)
		return cli_usage(ctx, "nat66 add IFNAME inside PREFIX [to ADDRESS] [ports LO-HI]");
	if (nfx_prefix6_parse(si, 128, &in))
		return cli_fail(ctx, "inside prefix: %s", nfx_errmsg());
	if (sports && parse_ports(ctx, sports, &lo, &hi))
		return CLI_EXIT_FAIL;
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex)
		return cli_fail(ctx, "%s: no such interface", argv[0]);
	if (sto) {
		if (inet_pton(AF_INET6, sto, to.addr.b) != 1)
			return cli_fail(ctx, "to '%s': not an IPv6 address", sto);
	} else if (nfx_if_global6(argv[0], true, &to)) {
		return cli_fail(ctx, "%s (give the address with 'to ADDRESS')", nfx_errmsg());
	}
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	err = nfx_nat66_add(&nc.maps, &in, &to.addr, lo, hi, ifindex);
	nfx_link_close(nc.link);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->verbose) {
		char a[INET6_ADDRSTRLEN];

		printf("%s -> [%s]:%u-%u on %s\n", si, inet_ntop(AF_INET6, to.addr.b, a, sizeof(a)),
		       lo, hi, argv[0]);
	}
	return 0;
}

static int nat66_del(struct cli_ctx *ctx, int argc, char **argv)
{
	struct nfx_prefix6 in;
	struct nat_cmd nc;
	int err;

	if (argc != 3 || strcmp(argv[1], "inside"))
		return cli_usage(ctx, "nat66 del IFNAME inside PREFIX");
	if (nfx_prefix6_parse(argv[2], 128, &in))
		return cli_fail(ctx, "inside prefix: %s", nfx_errmsg());
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	err = nfx_nat66_del(&nc.maps, &in);
	nfx_link_close(nc.link);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	return 0;
}

static const char *fwd_name(enum nfx_fwd_mode m)
{
	return m == NFX_FWD_XDP ? "xdp" : "kernel";
}

static int nat66_list(struct cli_ctx *ctx, int argc, char **argv)
{
	enum nfx_fwd_mode mode = NFX_FWD_KERNEL;
	struct nfx_nat66_info *all;
	struct nat_cmd nc;
	int n, i;

	if (argc > 1)
		return cli_usage(ctx, "nat66 list [IFNAME]");
	if (nat_open_any(ctx, argc, argv, &nc))
		return CLI_EXIT_FAIL;
	n = nfx_nat66_list(&nc.maps, &all);
	if (n >= 0 && nfx_nat_get_fwd(&nc.maps, &mode))
		n = -EIO;
	nfx_link_close(nc.link);
	if (n < 0)
		return cli_fail(ctx, "%s", nfx_errmsg());
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "forward", fwd_name(mode));
		jw_key(jw, "rules");
		jw_arr_start(jw);
		for (i = 0; i < n; i++) {
			const struct nat66_rule *r = &all[i].r;
			const __u64 *c = all[i].cnt.c;
			char s1[64], a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE];

			jw_obj_start(jw);
			jw_ku64(jw, "id", r->id);
			jw_kstr(jw, "inside", nfx_prefix6_str(&all[i].inside, s1, sizeof(s1)));
			jw_kstr(jw, "to", inet_ntop(AF_INET6, r->addr.b, a, sizeof(a)));
			jw_ku64(jw, "port_lo", r->port_lo);
			jw_ku64(jw, "port_hi", r->port_hi);
			jw_kstr(jw, "link", ifname_of(r->out_ifindex, ifn));
			jw_kstr(jw, "status", c[NAT66_CNT_EXHAUSTED] ? "exhausted" : "ok");
			jw_ku64(jw, "out_packets", c[NAT66_CNT_OUT_PKTS]);
			jw_ku64(jw, "in_packets", c[NAT66_CNT_IN_PKTS]);
			jw_ku64(jw, "allocations", c[NAT66_CNT_NEW]);
			jw_ku64(jw, "exhausted", c[NAT66_CNT_EXHAUSTED]);
			jw_ku64(jw, "races", c[NAT66_CNT_RACE]);
			jw_obj_end(jw);
		}
		jw_arr_end(jw);
		jw_obj_end(jw);
		jw_free(jw);
	} else {
		printf("forwarding of translated packets: %s\n", fwd_name(mode));
		printf("%-3s %-24s %-26s %-11s %-10s %9s %9s %8s %9s\n", "id", "inside", "to",
		       "ports", "link", "out pkts", "in pkts", "allocs", "exhausted");
		for (i = 0; i < n; i++) {
			const struct nat66_rule *r = &all[i].r;
			const __u64 *c = all[i].cnt.c;
			char s1[64], a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE], pr[16], k[4][16];

			snprintf(pr, sizeof(pr), "%u-%u", r->port_lo, r->port_hi);
			printf("%-3u %-24s %-26s %-11s %-10s %9s %9s %8s %9s\n", r->id,
			       nfx_prefix6_str(&all[i].inside, s1, sizeof(s1)),
			       inet_ntop(AF_INET6, r->addr.b, a, sizeof(a)), pr,
			       ifname_of(r->out_ifindex, ifn),
			       cli_fmt_count(k[0], 16, c[NAT66_CNT_OUT_PKTS]),
			       cli_fmt_count(k[1], 16, c[NAT66_CNT_IN_PKTS]),
			       cli_fmt_count(k[2], 16, c[NAT66_CNT_NEW]),
			       cli_fmt_count(k[3], 16, c[NAT66_CNT_EXHAUSTED]));
		}
	}
	free(all);
	return 0;
}

static int nat66_forward(struct cli_ctx *ctx, int argc, char **argv)
{
	struct nat_cmd nc;
	enum nfx_fwd_mode m;
	int err;

	if (argc != 2 || (strcmp(argv[1], "xdp") && strcmp(argv[1], "kernel")))
		return cli_usage(ctx, "nat66 forward IFNAME (xdp|kernel)");
	m = !strcmp(argv[1], "kernel") ? NFX_FWD_KERNEL : NFX_FWD_XDP;
	if (nat_open(ctx, argv[0], &nc))
		return CLI_EXIT_FAIL;
	err = nfx_nat_set_fwd(&nc.maps, m);
	nfx_link_close(nc.link);
	if (err)
		return cli_fail(ctx, "%s", nfx_errmsg());
	return 0;
}

static int do_nat66(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *sub = argv[0];

	argc--;
	argv++;
	if (!strcmp(sub, "add"))
		return nat66_add(ctx, argc, argv);
	if (!strcmp(sub, "del"))
		return nat66_del(ctx, argc, argv);
	if (!strcmp(sub, "list") || !strcmp(sub, "show"))
		return nat66_list(ctx, argc, argv);
	if (!strcmp(sub, "forward"))
		return nat66_forward(ctx, argc, argv);
	return cli_usage(ctx, "unknown subcommand '%s' (add, del, list, forward)", sub);
}

static const struct cli_opt npt_opts[] = {
	{ "watch", 'w', CLI_FLAG, NULL, "follow: keep running, apply every address change of DEV" },
	{ NULL },
};

static const struct cli_opt nat66_opts[] = {
	{ NULL },
};

const struct cli_cmd cli_nat_cmds[] = {
	{ "npt",
	  "add IFNAME inside PREFIX outside PREFIX | del IFNAME inside|outside PREFIX | list [IFNAME] | follow IFNAME inside PREFIX (outside PREFIX | from DEV [--watch])",
	  "NPTv6 (RFC 6296) prefix bindings; IFNAME is the outside link", npt_opts, 1, -1, do_npt },
	{ "nat66",
	  "add IFNAME inside PREFIX [to ADDRESS] [ports LO-HI] | del IFNAME inside PREFIX | list [IFNAME] | forward IFNAME xdp|kernel",
	  "NAT66 masquerade (n:1 with port translation); IFNAME is the outside link", nat66_opts, 1,
	  -1, do_nat66 },
	{ NULL },
};

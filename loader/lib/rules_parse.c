// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ruleset parser (nfx-rules(5)): one rule per line, words as in nft
 * ("ip saddr 10.0.0.0/8 tcp dport 22-25 ct state new drop"). Every error
 * names the file, line and column of the offending word; nothing is
 * returned unless the whole text parses.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/libnfx.h"
#include "nfx/rules.h"
#include "nfx/consts.h"
#include "internal.h"
#include "rules_int.h"

#define RP_MAX_WORDS 64
#define RP_LINE_MAX 4096

struct rp_word {
	char text[128];
	int col; /* 1-based */
};

struct rp {
	const char *name;
	int line;
	struct rp_word w[RP_MAX_WORDS];
	int n, i;
	struct nfx_rule *r;
	bool has_action;
};

static int rp_err(struct rp *p, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rp_err(struct rp *p, int col, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nfx_err(-EINVAL, "%s:%d:%d: %s", p->name, p->line, col, msg);
}

/* The next word, or an error naming what was expected after the last one. */
static const struct rp_word *rp_next(struct rp *p, const char *what)
{
	if (p->i >= p->n) {
		int col = p->n ? p->w[p->n - 1].col + (int)strlen(p->w[p->n - 1].text) : 1;

		rp_err(p, col, "expected %s at end of line", what);
		return NULL;
	}
	return &p->w[p->i++];
}

static int parse_u32(const char *s, unsigned long max, __u32 *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int rp_use(struct rp *p, const struct rp_word *w, int field)
{
	if (p->r->used & (1u << field))
		return rp_err(p, w->col, "'%s': this match is already given", w->text);
	p->r->used |= 1u << field;
	return 0;
}

/* proto is implied by tcp/udp matches; a different explicit one is an error. */
static int rp_proto(struct rp *p, const struct rp_word *w, __u8 proto)
{
	if (p->r->used & (1u << NFX_RF_PROTO)) {
		if (p->r->proto != proto)
			return rp_err(p, w->col, "'%s' contradicts protocol %u given before",
				      w->text, p->r->proto);
		return 0;
	}
	p->r->used |= 1u << NFX_RF_PROTO;
	p->r->proto = proto;
	return 0;
}

static int rp_prefix(struct rp *p, int family, bool src)
{
	const struct rp_word *w = rp_next(p, "an address prefix");
	char buf[128], *slash;
	union nfx_addr a;
	__u32 plen, bits;
	int fam, k;

	if (!w)
		return -EINVAL;
	if (rp_use(p, w, src ? NFX_RF_SRC : NFX_RF_DST))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", w->text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	fam = nfx_addr_parse(buf, &a);
	if (fam < 0)
		return rp_err(p, w->col, "'%s' is not an address", buf);
	if (fam != family)
		return rp_err(p, w->col, "'%s' is not an %s address", buf,
			      family == NFX_AF_INET ? "IPv4" : "IPv6");
	bits = fam == NFX_AF_INET ? 32 : 128;
	plen = bits;
	if (slash && parse_u32(slash + 1, bits, &plen))
		return rp_err(p, w->col + (int)(slash - buf) + 1,
			      "'%s' is not a prefix length (0..%u)", slash + 1, bits);
	/* Host bits must be zero, as nft and ip route insist. */
	for (k = 0; k < (int)bits; k++) {
		int bit = (fam == NFX_AF_INET ? 96 : 0) + k;

		if (k >= (int)plen && (a.b[bit / 8] & (0x80 >> (bit % 8))))
			return rp_err(p, w->col, "'%s' has host bits set beyond /%u", w->text,
				      plen);
	}
	if (src) {
		p->r->src = a;
		p->r->src_family = fam;
		p->r->src_plen = plen;
	} else {
		p->r->dst = a;
		p->r->dst_family = fam;
		p->r->dst_plen = plen;
	}
	return 0;
}

static int rp_ports(struct rp *p, bool src)
{
	const struct rp_word *w = rp_next(p, "a port or port range");
	__u32 lo, hi;
	char buf[128], *dash;

	if (!w)
		return -EINVAL;
	if (rp_use(p, w, src ? NFX_RF_SPORT : NFX_RF_DPORT))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", w->text);
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (parse_u32(buf, 65535, &lo))
		return rp_err(p, w->col, "'%s' is not a port (0..65535)", buf);
	hi = lo;
	if (dash && parse_u32(dash + 1, 65535, &hi))
		return rp_err(p, w->col + (int)(dash - buf) + 1, "'%s' is not a port (0..65535)",
			      dash + 1);
	if (hi < lo)
		return rp_err(p, w->col, "range %u-%u is empty", lo, hi);
	if (src) {
		p->r->sport_lo = lo;
		p->r->sport_hi = hi;
	} else {
		p->r->dport_lo = lo;
		p->r->dport_hi = hi;
	}
	return 0;
}

static const struct {
	const char *name;
	__u8 bit;
} tcp_flag_names[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 },
	{ "psh", 0x08 }, { "ack", 0x10 }, { "urg", 0x20 },
};

static int rp_flag_list(struct rp *p, const struct rp_word *w, __u8 *out, bool none_ok)
{
	char buf[128], *tok, *save = NULL;
	size_t k;

	*out = 0;
	if (none_ok && !strcmp(w->text, "none"))
		return 0; /* "tcp flags none / syn,ack": both clear */
	snprintf(buf, sizeof(buf), "%s", w->text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < NFX_ARRAY_SIZE(tcp_flag_names); k++)
			if (!strcmp(tok, tcp_flag_names[k].name))
				break;
		if (k == NFX_ARRAY_SIZE(tcp_flag_names))
			return rp_err(p, w->col + (int)(tok - buf),
				      "'%s' is not a TCP flag (fin, syn, rst, psh, ack, urg)", tok);
		*out |= tcp_flag_names[k].bit;
	}
	if (!*out)
		return rp_err(p, w->col, "empty TCP flag list");
	return 0;
}

static int rp_flags(struct rp *p, const struct rp_word *kw)
{
	const struct rp_word *w = rp_next(p, "TCP flags");
	__u8 val, mask;

	if (!w || rp_use(p, w, NFX_RF_FLAGS) || rp_proto(p, kw, NFX_IPPROTO_TCP))
		return -EINVAL;
	if (rp_flag_list(p, w, &val, true))
		return -EINVAL;
	mask = val;
	if (!val && (p->i >= p->n || strcmp(p->w[p->i].text, "/")))
		return rp_err(p, w->col, "'none' needs a mask: tcp flags none / syn,ack");
	if (p->i < p->n && !strcmp(p->w[p->i].text, "/")) {
		p->i++;
		w = rp_next(p, "a TCP flag mask");
		if (!w || rp_flag_list(p, w, &mask, false))
			return -EINVAL;
		if (val & ~mask)
			return rp_err(p, w->col, "flags outside the mask can never match");
	}
	p->r->flags_val = val;
	p->r->flags_mask = mask;
	return 0;
}

static int rp_state(struct rp *p)
{
	static const struct {
		const char *name;
		__u8 bit;
	} names[] = {
		{ "new", NFX_RS_NEW },
		{ "established", NFX_RS_ESTABLISHED },
		{ "assured", NFX_RS_ASSURED },
		{ "untracked", NFX_RS_UNTRACKED },
	};
	const struct rp_word *w = rp_next(p, "a flow state");
	char buf[128], *tok, *save = NULL;
	size_t k;

	if (!w || rp_use(p, w, NFX_RF_STATE))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", w->text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < NFX_ARRAY_SIZE(names); k++)
			if (!strcmp(tok, names[k].name))
				break;
		if (k == NFX_ARRAY_SIZE(names))
			return rp_err(
				p, w->col + (int)(tok - buf),
				"'%s' is not a flow state (new, established, assured, untracked)",
				tok);
		p->r->state_mask |= names[k].bit;
	}
	if (!p->r->state_mask)
		return rp_err(p, w->col, "empty state list");
	return 0;
}

static int rp_proto_word(struct rp *p)
{
	static const struct {
		const char *name;
		__u8 num;
	} names[] = {
		{ "tcp", 6 },	     { "udp", 17 },   { "icmp", 1 }, { "icmpv6", 58 },
		{ "ipv6-icmp", 58 }, { "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
	};
	const struct rp_word *w = rp_next(p, "a protocol");
	__u32 v;
	size_t k;

	if (!w)
		return -EINVAL;
	for (k = 0; k < NFX_ARRAY_SIZE(names); k++)
		if (!strcmp(w->text, names[k].name))
			return rp_proto(p, w, names[k].num);
	if (parse_u32(w->text, 255, &v))
		return rp_err(p, w->col, "'%s' is not a protocol name or number (0..255)", w->text);
	return rp_proto(p, w, v);
}

static int rp_iif(struct rp *p)
{
	const struct rp_word *w = rp_next(p, "an interface");
	__u32 v;

	if (!w || rp_use(p, w, NFX_RF_IIF))
		return -EINVAL;
	if (!parse_u32(w->text, UINT_MAX, &v) && v) {
		p->r->iif = v;
	} else {
		if (strlen(w->text) >= IF_NAMESIZE)
			return rp_err(p, w->col, "'%s' is too long for an interface name", w->text);
		v = if_nametoindex(w->text);
		if (!v)
			return rp_err(p, w->col, "no interface '%s' in this namespace", w->text);
		p->r->iif = v;
		memcpy(p->r->iifname, w->text, strlen(w->text) + 1); /* length checked above */
	}
	return 0;
}

static int rp_mark_value(struct rp *p, __u32 *out)
{
	const struct rp_word *w = rp_next(p, "a mark value");

	if (!w)
		return -EINVAL;
	if (parse_u32(w->text, UINT_MAX, out))
		return rp_err(p, w->col, "'%s' is not a 32-bit number", w->text);
	return 0;
}

static int rp_action(struct rp *p, const struct rp_word *w, int action)
{
	if (p->has_action)
		return rp_err(p, w->col, "'%s': a rule has one action", w->text);
	p->has_action = true;
	p->r->action = action;
	return 0;
}

static int rp_ratelimit(struct rp *p, const struct rp_word *kw)
{
	static const struct {
		const char *name;
		__u32 s;
	} units[] = {
		{ "second", 1 },
		{ "minute", 60 },
		{ "hour", 3600 },
		{ "day", 86400 },
	};
	const struct rp_word *w = rp_next(p, "a rate like 100/second");
	char buf[128], *slash;
	__u32 n;
	size_t k;

	if (!w || rp_action(p, kw, NFX_RA_RATELIMIT))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", w->text);
	slash = strchr(buf, '/');
	if (!slash)
		return rp_err(p, w->col, "'%s' is not a rate like 100/second", w->text);
	*slash = 0;
	if (parse_u32(buf, 1000000000, &n) || !n)
		return rp_err(p, w->col, "'%s' is not a packet count (1..1000000000)", buf);
	for (k = 0; k < NFX_ARRAY_SIZE(units); k++)
		if (!strcmp(slash + 1, units[k].name))
			break;
	if (k == NFX_ARRAY_SIZE(units))
		return rp_err(p, w->col + (int)(slash - buf) + 1,
			      "'%s' is not a unit (second, minute, hour, day)", slash + 1);
	p->r->rate = n;
	p->r->rate_unit = units[k].s;
	p->r->burst = 5;
	if (p->i < p->n && !strcmp(p->w[p->i].text, "burst")) {
		p->i++;
		w = rp_next(p, "a burst size");
		if (!w)
			return -EINVAL;
		if (parse_u32(w->text, 1000000, &p->r->burst) || !p->r->burst)
			return rp_err(p, w->col, "'%s' is not a burst size (1..1000000)", w->text);
	}
	if ((__u64)p->r->rate_unit * 1000000000ull / n > UINT_MAX)
		return rp_err(p, w->col, "rate below one packet per 4 seconds is not supported");
	return 0;
}

static int rp_rule(struct rp *p)
{
	while (p->i < p->n) {
		const struct rp_word *w = &p->w[p->i++];
		const char *t = w->text;

		if (p->has_action)
			return rp_err(p, w->col, "'%s' after the action", t);
		if (!strcmp(t, "ip") || !strcmp(t, "ip6")) {
			int fam = t[2] ? NFX_AF_INET6 : NFX_AF_INET;
			const struct rp_word *f = rp_next(p, "saddr, daddr or protocol");

			if (!f)
				return -EINVAL;
			if (!strcmp(f->text, "saddr") || !strcmp(f->text, "daddr")) {
				if (rp_prefix(p, fam, f->text[0] == 's'))
					return -EINVAL;
			} else if (!strcmp(f->text, "protocol") || !strcmp(f->text, "nexthdr")) {
				if (rp_proto_word(p))
					return -EINVAL;
			} else {
				return rp_err(p, f->col, "'%s': expected saddr, daddr or %s",
					      f->text, fam == NFX_AF_INET ? "protocol" : "nexthdr");
			}
		} else if (!strcmp(t, "tcp") || !strcmp(t, "udp")) {
			const struct rp_word *f = rp_next(p, "sport, dport or flags");
			__u8 proto = t[0] == 't' ? NFX_IPPROTO_TCP : NFX_IPPROTO_UDP;

			if (!f)
				return -EINVAL;
			if (!strcmp(f->text, "sport") || !strcmp(f->text, "dport")) {
				if (rp_proto(p, w, proto) || rp_ports(p, f->text[0] == 's'))
					return -EINVAL;
			} else if (proto == NFX_IPPROTO_TCP && !strcmp(f->text, "flags")) {
				if (rp_flags(p, w))
					return -EINVAL;
			} else {
				return rp_err(p, f->col, "'%s': expected sport, dport%s", f->text,
					      proto == NFX_IPPROTO_TCP ? " or flags" : "");
			}
		} else if (!strcmp(t, "meta")) {
			const struct rp_word *f = rp_next(p, "l4proto or mark");

			if (!f)
				return -EINVAL;
			if (!strcmp(f->text, "l4proto")) {
				if (rp_proto_word(p))
					return -EINVAL;
			} else if (!strcmp(f->text, "mark")) {
				if (p->i < p->n && !strcmp(p->w[p->i].text, "set")) {
					p->i++;
					if (rp_action(p, f, NFX_RA_MARK) ||
					    rp_mark_value(p, &p->r->set_mark))
						return -EINVAL;
				} else if (rp_use(p, f, NFX_RF_MARK) ||
					   rp_mark_value(p, &p->r->mark)) {
					return -EINVAL;
				}
			} else {
				return rp_err(p, f->col, "'%s': expected l4proto or mark", f->text);
			}
		} else if (!strcmp(t, "mark")) {
			if (p->i < p->n && !strcmp(p->w[p->i].text, "set")) {
				p->i++;
				if (rp_action(p, w, NFX_RA_MARK) ||
				    rp_mark_value(p, &p->r->set_mark))
					return -EINVAL;
			} else if (rp_use(p, w, NFX_RF_MARK) || rp_mark_value(p, &p->r->mark)) {
				return -EINVAL;
			}
		} else if (!strcmp(t, "proto")) {
			if (rp_proto_word(p))
				return -EINVAL;
		} else if (!strcmp(t, "iif") || !strcmp(t, "iifname")) {
			if (rp_iif(p))
				return -EINVAL;
		} else if (!strcmp(t, "oif") || !strcmp(t, "oifname")) {
			return rp_err(
				p, w->col,
				"'%s': XDP runs before the routing decision, the output "
				"interface is unknown; match iif on the link the packet leaves by",
				t);
		} else if (!strcmp(t, "ct")) {
			const struct rp_word *f = rp_next(p, "state");

			if (!f)
				return -EINVAL;
			if (strcmp(f->text, "state"))
				return rp_err(p, f->col, "'%s': expected state", f->text);
			if (rp_state(p))
				return -EINVAL;
		} else if (!strcmp(t, "app")) {
			const struct rp_word *f = rp_next(p, "an application name or number");
			__u32 v;

			if (!f || rp_use(p, f, NFX_RF_APP))
				return -EINVAL;
			if (parse_u32(f->text, 65535, &v) && nfx_rules_app_lookup(f->text, &v))
				return rp_err(p, f->col,
					      "'%s' is not an application number or known name",
					      f->text);
			p->r->app = v;
		} else if (!strcmp(t, "counter")) {
			continue; /* every rule counts; accepted for nft habits */
		} else if (!strcmp(t, "accept")) {
			if (rp_action(p, w, NFX_RA_ACCEPT))
				return -EINVAL;
		} else if (!strcmp(t, "drop")) {
			if (rp_action(p, w, NFX_RA_DROP))
				return -EINVAL;
		} else if (!strcmp(t, "count")) {
			if (rp_action(p, w, NFX_RA_COUNT))
				return -EINVAL;
		} else if (!strcmp(t, "rate-limit") || !strcmp(t, "limit")) {
			if (p->i < p->n && !strcmp(p->w[p->i].text, "rate"))
				p->i++;
			if (rp_ratelimit(p, w))
				return -EINVAL;
		} else {
			return rp_err(p, w->col, "unknown word '%s'", t);
		}
	}
	if (!p->has_action) {
		int col = p->w[p->n - 1].col + (int)strlen(p->w[p->n - 1].text);

		return rp_err(p, col,
			      "rule has no action (accept, drop, mark set, count, rate-limit)");
	}
	return 0;
}

/* Split a line into words; '#' starts a comment. Returns words or -errno. */
static int rp_split(struct rp *p, const char *line, size_t len)
{
	size_t i = 0;

	p->n = 0;
	p->i = 0;
	while (i < len) {
		size_t start, wl;

		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i >= len || line[i] == '#')
			break;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		       line[i] != '#')
			i++;
		wl = i - start;
		if (p->n == RP_MAX_WORDS)
			return rp_err(p, (int)start + 1, "more than %d words", RP_MAX_WORDS);
		if (wl >= sizeof(p->w[0].text))
			return rp_err(p, (int)start + 1, "word longer than %zu characters",
				      sizeof(p->w[0].text) - 1);
		if (memchr(line + start, 0, wl))
			return rp_err(p, (int)start + 1, "NUL byte in the text");
		memcpy(p->w[p->n].text, line + start, wl);
		p->w[p->n].text[wl] = 0;
		p->w[p->n].col = start + 1;
		p->n++;
	}
	return p->n;
}

int nfx_rules_parse_line(const char *name, int lineno, const char *line, size_t len,
			 struct nfx_rule *out)
{
	struct rp *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return nfx_err(-ENOMEM, "%s: out of memory", name);
	p->name = name;
	p->line = lineno;
	memset(out, 0, sizeof(*out));
	p->r = out;
	err = rp_split(p, line, len);
	if (err > 0)
		err = rp_rule(p) ? -EINVAL : 1;
	free(p);
	return err;
}

int nfx_rules_parse(const char *name, const char *text, size_t len, struct nfx_rule **rules,
		    size_t *count)
{
	struct nfx_rule *v = NULL, r;
	size_t n = 0, cap = 0, off = 0;
	int lineno = 0, err;

	*rules = NULL;
	*count = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;

		lineno++;
		if (ll > RP_LINE_MAX) {
			free(v);
			return nfx_err(-EINVAL, "%s:%d:%d: line longer than %d characters", name,
				       lineno, RP_LINE_MAX + 1, RP_LINE_MAX);
		}
		err = nfx_rules_parse_line(name, lineno, text + off, ll, &r);
		off += ll + 1;
		if (err < 0) {
			free(v);
			return err;
		}
		if (!err)
			continue;
		if (n == NFX_RULES_MAX) {
			free(v);
			return nfx_err(-E2BIG, "%s:%d:1: more than %d rules", name, lineno,
				       NFX_RULES_MAX);
		}
		if (n == cap) {
			struct nfx_rule *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return nfx_err(-ENOMEM, "%s: out of memory", name);
			}
			v = nv;
		}
		v[n++] = r;
	}
	*rules = v;
	*count = n;
	return n;
}

/* --- application names (nfgrep classes) --- */

struct app_name {
	char name[32];
	__u32 id;
};
static struct app_name *app_names;
static size_t app_count;

int nfx_rules_set_app_names(const char *path)
{
	struct app_name *v = NULL;
	size_t n = 0, cap = 0;
	char line[256];
	int lineno = 0;
	FILE *f;

	if (!path) {
		free(app_names);
		app_names = NULL;
		app_count = 0;
		return 0;
	}
	f = fopen(path, "r");
	if (!f)
		return nfx_err(-errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *end, *name, *save = NULL;
		unsigned long id;

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\n")] == 0)
			continue;
		errno = 0;
		id = strtoul(line, &end, 10);
		name = strtok_r(end, " \t\n", &save);
		if (errno || end == line || id > 65535 || !name || strlen(name) >= 32 ||
		    strtok_r(NULL, " \t\n", &save)) {
			fclose(f);
			free(v);
			return nfx_err(-EINVAL, "%s:%d:1: expected 'NUMBER NAME'", path, lineno);
		}
		if (n == cap) {
			struct app_name *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fclose(f);
				free(v);
				return nfx_err(-ENOMEM, "out of memory");
			}
			v = nv;
		}
		memcpy(v[n].name, name, strlen(name) + 1); /* length checked above */
		v[n].id = id;
		n++;
	}
	fclose(f);
	free(app_names);
	app_names = v;
	app_count = n;
	return 0;
}

int nfx_rules_app_lookup(const char *name, __u32 *id)
{
	size_t i;

	for (i = 0; i < app_count; i++)
		if (!strcasecmp(app_names[i].name, name)) {
			*id = app_names[i].id;
			return 0;
		}
	return -ENOENT;
}

const char *nfx_rules_app_name(__u32 id)
{
	size_t i;

	for (i = 0; i < app_count; i++)
		if (app_names[i].id == id)
			return app_names[i].name;
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flow predicate words -> struct nfx_flow_pred, and the reference matcher.
 *
 *	[not] tcp|udp|icmp|icmpv6|proto P     [not] ipv4|ipv6|family 4|6
 *	[not] state S[,S...] | syn_sent ...    [not] assured|unassured|unreplied|replied|adopted|midstream
 *	[not] src|dst|host|net ADDR[/LEN]     [not] port|sport|dport N[-M]
 *	[not] zone N    [not] mark V[/M]    [not] app ID
 *	[not] age|idle [<|<=|>|>=|=] DURATION   (also "age>30s"; units ns us ms s m h d)
 *
 * The matcher below is deliberately written as plain C without any of the
 * datapath's tricks: the in-kernel flush program is tested against it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "nfx/libnfx.h"
#include "nfx/pred.h"
#include "internal.h"

struct pred_parser {
	int argc;
	char **argv;
	int i;			/* index of the current word */
	bool neg;		/* a "not" precedes the current condition */
	struct nfx_flow_pred p;
};

#define PERR(pp, idx, fmt, ...) \
	nfx_err(-EINVAL, "word %d '%s': " fmt, (idx) + 1, (pp)->argv[(idx)], ##__VA_ARGS__)

static const char *next_value(struct pred_parser *pp)
{
	if (pp->i + 1 >= pp->argc)
		return NULL;
	return pp->argv[++pp->i];
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_scalar(struct pred_parser *pp, __u32 bit, int word)
{
	if (pp->p.match & bit)
		return PERR(pp, word, "condition given twice");
	pp->p.match |= bit;
	if (pp->neg)
		pp->p.negate |= bit;
	return 0;
}

static const struct {
	const char *name;
	__u8 proto;
} proto_names[] = {
	{ "tcp", 6 },	 { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
	{ "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
};

static int proto_by_name(const char *s)
{
	size_t i;

	for (i = 0; i < NFX_ARRAY_SIZE(proto_names); i++)
		if (!strcasecmp(s, proto_names[i].name))
			return proto_names[i].proto;
	return -1;
}

static int state_by_name(const char *s, size_t len)
{
	int k;

	for (k = 0; k < FLOW_TCP_STATE_MAX; k++)
		if (strlen(flow_tcp_state_names[k]) == len &&
		    !strncasecmp(flow_tcp_state_names[k], s, len))
			return k;
	/* conntrack spells it "TIME_WAIT" and "SYN_RECV" too; plus aliases */
	if (len == 11 && !strncasecmp(s, "established", len))
		return FLOW_TCP_ESTABLISHED;
	return -1;
}

static const struct {
	const char *name;
	__u8 bit;
	bool set;
} status_words[] = {
	{ "assured", NFX_PRED_ST_ASSURED, true },	{ "unassured", NFX_PRED_ST_ASSURED, false },
	{ "unreplied", NFX_PRED_ST_UNREPLIED, true },	{ "replied", NFX_PRED_ST_UNREPLIED, false },
	{ "seen_reply", NFX_PRED_ST_UNREPLIED, false }, { "adopted", NFX_PRED_ST_ADOPTED, true },
	{ "midstream", NFX_PRED_ST_MIDSTREAM, true },
};

static int status_word(struct pred_parser *pp, const char *w)
{
	size_t i;

	for (i = 0; i < NFX_ARRAY_SIZE(status_words); i++) {
		bool set;

		if (strcasecmp(w, status_words[i].name))
			continue;
		set = status_words[i].set != pp->neg;
		if ((pp->p.status_mask & status_words[i].bit) &&
		    !!(pp->p.status_want & status_words[i].bit) != set)
			return PERR(pp, pp->i, "contradicts an earlier status word");
		pp->p.status_mask |= status_words[i].bit;
		if (set)
			pp->p.status_want |= status_words[i].bit;
		else
			pp->p.status_want &= ~status_words[i].bit;
		return 1;
	}
	return 0;
}

static int parse_states(struct pred_parser *pp, int word, const char *list)
{
	const char *s = list;
	__u32 bits = 0;

	while (*s) {
		size_t len = strcspn(s, ",");
		int k = state_by_name(s, len);

		if (k < 0)
			return PERR(
				pp, word,
				"'%.*s' is not a TCP state (SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, NONE)",
				(int)len, s);
		bits |= 1u << k;
		s += len;
		if (*s == ',')
			s++;
	}
	if (!bits)
		return PERR(pp, word, "empty state list");
	if (set_scalar(pp, NFX_PRED_M_STATE, word))
		return -EINVAL;
	pp->p.tcp_states = bits;
	return 0;
}

static int parse_net(struct pred_parser *pp, int word, const char *val, __u8 side)
{
	struct nfx_pred_net *n;
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned long long plen;
	int fam, bits, k;

	if (pp->p.nnets >= NFX_PRED_MAX_NETS)
		return PERR(pp, word, "at most %d address conditions", NFX_PRED_MAX_NETS);
	if (strlen(val) >= sizeof(buf))
		return PERR(pp, word, "'%s' is not an address or prefix", val);
	snprintf(buf, sizeof(buf), "%s", val);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	n = &pp->p.nets[pp->p.nnets];
	memset(n, 0, sizeof(*n));
	fam = nfx_addr_parse(buf, &n->addr);
	if (fam < 0)
		return PERR(pp, word, "'%s' is not an IPv4 or IPv6 address", buf);
	bits = fam == NFX_AF_INET ? 32 : 128;
	plen = bits;
	if (slash && parse_ulong(slash + 1, bits, &plen))
		return PERR(pp, word, "'%s' is not a prefix length (0..%d)", slash + 1, bits);
	n->family = fam;
	n->side = side;
	n->neg = pp->neg;
	n->plen = plen;
	/* v4 lives in the last 32 bits of the mapped address */
	bits = (fam == NFX_AF_INET ? 96 : 0) + (int)plen;
	for (k = 0; k < 16; k++) {
		int b = bits - 8 * k;

		n->mask.b[k] = b >= 8 ? 0xff : b <= 0 ? 0 : (__u8)(0xff << (8 - b));
		n->addr.b[k] &= n->mask.b[k];
	}
	pp->p.nnets++;
	return 0;
}

static int parse_ports(struct pred_parser *pp, int word, const char *val, __u8 side)
{
	struct nfx_pred_ports *r;
	unsigned long long lo, hi;
	char buf[32];
	char *dash;

	if (pp->p.nports >= NFX_PRED_MAX_PORTS)
		return PERR(pp, word, "at most %d port conditions", NFX_PRED_MAX_PORTS);
	if (strlen(val) >= sizeof(buf))
		return PERR(pp, word, "'%s' is not a port or range", val);
	snprintf(buf, sizeof(buf), "%s", val);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_ulong(buf, 65535, &lo) || (dash && parse_ulong(dash + 1, 65535, &hi)))
		return PERR(pp, word, "'%s' is not a port (0..65535) or range N-M", val);
	if (!dash)
		hi = lo;
	if (hi < lo)
		return PERR(pp, word, "range %s is empty", val);
	r = &pp->p.ports[pp->p.nports++];
	memset(r, 0, sizeof(*r));
	r->lo = lo;
	r->hi = hi;
	r->side = side;
	r->neg = pp->neg;
	return 0;
}

/* "90", "1.5s" is not accepted: integers with a unit only. */
static int parse_duration(const char *s, __u64 *ns)
{
	static const struct {
		const char *u;
		__u64 mul;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ull },
		{ "m", 60000000000ull },
		{ "h", 3600000000000ull },
		{ "d", 86400000000000ull },
		{ "", 1000000000ull },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; i < NFX_ARRAY_SIZE(units); i++) {
		if (strcasecmp(end, units[i].u))
			continue;
		if (v > ULLONG_MAX / units[i].mul)
			return -EINVAL;
		*ns = v * units[i].mul;
		return 0;
	}
	return -EINVAL;
}

/* age/idle: the operator may stand alone or be glued to the word or value. */
static int parse_time_cond(struct pred_parser *pp, int word, const char *w, bool is_age)
{
	const char *rest = w + (is_age ? 3 : 4);
	const char *op = NULL, *val = NULL;
	char opbuf[3] = "";
	__u64 ns, lo = 0, hi = ~0ull;
	int oplen;

	if (!*rest) {
		rest = next_value(pp);
		if (!rest)
			return PERR(pp, word, "needs a duration, e.g. '%s >30s'", w);
	}
	oplen = strspn(rest, "<>=");
	if (oplen > 2)
		return PERR(pp, pp->i, "'%.*s' is not a comparison", oplen, rest);
	memcpy(opbuf, rest, oplen);
	op = opbuf;
	val = rest + oplen;
	if (!*val) {
		val = next_value(pp);
		if (!val)
			return PERR(pp, word, "needs a duration after '%s'", op);
	}
	if (parse_duration(val, &ns))
		return PERR(pp, pp->i,
			    "'%s' is not a duration (integer with ns, us, ms, s, m, h or d)", val);
	if (!*op || !strcmp(op, ">="))
		lo = ns;
	else if (!strcmp(op, ">"))
		lo = ns == ~0ull ? ns : ns + 1;
	else if (!strcmp(op, "<="))
		hi = ns;
	else if (!strcmp(op, "<")) {
		if (!ns)
			return PERR(pp, pp->i, "'< 0' matches nothing");
		hi = ns - 1;
	} else if (!strcmp(op, "=") || !strcmp(op, "=="))
		lo = hi = ns;
	else
		return PERR(pp, pp->i, "'%s' is not a comparison (<, <=, >, >=, =)", op);
	if (set_scalar(pp, is_age ? NFX_PRED_M_AGE : NFX_PRED_M_IDLE, word))
		return -EINVAL;
	if (is_age) {
		pp->p.age_min = lo;
		pp->p.age_max = hi;
	} else {
		pp->p.idle_min = lo;
		pp->p.idle_max = hi;
	}
	return 0;
}

static int parse_word(struct pred_parser *pp)
{
	const char *w = pp->argv[pp->i], *val;
	int word = pp->i, k, r;
	unsigned long long n, m;

	r = status_word(pp, w);
	if (r)
		return r < 0 ? r : 0;
	k = proto_by_name(w);
	if (k >= 0) {
		if (set_scalar(pp, NFX_PRED_M_PROTO, word))
			return -EINVAL;
		pp->p.proto = k;
		return 0;
	}
	if (!strcasecmp(w, "ipv4") || !strcasecmp(w, "ipv6") || !strcasecmp(w, "inet") ||
	    !strcasecmp(w, "inet6")) {
		if (set_scalar(pp, NFX_PRED_M_FAMILY, word))
			return -EINVAL;
		pp->p.family = strchr(w, '6') ? NFX_AF_INET6 : NFX_AF_INET;
		return 0;
	}
	k = state_by_name(w, strlen(w));
	if (k >= 0 && strcasecmp(w, "none"))
		return parse_states(pp, word, w);
	if (!strncasecmp(w, "age", 3) && (!w[3] || strchr("<>=", w[3])))
		return parse_time_cond(pp, word, w, true);
	if (!strncasecmp(w, "idle", 4) && (!w[4] || strchr("<>=", w[4])))
		return parse_time_cond(pp, word, w, false);

	if (strcasecmp(w, "proto") && strcasecmp(w, "family") && strcasecmp(w, "state") &&
	    strcasecmp(w, "src") && strcasecmp(w, "dst") && strcasecmp(w, "host") &&
	    strcasecmp(w, "net") && strcasecmp(w, "port") && strcasecmp(w, "sport") &&
	    strcasecmp(w, "dport") && strcasecmp(w, "zone") && strcasecmp(w, "mark") &&
	    strcasecmp(w, "app") && strcasecmp(w, "class"))
		return PERR(pp, word, "unknown condition");
	val = next_value(pp);
	if (!val)
		return PERR(pp, word, "needs a value");

	if (!strcasecmp(w, "proto")) {
		k = proto_by_name(val);
		if (k < 0) {
			if (parse_ulong(val, 255, &n))
				return PERR(pp, pp->i, "not a protocol name or number 0..255");
			k = n;
		}
		if (set_scalar(pp, NFX_PRED_M_PROTO, word))
			return -EINVAL;
		pp->p.proto = k;
	} else if (!strcasecmp(w, "family")) {
		if (strcmp(val, "4") && strcmp(val, "6"))
			return PERR(pp, pp->i, "family is 4 or 6");
		if (set_scalar(pp, NFX_PRED_M_FAMILY, word))
			return -EINVAL;
		pp->p.family = val[0] == '6' ? NFX_AF_INET6 : NFX_AF_INET;
	} else if (!strcasecmp(w, "state")) {
		return parse_states(pp, pp->i, val);
	} else if (!strcasecmp(w, "src") || !strcasecmp(w, "dst") || !strcasecmp(w, "host") ||
		   !strcasecmp(w, "net")) {
		return parse_net(pp, pp->i, val,
				 w[0] == 's' || w[0] == 'S' ? NFX_PRED_SRC :
				 w[0] == 'd' || w[0] == 'D' ? NFX_PRED_DST :
							      NFX_PRED_EITHER);
	} else if (!strcasecmp(w, "port") || !strcasecmp(w, "sport") || !strcasecmp(w, "dport")) {
		return parse_ports(pp, pp->i, val,
				   w[0] == 's' || w[0] == 'S' ? NFX_PRED_SRC :
				   w[0] == 'd' || w[0] == 'D' ? NFX_PRED_DST :
								NFX_PRED_EITHER);
	} else if (!strcasecmp(w, "zone")) {
		if (parse_ulong(val, 65535, &n))
			return PERR(pp, pp->i, "not a zone number 0..65535");
		if (set_scalar(pp, NFX_PRED_M_ZONE, word))
			return -EINVAL;
		pp->p.zone = n;
	} else if (!strcasecmp(w, "mark")) {
		char buf[40], *slash;

		if (strlen(val) >= sizeof(buf))
			return PERR(pp, pp->i, "not a mark VALUE[/MASK]");
		snprintf(buf, sizeof(buf), "%s", val);
		slash = strchr(buf, '/');
		if (slash)
			*slash = '\0';
		m = 0xffffffffu;
		if (parse_ulong(buf, 0xffffffffu, &n) ||
		    (slash && parse_ulong(slash + 1, 0xffffffffu, &m)))
			return PERR(pp, pp->i, "not a mark VALUE[/MASK] of 32-bit numbers");
		if (set_scalar(pp, NFX_PRED_M_MARK, word))
			return -EINVAL;
		pp->p.mark = n & m;
		pp->p.mark_mask = m;
	} else {
		if (!strcasecmp(val, "unknown"))
			n = 0;
		else if (parse_ulong(val, 65535, &n))
			return PERR(pp, pp->i, "not a class id 0..65535 (or 'unknown')");
		if (set_scalar(pp, NFX_PRED_M_APP, word))
			return -EINVAL;
		pp->p.app_id = n;
	}
	return 0;
}

int nfx_pred_parse(int argc, char **argv, struct nfx_flow_pred *out)
{
	struct pred_parser pp = { .argc = argc, .argv = argv };
	int err;

	pp.p.age_max = pp.p.idle_max = ~0ull;
	for (pp.i = 0; pp.i < argc; pp.i++) {
		if (!argv[pp.i] || !*argv[pp.i])
			return nfx_err(-EINVAL, "word %d: empty", pp.i + 1);
		if (!strcasecmp(argv[pp.i], "not") || !strcmp(argv[pp.i], "!")) {
			if (pp.neg)
				return PERR(&pp, pp.i, "'not not' is not supported");
			if (pp.i + 1 >= argc)
				return PERR(&pp, pp.i, "needs a condition after it");
			pp.neg = true;
			continue;
		}
		err = parse_word(&pp);
		if (err)
			return err;
		pp.neg = false;
	}
	*out = pp.p;
	return 0;
}

/* ---- reference matcher ---- */

static bool in_net(const struct nfx_pred_net *n, __u8 family, const union nfx_addr *a)
{
	int k;

	if (family != n->family)
		return false;
	for (k = 0; k < 16; k++)
		if ((a->b[k] & n->mask.b[k]) != n->addr.b[k])
			return false;
	return true;
}

bool nfx_pred_match(const struct nfx_flow_pred *p, const struct flow_entry *e, __u64 now)
{
	const struct flow_key *k = &e->key;
	bool init_hi = e->flags & FLOW_F_INIT_HI;
	const union nfx_addr *src = init_hi ? &k->hi_addr : &k->lo_addr;
	const union nfx_addr *dst = init_hi ? &k->lo_addr : &k->hi_addr;
	__u16 sport = ntohs(init_hi ? k->hi_port : k->lo_port);
	__u16 dport = ntohs(init_hi ? k->lo_port : k->hi_port);
	__u64 age = now > e->first_seen ? now - e->first_seen : 0;
	__u64 idle = now > e->last_seen ? now - e->last_seen : 0;
	int i;

#define COND(bit, expr) \
	if ((p->match & (bit)) && !(expr) != !!(p->negate & (bit))) \
	return false

	COND(NFX_PRED_M_PROTO, k->proto == p->proto);
	COND(NFX_PRED_M_FAMILY, k->family == p->family);
	COND(NFX_PRED_M_STATE,
	     k->proto == 6 && e->tcp_state < 32 && (p->tcp_states & (1u << e->tcp_state)));
	COND(NFX_PRED_M_ZONE, k->zone == p->zone);
	COND(NFX_PRED_M_MARK, (e->mark & p->mark_mask) == p->mark);
	COND(NFX_PRED_M_APP, e->app_id == p->app_id);
	COND(NFX_PRED_M_AGE, age >= p->age_min && age <= p->age_max);
	COND(NFX_PRED_M_IDLE, idle >= p->idle_min && idle <= p->idle_max);
#undef COND
	if ((nfx_flow_status(e) & p->status_mask) != p->status_want)
		return false;
	for (i = 0; i < p->nnets && i < NFX_PRED_MAX_NETS; i++) {
		const struct nfx_pred_net *n = &p->nets[i];
		bool hit;

		if (n->side == NFX_PRED_SRC)
			hit = in_net(n, k->family, src);
		else if (n->side == NFX_PRED_DST)
			hit = in_net(n, k->family, dst);
		else
			hit = in_net(n, k->family, src) || in_net(n, k->family, dst);
		if (hit == !!n->neg)
			return false;
	}
	for (i = 0; i < p->nports && i < NFX_PRED_MAX_PORTS; i++) {
		const struct nfx_pred_ports *r = &p->ports[i];
		bool s = sport >= r->lo && sport <= r->hi;
		bool d = dport >= r->lo && dport <= r->hi;
		bool hit = r->side == NFX_PRED_SRC ? s : r->side == NFX_PRED_DST ? d : s || d;

		if (hit == !!r->neg)
			return false;
	}
	return true;
}

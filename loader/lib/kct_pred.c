// SPDX-License-Identifier: GPL-2.0
/* Conntrack/flow predicate parser and matcher; see pred.h for the syntax. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kct_pred.h"

static const char *const tcp_state_names[NFX_KCT_TCP_NSTATES] = {
	[NFX_KCT_TCP_NONE] = "none",	     [NFX_KCT_TCP_SYN_SENT] = "syn_sent",
	[NFX_KCT_TCP_SYN_RECV] = "syn_recv", [NFX_KCT_TCP_ESTABLISHED] = "established",
	[NFX_KCT_TCP_FIN_WAIT] = "fin_wait", [NFX_KCT_TCP_CLOSE_WAIT] = "close_wait",
	[NFX_KCT_TCP_LAST_ACK] = "last_ack", [NFX_KCT_TCP_TIME_WAIT] = "time_wait",
	[NFX_KCT_TCP_CLOSE] = "close",	     [NFX_KCT_TCP_SYN_SENT2] = "syn_sent2",
};

static const struct {
	const char *name;
	uint8_t num;
} protos[] = {
	{ "tcp", IPPROTO_TCP },	  { "udp", IPPROTO_UDP },	{ "udplite", IPPROTO_UDPLITE },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	{ "dccp", IPPROTO_DCCP }, { "gre", IPPROTO_GRE },
};

const char *nfx_kct_tcp_state_name(unsigned int st)
{
	return st < NFX_KCT_TCP_NSTATES ? tcp_state_names[st] : NULL;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Strict unsigned number: decimal or 0x hex, whole string, <= max. */
static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_secs(const char *s, uint32_t *out)
{
	char buf[32];
	size_t n = strlen(s);
	uint32_t mult = 1, v;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 's':
		mult = 1;
		buf[--n] = 0;
		break;
	case 'm':
		mult = 60;
		buf[--n] = 0;
		break;
	case 'h':
		mult = 3600;
		buf[--n] = 0;
		break;
	case 'd':
		mult = 86400;
		buf[--n] = 0;
		break;
	}
	if (!parse_u32(buf, UINT32_MAX, &v) || (uint64_t)v * mult > UINT32_MAX)
		return false;
	*out = v * mult;
	return true;
}

/* ">N" ">=N" "<N" "<=N" "N-M" into an inclusive [lo, hi]. */
static bool parse_cmp(const char *s, uint32_t *lo, uint32_t *hi)
{
	const char *dash;
	char a[32];
	uint32_t v;

	if (s[0] == '>' || s[0] == '<') {
		bool eq = s[1] == '=';

		if (!parse_secs(s + 1 + eq, &v))
			return false;
		if (s[0] == '>') {
			if (!eq && v == UINT32_MAX)
				return false;
			*lo = eq ? v : v + 1;
			*hi = UINT32_MAX;
		} else {
			if (!eq && v == 0)
				return false;
			*lo = 0;
			*hi = eq ? v : v - 1;
		}
		return true;
	}
	dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof(a))
		return false;
	memcpy(a, s, dash - s);
	a[dash - s] = 0;
	return parse_secs(a, lo) && parse_secs(dash + 1, hi) && *lo <= *hi;
}

static bool parse_range(const char *s, struct nfx_kct_range *r)
{
	const char *dash = strchr(s, '-');
	uint32_t lo, hi;
	char a[16];

	if (!dash) {
		if (!parse_u32(s, 65535, &lo))
			return false;
		r->lo = r->hi = (uint16_t)lo;
		return true;
	}
	if ((size_t)(dash - s) >= sizeof(a))
		return false;
	memcpy(a, s, dash - s);
	a[dash - s] = 0;
	if (!parse_u32(a, 65535, &lo) || !parse_u32(dash + 1, 65535, &hi) || lo > hi)
		return false;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return true;
}

/* Returns the family of the prefix, or 0 when it is not one. */
static int parse_prefix(const char *s, struct nfx_kct_prefix *pfx)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t plen;
	unsigned int i;
	int fam;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(pfx, 0, sizeof(*pfx));
	if (inet_pton(AF_INET, buf, pfx->addr) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, pfx->addr) == 1)
		fam = AF_INET6;
	else
		return 0;
	plen = fam == AF_INET ? 32 : 128;
	if (slash && !parse_u32(slash + 1, plen, &plen))
		return 0;
	pfx->plen = (uint8_t)plen;
	/* Clear host bits, as the kernel insists on a clean prefix. */
	for (i = plen; i < 128; i++)
		pfx->addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return fam;
}

static int set_family(struct nfx_kct_pred *p, int fam, const char *word, char *err, size_t errlen)
{
	if ((p->fields & NFX_KCT_F_FAMILY) && p->family != fam)
		return fail(err, errlen, "'%s': address family differs from an earlier word", word);
	p->family = (uint8_t)fam;
	p->fields |= NFX_KCT_F_FAMILY;
	return 0;
}

static int parse_state(struct nfx_kct_pred *p, const char *val, char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i;

	if (strlen(val) >= sizeof(buf))
		return fail(err, errlen, "state list too long");
	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "unreplied")) {
			p->status |= NFX_KCT_ST_UNREPLIED;
			continue;
		}
		if (!strcmp(tok, "unassured") || !strcmp(tok, "!assured")) {
			p->status |= NFX_KCT_ST_UNASSURED;
			continue;
		}
		if (!strcmp(tok, "assured")) {
			p->status |= NFX_KCT_ST_ASSURED;
			continue;
		}
		for (i = 0; i < NFX_KCT_TCP_NSTATES; i++)
			if (!strcasecmp(tok, tcp_state_names[i]))
				break;
		if (i == NFX_KCT_TCP_NSTATES)
			return fail(
				err, errlen,
				"unknown state '%s' (TCP state, unreplied, unassured or assured)",
				tok);
		p->tcp_states |= 1U << i;
	}
	if (p->tcp_states)
		p->fields |= NFX_KCT_F_TCP_STATES;
	if (p->status)
		p->fields |= NFX_KCT_F_STATUS;
	if ((p->status & NFX_KCT_ST_ASSURED) && (p->status & NFX_KCT_ST_UNASSURED))
		return fail(err, errlen, "state '%s': assured and unassured never both hold", val);
	if (!p->tcp_states && !p->status)
		return fail(err, errlen, "empty state list");
	return 0;
}

int nfx_kct_pred_parse(int argc, char *const argv[], struct nfx_kct_pred *p, char *err,
		       size_t errlen)
{
	uint32_t seen = 0;
	int i, rc;

	memset(p, 0, sizeof(*p));
	if (err && errlen)
		err[0] = 0;
	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		struct nfx_kct_prefix pfx;
		uint32_t bit, v, m;
		int fam;

		if (!strcmp(key, "state"))
			bit = NFX_KCT_F_TCP_STATES;
		else if (!strcmp(key, "proto"))
			bit = NFX_KCT_F_L4PROTO;
		else if (!strcmp(key, "family"))
			bit = NFX_KCT_F_FAMILY;
		else if (!strcmp(key, "src"))
			bit = NFX_KCT_F_SRC;
		else if (!strcmp(key, "dst"))
			bit = NFX_KCT_F_DST;
		else if (!strcmp(key, "addr"))
			bit = NFX_KCT_F_ADDR;
		else if (!strcmp(key, "sport"))
			bit = NFX_KCT_F_SPORT;
		else if (!strcmp(key, "dport"))
			bit = NFX_KCT_F_DPORT;
		else if (!strcmp(key, "port"))
			bit = NFX_KCT_F_PORT;
		else if (!strcmp(key, "zone"))
			bit = NFX_KCT_F_ZONE;
		else if (!strcmp(key, "mark"))
			bit = NFX_KCT_F_MARK;
		else if (!strcmp(key, "age"))
			bit = NFX_KCT_F_AGE;
		else if (!strcmp(key, "timeout"))
			bit = NFX_KCT_F_TMO;
		else
			return fail(err, errlen, "unknown predicate word '%s'", key);
		if (!val)
			return fail(err, errlen, "'%s' needs a value", key);
		if (seen & bit)
			return fail(err, errlen, "'%s' given twice", key);
		seen |= bit;

		switch (bit) {
		case NFX_KCT_F_TCP_STATES:
			rc = parse_state(p, val, err, errlen);
			if (rc)
				return rc;
			break;
		case NFX_KCT_F_L4PROTO: {
			size_t k;

			for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
				if (!strcasecmp(val, protos[k].name))
					break;
			if (k < sizeof(protos) / sizeof(protos[0]))
				p->l4proto = protos[k].num;
			else if (parse_u32(val, 255, &v))
				p->l4proto = (uint8_t)v;
			else
				return fail(err, errlen,
					    "proto '%s': not a protocol name or number", val);
			p->fields |= NFX_KCT_F_L4PROTO;
			break;
		}
		case NFX_KCT_F_FAMILY:
			if (!strcmp(val, "inet") || !strcmp(val, "ipv4") || !strcmp(val, "ip"))
				fam = AF_INET;
			else if (!strcmp(val, "inet6") || !strcmp(val, "ipv6") ||
				 !strcmp(val, "ip6"))
				fam = AF_INET6;
			else
				return fail(err, errlen, "family '%s': use inet or inet6", val);
			rc = set_family(p, fam, key, err, errlen);
			if (rc)
				return rc;
			break;
		case NFX_KCT_F_SRC:
		case NFX_KCT_F_DST:
		case NFX_KCT_F_ADDR:
			fam = parse_prefix(val, &pfx);
			if (!fam)
				return fail(err, errlen, "%s '%s': not an IPv4/IPv6 prefix", key,
					    val);
			rc = set_family(p, fam, val, err, errlen);
			if (rc)
				return rc;
			if (bit == NFX_KCT_F_SRC)
				p->src = pfx;
			else if (bit == NFX_KCT_F_DST)
				p->dst = pfx;
			else
				p->addr = pfx;
			p->fields |= bit;
			break;
		case NFX_KCT_F_SPORT:
		case NFX_KCT_F_DPORT:
		case NFX_KCT_F_PORT:
			if (!parse_range(val, bit == NFX_KCT_F_SPORT ? &p->sport :
					      bit == NFX_KCT_F_DPORT ? &p->dport :
								       &p->port))
				return fail(err, errlen, "%s '%s': not a port or port range N-M",
					    key, val);
			p->fields |= bit;
			break;
		case NFX_KCT_F_ZONE:
			if (!parse_u32(val, 65535, &v))
				return fail(err, errlen, "zone '%s': not a number 0..65535", val);
			p->zone = (uint16_t)v;
			p->fields |= bit;
			break;
		case NFX_KCT_F_MARK: {
			char buf[64], *slash;

			if (strlen(val) >= sizeof(buf))
				return fail(err, errlen, "mark '%s': too long", val);
			snprintf(buf, sizeof(buf), "%s", val);
			slash = strchr(buf, '/');
			m = UINT32_MAX;
			if (slash) {
				*slash = 0;
				if (!parse_u32(slash + 1, UINT32_MAX, &m))
					return fail(err, errlen, "mark '%s': bad mask", val);
			}
			if (!parse_u32(buf, UINT32_MAX, &v))
				return fail(err, errlen, "mark '%s': not a number", val);
			if (v & ~m)
				return fail(err, errlen,
					    "mark '%s': value has bits outside the mask", val);
			p->mark = v;
			p->mark_mask = m;
			p->fields |= bit;
			break;
		}
		case NFX_KCT_F_AGE:
			if (!parse_cmp(val, &p->age_min, &p->age_max))
				return fail(
					err, errlen,
					"age '%s': use \">N\", \"<N\", \">=N\", \"<=N\" or N-M (s m h d)",
					val);
			p->fields |= bit;
			break;
		case NFX_KCT_F_TMO:
			if (!parse_cmp(val, &p->tmo_min, &p->tmo_max))
				return fail(
					err, errlen,
					"timeout '%s': use \">N\", \"<N\", \">=N\", \"<=N\" or N-M (s m h d)",
					val);
			p->fields |= bit;
			break;
		}
	}
	if ((p->fields & NFX_KCT_F_TCP_STATES) && (p->fields & NFX_KCT_F_L4PROTO) &&
	    p->l4proto != IPPROTO_TCP)
		return fail(err, errlen, "TCP states given with proto %u", p->l4proto);
	return 0;
}

int nfx_kct_pred_parse_str(const char *s, struct nfx_kct_pred *p, char *err, size_t errlen)
{
	char *buf = strdup(s ? s : ""), *argv[64], *q;
	int argc = 0, rc;

	if (!buf)
		return -ENOMEM;
	for (q = buf; *q;) {
		char quote = 0;

		while (isspace((unsigned char)*q))
			q++;
		if (!*q)
			break;
		if (argc == (int)(sizeof(argv) / sizeof(argv[0]))) {
			free(buf);
			return fail(err, errlen, "too many words");
		}
		if (*q == '"' || *q == '\'')
			quote = *q++;
		argv[argc++] = q;
		while (*q && (quote ? *q != quote : !isspace((unsigned char)*q)))
			q++;
		if (quote && !*q) {
			free(buf);
			return fail(err, errlen, "unterminated quote in '%s'", argv[argc - 1]);
		}
		if (*q)
			*q++ = 0;
	}
	rc = nfx_kct_pred_parse(argc, argv, p, err, errlen);
	free(buf);
	return rc;
}

static bool pfx_has(const uint8_t *a, const struct nfx_kct_prefix *pfx)
{
	unsigned int bytes = pfx->plen / 8, bits = pfx->plen % 8;

	if (memcmp(a, pfx->addr, bytes))
		return false;
	return !bits || !((a[bytes] ^ pfx->addr[bytes]) & (uint8_t)(0xff << (8 - bits)));
}

static bool in_range(const struct nfx_kct_range *r, uint16_t v)
{
	return v >= r->lo && v <= r->hi;
}

bool nfx_kct_pred_match(const struct nfx_kct_pred *p, const struct nfx_kct_view *v)
{
	uint32_t f = p->fields;

	if ((f & NFX_KCT_F_L4PROTO) && v->l4proto != p->l4proto)
		return false;
	if ((f & NFX_KCT_F_FAMILY) && v->family != p->family)
		return false;
	if ((f & NFX_KCT_F_TCP_STATES) && (!v->has_tcp_state || v->l4proto != IPPROTO_TCP ||
					   !(p->tcp_states & (1U << v->tcp_state))))
		return false;
	if (f & NFX_KCT_F_STATUS) {
		if ((p->status & NFX_KCT_ST_UNREPLIED) && v->seen_reply)
			return false;
		if ((p->status & NFX_KCT_ST_UNASSURED) && v->assured)
			return false;
		if ((p->status & NFX_KCT_ST_ASSURED) && !v->assured)
			return false;
	}
	if ((f & NFX_KCT_F_SRC) && !pfx_has(v->src, &p->src))
		return false;
	if ((f & NFX_KCT_F_DST) && !pfx_has(v->dst, &p->dst))
		return false;
	if ((f & NFX_KCT_F_ADDR) && !pfx_has(v->src, &p->addr) && !pfx_has(v->dst, &p->addr))
		return false;
	if (f & (NFX_KCT_F_SPORT | NFX_KCT_F_DPORT | NFX_KCT_F_PORT)) {
		if (!v->has_ports)
			return false;
		if ((f & NFX_KCT_F_SPORT) && !in_range(&p->sport, v->sport))
			return false;
		if ((f & NFX_KCT_F_DPORT) && !in_range(&p->dport, v->dport))
			return false;
		if ((f & NFX_KCT_F_PORT) && !in_range(&p->port, v->sport) &&
		    !in_range(&p->port, v->dport))
			return false;
	}
	if ((f & NFX_KCT_F_ZONE) && v->zone != p->zone)
		return false;
	if ((f & NFX_KCT_F_MARK) && (v->mark & p->mark_mask) != p->mark)
		return false;
	if ((f & NFX_KCT_F_TMO) && (v->timeout < p->tmo_min || v->timeout > p->tmo_max))
		return false;
	if ((f & NFX_KCT_F_AGE) && (!v->has_age || v->age < p->age_min || v->age > p->age_max))
		return false;
	return true;
}

#define APPEND(...)							\
	do {								\
		int n_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
		if (n_ < 0)						\
			return -EINVAL;					\
		off += (size_t)n_;					\
	} while (0)

static void fmt_pfx(char *out, size_t n, int fam, const struct nfx_kct_prefix *pfx)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(fam, pfx->addr, a, sizeof(a));
	snprintf(out, n, "%s/%u", a, pfx->plen);
}

int nfx_kct_pred_format(const struct nfx_kct_pred *p, char *buf, size_t len)
{
	size_t off = 0;
	char a[INET6_ADDRSTRLEN + 8];
	const char *sep = "";
	unsigned int i;

	if (len)
		buf[0] = 0;
	if (p->fields & (NFX_KCT_F_TCP_STATES | NFX_KCT_F_STATUS)) {
		APPEND("state ");
		for (i = 0; i < NFX_KCT_TCP_NSTATES; i++)
			if (p->tcp_states & (1U << i)) {
				APPEND("%s%s", sep, tcp_state_names[i]);
				sep = ",";
			}
		if (p->status & NFX_KCT_ST_UNREPLIED) {
			APPEND("%sunreplied", sep);
			sep = ",";
		}
		if (p->status & NFX_KCT_ST_UNASSURED) {
			APPEND("%sunassured", sep);
			sep = ",";
		}
		if (p->status & NFX_KCT_ST_ASSURED) {
			APPEND("%sassured", sep);
		}
		APPEND(" ");
	}
	if (p->fields & NFX_KCT_F_L4PROTO)
		APPEND("proto %u ", p->l4proto);
	if (p->fields & NFX_KCT_F_FAMILY)
		APPEND("family %s ", p->family == AF_INET ? "inet" : "inet6");
	if (p->fields & NFX_KCT_F_SRC) {
		fmt_pfx(a, sizeof(a), p->family, &p->src);
		APPEND("src %s ", a);
	}
	if (p->fields & NFX_KCT_F_DST) {
		fmt_pfx(a, sizeof(a), p->family, &p->dst);
		APPEND("dst %s ", a);
	}
	if (p->fields & NFX_KCT_F_ADDR) {
		fmt_pfx(a, sizeof(a), p->family, &p->addr);
		APPEND("addr %s ", a);
	}
	if (p->fields & NFX_KCT_F_SPORT)
		APPEND("sport %u-%u ", p->sport.lo, p->sport.hi);
	if (p->fields & NFX_KCT_F_DPORT)
		APPEND("dport %u-%u ", p->dport.lo, p->dport.hi);
	if (p->fields & NFX_KCT_F_PORT)
		APPEND("port %u-%u ", p->port.lo, p->port.hi);
	if (p->fields & NFX_KCT_F_ZONE)
		APPEND("zone %u ", p->zone);
	if (p->fields & NFX_KCT_F_MARK)
		APPEND("mark 0x%x/0x%x ", p->mark, p->mark_mask);
	if (p->fields & NFX_KCT_F_AGE)
		APPEND("age %u-%u ", p->age_min, p->age_max);
	if (p->fields & NFX_KCT_F_TMO)
		APPEND("timeout %u-%u ", p->tmo_min, p->tmo_max);
	if (off && off <= len)
		buf[off - 1] = 0;
	return off < len ? 0 : -ENOSPC;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow predicates: parser errors and the reference matcher's meaning. */
#include <arpa/inet.h>

#include "nfx/libnfx.h"
#include "nfx/pred.h"
#include "../lib/tap.h"

static int parse_str(const char *s, struct nfx_flow_pred *p)
{
	static char buf[512];
	char *argv[32], *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	return nfx_pred_parse(argc, argv, p);
}

/* A TCP flow 10.0.0.1:40000 -> 192.0.2.9:80 started by the hi side. */
static void flow4(struct flow_entry *e, const char *src, __u16 sport, const char *dst, __u16 dport)
{
	union nfx_addr a, b;

	memset(e, 0, sizeof(*e));
	nfx_addr_parse(src, &a);
	nfx_addr_parse(dst, &b);
	/* put the initiator on the hi side to exercise FLOW_F_INIT_HI */
	e->key.hi_addr = a;
	e->key.hi_port = htons(sport);
	e->key.lo_addr = b;
	e->key.lo_port = htons(dport);
	e->key.proto = 6;
	e->key.family = strchr(src, ':') ? NFX_AF_INET6 : NFX_AF_INET;
	e->flags = FLOW_F_INIT_HI | FLOW_F_SEEN_HI;
	e->tcp_state = FLOW_TCP_SYN_SENT;
	e->first_seen = 1000ull * 1000000000ull;
	e->last_seen = 1010ull * 1000000000ull;
}

static bool m(const char *s, const struct flow_entry *e, __u64 now)
{
	struct nfx_flow_pred p;

	if (parse_str(s, &p))
		TAP_FAIL("'%s' does not parse: %s", s, nfx_errmsg());
	return nfx_pred_match(&p, e, now);
}

TEST(matcher_meaning)
{
	struct flow_entry e;
	__u64 now = 1040ull * 1000000000ull;	/* age 40 s, idle 30 s */

	flow4(&e, "10.0.0.1", 40000, "192.0.2.9", 80);
	ASSERT_TRUE(m("unreplied", &e, now), "no reply seen");
	ASSERT_TRUE(m("not assured", &e, now), "not assured");
	ASSERT_FALSE(m("replied", &e, now), "replied");
	ASSERT_TRUE(m("syn_sent", &e, now), "bare state");
	ASSERT_TRUE(m("state ESTABLISHED,SYN_SENT tcp", &e, now), "state list");
	ASSERT_FALSE(m("udp", &e, now), "proto");
	ASSERT_TRUE(m("src 10.0.0.0/8", &e, now), "src is the initiator");
	ASSERT_FALSE(m("dst 10.0.0.0/8", &e, now), "dst is the responder");
	ASSERT_TRUE(m("host 192.0.2.0/24", &e, now), "either");
	ASSERT_TRUE(m("not src 192.0.2.0/24", &e, now), "negated prefix");
	ASSERT_TRUE(m("dport 80", &e, now), "dport");
	ASSERT_FALSE(m("sport 80", &e, now), "sport");
	ASSERT_TRUE(m("port 39999-40001", &e, now), "port range either side");
	ASSERT_FALSE(m("ipv6", &e, now), "family");
	ASSERT_FALSE(m("src ::/0", &e, now), "v6 prefix never matches a v4 flow");
	ASSERT_TRUE(m("src 0.0.0.0/0", &e, now), "/0 of the family");
	ASSERT_TRUE(m("age >30s", &e, now), "age 40 > 30");
	ASSERT_FALSE(m("age < 40s", &e, now), "age 40 < 40");
	ASSERT_TRUE(m("idle = 30s", &e, now), "idle exactly");
	ASSERT_TRUE(m("idle<=30000ms", &e, now), "idle glued op, ms");
	e.mark = 0x1234;
	ASSERT_TRUE(m("mark 0x30/0xf0", &e, now), "mark/mask");
	ASSERT_FALSE(m("mark 0x1235", &e, now), "mark exact");
	e.key.zone = 7;
	e.app_id = 12;
	ASSERT_TRUE(m("zone 7 app 12", &e, now), "zone and class");
	ASSERT_TRUE(m("not zone 8", &e, now), "negated zone");
	e.flags |= FLOW_F_SEEN_LO | FLOW_F_ASSURED;
	ASSERT_FALSE(m("unreplied", &e, now), "reply seen");
	ASSERT_TRUE(m("assured replied", &e, now), "assured");
}

TEST(matcher_v6_prefix)
{
	struct flow_entry e;

	flow4(&e, "2001:db8:1:2::5", 5000, "2001:db8:ff::1", 443);
	ASSERT_TRUE(m("src 2001:db8:1::/48", &e, 0), "v6 /48");
	ASSERT_FALSE(m("src 2001:db8:1:3::/64", &e, 0), "v6 /64 other");
	ASSERT_TRUE(m("dst 2001:db8:ff::/47", &e, 0), "odd length");
	ASSERT_FALSE(m("ipv4", &e, 0), "family");
}

static void bad(const char *s, const char *want)
{
	struct nfx_flow_pred p;

	memset(&p, 0xa5, sizeof(p));
	if (!parse_str(s, &p))
		TAP_FAIL("'%s' was accepted", s);
	if (!strstr(nfx_errmsg(), want))
		TAP_FAIL("'%s': error \"%s\" does not name \"%s\"", s, nfx_errmsg(), want);
}

TEST(bad_predicates_name_the_word)
{
	bad("tcp frobnicate", "word 2 'frobnicate'");
	bad("src 10.0.0.0/33", "word 2 '10.0.0.0/33'");
	bad("src 2001:db8::/129", "word 2 '2001:db8::/129'");
	bad("src banana", "word 2 'banana'");
	bad("port 70000", "word 2 '70000'");
	bad("port 90-80", "word 2 '90-80'");
	bad("state SYN_SENT,BOGUS", "'BOGUS' is not a TCP state");
	bad("udp proto tcp", "word 2 'proto'");
	bad("age > 5x", "word 3 '5x'");
	bad("idle", "word 1 'idle'");
	bad("unreplied replied", "word 2 'replied'");
	bad("zone", "word 1 'zone'");
	bad("zone 65536", "word 2 '65536'");
	bad("mark 1/zz", "word 2 '1/zz'");
	bad("not", "word 1 'not'");
	bad("not not tcp", "word 2 'not'");
	bad("src 1.0.0.0/8 src 2.0.0.0/8 src 3.0.0.0/8 src 4.0.0.0/8 src 5.0.0.0/8",
	    "word 10 '5.0.0.0/8'");
}

TEST(old_flows_words_still_work)
{
	struct nfx_flow_pred p;

	ASSERT_EQ(parse_str("proto tcp state established port 22 host 10.0.0.1 zone 3 assured", &p),
		  0, "every word of the former flows filter");
	ASSERT_EQ(parse_str("proto 17 unassured", &p), 0, "numeric proto");
	ASSERT_EQ(p.proto, 17, "proto 17");
	ASSERT_EQ(parse_str("", &p), 0, "empty");
	ASSERT_TRUE(nfx_pred_is_empty(&p), "empty predicate");
}

int main(void)
{
	return tap_run();
}

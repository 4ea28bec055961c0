// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Ruleset parser: what it accepts, and the line:column of what it rejects. */
#include <string.h>
#include <stdlib.h>

#include "../lib/tap.h"
#include "nfx/libnfx.h"
#include "nfx/rules.h"

static int parse(const char *text, struct nfx_rule **r, size_t *n)
{
	return nfx_rules_parse("t.rules", text, strlen(text), r, n);
}

static void expect_error(const char *text, const char *where)
{
	struct nfx_rule *r = (void *)1;
	size_t n = 99;

	ASSERT_TRUE(parse(text, &r, &n) < 0, text);
	ASSERT_TRUE(r == NULL && n == 0, "nothing returned");
	if (strncmp(nfx_errmsg(), where, strlen(where)))
		printf("# got: %s\n", nfx_errmsg());
	ASSERT_TRUE(!strncmp(nfx_errmsg(), where, strlen(where)), where);
}

TEST(accepts_every_match)
{
	struct nfx_rule *r;
	size_t n;

	ASSERT_EQ(
		parse("# comment\n\n"
		      "ip saddr 10.0.0.0/8 ip daddr 192.0.2.1 tcp dport 22-25 ct state new,established drop\n"
		      "ip6 saddr 2001:db8::/32 udp sport 53 meta mark 7 meta mark set 0x10\n"
		      "tcp flags syn / syn,ack counter rate-limit 100/second burst 20\n"
		      "meta l4proto icmp app 7 count   # trailing comment\n"
		      "tcp flags none / fin,syn,rst accept\n",
		      &r, &n),
		5, "five rules");
	ASSERT_EQ(r[0].used,
		  (1u << NFX_RF_SRC) | (1u << NFX_RF_DST) | (1u << NFX_RF_DPORT) |
			  (1u << NFX_RF_PROTO) | (1u << NFX_RF_STATE),
		  "fields of rule 1");
	ASSERT_EQ(r[0].src_plen, 8, "src /8");
	ASSERT_EQ(r[0].dst_plen, 32, "dst /32");
	ASSERT_EQ(r[0].dport_lo, 22, "port lo");
	ASSERT_EQ(r[0].dport_hi, 25, "port hi");
	ASSERT_EQ(r[0].proto, 6, "tcp implied");
	ASSERT_EQ(r[0].state_mask, NFX_RS_NEW | NFX_RS_ESTABLISHED, "states");
	ASSERT_EQ(r[0].action, NFX_RA_DROP, "drop");
	ASSERT_EQ(r[1].src_family, NFX_AF_INET6, "v6");
	ASSERT_EQ(r[1].mark, 7, "mark match");
	ASSERT_EQ(r[1].action, NFX_RA_MARK, "mark set");
	ASSERT_EQ(r[1].set_mark, 0x10, "mark value");
	ASSERT_EQ(r[2].flags_val, 0x02, "syn");
	ASSERT_EQ(r[2].flags_mask, 0x12, "syn,ack");
	ASSERT_EQ(r[2].rate, 100, "rate");
	ASSERT_EQ(r[2].burst, 20, "burst");
	ASSERT_EQ(r[3].app, 7, "app number");
	ASSERT_EQ(r[3].action, NFX_RA_COUNT, "count");
	ASSERT_EQ(r[4].flags_val, 0, "none");
	free(r);
}

TEST(round_trip_through_format)
{
	struct nfx_rule *r, *r2;
	size_t n, n2;
	char text[512];

	ASSERT_EQ(
		parse("ip saddr 10.1.0.0/16 udp dport 1000-2000 ct state assured meta mark set 3\n",
		      &r, &n),
		1, "parse");
	ASSERT_EQ(nfx_rule_format(&r[0], text, sizeof(text)), 0, "format");
	ASSERT_EQ(parse(text, &r2, &n2), 1, text);
	{
		char text2[512];

		ASSERT_EQ(nfx_rule_format(&r2[0], text2, sizeof(text2)), 0, "format again");
		ASSERT_STREQ(text, text2, "same text after a round trip");
		ASSERT_EQ(r2[0].used, r[0].used, "same fields");
		ASSERT_EQ(r2[0].src.v4, r[0].src.v4, "same prefix");
		ASSERT_EQ(r2[0].dport_hi, r[0].dport_hi, "same range");
		ASSERT_EQ(r2[0].set_mark, r[0].set_mark, "same mark");
	}
	free(r);
	free(r2);
}

TEST(errors_name_line_and_column)
{
	expect_error("accept\nip saddr 10.0.0.0/33 drop\n",
		     "t.rules:2:19: '33' is not a prefix length");
	expect_error("ip saddr 2001:db8::/32 drop", "t.rules:1:10: '2001:db8::' is not an IPv4");
	expect_error("ip saddr 10.0.0.1/8 drop", "t.rules:1:10: '10.0.0.1/8' has host bits");
	expect_error("tcp dport 80-70 drop", "t.rules:1:11: range 80-70 is empty");
	expect_error("tcp dport 70000 drop", "t.rules:1:11: '70000' is not a port");
	expect_error("udp dport 53 meta l4proto tcp drop", "t.rules:1:27: 'tcp' contradicts");
	expect_error("\n\n   frobnicate drop", "t.rules:3:4: unknown word 'frobnicate'");
	expect_error("tcp dport 22", "t.rules:1:13: rule has no action");
	expect_error("drop accept", "t.rules:1:6: 'accept' after the action");
	expect_error("oif eth0 drop", "t.rules:1:1: 'oif': XDP runs before the routing");
	expect_error("tcp flags syn,bogus drop", "t.rules:1:15: 'bogus' is not a TCP flag");
	expect_error("ct state new,old drop", "t.rules:1:14: 'old' is not a flow state");
	expect_error("ip saddr 10.0.0.0/8 ip saddr 10.0.0.0/8 drop",
		     "t.rules:1:30: '10.0.0.0/8': this match is already given");
	expect_error("rate-limit 10/fortnight", "t.rules:1:15: 'fortnight' is not a unit");
	expect_error("app nosuchapp drop", "t.rules:1:5: 'nosuchapp' is not an application");
	expect_error("ip saddr", "t.rules:1:9: expected an address prefix at end of line");
}

TEST(nul_and_long_lines)
{
	char buf[6000];

	struct nfx_rule *r;
	size_t n;

	ASSERT_TRUE(nfx_rules_parse("t.rules", "drop\0 x", 7, &r, &n) < 0, "NUL");
	ASSERT_TRUE(!strncmp(nfx_errmsg(), "t.rules:1:1: NUL byte", 21), nfx_errmsg());
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	expect_error(buf, "t.rules:1:4097: line longer");
}

int main(void)
{
	return tap_run();
}

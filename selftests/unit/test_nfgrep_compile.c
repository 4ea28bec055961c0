// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The nfgrep compiler: code generation and error locations. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "nfx/nfgc.h"
#include "../lib/tap.h"

static int compile(const char *src, struct nfg_compiled *c, char *err)
{
	return nfg_compile_buf("t.nfg", src, strlen(src), c, err, NFG_ERR_MAX);
}

TEST(compile_http_with_children)
{
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	const char *src =
		"# comment\n"
		"protocol http { transport tcp; ports 80;\n"
		"  client { \"GET \" | nocase \"post \" at 0; \" HTTP/1.\" within 100; }\n"
		"  then yt; }\n"
		"protocol yt { client { nocase \"Host: youtube.com\"; } }\n";

	ASSERT_EQ(compile(src, &c, err), 0, "compiles");
	ASSERT_EQ(c.prog->nproto, 2, "two protocols");
	ASSERT_EQ(strcmp(c.names[1], "http.yt"), 0, "child named parent.child");
	ASSERT_EQ(c.prog->proto[1].parent, 0, "child points at parent");
	ASSERT_EQ(c.prog->step[0].kind, NFG_S_HEAD, "anchored literal compares the head");
	ASSERT_EQ(c.prog->nlit, 2, "two literals");
	ASSERT_EQ(c.prog->ntok, 2, "two searched tokens");
	/* nocase: 'p' and 'P' both light the first bit of "post " */
	ASSERT_EQ(c.prog->lit[1].mask[0] & 0xff, 0xdf, "case bit masked");
	ASSERT_EQ(c.prog->step[1].within, 100, "within kept");
	/* "HOST: youtube.com" has the bit of 'H' set in the masks of 'h' and 'H' */
	ASSERT_EQ(!!(c.prog->mask['h'][0] & c.prog->mask['H'][0]), 1, "nocase token masks");
	nfg_compiled_free(&c);
}

TEST(errors_have_locations)
{
	static const struct {
		const char *src, *want;
	} cases[] = {
		{ "protocol x { client { \"a\" at; } }", "t.nfg:1:29: expected offset" },
		{ "protocol x {\n  client { u8[70] == 1; } }",
		  "t.nfg:2:15: field offset 70 is larger than 63" },
		{ "protocol x { client { \"abc } }", "t.nfg:1:23: unterminated string" },
		{ "protocol x { then y; client { \"a\"; } }", "t.nfg:1:19: unknown protocol 'y'" },
		{ "protocol x { client { \"a\"; } }\nprotocol x { }",
		  "t.nfg:2:10: protocol 'x' already defined" },
		{ "include \"/etc/passwd\";", "t.nfg:1:9: include is not allowed here" },
		{ "protocol a { then b; client {\"x\";} } protocol b { then a; client {\"y\";} }",
		  "every protocol is a sub-protocol" },
		{ "garbage", "t.nfg:1:1: expected 'protocol' or 'include'" },
		{ "protocol x { }", "t.nfg:1:14: protocol 'x' has no step" },
		{ "protocol x { client { \"\\q\"; } }", "t.nfg:1:24: unknown escape" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nfg_compiled c;
		char err[NFG_ERR_MAX];

		ASSERT_EQ(compile(cases[i].src, &c, err), -22, cases[i].want);
		if (!strstr(err, cases[i].want))
			printf("# got '%s'\n", err);
		ASSERT_EQ(!!strstr(err, cases[i].want), 1, cases[i].want);
	}
}

TEST(token_budget_is_enforced)
{
	char src[16384], *p = src;
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	int i;

	p += sprintf(p, "protocol x { client {");
	for (i = 0; i < 40; i++)
		p += sprintf(p, " \"%016d\";", i);
	sprintf(p, " } }");
	ASSERT_EQ(compile(src, &c, err), -22, "too many steps refused");
	ASSERT_EQ(!!strstr(err, "steps in one direction"), 1, "says why");
}

TEST(blob_round_trip_and_corruption)
{
	struct nfg_compiled c, back;
	char err[NFG_ERR_MAX], path[] = "/tmp/nfgrep-blob-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	ASSERT_TRUE(fd >= 0, "temporary file");
	close(fd);
	ASSERT_EQ(compile("protocol a { client { \"x\" at 0; } then b; }\n"
			  "protocol a.b { client { \"yz\"; } }\n",
			  &c, err),
		  0, "compiles");
	ASSERT_EQ(nfg_write_blob(&c, path), 0, "written");
	ASSERT_EQ(nfg_read_blob(path, &back, err, sizeof(err)), 0, "read back");
	ASSERT_EQ(memcmp(back.prog, c.prog, sizeof(*c.prog)), 0, "same program");
	ASSERT_STREQ(back.names[1], "a.b", "same names");
	nfg_compiled_free(&back);
	/* a token pointing past the protocols must be refused */
	c.prog->tok[0].proto = 7;
	ASSERT_EQ(nfg_write_blob(&c, path), 0, "corrupt one written");
	ASSERT_EQ(nfg_read_blob(path, &back, err, sizeof(err)), -EINVAL, "corrupt refused");
	ASSERT_TRUE(strstr(err, "corrupt") != NULL, "says so");
	/* truncated */
	f = fopen(path, "wb");
	ASSERT_TRUE(f != NULL, "truncate");
	fwrite("NFG1", 1, 4, f);
	fclose(f);
	ASSERT_EQ(nfg_read_blob(path, &back, err, sizeof(err)), -EINVAL, "short file refused");
	unlink(path);
	nfg_compiled_free(&c);
}

int main(void)
{
	return tap_run();
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* gc set / gc load: keys, units, file errors with positions, atomicity. */
#include <stdio.h>
#include <unistd.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"
#include "../lib/tap.h"

static char path[64];

static const char *file_with(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/nfx-gcconf-%d.conf", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		TAP_FAIL("cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static void base(struct nfx_config *c)
{
	memset(c, 0, sizeof(*c));
	c->timeouts.tcp[FLOW_TCP_ESTABLISHED] = 86400;
	nfx_gc_defaults(c, 1000);
}

TEST(set_keys_and_units)
{
	struct nfx_config c;
	int col;

	base(&c);
	ASSERT_EQ(nfx_gc_conf_set(&c, "tcp.established", "2h", 1000, &col), 0, "hours");
	ASSERT_EQ(c.timeouts.tcp[FLOW_TCP_ESTABLISHED], 7200, "2h in seconds");
	ASSERT_EQ(nfx_gc_conf_set(&c, "udp.unreplied", "45", 1000, &col), 0, "bare seconds");
	ASSERT_EQ(c.timeouts.udp_unreplied, 45, "45 s");
	ASSERT_EQ(nfx_gc_conf_set(&c, "interval", "250ms", 1000, &col), 0, "interval");
	ASSERT_EQ(c.gc.interval_ms, 250, "ms");
	ASSERT_EQ(nfx_gc_conf_set(&c, "adaptive.start", "50%", 1000, &col), 0, "percent");
	ASSERT_EQ(c.gc.adaptive_start, 500, "50% of 1000");
	ASSERT_EQ(nfx_gc_conf_set(&c, "quota.prefix6", "/56", 1000, &col), 0, "prefix");
	ASSERT_EQ(c.gc.quota_plen6, 56, "/56");
	ASSERT_NE(nfx_gc_conf_set(&c, "tcp.established", "1500ms", 1000, &col), 0,
		  "sub-second timeout");
	ASSERT_NE(nfx_gc_conf_set(&c, "quota.prefix4", "33", 1000, &col), 0, "v4 prefix > 32");
	ASSERT_NE(nfx_gc_conf_set(&c, "nope", "1", 1000, &col), 0, "unknown key");
	ASSERT_EQ(col, -1, "error on the key");
	ASSERT_NE(nfx_gc_conf_set(&c, "slice", "12x", 1000, &col), 0, "trailing junk");
	ASSERT_EQ(col, 2, "error column in the value");
	c.gc.adaptive_end = 400;
	ASSERT_NE(nfx_gc_conf_check(&c), 0, "end below start");
}

TEST(load_file)
{
	struct nfx_config c, before;

	base(&c);
	ASSERT_EQ(
		nfx_gc_conf_load(&c,
				 file_with("# settings\n\ntcp.established = 1h  # short\n"
					   "quota=64\n  adaptive.start = 10%\nadaptive.end=90%\n"),
				 1000),
		0, "valid file");
	ASSERT_EQ(c.timeouts.tcp[FLOW_TCP_ESTABLISHED], 3600, "applied");
	ASSERT_EQ(c.gc.quota, 64, "quota");
	ASSERT_EQ(c.gc.adaptive_end, 900, "percent of capacity");

	base(&c);
	before = c;
	ASSERT_NE(nfx_gc_conf_load(&c, file_with("quota = 10\n# c\ninterval = 5 parsecs\n"), 1000),
		  0, "bad value");
	ASSERT_TRUE(strstr(nfx_errmsg(), ":3:13:") != NULL,
		    "file:line:col where the value goes wrong");
	ASSERT_MEMEQ(&c, &before, sizeof(c), "nothing applied");

	ASSERT_NE(nfx_gc_conf_load(&c, file_with("quota 10\n"), 1000), 0, "no '='");
	ASSERT_TRUE(strstr(nfx_errmsg(), ":1:7:") != NULL, "column of the missing '='");
	ASSERT_NE(nfx_gc_conf_load(&c, file_with("\n\n  bogus.key = 1\n"), 1000), 0, "bad key");
	ASSERT_TRUE(strstr(nfx_errmsg(), ":3:3:") != NULL, "column of the key");
	ASSERT_NE(
		nfx_gc_conf_load(&c, file_with("adaptive.start = 500\nadaptive.end = 100\n"), 1000),
		0, "cross-key check");
	ASSERT_MEMEQ(&c, &before, sizeof(c), "still nothing applied");
	ASSERT_NE(nfx_gc_conf_load(&c, "/nonexistent/gc.conf", 1000), 0, "missing file");
	unlink(path);
}

int main(void)
{
	return tap_run();
}

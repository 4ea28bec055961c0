// SPDX-License-Identifier: GPL-2.0
/*
 * nfx-kct: conntrack flush and adaptive GC policy through the nfx_ct module.
 *
 *   nfx-kct flush [--dry-run] [--module|--ctnetlink] [PREDICATE WORDS...]
 *   nfx-kct gc get
 *   nfx-kct gc set [on|off] [start=N] [end=N] [interval=MS] [min_timeout=S]
 *   nfx-kct available
 *   nfx-kct parse PREDICATE WORDS...     (print the canonical predicate)
 *   nfx-kct badreq KIND                  (selftests: send a malformed
 *                                         predicate the parser would refuse)
 *
 * Exit status: 0 ok, 1 a request failed, 2 bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kct.h"
#include "kct_pred.h"

static void usage(FILE *f)
{
	fputs("usage: nfx-kct flush [--dry-run] [--module|--ctnetlink] [PREDICATE...]\n"
	      "       nfx-kct gc get\n"
	      "       nfx-kct gc set [on|off] [start=PCT] [end=PCT] [interval=MS] [min_timeout=S]\n"
	      "       nfx-kct available\n"
	      "       nfx-kct parse [PREDICATE...]\n"
	      "predicate words: state S[,S] proto P family F src|dst|addr PFX\n"
	      "                 sport|dport|port N[-M] zone N mark V[/M] age E timeout E\n",
	      f);
}

static int report(const char *what, int err)
{
	const char *m = nfx_kct_errmsg();

	fprintf(stderr, "nfx-kct: %s: %s%s%s\n", what, strerror(-err), *m ? ": " : "", m);
	return 1;
}

static int cmd_flush(int argc, char **argv)
{
	bool dry = false, force_mod = false, force_ct = false;
	struct nfx_kct_result r;
	struct nfx_kct_pred p;
	char err[256];
	int i, rc;

	for (i = 0; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!strcmp(argv[i], "--module"))
			force_mod = true;
		else if (!strcmp(argv[i], "--ctnetlink"))
			force_ct = true;
		else {
			fprintf(stderr, "nfx-kct: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (nfx_kct_pred_parse(argc - i, argv + i, &p, err, sizeof(err))) {
		fprintf(stderr, "nfx-kct: %s\n", err);
		return 2;
	}
	if (force_ct)
		rc = nfx_kct_flush_ctnetlink(&p, dry, &r);
	else if (force_mod)
		rc = nfx_kct_flush_module(&p, dry, &r);
	else
		rc = nfx_kct_flush(&p, dry, &r);
	if (rc)
		return report("flush", rc);
	printf("path=%s examined=%llu %s=%llu elapsed_ns=%llu\n",
	       r.path == NFX_KCT_PATH_MODULE ? "module" : "ctnetlink",
	       (unsigned long long)r.examined, dry ? "matched" : "removed",
	       (unsigned long long)r.removed, (unsigned long long)r.elapsed_ns);
	return 0;
}

static int cmd_gc(int argc, char **argv)
{
	struct nfx_kct_gc gc = { 0 };
	unsigned int which = 0;
	int i, rc;

	if (argc >= 1 && !strcmp(argv[0], "get")) {
		rc = nfx_kct_gc_get(&gc);
		if (rc)
			return report("gc get", rc);
		printf("enabled=%u start=%u end=%u interval=%u min_timeout=%u "
		       "fill=%u.%u%% scale=%u.%03u count=%u max=%u runs=%llu shortened=%llu dropped=%llu\n",
		       gc.enabled, gc.start_pct, gc.end_pct, gc.interval_ms, gc.min_timeout,
		       gc.fill_permille / 10, gc.fill_permille % 10, gc.scale_permille / 1000,
		       gc.scale_permille % 1000, gc.count, gc.max, (unsigned long long)gc.runs,
		       (unsigned long long)gc.shortened, (unsigned long long)gc.dropped);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "set")) {
		usage(stderr);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		unsigned long v = 0;
		char *end = NULL;

		if (!strcmp(a, "on") || !strcmp(a, "off")) {
			gc.enabled = !strcmp(a, "on");
			which |= NFX_KCT_GC_ENABLED;
			continue;
		}
		if (eq) {
			errno = 0;
			v = strtoul(eq + 1, &end, 0);
		}
		if (!eq || !eq[1] || *end || errno || v > 0xffffffffUL) {
			fprintf(stderr, "nfx-kct: gc set: bad word '%s'\n", a);
			return 2;
		}
		if (!strncmp(a, "start=", 6)) {
			gc.start_pct = (unsigned int)v;
			which |= NFX_KCT_GC_START;
		} else if (!strncmp(a, "end=", 4)) {
			gc.end_pct = (unsigned int)v;
			which |= NFX_KCT_GC_END;
		} else if (!strncmp(a, "interval=", 9)) {
			gc.interval_ms = (unsigned int)v;
			which |= NFX_KCT_GC_INTERVAL;
		} else if (!strncmp(a, "min_timeout=", 12)) {
			gc.min_timeout = (unsigned int)v;
			which |= NFX_KCT_GC_MIN_TIMEOUT;
		} else {
			fprintf(stderr, "nfx-kct: gc set: unknown word '%s'\n", a);
			return 2;
		}
	}
	rc = nfx_kct_gc_set(&gc, which);
	if (rc)
		return report("gc set", rc);
	return 0;
}

/*
 * Requests the parser never builds, so that the selftests can see the
 * module's own validation and its extended-ack text.
 */
static int cmd_badreq(const char *kind)
{
	struct nfx_kct_pred p = { 0 };
	struct nfx_kct_result r;
	int rc;

	if (!strcmp(kind, "hostbits")) {
		p.fields = NFX_KCT_F_FAMILY | NFX_KCT_F_SRC;
		p.family = 2;
		p.src.addr[0] = 10;
		p.src.addr[3] = 1;
		p.src.plen = 8;
	} else if (!strcmp(kind, "plen")) {
		p.fields = NFX_KCT_F_FAMILY | NFX_KCT_F_DST;
		p.family = 2;
		p.dst.plen = 33;
	} else if (!strcmp(kind, "nofamily")) {
		p.fields = NFX_KCT_F_ADDR;
		p.addr.plen = 0;
	} else if (!strcmp(kind, "portrange")) {
		p.fields = NFX_KCT_F_DPORT;
		p.dport.lo = 90;
		p.dport.hi = 80;
	} else if (!strcmp(kind, "markmask")) {
		p.fields = NFX_KCT_F_MARK;
		p.mark = 0x100;
		p.mark_mask = 0xff;
	} else if (!strcmp(kind, "status")) {
		p.fields = NFX_KCT_F_STATUS;
		p.status = NFX_KCT_ST_ASSURED | NFX_KCT_ST_UNASSURED;
	} else if (!strcmp(kind, "tcpstates")) {
		p.fields = NFX_KCT_F_TCP_STATES;
		p.tcp_states = 1U << 12;
	} else if (!strcmp(kind, "family")) {
		p.fields = NFX_KCT_F_FAMILY;
		p.family = 7;
	} else {
		fprintf(stderr, "nfx-kct: badreq: unknown kind '%s'\n", kind);
		return 2;
	}
	rc = nfx_kct_flush_module(&p, true, &r);
	if (!rc) {
		printf("accepted\n");
		return 0;
	}
	return report("flush", rc);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "flush"))
		return cmd_flush(argc - 2, argv + 2);
	if (!strcmp(argv[1], "gc"))
		return cmd_gc(argc - 2, argv + 2);
	if (!strcmp(argv[1], "available")) {
		bool ok = nfx_kct_available();

		printf("%s\n", ok ? "module" : "ctnetlink");
		return ok ? 0 : 1;
	}
	if (!strcmp(argv[1], "parse")) {
		struct nfx_kct_pred p;
		char err[256], out[512];

		if (nfx_kct_pred_parse(argc - 2, argv + 2, &p, err, sizeof(err))) {
			fprintf(stderr, "nfx-kct: %s\n", err);
			return 2;
		}
		nfx_kct_pred_format(&p, out, sizeof(out));
		printf("%s\n", out);
		return 0;
	}
	if (!strcmp(argv[1], "badreq") && argc == 3)
		return cmd_badreq(argv[2]);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}

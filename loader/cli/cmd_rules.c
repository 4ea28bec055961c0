// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rules: load a ruleset atomically, add and delete single rules, list the
 * committed set and its per-rule counters. All through libnfx.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfx/libnfx.h"
#include "nfx/rules.h"
#include "cli.h"

static const struct cli_opt rules_opts[] = {
	{ "link", 'l', CLI_STR, "IFNAME", "a link of the namespace (default: the first attached)" },
	{ "apps", 'a', CLI_STR, "FILE",
	  "application names for 'app NAME' ('ID NAME' lines; default $NFX_APP_NAMES)" },
	{ NULL },
};

static int rules_open(struct cli_ctx *ctx, const struct cli_vals *v, struct nfx_link **link,
		      struct nfx_rules **r)
{
	const char *ifname = cli_str(cli_current, v, "link");
	char **links = NULL;
	int err;

	if (!ifname) {
		if (nfx_links_list(ctx->pin_root, &links) < 0)
			return cli_fail(ctx, "%s", nfx_errmsg());
		if (!links[0]) {
			nfx_links_free(links);
			return cli_fail(ctx, "nfx is not attached to any link");
		}
		ifname = links[0];
	}
	err = nfx_link_open(ifname, ctx->pin_root, link);
	if (!err) {
		err = nfx_rules_open(*link, r);
		if (err)
			nfx_link_close(*link);
	}
	nfx_links_free(links);
	return err ? cli_fail(ctx, "%s", nfx_errmsg()) : 0;
}

static void print_times(struct cli_ctx *ctx, const char *what,
			const struct nfx_rules_commit_info *ci)
{
	if (ctx->json) {
		struct json_writer *jw = cli_json(ctx);

		jw_obj_start(jw);
		jw_kstr(jw, "op", what);
		jw_ku64(jw, "rules", ci->rules);
		jw_ku64(jw, "generation", ci->generation);
		jw_kbool(jw, "incremental", ci->incremental);
		jw_ku64(jw, "parse_ns", ci->parse_ns);
		jw_ku64(jw, "build_ns", ci->build_ns);
		jw_ku64(jw, "switch_ns", ci->switch_ns);
		jw_ku64(jw, "cleanup_ns", ci->cleanup_ns);
		jw_ku64(jw, "vectors", ci->vectors);
		jw_ku64(jw, "words", ci->words);
		jw_ku64(jw, "lpm_keys", ci->lpm_keys);
		jw_ku64(jw, "exact_keys", ci->exact_keys);
		jw_ku64(jw, "syscalls", ci->syscalls);
		jw_obj_end(jw);
		jw_free(jw);
		return;
	}
	printf("%s: %u rules, generation %u%s: parse %.3f ms, build %.3f ms, switch %.3f ms, "
	       "cleanup %.3f ms (%u vectors, %u words, %u syscalls)\n",
	       what, ci->rules, ci->generation, ci->incremental ? " (in place)" : "",
	       ci->parse_ns / 1e6, ci->build_ns / 1e6, ci->switch_ns / 1e6, ci->cleanup_ns / 1e6,
	       ci->vectors, ci->words, ci->syscalls);
}

struct list_ctx {
	struct nfx_rules *r;
	struct json_writer *jw;
	bool stats;
	int n;
};

static int list_one(const struct nfx_rule *rule, void *arg)
{
	struct list_ctx *lc = arg;
	char text[512];
	__u64 pk = 0, by = 0;

	nfx_rule_format(rule, text, sizeof(text));
	if (lc->stats && nfx_rules_counters(lc->r, rule->handle, &pk, &by))
		return -1;
	if (lc->jw) {
		jw_obj_start(lc->jw);
		jw_ku64(lc->jw, "position", lc->n);
		jw_ku64(lc->jw, "handle", rule->handle);
		jw_kstr(lc->jw, "rule", text);
		if (lc->stats) {
			jw_ku64(lc->jw, "packets", pk);
			jw_ku64(lc->jw, "bytes", by);
		}
		jw_obj_end(lc->jw);
	} else if (lc->stats) {
		printf("%8u %14llu %16llu  %s\n", rule->handle, (unsigned long long)pk,
		       (unsigned long long)by, text);
	} else {
		printf("%8u  %s\n", rule->handle, text);
	}
	lc->n++;
	return 0;
}

static int parse_handle(const char *s, __u32 *h)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || !v || v >= NFX_RULE_HANDLES)
		return -1;
	*h = v;
	return 0;
}

static int do_rules(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv)
{
	const char *sub = argv[0], *apps = cli_str(cli_current, v, "apps");
	struct nfx_rules_commit_info ci = {};
	struct nfx_link *link = NULL;
	struct nfx_rules *r = NULL;
	int i, ret = 0;

	if (!apps)
		apps = getenv("NFX_APP_NAMES");
	if (apps && nfx_rules_set_app_names(apps))
		return cli_fail(ctx, "%s", nfx_errmsg());

	if (!strcmp(sub, "check")) {
		/* Parse only: no link needed. */
		for (i = 1; i < argc; i++) {
			struct nfx_rule *rules;
			size_t n;
			FILE *f = fopen(argv[i], "r");
			char *buf = NULL;
			size_t len = 0;

			if (!f)
				return cli_fail(ctx, "%s: %s", argv[i], strerror(errno));
			{
				FILE *m = open_memstream(&buf, &len);
				char chunk[65536];
				size_t got;

				while (m && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
					fwrite(chunk, 1, got, m);
				if (m)
					fclose(m);
			}
			fclose(f);
			if (nfx_rules_parse(argv[i], buf ? buf : "", len, &rules, &n) < 0) {
				free(buf);
				return cli_fail(ctx, "%s", nfx_errmsg());
			}
			printf("%s: %zu rules\n", argv[i], n);
			free(rules);
			free(buf);
		}
		return argc < 2 ? cli_usage(ctx, "check needs a file") : 0;
	}
	if (strcmp(sub, "load") && strcmp(sub, "add") && strcmp(sub, "del") &&
	    strcmp(sub, "list") && strcmp(sub, "stats") && strcmp(sub, "flush"))
		return cli_usage(
			ctx, "unknown subcommand '%s' (load, add, del, list, stats, flush, check)",
			sub);
	if ((!strcmp(sub, "load") && argc != 2) || (!strcmp(sub, "add") && argc < 2) ||
	    (!strcmp(sub, "del") && argc < 2))
		return cli_usage(ctx, "%s: wrong number of arguments", sub);
	ret = rules_open(ctx, v, &link, &r);
	if (ret)
		return ret;

	if (!strcmp(sub, "load") || !strcmp(sub, "flush")) {
		__u64 t0 = nfx_now_ns(), parse_ns = 0;

		if (nfx_rules_begin(r, NFX_RULES_REPLACE) ||
		    (!strcmp(sub, "load") && nfx_rules_add_file(r, argv[1]))) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		parse_ns = nfx_now_ns() - t0;
		if (nfx_rules_commit(r, &ci)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		ci.parse_ns = parse_ns;
		print_times(ctx, sub, &ci);
	} else if (!strcmp(sub, "add")) {
		char line[4096] = "";
		size_t o = 0;

		for (i = 1; i < argc; i++)
			o += snprintf(line + o, o < sizeof(line) ? sizeof(line) - o : 0, "%s%s",
				      i > 1 ? " " : "", argv[i]);
		if (o >= sizeof(line)) {
			ret = cli_usage(ctx, "rule too long");
			goto out;
		}
		if (nfx_rules_begin(r, 0) || nfx_rules_add_text(r, line, NULL) ||
		    nfx_rules_commit(r, &ci)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		print_times(ctx, sub, &ci);
	} else if (!strcmp(sub, "del")) {
		if (nfx_rules_begin(r, 0)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		for (i = 1; i < argc; i++) {
			__u32 h;

			if (parse_handle(argv[i], &h)) {
				ret = cli_usage(ctx, "'%s' is not a rule handle", argv[i]);
				goto out;
			}
			if (nfx_rules_del(r, h)) {
				ret = cli_fail(ctx, "%s", nfx_errmsg());
				goto out;
			}
		}
		if (nfx_rules_commit(r, &ci)) {
			ret = cli_fail(ctx, "%s", nfx_errmsg());
			goto out;
		}
		print_times(ctx, sub, &ci);
	} else {
		struct list_ctx lc = { .r = r, .stats = !strcmp(sub, "stats") };

		if (ctx->json) {
			lc.jw = cli_json(ctx);
			jw_arr_start(lc.jw);
		} else if (lc.stats) {
			printf("%8s %14s %16s  %s\n", "handle", "packets", "bytes", "rule");
		} else {
			printf("%8s  %s\n", "handle", "rule");
		}
		ret = nfx_rules_foreach(r, list_one, &lc);
		if (lc.jw) {
			jw_arr_end(lc.jw);
			jw_free(lc.jw);
		}
		if (ret)
			ret = cli_fail(ctx, "%s", nfx_errmsg());
	}
out:
	nfx_rules_close(r);
	nfx_link_close(link);
	return ret;
}

const struct cli_cmd cli_rules_cmds[] = {
	{ "rules", "load FILE | add RULE... | del HANDLE... | list | stats | flush | check FILE...",
	  "rule classifier: atomic load, incremental add/del, per-rule counters (nfx-rules(5))",
	  rules_opts, 1, -1, do_rules },
	{ NULL },
};

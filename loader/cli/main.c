// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfx-loader: attach nfx to links and look inside it.
 * Global options come before the subcommand, as with ip(8) and bpftool(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "nfx/consts.h"
#include "cli.h"

const struct cli_cmd *cli_current;

static const struct cli_cmd *const cmd_tables[] = {
	cli_link_cmds,	cli_flow_cmds, cli_rules_cmds,	cli_gc_cmds,
	cli_event_cmds, cli_nat_cmds,  cli_nfgrep_cmds, cli_cluster_cmds,
};

int cli_fail(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s", ctx->prog, ctx->cmd ? ctx->cmd : "", ctx->cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

int cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s", ctx->prog, ctx->cmd ? ctx->cmd : "", ctx->cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s help%s%s')\n", ctx->prog, ctx->cmd ? " " : "",
		ctx->cmd ? ctx->cmd : "");
	return CLI_EXIT_USAGE;
}

struct json_writer *cli_json(struct cli_ctx *ctx)
{
	return jw_new(stdout, ctx->pretty);
}

const char *cli_fmt_count(char *buf, size_t len, unsigned long long v)
{
	if (v >= 10000000000ull)
		snprintf(buf, len, "%lluG", v / 1000000000ull);
	else if (v >= 10000000ull)
		snprintf(buf, len, "%lluM", v / 1000000ull);
	else if (v >= 100000ull)
		snprintf(buf, len, "%lluk", v / 1000ull);
	else
		snprintf(buf, len, "%llu", v);
	return buf;
}

const char *cli_fmt_bytes(char *buf, size_t len, unsigned long long v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f%s", d, unit[u]);
	else
		snprintf(buf, len, "%llu%s", v, unit[0]);
	return buf;
}

static int opt_index(const struct cli_cmd *cmd, const char *name)
{
	int i;

	for (i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (!strcmp(cmd->opts[i].name, name))
			return i;
	return -1;
}

bool cli_flag(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name)
{
	int i = opt_index(cmd, name);

	return i >= 0 && v->set[i];
}

const char *cli_str(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name)
{
	int i = opt_index(cmd, name);

	return i >= 0 && v->set[i] ? v->str[i] : NULL;
}

unsigned long long cli_num(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name,
			   unsigned long long def)
{
	int i = opt_index(cmd, name);

	return i >= 0 && v->set[i] ? v->num[i] : def;
}

static void print_cmd_help(FILE *f, const char *prog, const struct cli_cmd *c)
{
	int i;

	fprintf(f, "Usage: %s [global options] %s%s%s\n  %s\n", prog, c->name, c->args ? " " : "",
		c->args ? c->args : "", c->summary);
	for (i = 0; c->opts && c->opts[i].name; i++) {
		const struct cli_opt *o = &c->opts[i];
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(f, "    %-28s %s", left, o->help);
		if (o->choices) {
			const char *const *ch;

			fputs(" (", f);
			for (ch = o->choices; *ch; ch++)
				fprintf(f, "%s%s", *ch, ch[1] ? "|" : ")");
		}
		fputc('\n', f);
	}
}

static void print_help(FILE *f, const char *prog)
{
	size_t t;
	int i;

	fprintf(f,
		"Usage: %s [-j|--json] [-p|--pretty] [-v] [-n NETNS] [--pin-root DIR] COMMAND [ARGS]\n\n"
		"Commands:\n",
		prog);
	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (i = 0; cmd_tables[t][i].name; i++)
			fprintf(f, "  %-10s %-34s %s\n", cmd_tables[t][i].name,
				cmd_tables[t][i].args ? cmd_tables[t][i].args : "",
				cmd_tables[t][i].summary);
	fprintf(f,
		"\nGlobal options:\n"
		"  -j, --json         print JSON (every command that prints data)\n"
		"  -p, --pretty       indent JSON (implies --json)\n"
		"  -v, --verbose      more detail; libbpf/libxdp messages with -vv\n"
		"  -n, --netns NAME   run in network namespace /run/netns/NAME\n"
		"      --pin-root DIR pin under DIR instead of %s ($NFX_PIN_ROOT)\n"
		"  -V, --version      print the version\n"
		"\n'%s help COMMAND' describes a command's options.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		NFX_PIN_ROOT, prog);
}

static const struct cli_cmd *find_cmd(const char *name)
{
	size_t t;
	int i;

	for (t = 0; t < sizeof(cmd_tables) / sizeof(cmd_tables[0]); t++)
		for (i = 0; cmd_tables[t][i].name; i++)
			if (!strcmp(cmd_tables[t][i].name, name))
				return &cmd_tables[t][i];
	return NULL;
}

static int parse_uint(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/*
 * Options may appear anywhere after the subcommand; "--" ends them.
 * Positional arguments are compacted to the front of argv.
 */
static int parse_cmd_opts(struct cli_ctx *ctx, const struct cli_cmd *cmd, struct cli_vals *v,
			  int *argc, char **argv)
{
	int i, n = 0, idx;
	bool opts_done = false;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct cli_opt *o;
		char name[64];

		if (opts_done || a[0] != '-' || !a[1]) {
			argv[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (len >= sizeof(name))
				return cli_usage(ctx, "unknown option '%s'", a);
			memcpy(name, a + 2, len);
			name[len] = '\0';
			idx = opt_index(cmd, name);
			if (eq)
				val = eq + 1;
		} else {
			idx = -1;
			for (int k = 0; cmd->opts && cmd->opts[k].name; k++)
				if (cmd->opts[k].short_name == a[1] && !a[2])
					idx = k;
		}
		if (idx < 0)
			return cli_usage(ctx, "unknown option '%s'", a);
		o = &cmd->opts[idx];
		if (o->type == CLI_FLAG) {
			if (val)
				return cli_usage(ctx, "option --%s takes no value", o->name);
			v->set[idx] = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= *argc)
				return cli_usage(ctx, "option --%s needs a value (%s)", o->name,
						 o->metavar ? o->metavar : "VALUE");
			val = argv[++i];
		}
		if (o->type == CLI_UINT && parse_uint(val, &v->num[idx]))
			return cli_usage(ctx, "option --%s: '%s' is not a number", o->name, val);
		if (o->type == CLI_CHOICE) {
			const char *const *ch;

			for (ch = o->choices; *ch && strcmp(*ch, val); ch++)
				;
			if (!*ch)
				return cli_usage(ctx, "option --%s: '%s' is not one of the choices",
						 o->name, val);
		}
		v->set[idx] = true;
		v->str[idx] = val;
	}
	*argc = n;
	return 0;
}

static int enter_netns(struct cli_ctx *ctx, const char *name)
{
	char path[256];
	int fd;

	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		return cli_usage(ctx, "'%s' is not a network namespace name", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(ctx, "network namespace %s: %s", name, strerror(errno));
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return cli_fail(ctx, "cannot enter network namespace %s: %s", name,
				strerror(errno));
	}
	close(fd);
	return 0;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int verbose_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int xdp_quiet(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int xdp_verbose(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .prog = "nfx-loader" };
	const struct cli_cmd *cmd;
	struct cli_vals vals = {};
	const char *netns = NULL;
	int i, err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			ctx.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			ctx.json = ctx.pretty = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			ctx.verbose++;
		} else if (!strcmp(a, "-vv")) {
			ctx.verbose += 2;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("nfx-loader %s\n", NFX_VERSION);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help(stdout, ctx.prog);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--netns") || !strcmp(a, "--pin-root")) {
			if (i + 1 >= argc)
				return cli_usage(&ctx, "option %s needs a value", a);
			if (a[1] == 'n' || a[2] == 'n')
				netns = argv[++i];
			else
				ctx.pin_root = argv[++i];
		} else {
			return cli_usage(&ctx, "unknown global option '%s'", a);
		}
	}
	if (i >= argc) {
		print_help(stderr, ctx.prog);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			cmd = find_cmd(argv[i + 1]);
			if (!cmd)
				return cli_usage(&ctx, "unknown command '%s'", argv[i + 1]);
			print_cmd_help(stdout, ctx.prog, cmd);
		} else {
			print_help(stdout, ctx.prog);
		}
		return CLI_EXIT_OK;
	}
	cmd = find_cmd(argv[i]);
	if (!cmd)
		return cli_usage(&ctx, "unknown command '%s'", argv[i]);
	ctx.cmd = cmd->name;
	cli_current = cmd;
	argc -= i + 1;
	argv += i + 1;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_cmd_help(stdout, ctx.prog, cmd);
			return CLI_EXIT_OK;
		}
	err = parse_cmd_opts(&ctx, cmd, &vals, &argc, argv);
	if (err)
		return err;
	if (argc < cmd->min_args || (cmd->max_args >= 0 && argc > cmd->max_args))
		return cli_usage(&ctx,
				 argc < cmd->min_args ? "missing argument: %s" :
							"too many arguments (expected: %s)",
				 cmd->args ? cmd->args : "none");

	libbpf_set_print(ctx.verbose > 1 ? verbose_print : quiet_print);
	libxdp_set_print(ctx.verbose > 1 ? xdp_verbose : xdp_quiet);
	if (netns) {
		err = enter_netns(&ctx, netns);
		if (err)
			return err;
	}
	return cmd->run(&ctx, &vals, argc, argv);
}

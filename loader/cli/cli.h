/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nfx-loader's table-driven command line: each subcommand declares its
 * options once, and both parsing and `help <cmd>` are made from that table.
 */
#ifndef NFX_CLI_H
#define NFX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "nfx/json.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

enum cli_opt_type {
	CLI_FLAG,	/* --name */
	CLI_STR,	/* --name VALUE */
	CLI_UINT,	/* --name N (decimal or 0x hex) */
	CLI_CHOICE,	/* --name one-of-choices */
};

struct cli_opt {
	const char *name;
	char short_name;
	enum cli_opt_type type;
	const char *metavar;
	const char *help;
	const char *const *choices;	/* NULL-terminated, for CLI_CHOICE */
};

#define CLI_MAX_OPTS 16

/* Values parsed for one subcommand, indexed like its option table. */
struct cli_vals {
	bool set[CLI_MAX_OPTS];
	const char *str[CLI_MAX_OPTS];
	unsigned long long num[CLI_MAX_OPTS];
};

struct cli_ctx {
	bool json;
	bool pretty;
	int verbose;
	const char *pin_root;
	const char *prog;	/* "nfx-loader" */
	const char *cmd;	/* current subcommand, for messages */
};

struct cli_cmd {
	const char *name;
	const char *args;	/* synopsis of positional arguments */
	const char *summary;
	const struct cli_opt *opts;	/* terminated by { NULL } */
	int min_args, max_args;		/* max < 0: unlimited */
	int (*run)(struct cli_ctx *ctx, const struct cli_vals *v, int argc, char **argv);
};

/* Option lookup by name in the command's table. */
bool cli_flag(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name);
const char *cli_str(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name);
unsigned long long cli_num(const struct cli_cmd *cmd, const struct cli_vals *v, const char *name,
			   unsigned long long def);

/* Print "nfx-loader: <cmd>: <msg>" once, return CLI_EXIT_FAIL. */
int cli_fail(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with usage exit code. */
int cli_usage(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct json_writer *cli_json(struct cli_ctx *ctx);

/* Human-readable helpers for tables. */
const char *cli_fmt_count(char *buf, size_t len, unsigned long long v);
const char *cli_fmt_bytes(char *buf, size_t len, unsigned long long v);

/* Command tables, one per source file, joined in main.c. */
extern const struct cli_cmd cli_link_cmds[];
extern const struct cli_cmd cli_flow_cmds[];
extern const struct cli_cmd cli_rules_cmds[];
extern const struct cli_cmd cli_gc_cmds[];
extern const struct cli_cmd cli_event_cmds[];
extern const struct cli_cmd cli_nat_cmds[];
extern const struct cli_cmd cli_nfgrep_cmds[];
extern const struct cli_cmd cli_cluster_cmds[];

extern const struct cli_cmd *cli_current;

#endif /* NFX_CLI_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfx-loader's option parsing (loader/cli/main.c) over arbitrary argument
 * vectors, for every command table the loader has. Only the parsing runs:
 * the commands themselves (which attach programs) are never called.
 *
 * main.c is included so its static parser can be reached without
 * exporting it; its main() is renamed out of the way of libFuzzer's.
 */
#define main nfx_loader_main
int nfx_loader_main(int argc, char **argv);
/* The libbpf/libxdp print callbacks forward libbpf's own format strings. */
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#include "../loader/cli/main.c" // NOLINT(bugprone-suspicious-include): see above
#undef main

#include "fuzz.h"

#define FUZZ_MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_ctx ctx = { .prog = "nfx-loader" };
	char *argv[FUZZ_MAX_ARGS + 1];
	const struct cli_cmd *cmd;
	struct cli_vals vals = {};
	int argc = 0, n, i, err;
	char *buf;

	/* NUL-separated words; the first picks the command. */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size && argc < FUZZ_MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (!argc)
		goto out;
	cmd = find_cmd(argv[0]);
	if (!cmd)
		goto out;
	ctx.cmd = cmd->name;
	cli_current = cmd;
	n = argc - 1;
	err = parse_cmd_opts(&ctx, cmd, &vals, &n, argv + 1);
	FUZZ_ASSERT(err == 0 || err == CLI_EXIT_USAGE);
	if (err)
		goto out;
	/* Positional arguments are words of the input. */
	FUZZ_ASSERT(n >= 0 && n <= argc - 1);
	for (i = 0; i < n; i++)
		FUZZ_ASSERT(argv[1 + i] >= buf && argv[1 + i] < buf + size + 1);
	/* Every option that was set holds a value from the input (or none). */
	for (i = 0; cmd->opts && cmd->opts[i].name; i++) {
		FUZZ_ASSERT(i < CLI_MAX_OPTS);
		if (!vals.set[i] || cmd->opts[i].type == CLI_FLAG)
			continue;
		FUZZ_ASSERT(vals.str[i] >= buf && vals.str[i] < buf + size + 1);
		if (cmd->opts[i].type == CLI_CHOICE) {
			const char *const *ch = cmd->opts[i].choices;

			while (*ch && strcmp(*ch, vals.str[i]))
				ch++;
			FUZZ_ASSERT(*ch);
		}
	}
out:
	free(buf);
	return 0;
}

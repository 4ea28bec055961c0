// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
/* libFuzzer target: collector configuration files (nfx_gc_conf_load). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "nfx/libnfx.h"
#include "nfx/flush.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfx_config cfg = {};
	char path[64];
	int fd = memfd_create("gcconf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfx_gc_conf_load(&cfg, path, 1000000);
	}
	close(fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the ctnetlink message parser: the input is one
 * received datagram, walked with nfx_ct_walk() exactly as the listener
 * does. Seeds in fuzz/corpus/ctnetlink/ are real events and dump replies
 * captured from a namespace, plus truncated and mis-sized variants.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const struct nfx_event *ev, int res, void *ctx)
{
	/* A parsed event must be self-consistent. */
	if (ev && (ev->type >= NFX_EV_TYPE_MAX || ev->source != NFX_EV_SRC_CT ||
		   (ev->key.family != NFX_AF_INET && ev->key.family != NFX_AF_INET6)))
		__builtin_trap();
	if (!ev && res > 0)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* netlink data is 4-byte aligned in a real receive buffer */
	static uint32_t buf[65536 / 4];
	struct nfx_event ev;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	nfx_ct_parse(buf, size, &ev);
	nfx_ct_walk(buf, size, check, NULL);
	return 0;
}

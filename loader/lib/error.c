// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One line of context per failure, kept per thread. */
#include <stdarg.h>
#include <stdio.h>

#include "nfx/libnfx.h"
#include "internal.h"

static __thread char errbuf[512];

const char *nfx_errmsg(void)
{
	return errbuf;
}

int nfx_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tap.h"

struct tap_test tap_tests[TAP_MAX_TESTS];
int tap_ntests;
jmp_buf tap_jmp;
int tap_failed_now;
char tap_skip_reason[256];

int tap_run(void)
{
	volatile int i, pass = 0, fail = 0, skip = 0;

	printf("TAP version 13\n1..%d\n", tap_ntests);
	for (i = 0; i < tap_ntests; i++) {
		int r;

		tap_failed_now = 0;
		tap_skip_reason[0] = '\0';
		fflush(stdout);
		r = setjmp(tap_jmp);
		if (r == 0)
			tap_tests[i].fn();
		if (r == 2) {
			printf("ok %d %s # SKIP %s\n", i + 1, tap_tests[i].name, tap_skip_reason);
			skip++;
		} else if (tap_failed_now) {
			printf("not ok %d %s\n", i + 1, tap_tests[i].name);
			fail++;
		} else {
			printf("ok %d %s\n", i + 1, tap_tests[i].name);
			pass++;
		}
	}
	printf("# Totals: pass:%d fail:%d skip:%d\n", pass, fail, skip);
	fflush(stdout);
	if (fail)
		return 1;
	return pass ? 0 : 4;
}

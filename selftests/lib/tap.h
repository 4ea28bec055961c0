/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Minimal TAP 13 helpers for C selftests, kselftest style.
 *
 *	TEST(parse_ipv4) { ASSERT_EQ(res, NFX_PARSE_L4, "parse result"); }
 *	int main(void) { return tap_run(); }
 *
 * Each TEST is one TAP line; an ASSERT failure prints a diagnostic and
 * ends that test. SKIP(reason) ends it as skipped.
 */
#ifndef NFX_SELFTEST_TAP_H
#define NFX_SELFTEST_TAP_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define TAP_MAX_TESTS 256
extern struct tap_test tap_tests[TAP_MAX_TESTS];
extern int tap_ntests;
extern jmp_buf tap_jmp;
extern int tap_failed_now;
extern char tap_skip_reason[256];

#define TEST(name) \
	static void test_##name(void); \
	__attribute__((constructor)) static void reg_##name(void) \
	{ \
		if (tap_ntests < TAP_MAX_TESTS) \
			tap_tests[tap_ntests++] = (struct tap_test){ #name, test_##name }; \
	} \
	static void test_##name(void)

#define TAP_FAIL(...)                                                      \
	do {                                                               \
		printf("#   %s:%d: ", __FILE__, __LINE__);                     \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		tap_failed_now = 1;                                        \
		longjmp(tap_jmp, 1);                                       \
	} while (0)

#define ASSERT_TRUE(cond, what)                                            \
	do {                                                               \
		if (!(cond))                                               \
			TAP_FAIL("%s: expected true: %s", what, #cond);    \
	} while (0)

#define ASSERT_FALSE(cond, what) ASSERT_TRUE(!(cond), what)

#define ASSERT_OP(got, op, want, what) \
	do { \
		long long _g = (long long)(got), _w = (long long)(want); \
		if (!(_g op _w)) \
			TAP_FAIL("%s: got %lld, want %s %lld (%s)", what, _g, #op, _w, #got); \
	} while (0)

#define ASSERT_EQ(got, want, what) ASSERT_OP(got, ==, want, what)
#define ASSERT_NE(got, want, what) ASSERT_OP(got, !=, want, what)
#define ASSERT_LT(got, want, what) ASSERT_OP(got, <, want, what)
#define ASSERT_LE(got, want, what) ASSERT_OP(got, <=, want, what)
#define ASSERT_GT(got, want, what) ASSERT_OP(got, >, want, what)
#define ASSERT_GE(got, want, what) ASSERT_OP(got, >=, want, what)

#define ASSERT_MEMEQ(a, b, len, what)                                      \
	do {                                                               \
		if (memcmp((a), (b), (len)))                               \
			TAP_FAIL("%s: %zu bytes differ", what, (size_t)(len)); \
	} while (0)

#define ASSERT_STREQ(a, b, what) \
	do { \
		const char *_a = (a), *_b = (b); \
		if (!_a || !_b || strcmp(_a, _b)) \
			TAP_FAIL("%s: got \"%s\", want \"%s\"", what, _a ? _a : "(null)", \
				 _b ? _b : "(null)"); \
	} while (0)

#define SKIP(...)                                                          \
	do {                                                               \
		snprintf(tap_skip_reason, sizeof(tap_skip_reason), __VA_ARGS__); \
		longjmp(tap_jmp, 2);                                       \
	} while (0)

/* Runs every registered test; exit 0 all passed, 1 any failed, 4 all skipped. */
int tap_run(void);

#endif /* NFX_SELFTEST_TAP_H */

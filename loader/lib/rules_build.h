/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* In-memory result of compiling a ruleset (see rules_build.c). */
#ifndef NFX_LIB_RULES_BUILD_H
#define NFX_LIB_RULES_BUILD_H

#include <stddef.h>
#include "nfx/rules.h"

struct rb_lpm {
	struct nfx_rule_lpm_key key;
	__u32 vec;
};

struct rb_ex {
	__u64 key;
	__u32 vec;
};

struct rb {
	struct nfx_rule_meta meta;
	struct nfx_rule_vhdr *vhdr;
	size_t nvec, vhdr_cap;
	struct {
		__u32 *v;
		size_t n;
	} * vsrc;
	size_t vsrc_cap;
	__u64 *words;
	size_t nwords, words_cap;
	struct rb_lpm *lpm;
	size_t nlpm, lpm_cap;
	struct rb_ex *ex;
	size_t nex, ex_cap;
	struct vdedup *dd;
	size_t dd_n, dd_cap;
	__u64 *alive; /* NFX_RULE_WORDS */
	int err;
};

int nfx_rb_build(struct rb *b, const struct nfx_rule *rules, size_t n);
void nfx_rb_free(struct rb *b);

#endif

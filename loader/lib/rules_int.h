/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Rules internals shared by the parser, the compiler and the tests. */
#ifndef NFX_LIB_RULES_INT_H
#define NFX_LIB_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "nfx/rules.h"

/* Parse one line: 1 rule written to out, 0 blank/comment, -errno. */
int nfx_rules_parse_line(const char *name, int lineno, const char *line, size_t len,
			 struct nfx_rule *out);
int nfx_rules_app_lookup(const char *name, __u32 *id);
const char *nfx_rules_app_name(__u32 id);

/*
 * Put the classifier program (nfx_xdp_rules) in the pipeline's tail-call
 * slot (nfx_rules_progs). Done at run time, not by a static initialiser,
 * so each program of the object can still be loaded on its own.
 */
struct bpf_object;
int nfx_rules_prog_install(struct bpf_object *obj);

/* Reference matcher: a packet's fields, and a linear first-match scan. */
struct nfx_rule_pkt {
	__u8 family;
	__u8 proto;
	__u8 tcp_flags;
	__u8 state; /* NFX_RS_* */
	union nfx_addr src, dst;
	__u16 sport, dport; /* host order */
	__u32 iif;
	__u16 app;
	__u32 mark;
};
bool nfx_rule_match(const struct nfx_rule *r, const struct nfx_rule_pkt *p);

#endif /* NFX_LIB_RULES_INT_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rule classifier, shared by the datapath (bpf/lib/rules.h) and libnfx.
 *
 * A ruleset of N rules (first match wins) is compiled into one bit
 * vector per field value: bit i of the vector found for a packet's field
 * value is set when rule i accepts that value. ANDing the vectors of all
 * fields leaves the rules that match the packet; the lowest set bit is
 * the first matching rule (the bpf-iptables / Lakshman-Stiliadis scheme).
 *
 * Vectors are stored sparse in two levels (the "aggregated bit vector" of
 * Baboescu and Varghese): a summary of NFX_RULE_BLOCKS u64 words says
 * which 64-rule words are non-zero; only those words are stored, packed,
 * and a word's slot is base + cum[block] + popcount(summary bits below
 * it). A packet ANDs the summaries first (NFX_RULE_BLOCKS words per field)
 * and only then reads the few rule words that can still be non-zero, so
 * the cost follows the number of candidate words, not the ruleset size,
 * and a vector of a /32 rule costs one word instead of 1,280.
 *
 * A field a rule does not constrain puts the rule in that field's
 * "wildcard" vector instead of every value's vector (memory stays linear
 * in the ruleset); a packet ORs the value vector with the wildcard one.
 */
#ifndef NFX_RULES_H
#define NFX_RULES_H

#include "types.h"

#define NFX_RULES_MAX 81920		      /* rules in one set (bit positions) */
#define NFX_RULE_WORDS (NFX_RULES_MAX / 64)   /* 1,280 */
#define NFX_RULE_BLOCKS (NFX_RULE_WORDS / 64) /* 20 summary words */
#define NFX_RULE_HANDLES 131072		      /* stable rule ids, counters */
#define NFX_RULE_VEC_NONE 0xffffffffu
#define NFX_RULE_NONE 0x1ffffu /* "no rule matched" index */
/*
 * Rules appended by `rules add` go to a short tail, matched linearly
 * after the bit-vector set (so first-match order holds) until the next
 * full commit folds them in: an append writes one entry and one count.
 */
#define NFX_RULES_TAIL 64
#define NFX_RULE_F_DEAD 0x01 /* nfx_rule.pad: deleted tail rule */

/* Fields, in evaluation order. */
enum nfx_rule_field {
	NFX_RF_SRC = 0, /* LPM: source prefix (v4 or v6) */
	NFX_RF_DST,	/* LPM: destination prefix */
	NFX_RF_SPORT,	/* LPM over the 16-bit port: ranges as prefixes */
	NFX_RF_DPORT,
	NFX_RF_PROTO, /* exact: IP protocol */
	NFX_RF_IIF,   /* exact: ingress ifindex */
	NFX_RF_FLAGS, /* exact: TCP flags byte (0x100 not TCP) */
	NFX_RF_STATE, /* exact: NFX_RS_* of the packet's flow */
	NFX_RF_APP,   /* exact: flow app_id (nfgrep class) */
	NFX_RF_MARK,  /* exact: flow mark */
	NFX_RF_MAX,
};

/* Fields whose value can change during a flow's life: no verdict cache. */
#define NFX_RF_VOLATILE \
	((1u << NFX_RF_FLAGS) | (1u << NFX_RF_STATE) | (1u << NFX_RF_APP) | (1u << NFX_RF_MARK))

/* LPM key kinds (first data byte, so families and fields never mix). */
enum nfx_rule_lpm_kind {
	NFX_RLK_SRC4 = 1,
	NFX_RLK_SRC6,
	NFX_RLK_DST4,
	NFX_RLK_DST6,
	NFX_RLK_SPORT,
	NFX_RLK_DPORT,
};

struct nfx_rule_lpm_key {
	__u32 prefixlen; /* 8 (kind byte) + bits of data */
	__u8 kind;
	__u8 data[16]; /* address, or the port big-endian */
} __attribute__((packed));

/* Flow state values a packet can have (NFX_RF_STATE). */
#define NFX_RS_NEW 0x1	       /* one direction seen so far */
#define NFX_RS_ESTABLISHED 0x2 /* both directions seen */
#define NFX_RS_ASSURED 0x4     /* flow is ASSURED (always with ESTABLISHED) */
#define NFX_RS_UNTRACKED 0x8   /* no flow entry (ICMP errors, table full) */
#define NFX_RF_FLAGS_NOT_TCP 0x100

/* Vector header: summary of non-zero words and where they are stored. */
struct nfx_rule_vhdr {
	__u32 base;		    /* first stored word in the words map */
	__u16 cum[NFX_RULE_BLOCKS]; /* stored words before each block */
	__u64 sum[NFX_RULE_BLOCKS]; /* bit w: word 64*block+w non-zero */
};

enum nfx_rule_action {
	NFX_RA_ACCEPT = 0,
	NFX_RA_DROP,
	NFX_RA_MARK,	  /* set the flow mark, accept */
	NFX_RA_COUNT,	  /* count only, accept */
	NFX_RA_RATELIMIT, /* accept up to rate, drop above */
	NFX_RA_MAX,
};

/* Per rule position: what to do, and which counters to bump. */
struct nfx_rule_act {
	__u32 handle; /* stable id, index of the counters */
	__u8 action;  /* enum nfx_rule_action */
	__u8 pad[3];
	__u32 mark;
	__u32 rate_ns; /* ratelimit: ns between tokens */
	__u32 burst;   /* ratelimit: bucket depth in packets */
};

/* Per generation slot: fields in use and the wildcard vectors. */
struct nfx_rule_meta {
	__u32 nrules;	      /* positions in use */
	__u32 used;	      /* 1 << field for constrained fields */
	__u32 first_volatile; /* first rule using a volatile field */
	__u32 next_handle;
	__u32 tail_n;		/* rules in the tail */
	__u32 wild[NFX_RF_MAX]; /* vector of rules not using a field */
};

/* nfx_rules_cur: (generation << 1) | slot; 0 means no ruleset. */

/* Per-rule counters (PERCPU, by handle). */
struct nfx_rule_counter {
	__u64 packets;
	__u64 bytes;
};

/* flow_entry.verdict bits for the cached rule. */
#define NFX_RV_VALID 0x80 /* rule_gen/rule_id/bit 0 hold a cached rule */
#define NFX_RV_REPLY 0x40 /* the reply direction resolves to the same rule */
#define NFX_RV_IDX16 0x01 /* bit 16 of the rule index */

/*
 * One rule as written in a ruleset file, kept per position in the
 * nfx_rules_src map so `rules list` and incremental changes can read the
 * committed set back. Field f is matched only when used has 1 << f.
 */
struct nfx_rule {
	__u32 handle;
	__u32 used;		     /* 1 << enum nfx_rule_field */
	union nfx_addr src, dst;     /* v4 stored v4-mapped */
	__u8 src_family, dst_family; /* NFX_AF_INET / NFX_AF_INET6 */
	__u8 src_plen, dst_plen;     /* bits of the address family */
	__u16 sport_lo, sport_hi;    /* inclusive, host order */
	__u16 dport_lo, dport_hi;
	__u8 proto;
	__u8 flags_val, flags_mask; /* (tcp flags & mask) == val */
	__u8 state_mask;	    /* NFX_RS_* any of */
	__u32 iif;		    /* ifindex */
	__u16 app;
	__u8 action;	 /* enum nfx_rule_action */
	__u8 pad;	 /* NFX_RULE_F_* */
	__u32 mark;	 /* match value */
	__u32 set_mark;	 /* NFX_RA_MARK */
	__u32 rate;	 /* NFX_RA_RATELIMIT: packets per rate_unit */
	__u32 rate_unit; /* seconds */
	__u32 burst;
	char iifname[16]; /* as written, for listing */
};

#endif /* NFX_RULES_H */

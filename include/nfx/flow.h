/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table: ONE entry per connection.
 *
 * A packet's two endpoints are put in a canonical order (the smaller
 * (address, port) pair first, comparing the address before the port), so
 * both directions of a connection produce the same flow_key. The table is
 * indexed by a keyed 64-bit SipHash of that key (see hash.h); the entry
 * repeats the full key, which the datapath compares on every hit, so a
 * hash collision can never merge two connections.
 */
#ifndef NFX_FLOW_H
#define NFX_FLOW_H

#include "types.h"

/*
 * Canonical tuple, 40 bytes. lo is the endpoint that sorts first.
 * Field order keeps every member naturally aligned with no holes, so the
 * key can be hashed and compared as five 64-bit words.
 */
struct flow_key {
	union nfx_addr lo_addr;
	union nfx_addr hi_addr;
	__be16 lo_port;		/* ICMP echo: the identifier, in both ports */
	__be16 hi_port;
	__u8 proto;		/* IPPROTO_* */
	__u8 family;		/* NFX_AF_INET / NFX_AF_INET6 */
	__u16 zone;
};
NFX_STATIC_ASSERT(sizeof(struct flow_key) == 40, "flow_key is 40 bytes");

/* Direction of a packet relative to the canonical order. */
enum flow_dir {
	FLOW_DIR_LO_HI = 0,	/* sent by lo, towards hi */
	FLOW_DIR_HI_LO = 1,
};

/* TCP states, following both directions (the kernel's names). */
enum flow_tcp_state {
	FLOW_TCP_NONE = 0,	/* not TCP, or picked up mid-stream */
	FLOW_TCP_SYN_SENT,
	FLOW_TCP_SYN_RECV,
	FLOW_TCP_ESTABLISHED,
	FLOW_TCP_FIN_WAIT,
	FLOW_TCP_CLOSE_WAIT,
	FLOW_TCP_LAST_ACK,
	FLOW_TCP_TIME_WAIT,
	FLOW_TCP_CLOSE,
	FLOW_TCP_STATE_MAX,
};

/* flow_entry.flags */
#define FLOW_F_ASSURED (1u << 0)	/* traffic seen both ways */
#define FLOW_F_INIT_HI (1u << 1)	/* hi endpoint sent the first packet */
#define FLOW_F_SEEN_LO (1u << 2)	/* lo has sent */
#define FLOW_F_SEEN_HI (1u << 3)	/* hi has sent */
#define FLOW_F_ADOPTED (1u << 4)	/* taken over from kernel conntrack */
#define FLOW_F_MIDSTREAM (1u << 5)	/* first packet seen was not a SYN */
#define FLOW_F_FIN_LO (1u << 6)		/* lo sent FIN */
#define FLOW_F_FIN_HI (1u << 7)		/* hi sent FIN */

/*
 * NAT state kept in the entry, so a translated connection is still found
 * with the one lookup from both sides: the key is the tuple as the outside
 * sees it (masquerade address and port), and flow_nat holds the other
 * endpoint of the translation, the inside one (bpf/lib/nat66.h).
 */
struct flow_nat {
	__be32 addr[4];		/* inside address (v4 mapped like nfx_addr) */
	__be16 port;		/* inside port (or ICMP id) */
	__u8 kind;		/* 0 none, else enum nfx_nat_kind (include/nfx/npt.h) */
	__u8 pad;
};

/*
 * Flow entry: 128 bytes, two cache lines. The 40-byte key plus 64-bit
 * per-direction counters and nanosecond timestamps already take 104 bytes;
 * the rest holds the TCP state machine, mark, NAT, rule-verdict cache and
 * classifier result, so later stages never need a second map lookup for
 * an established flow. Compare nf_conntrack's struct nf_conn (hundreds of
 * bytes plus two hash nodes); `make bench` prints both sizes.
 */
struct flow_entry {
	struct flow_key key;		/*   0  40 */
	__u64 first_seen;		/*  40   8  bpf_ktime_get_ns() */
	__u64 last_seen;		/*  48   8 */
	__u64 packets[2];		/*  56  16  indexed by enum flow_dir */
	__u64 bytes[2];			/*  72  16 */
	__u32 mark;			/*  88   4 */
	__u8 tcp_state;			/*  92   1  enum flow_tcp_state */
	__u8 flags;			/*  93   1  FLOW_F_* */
	__u8 tcp_flags_seen[2];		/*  94   2  OR of TCP flags per direction */
	__u16 invalid;			/*  96   2  rejected TCP transitions */
	__u16 app_id;			/*  98   2  classifier result, 0 = unknown */
	__u32 rule_gen;			/* 100   4  ruleset generation of verdict */
	__u16 rule_id;			/* 104   2  matching rule */
	__u8 verdict;			/* 106   1  cached action */
	__u8 owner;			/* 107   1  cluster node owning the flow */
	struct flow_nat nat;		/* 108  20  4-byte aligned on purpose */
};					/* 128 */
NFX_STATIC_ASSERT(sizeof(struct flow_entry) == 128, "flow_entry is 128 bytes");

#ifndef __bpf__
/* clang-format off */
static const char *const flow_tcp_state_names[FLOW_TCP_STATE_MAX] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
};
/* clang-format on */
#endif

#endif /* NFX_FLOW_H */

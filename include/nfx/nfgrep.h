/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table sizes are powers of two: the matcher masks every index with them,
 * which the verifier follows better than compared bounds.
 *
 * nfgrep bytecode: the compiled form of a set of classification filters,
 * shared by the compiler (loader/lib/nfgrep.c) and the XDP matcher
 * (bpf/lib/nfgrep.h).
 *
 * One program is one fixed-size map value (struct nfg_prog). Tokens of all
 * protocols are searched in one pass over the payload with a multi-pattern
 * Shift-And automaton (Baeza-Yates/Gonnet): every token owns a run of bits
 * in an NFG_WORDS x 64-bit state vector, so one byte costs NFG_WORDS table
 * loads whatever the number of tokens, and a token split across two TCP
 * segments still matches because the state vector is kept per flow and
 * direction. When a token's last bit lights up, the step it belongs to is
 * checked (offset, order) and the protocol advances; numeric steps read the
 * first NFG_HEAD bytes of the direction kept in the flow state.
 */
#ifndef NFX_NFGREP_H
#define NFX_NFGREP_H

#include "types.h"

#define NFG_MAGIC 0x3147464eu		/* "NFG1" little endian */
#define NFG_VERSION 1

#define NFG_WORDS 8			/* Shift-And state: 512 token bytes */
#define NFG_BITS (NFG_WORDS * 64)
#define NFG_MAX_PROTO 64		/* protocols (children included) */
#define NFG_MAX_TOK 256			/* tokens (alternatives count apart) */
#define NFG_MAX_STEP 512		/* steps of all protocols */
#define NFG_MAX_LIT 128			/* literals at fixed offsets in the head */
#define NFG_MAX_DSTEPS 16		/* steps per protocol and direction */
#define NFG_TOK_MAX 64			/* token length: one state word */
#define NFG_HEAD 64			/* bytes of each direction kept for numeric steps */
#define NFG_SCAN 2048			/* payload bytes scanned per packet (power of 2) */
#define NFG_HOLD 512			/* one out-of-order segment kept (power of 2) */
#define NFG_MAX_PORTS 4
#define NFG_NAME_MAX 48			/* "parent.child" with the NUL */
#define NFG_APPS_MAX 1024		/* app ids 1..1023; 0 unknown */
#define NFG_DEF_WITHIN 1024		/* default per-direction byte limit */
#define NFG_DEF_PACKETS 8		/* default payload packets inspected */

/* flow_entry.app_id once no filter matched within the limits. */
#define NFG_APP_NONE 0xffff

enum nfg_dir {
	NFG_CLIENT = 0,			/* from the side that opened the flow */
	NFG_SERVER = 1,
};

enum nfg_step_kind {
	NFG_S_TOKEN = 1,		/* one of the step's tokens (Shift-And) */
	NFG_S_FIELD,			/* big/little endian number at an offset */
	NFG_S_LEN,			/* payload length of the first packet */
	NFG_S_HEAD,			/* literal at a fixed offset in the head */
};

enum nfg_cmp {
	NFG_EQ = 0,
	NFG_NE,
	NFG_LT,
	NFG_LE,
	NFG_GT,
	NFG_GE,
};

#define NFG_F_LE (1u << 0)		/* field is little endian */
#define NFG_ANCHOR_NONE 0xffff		/* token step: found anywhere after the last step */

struct nfg_step {
	__u8 kind;			/* enum nfg_step_kind */
	__u8 cmp;			/* enum nfg_cmp (FIELD, LEN) */
	__u8 width;			/* FIELD: 1, 2 or 4 bytes; HEAD: literals */
	__u8 flags;			/* NFG_F_* */
	__u16 off;			/* FIELD: offset < NFG_HEAD; TOKEN: anchor; HEAD: first literal */
	__u16 within;			/* TOKEN: must end inside the first N bytes, 0 none */
	__u8 rel;			/* TOKEN: anchor counts from the last step's end */
	__u8 pad[3];
	__u32 mask;			/* FIELD */
	__u32 value;			/* FIELD, LEN */
};

/*
 * A literal anchored inside the first NFG_HEAD bytes is not searched for:
 * it is compared with the head as eight masked 64-bit words (the mask
 * clears bytes outside the literal and the case bit of letters under
 * nocase), which costs the same whatever its length.
 */
struct nfg_lit {
	__u64 value[NFG_HEAD / 8];
	__u64 mask[NFG_HEAD / 8];
	__u16 need;			/* head bytes needed: offset + length */
	__u16 end;			/* same, recorded as the step's end */
	__u32 pad;
};

struct nfg_tok {
	__u8 proto;			/* index into prog.proto */
	__u8 dir;			/* enum nfg_dir */
	__u8 step;			/* index of the step within proto+dir */
	__u8 len;
};

#define NFG_PARENT_NONE 0xff
#define NFG_PF_PORTS_ONLY (1u << 0)	/* the port list is a requirement */
#define NFG_PF_HAS_CHILD (1u << 1)	/* has `then` sub-protocols */

struct nfg_proto {
	__u16 app_id;			/* name table index (nfx_nfg_names) */
	__u8 parent;			/* NFG_PARENT_NONE or proto index */
	__u8 l4;			/* 0 any, 6 tcp, 17 udp */
	__u8 flags;			/* NFG_PF_* */
	__u8 nports;
	__u8 nsteps[2];			/* per enum nfg_dir */
	__u16 step0[2];			/* first step index per direction */
	__u16 ports[NFG_MAX_PORTS];	/* host order */
	__u16 packets;			/* give up after this many payload packets */
	__u16 pad;
};

struct nfg_prog {
	__u32 magic;
	__u32 version;
	__u32 gen;			/* generation; flow states of another one restart */
	__u16 nproto;
	__u16 ntok;
	__u16 nstep;
	__u16 max_packets;		/* largest protocol `packets` */
	__u16 max_bytes;		/* largest per-direction byte limit */
	__u16 pad;
	__u64 start[NFG_WORDS];		/* first bit of every token */
	__u64 final[NFG_WORDS];		/* last bit of every token */
	__u8 bit_tok[NFG_BITS];		/* last bit -> token index */
	struct nfg_tok tok[NFG_MAX_TOK];
	struct nfg_proto proto[NFG_MAX_PROTO];
	struct nfg_step step[NFG_MAX_STEP];
	struct nfg_lit lit[NFG_MAX_LIT];
	__u16 nlit;
	__u16 nwords;			/* Shift-And words in use */
	__u16 pad2[2];
	__u64 mask[256][NFG_WORDS];	/* Shift-And byte masks */
};

/* Per-flow, per-direction match state. */
struct nfg_dir_state {
	__u64 d[NFG_WORDS];		/* Shift-And state between segments */
	__u32 next_seq;			/* TCP: next in-order sequence number */
	__u16 pos;			/* payload bytes consumed */
	__u16 first_len;		/* payload length of the first packet */
	__u8 head[NFG_HEAD];		/* first bytes, for numeric steps */
	__u8 seq_valid;
	__u8 pad[7];
};

#define NFG_STEP_FAILED 0xff

/* The companion state of a flow being classified (map nfx_nfg_state). */
struct nfg_state {
	__u32 gen;
	__u16 packets;			/* payload packets inspected */
	__u16 srv_port;			/* host order */
	__u16 best;			/* provisional result: proto index + 1 */
	__u16 ooo;			/* out-of-order segments seen */
	__u32 hold_seq;			/* held segment: sequence number */
	__u16 hold_len;			/* 0: none held */
	__u8 hold_dir;
	__u8 l4;
	__u8 step[NFG_MAX_PROTO][2];	/* next step, NFG_STEP_FAILED */
	__u16 mark[NFG_MAX_PROTO][2];	/* stream offset after the last matched step */
	struct nfg_dir_state dir[2];
	__u8 hold[NFG_HOLD];
};

/* Name table entry (map nfx_nfg_names, index = app id). */
struct nfg_name {
	char name[NFG_NAME_MAX];
};

#define NFG_STATE_MAX 8192		/* flows being classified at once */

#endif /* NFX_NFGREP_H */

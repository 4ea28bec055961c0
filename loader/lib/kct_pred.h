/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack/flow predicates: text syntax <-> struct nfx_kct_pred, and a
 * matcher over a neutral view of one entry. No netlink here: the same code
 * serves the nfx_ct module client, the ctnetlink fallback and the BPF
 * flow-table flush.
 *
 * Syntax: a sequence of words, each key once, all must hold:
 *   state S[,S...]     TCP states (syn_sent syn_recv established fin_wait
 *                      close_wait last_ack time_wait close syn_sent2: any of)
 *                      and/or unreplied, unassured, assured (all of)
 *   proto P            tcp udp udplite icmp icmpv6 sctp dccp gre or 0..255
 *   family F           inet (ipv4) or inet6 (ipv6); implied by addresses
 *   src|dst|addr PFX   prefix of the original tuple's source, destination,
 *                      or either endpoint; IPv4 or IPv6, /len optional
 *   sport|dport|port R port N or range N-M (port: either endpoint)
 *   zone N             conntrack zone 0..65535
 *   mark V[/MASK]      (ctmark & MASK) == V
 *   age E, timeout E   seconds since creation / of remaining timeout:
 *                      ">N" ">=N" "<N" "<=N" or "N-M"; N may end in s m h d
 */
#ifndef NFX_LOADER_KCT_PRED_H
#define NFX_LOADER_KCT_PRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfx/kct.h>

/* One conntrack entry or flow, as the matcher sees it. */
struct nfx_kct_view {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t l4proto;
	uint8_t src[16], dst[16];	/* IPv4 in the first 4 bytes */
	uint16_t sport, dport;	/* host order */
	bool has_ports;
	bool has_tcp_state;
	uint8_t tcp_state;	/* NFX_KCT_TCP_* */
	bool seen_reply, assured;
	uint16_t zone;
	uint32_t mark;
	bool has_age;
	uint64_t age;		/* seconds */
	uint32_t timeout;	/* seconds remaining */
};

/*
 * Parse words argv[0..argc-1] into @p. Returns 0, or -EINVAL with a message
 * naming the offending word in @err.
 */
int nfx_kct_pred_parse(int argc, char *const argv[], struct nfx_kct_pred *p, char *err,
		       size_t errlen);

/* The same over one string, split at blanks; quotes around a word are dropped. */
int nfx_kct_pred_parse_str(const char *s, struct nfx_kct_pred *p, char *err, size_t errlen);

/* Canonical text of @p (parses back to the same predicate). */
int nfx_kct_pred_format(const struct nfx_kct_pred *p, char *buf, size_t len);

bool nfx_kct_pred_match(const struct nfx_kct_pred *p, const struct nfx_kct_view *v);

/* Name of a TCP state (NFX_KCT_TCP_*), or NULL. */
const char *nfx_kct_tcp_state_name(unsigned int st);

#endif /* NFX_LOADER_KCT_PRED_H */

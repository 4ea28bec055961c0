/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libnfx: the C API behind nfx-loader.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; nfx_errmsg() then holds one line of context for the caller to
 * print, e.g. "eth0: XDP native mode not supported by driver".
 *
 *	struct nfx_link *link;
 *	struct nfx_attach_opts opts = { .sz = sizeof(opts) };
 *
 *	if (nfx_attach("eth0", &opts) < 0 || nfx_link_open("eth0", NULL, &link) < 0)
 *		errx(1, "%s", nfx_errmsg());
 *	nfx_link_stats(link, counters);
 *	nfx_link_close(link);
 */
#ifndef NFX_LIBNFX_H
#define NFX_LIBNFX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "nfx/stats.h"
#include "nfx/flow.h"
#include "nfx/config.h"

#ifdef __cplusplus
extern "C" {
#endif

enum nfx_xdp_mode {
	NFX_MODE_AUTO = 0,	/* native if the driver has it, else generic */
	NFX_MODE_NATIVE,
	NFX_MODE_GENERIC,
};

struct nfx_attach_opts {
	size_t sz;			/* sizeof(struct nfx_attach_opts) */
	enum nfx_xdp_mode mode;
	bool replace;			/* detach an existing nfx first */
	const char *pin_root;		/* NULL: $NFX_PIN_ROOT or NFX_PIN_ROOT */
	__u16 zone;
	bool no_ct_adopt;		/* never consult kernel conntrack on a miss */
	__u32 event_ring_bytes;		/* per-CPU event ring size (0: 256 KiB) */
};

/* Last error text of this thread ("" if none). */
const char *nfx_errmsg(void);

/* Pin directory root in use: opts value, $NFX_PIN_ROOT, or the default. */
const char *nfx_pin_root(const char *override);

int nfx_attach(const char *ifname, const struct nfx_attach_opts *opts);
int nfx_detach(const char *ifname, const char *pin_root);

/* A handle on an attached link, opened from its pins. */
struct nfx_link;

struct nfx_link_info {
	char ifname[32];
	int ifindex;			/* 0 when the interface is gone */
	enum nfx_xdp_mode mode;		/* how the program runs now */
	bool attached;			/* program found on the interface */
	bool multiprog;			/* through the libxdp dispatcher */
	__u32 prog_id;
	__u64 load_time_ns;		/* CLOCK_BOOTTIME at load */
	__u32 features;			/* NFX_FEAT_* */
	__u16 zone;
};

int nfx_link_open(const char *ifname, const char *pin_root, struct nfx_link **out);
void nfx_link_close(struct nfx_link *link);
int nfx_link_info(struct nfx_link *link, struct nfx_link_info *info);
/* fd of a pinned map by name (e.g. "nfx_flows"), owned by the handle. */
int nfx_link_map_fd(struct nfx_link *link, const char *map_name);
/* Sum the per-CPU counters into out[NFX_STAT_MAX]. */
int nfx_link_stats(struct nfx_link *link, struct nfx_counter *out);
int nfx_link_config(struct nfx_link *link, struct nfx_config *cfg);
int nfx_link_set_config(struct nfx_link *link, const struct nfx_config *cfg);

/* Names of the links attached under the pin root, NULL-terminated. */
int nfx_links_list(const char *pin_root, char ***names);
void nfx_links_free(char **names);

/* Flows: visit every entry of both tiers; stop early when cb returns < 0. */
typedef int (*nfx_flow_cb)(const struct flow_entry *e, void *ctx);
int nfx_flows_foreach(struct nfx_link *link, nfx_flow_cb cb, void *ctx);
/* Map id of the link's flow table (shared by the links of a namespace). */
__u32 nfx_link_table_id(struct nfx_link *link);
/* Entries in each tier; either pointer may be NULL. */
int nfx_flows_count(struct nfx_link *link, __u64 *assured, __u64 *unassured);

/* The flow's endpoints as the initiator sent its first packet. */
struct nfx_flow_view {
	union nfx_addr src, dst;
	__u16 sport, dport;		/* host order; ICMP echo: identifier */
	__u64 orig_packets, orig_bytes, reply_packets, reply_bytes;
};
void nfx_flow_view(const struct flow_entry *e, struct nfx_flow_view *v);
/* Text of an address of the given family (v4 shown without ::ffff:). */
const char *nfx_addr_str(__u8 family, const union nfx_addr *a, char *buf, size_t len);
/* Parse an IPv4 or IPv6 address; returns its family or a negative errno. */
int nfx_addr_parse(const char *s, union nfx_addr *a);
const char *nfx_proto_name(__u8 proto);

/* NFX_FEAT_* the running kernel offers. */
__u32 nfx_probe_features(void);

/* Monotonic clock in ns, the clock flow timestamps use. */
__u64 nfx_now_ns(void);

/*
 * Events: flow events from the datapath's per-CPU rings, or kernel
 * conntrack events (opts.kernel), delivered to a callback in batches.
 *
 *	static int on_event(const struct nfx_event *ev, void *ctx) { ...; return 0; }
 *
 *	struct nfx_events_opts eo = { .sz = sizeof(eo), .cb = on_event };
 *	struct nfx_events *evs;
 *
 *	if (nfx_events_open(link, &eo, &evs) < 0)
 *		errx(1, "%s", nfx_errmsg());
 *	while (nfx_events_poll(evs, 1000) >= 0)
 *		;
 *	nfx_events_close(evs);
 *
 * A gap (ring full, socket overrun) is delivered in order as one
 * NFX_EV_LOST record whose seq holds the number of events lost (1 for
 * ctnetlink, where the kernel does not say); a kernel resync after it
 * delivers the current table as NFX_EV_SYNC records.
 */
struct nfx_event;
struct nfx_event_conf;
struct nfx_events;

/* Return < 0 to stop: nfx_events_poll() then returns that value. */
typedef int (*nfx_event_cb)(const struct nfx_event *ev, void *ctx);

struct nfx_events_opts {
	size_t sz;			/* sizeof(struct nfx_events_opts) */
	nfx_event_cb cb;
	void *ctx;
	bool kernel;			/* kernel conntrack (ctnetlink) instead of the rings */
	__u32 rcvbuf;			/* ctnetlink socket buffer (0: 8 MiB) */
	int flush_ms;			/* drain quiet rings at least this often (0: 50) */
	int rings_fd;			/* link == NULL: the nfx_event_rings map to read */
	bool no_mmap;			/* kernel: never use kmod nfx_nlmmap's ring */
};

enum nfx_events_transport {
	NFX_EVT_RINGS = 0,		/* the datapath's per-CPU BPF rings */
	NFX_EVT_NETLINK,		/* ctnetlink, recvmsg() */
	NFX_EVT_NLMMAP,			/* ctnetlink messages in nfx_nlmmap's mapped ring */
};

struct nfx_events_stats {
	__u64 delivered;		/* records given to the callback, LOST included */
	__u64 lost;			/* events known lost (sequence gaps, ENOBUFS) */
	__u64 resyncs;			/* conntrack table re-reads after a loss */
	__u64 dump_retries;		/* dumps thrown away for NLM_F_DUMP_INTR */
	__u64 malformed;		/* records or messages that failed validation */
	__u32 rings;			/* per-CPU rings read */
	__u32 transport;		/* enum nfx_events_transport */
};

int nfx_events_open(struct nfx_link *link, const struct nfx_events_opts *opts,
		    struct nfx_events **out);
/* Wait up to timeout_ms (< 0: until an event), deliver; returns the count. */
int nfx_events_poll(struct nfx_events *evs, int timeout_ms);
/* A descriptor that becomes readable when events wait (epoll/poll). */
int nfx_events_fd(struct nfx_events *evs);
int nfx_events_get_stats(struct nfx_events *evs, struct nfx_events_stats *st);
void nfx_events_close(struct nfx_events *evs);

/*
 * Create one ring per possible CPU in the nfx_event_rings map and write
 * the nfx_event_conf entry (conf NULL: defaults). attach does this; tests
 * and tools that load the object themselves call it. Returns the number
 * of rings.
 */
int nfx_events_rings_create(int rings_fd, int conf_fd, const struct nfx_event_conf *conf);
/*
 * Per-CPU event counters (enum nfx_event_stat): totals[], and per_cpu
 * (max_cpus rows of NFX_EVS_MAX) when not NULL. Returns the CPU count.
 */
int nfx_link_event_stats(struct nfx_link *link, __u64 *totals, __u64 *per_cpu, int max_cpus);
/*
 * Parse one ctnetlink message into ev. Returns 1 for a conntrack event,
 * 0 for a message that is not one (ignored), -EINVAL for a malformed one.
 */
int nfx_ct_parse(const void *buf, size_t len, struct nfx_event *ev);
/*
 * Walk the netlink messages of one datagram; cb gets each message's
 * nfx_ct_parse() result (ev is NULL unless it is 1). A negative return
 * from cb stops the walk and is returned; else the message count.
 */
typedef int (*nfx_ct_walk_cb)(const struct nfx_event *ev, int res, void *ctx);
int nfx_ct_walk(const void *buf, size_t len, nfx_ct_walk_cb cb, void *ctx);

/*
 * Rules: an ordered ruleset, first match wins (see nfx-rules(5)).
 *
 *	struct nfx_rules *r;
 *	struct nfx_rules_commit_info ci;
 *
 *	if (nfx_rules_open(link, &r) < 0 ||
 *	    nfx_rules_begin(r, NFX_RULES_REPLACE) < 0 ||
 *	    nfx_rules_add_text(r, "ip saddr 10.0.0.0/8 tcp dport 22 drop", NULL) < 0 ||
 *	    nfx_rules_commit(r, &ci) < 0)
 *		errx(1, "%s", nfx_errmsg());
 *
 * A batch is built in memory; nfx_rules_commit() compiles it into fresh
 * maps and switches to it with one map update (no packet sees a mix of
 * two sets). A batch that only deletes rules is applied in place, one
 * bit per rule. A failed call leaves the datapath unchanged.
 */
struct nfx_rules;
struct nfx_rule;

/* Open the classifier of the namespace the link belongs to. */
int nfx_rules_open(struct nfx_link *link, struct nfx_rules **out);
/* Same from a loaded bpf_object holding the nfx_xdp maps (tests, tools). */
struct bpf_object;
int nfx_rules_open_obj(struct bpf_object *obj, struct nfx_rules **out);
void nfx_rules_close(struct nfx_rules *r);

#define NFX_RULES_REPLACE (1u << 0)	/* start from an empty set, not the current one */
int nfx_rules_begin(struct nfx_rules *r, unsigned int flags);
/* Append a parsed rule; *handle (may be NULL) gets its stable id. */
int nfx_rules_add(struct nfx_rules *r, const struct nfx_rule *rule, __u32 *handle);
/* Parse one rule line and append it. */
int nfx_rules_add_text(struct nfx_rules *r, const char *line, __u32 *handle);
/* Parse a whole file and append its rules; errors are "file:line:col: msg". */
int nfx_rules_add_file(struct nfx_rules *r, const char *path);
int nfx_rules_del(struct nfx_rules *r, __u32 handle);
/* Drop the batch. */
void nfx_rules_abort(struct nfx_rules *r);

struct nfx_rules_commit_info {
	__u32 rules;			/* rules in the committed set */
	__u32 generation;
	bool incremental;		/* applied in place (deletes only) */
	__u64 parse_ns;			/* filled by nfx_rules_add_file callers */
	__u64 build_ns;			/* compile + fill the new maps */
	__u64 switch_ns;		/* the flip, one map update */
	__u64 cleanup_ns;		/* RCU wait + release of the old set */
	__u32 vectors, words, lpm_keys, exact_keys;
	__u32 syscalls;			/* map update syscalls (batched) */
};
int nfx_rules_commit(struct nfx_rules *r, struct nfx_rules_commit_info *info);

/* The committed set, in order. */
typedef int (*nfx_rule_cb)(const struct nfx_rule *rule, void *ctx);
int nfx_rules_foreach(struct nfx_rules *r, nfx_rule_cb cb, void *ctx);
/* Counters of a rule, summed over CPUs. */
int nfx_rules_counters(struct nfx_rules *r, __u32 handle, __u64 *packets, __u64 *bytes);
/* Text of a rule in the file syntax. */
int nfx_rule_format(const struct nfx_rule *rule, char *buf, size_t len);

/*
 * Parser alone (no maps): rules from a buffer, for tools and fuzzing.
 * name is used in messages. Returns the number of rules or -errno; on
 * error *rules is NULL and nfx_errmsg() is "name:line:col: message".
 */
int nfx_rules_parse(const char *name, const char *text, size_t len, struct nfx_rule **rules,
		    size_t *count);
/* Names for `app NAME` (nfgrep classes): "id name" lines; NULL clears. */
int nfx_rules_set_app_names(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* NFX_LIBNFX_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Event channel, user side: create the per-CPU rings at attach time and
 * consume them in batches.
 *
 * libbpf's ring_buffer manager holds every per-CPU ring (ring_buffer__add)
 * behind one epoll set, so a single epoll_wait() covers all CPUs and a
 * wake-up drains each ready ring completely. Because the datapath samples
 * its wake-ups (BPF_RB_NO_WAKEUP most of the time), the reader also drains
 * every ring when its flush interval passes: that bounds the latency of a
 * quiet ring to the interval while a busy one costs ~1/N wake-ups.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/events.h"
#include "nfx/libnfx.h"
#include "internal.h"

#define NFX_EVENT_FLUSH_MS 50
#define NFX_EVENT_BATCH 4096	/* records sorted and delivered at once */

struct ev_ring {
	struct nfx_events *evs;
	__u32 cpu;
	bool seen;		/* next_seq is valid */
	__u64 next_seq;
};

struct nfx_events {
	nfx_event_cb cb;
	void *cb_ctx;
	int flush_ms;
	int stop;			/* cb's negative return, or 0 */
	__u64 delivered;
	struct nfx_events_stats st;
	/* BPF rings */
	struct ring_buffer *rb;
	struct ev_ring *rings;
	int nrings;
	int lock_fd;			/* exclusive reader of the rings */
	/*
	 * Records of one drain of all rings, delivered in timestamp order:
	 * each ring is ordered, but CPUs are read one after the other.
	 */
	struct nfx_event *batch;
	size_t nbatch, head;
	/* kernel conntrack */
	struct nfx_ct_listener *ct;
};

/*
 * A BPF ring buffer has one consumer position: two readers would each
 * get a part of the events. The first reader of a set of rings (by the
 * outer map's system-wide id) holds an flock; a second one is refused.
 */
static int lock_rings(struct nfx_events *evs, __u32 map_id)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/nfx-events.%u.lock", map_id);
	evs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (evs->lock_fd < 0)
		return nfx_err(-errno, "cannot open %s: %s", path, strerror(errno));
	if (flock(evs->lock_fd, LOCK_EX | LOCK_NB))
		return nfx_err(
			errno == EWOULDBLOCK ? -EBUSY : -errno,
			"another process is reading these event rings (lock %s); a ring has one consumer",
			path);
	return 0;
}

static bool is_pow2(__u32 v)
{
	return v && !(v & (v - 1));
}

int nfx_events_rings_create(int rings_fd, int conf_fd, const struct nfx_event_conf *conf_in)
{
	struct nfx_event_conf conf = {
		.types = NFX_EVENT_TYPES_ALL,
		.wakeup_every = NFX_EVENT_WAKEUP_EVERY,
		.ring_bytes = NFX_EVENT_RING_BYTES,
	};
	long page = sysconf(_SC_PAGESIZE);
	int ncpus = libbpf_num_possible_cpus();
	__u32 zero = 0;
	int i, fd, err;

	if (conf_in) {
		conf = *conf_in;
		if (!conf.ring_bytes)
			conf.ring_bytes = NFX_EVENT_RING_BYTES;
	}
	if (!is_pow2(conf.ring_bytes) || conf.ring_bytes < (__u32)page)
		return nfx_err(-EINVAL,
			       "event ring size %u: must be a power of 2 and at least %ld bytes",
			       conf.ring_bytes, page);
	/* Wake the reader once a ring is a quarter full, whatever the sampling. */
	if (!conf.wakeup_bytes)
		conf.wakeup_bytes = conf.ring_bytes / 4;
	if (ncpus < 0)
		return nfx_err(ncpus, "cannot count CPUs: %s", strerror(-ncpus));
	if (ncpus > NFX_EVENT_CPUS_MAX)
		ncpus = NFX_EVENT_CPUS_MAX;	/* the rest count no_ring */
	for (i = 0; i < ncpus; i++) {
		__u32 key = i;

		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "nfx_event_ring", 0, 0, conf.ring_bytes,
				    NULL);
		if (fd < 0)
			return nfx_err(-errno, "cannot create event ring for CPU %d: %s", i,
				       strerror(errno));
		err = bpf_map_update_elem(rings_fd, &key, &fd, 0);
		close(fd);	/* the outer map holds it now */
		if (err)
			return nfx_err(-errno, "cannot install event ring for CPU %d: %s", i,
				       strerror(errno));
	}
	if (bpf_map_update_elem(conf_fd, &zero, &conf, 0))
		return nfx_err(-errno, "cannot write event configuration: %s", strerror(errno));
	return ncpus;
}

static int deliver(struct nfx_events *evs, const struct nfx_event *ev)
{
	int r;

	evs->delivered++;
	evs->st.delivered++;
	r = evs->cb ? evs->cb(ev, evs->cb_ctx) : 0;
	if (r < 0)
		evs->stop = r;
	return r;
}

void nfx_events_lost(struct nfx_events *evs, __u32 cpu, __u8 source, __u64 n)
{
	struct nfx_event lost = {
		.type = NFX_EV_LOST,
		.source = source,
		.cpu = cpu,
		.ts_ns = nfx_now_ns(),
		.seq = n,
	};

	evs->st.lost += n;
	deliver(evs, &lost);
}

/*
 * libbpf moves the consumer past a record before its callback runs, so a
 * record handed to us must be kept: the batch stops taking records while
 * there is still room for one more record and its LOST marker.
 */
static void batch_add(struct nfx_events *evs, const struct nfx_event *ev)
{
	if (evs->nbatch < NFX_EVENT_BATCH)
		evs->batch[evs->nbatch++] = *ev;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct nfx_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	/* same instant: keep a CPU's order (LOST before the record after its gap) */
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->type == NFX_EV_LOST || y->type == NFX_EV_LOST)
		return x->type == NFX_EV_LOST ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Deliver what is batched, oldest first; keeps the rest if cb stops. */
static bool batch_sorted(const struct nfx_event *b, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp_ts(&b[i - 1], &b[i]) > 0)
			return false;
	return true;
}

static void batch_flush(struct nfx_events *evs)
{
	/* one busy CPU (the common case under load) is already in order */
	if (evs->head == 0 && evs->nbatch > 1 && !batch_sorted(evs->batch, evs->nbatch))
		qsort(evs->batch, evs->nbatch, sizeof(*evs->batch), cmp_ts);
	while (evs->head < evs->nbatch && !evs->stop) {
		const struct nfx_event *ev = &evs->batch[evs->head++];

		if (ev->type == NFX_EV_LOST)
			evs->st.lost += ev->seq;
		deliver(evs, ev);
	}
	if (evs->head == evs->nbatch)
		evs->head = evs->nbatch = 0;
}

int nfx_events_deliver(struct nfx_events *evs, const struct nfx_event *ev)
{
	return deliver(evs, ev);
}

/* One record of one ring; a gap in its sequence is reported first. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct ev_ring *r = ctx;
	struct nfx_events *evs = r->evs;
	const struct nfx_event *ev = data;

	if (size < sizeof(*ev)) {
		evs->st.malformed++;
		return 0;
	}
	if (r->seen && ev->seq > r->next_seq) {
		/* the gap sorts just before the record that revealed it */
		struct nfx_event lost = {
			.type = NFX_EV_LOST,
			.source = NFX_EV_SRC_XDP,
			.cpu = r->cpu,
			.ts_ns = ev->ts_ns,
			.seq = ev->seq - r->next_seq,
		};

		batch_add(evs, &lost);
	}
	r->seen = true;
	r->next_seq = ev->seq + 1;
	batch_add(evs, ev);
	/* full: libbpf stops this drain; the caller flushes and drains again */
	return evs->nbatch + 2 > NFX_EVENT_BATCH ? -ENOSPC : 0;
}

static int open_rings(struct nfx_events *evs, int rings_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i;
	int err = 0;

	if (bpf_obj_get_info_by_fd(rings_fd, &info, &len))
		return nfx_err(-errno, "event rings: %s", strerror(errno));
	err = lock_rings(evs, info.id);
	if (err)
		return err;
	evs->rings = calloc(info.max_entries, sizeof(*evs->rings));
	if (!evs->rings)
		return nfx_err(-ENOMEM, "out of memory");
	for (i = 0; i < info.max_entries; i++) {
		__u32 id;
		int fd;

		if (bpf_map_lookup_elem(rings_fd, &i, &id))
			continue;	/* no ring in this slot */
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			return nfx_err(-errno, "event ring of CPU %u (map id %u): %s", i, id,
				       strerror(errno));
		evs->rings[evs->nrings].evs = evs;
		evs->rings[evs->nrings].cpu = i;
		if (!evs->rb) {
			evs->rb = ring_buffer__new(fd, on_sample, &evs->rings[evs->nrings], NULL);
			if (!evs->rb)
				err = -errno;
		} else {
			err = ring_buffer__add(evs->rb, fd, on_sample, &evs->rings[evs->nrings]);
		}
		/* ring_buffer keeps its own mapping; the fd is not needed after. */
		close(fd);
		if (err)
			return nfx_err(err, "cannot map event ring of CPU %u: %s", i,
				       strerror(-err));
		evs->nrings++;
	}
	if (!evs->nrings)
		return nfx_err(-ENOENT, "no event rings are installed (attached by an older nfx?)");
	return 0;
}

int nfx_events_open(struct nfx_link *link, const struct nfx_events_opts *opts,
		    struct nfx_events **out)
{
	struct nfx_events_opts o = {};
	struct nfx_events *evs;
	int err, rings_fd;

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	evs = calloc(1, sizeof(*evs));
	if (!evs)
		return nfx_err(-ENOMEM, "out of memory");
	evs->lock_fd = -1;
	evs->cb = o.cb;
	evs->batch = calloc(NFX_EVENT_BATCH, sizeof(*evs->batch));
	if (!evs->batch) {
		free(evs);
		return nfx_err(-ENOMEM, "out of memory");
	}
	evs->cb_ctx = o.ctx;
	evs->flush_ms = o.flush_ms > 0 ? o.flush_ms : NFX_EVENT_FLUSH_MS;
	if (o.kernel) {
		err = nfx_ct_listener_open(evs, o.rcvbuf, o.no_mmap, &evs->ct);
		if (err)
			goto fail;
		*out = evs;
		return 0;
	}
	if (link) {
		rings_fd = nfx_link_map_fd(link, "nfx_event_rings");
	} else if (o.rings_fd > 0) {
		rings_fd = o.rings_fd;
	} else {
		err = nfx_err(-EINVAL, "events: neither a link nor a ring map given");
		goto fail;
	}
	if (rings_fd < 0) {
		err = rings_fd;
		goto fail;
	}
	err = open_rings(evs, rings_fd);
	if (err)
		goto fail;
	*out = evs;
	return 0;
fail:
	nfx_events_close(evs);
	return err;
}

void nfx_events_close(struct nfx_events *evs)
{
	if (!evs)
		return;
	ring_buffer__free(evs->rb);
	nfx_ct_listener_close(evs->ct);
	free(evs->rings);
	free(evs->batch);
	if (evs->lock_fd >= 0)
		close(evs->lock_fd);	/* the lock file stays: unlinking it would race */
	free(evs);
}

int nfx_events_fd(struct nfx_events *evs)
{
	if (evs->ct)
		return nfx_ct_listener_fd(evs->ct);
	return ring_buffer__epoll_fd(evs->rb);
}

/*
 * Wait up to timeout_ms (< 0: until something arrives) and deliver what
 * is there. Returns the number of records delivered, or a negative errno
 * (including a negative value returned by the callback).
 */
int nfx_events_poll(struct nfx_events *evs, int timeout_ms)
{
	__u64 start = nfx_now_ns(), before = evs->delivered;
	int err;

	evs->stop = 0;
	for (;;) {
		int wait = evs->flush_ms;
		__u64 spent_ms = (nfx_now_ns() - start) / 1000000;

		if (timeout_ms >= 0) {
			if (spent_ms >= (__u64)timeout_ms)
				wait = 0;
			else if ((__u64)wait > timeout_ms - spent_ms)
				wait = timeout_ms - spent_ms;
		}
		if (evs->ct) {
			err = nfx_ct_listener_poll(evs->ct, wait);
		} else {
			batch_flush(evs);	/* left over from a stop */
			if (evs->stop)
				return evs->stop;
			err = ring_buffer__poll(evs->rb, wait);
			/* records committed without a wake-up, until all rings are empty */
			while (err == -ENOSPC || err >= 0) {
				batch_flush(evs);
				if (evs->stop)
					break;
				err = ring_buffer__consume(evs->rb);
				if (err == 0)
					break;
			}
		}
		if (evs->stop)
			return evs->stop;
		if (err < 0 && err != -EINTR)
			return nfx_err(err, "events: %s", strerror(-err));
		if (evs->delivered != before || wait == 0)
			break;
	}
	return (int)(evs->delivered - before);
}

int nfx_events_get_stats(struct nfx_events *evs, struct nfx_events_stats *st)
{
	*st = evs->st;
	st->rings = evs->ct ? 0 : evs->nrings;
	st->transport = !evs->ct		      ? NFX_EVT_RINGS :
			nfx_ct_listener_mmap(evs->ct) ? NFX_EVT_NLMMAP :
							NFX_EVT_NETLINK;
	return 0;
}

void nfx_events_note(struct nfx_events *evs, int what, __u64 n)
{
	switch (what) {
	case NFX_EVN_RESYNC:
		evs->st.resyncs += n;
		break;
	case NFX_EVN_DUMP_RETRY:
		evs->st.dump_retries += n;
		break;
	case NFX_EVN_MALFORMED:
		evs->st.malformed += n;
		break;
	}
}

int nfx_link_event_stats(struct nfx_link *link, __u64 *totals, __u64 *per_cpu, int max_cpus)
{
	int ncpus = libbpf_num_possible_cpus();
	int fd = nfx_link_map_fd(link, "nfx_event_stats");
	__u64 *vals;
	__u32 zero = 0;
	int c, i;

	if (fd < 0)
		return fd;
	if (ncpus < 0)
		return nfx_err(ncpus, "cannot count CPUs");
	vals = calloc((size_t)ncpus * NFX_EVS_MAX, sizeof(*vals));
	if (!vals)
		return nfx_err(-ENOMEM, "out of memory");
	if (bpf_map_lookup_elem(fd, &zero, vals)) {
		int err = -errno;

		free(vals);
		return nfx_err(err, "event counters: %s", strerror(-err));
	}
	memset(totals, 0, sizeof(__u64) * NFX_EVS_MAX);
	/* NFX_EVS_WAKE_POS is per-CPU state: its sum means nothing, kept as is */
	for (c = 0; c < ncpus; c++)
		for (i = 0; i < NFX_EVS_MAX; i++) {
			totals[i] += vals[c * NFX_EVS_MAX + i];
			if (per_cpu && c < max_cpus)
				per_cpu[c * NFX_EVS_MAX + i] = vals[c * NFX_EVS_MAX + i];
		}
	free(vals);
	return ncpus;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ndpi-driver: the peer of nfgrep-test in bench/bench_nfgrep.sh. Reads the
 * same pcaps, numbers flows the same way (order of first packet), feeds
 * each flow's packets to nDPI until it reports a protocol, and prints one
 * line per flow in nfgrep-test's format:
 *   <pcap> <flow> <result> packets <n>
 * then "# packets P bytes B ns T", T the time spent inside nDPI.
 *   ndpi-driver [-r REPEAT] PCAP...
 * With REPEAT > 1 the first run is a warm-up and not timed, and the
 * fastest timed run is reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <linux/types.h>
#include <ndpi/ndpi_api.h>

#define MAX_FLOWS 4096

struct dflow {
	__u8 key[40];			/* canonical: lower endpoint first */
	struct ndpi_flow_struct *f;
	__u32 packets, needed;
	bool done;
	char result[64];
};

static struct dflow flows[MAX_FLOWS];
static int nflows;
static struct ndpi_detection_module_struct *ndpi;
static unsigned long long t_ns, t_bytes, t_pkts;
static bool counting = true;	/* off during the warm-up run */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Canonical flow key of an IPv4/IPv6 TCP/UDP packet; -1 if not one. */
static int flow_key(const __u8 *ip, __u32 len, __u8 key[40])
{
	const __u8 *a, *b, *l4;
	__u8 proto;
	int alen;

	memset(key, 0, 40);
	if (len >= 20 && (ip[0] >> 4) == 4) {
		proto = ip[9];
		alen = 4;
		a = ip + 12;
		b = ip + 16;
		l4 = ip + (ip[0] & 15) * 4;
	} else if (len >= 40 && (ip[0] >> 4) == 6) {
		proto = ip[6];
		alen = 16;
		a = ip + 8;
		b = ip + 24;
		l4 = ip + 40;
	} else {
		return -1;
	}
	if ((proto != 6 && proto != 17) || l4 + 4 > ip + len)
		return -1;
	/* endpoint = address + port; order the two */
	{
		__u8 e1[18], e2[18];

		memcpy(e1, a, alen);
		memcpy(e1 + alen, l4, 2);
		memcpy(e2, b, alen);
		memcpy(e2 + alen, l4 + 2, 2);
		if (memcmp(e1, e2, alen + 2) > 0) {
			memcpy(key, e2, alen + 2);
			memcpy(key + 18, e1, alen + 2);
		} else {
			memcpy(key, e1, alen + 2);
			memcpy(key + 18, e2, alen + 2);
		}
		key[36] = proto;
	}
	return 0;
}

static void result_of(ndpi_protocol p, char *buf, size_t len)
{
	if (p.master_protocol == NDPI_PROTOCOL_UNKNOWN && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		snprintf(buf, len, "unknown");
	else
		ndpi_protocol2name(ndpi, p, buf, len);
}

static void run_pcap(const char *path, bool print)
{
	char errbuf[PCAP_ERRBUF_SIZE], pc[4096];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int i;

	p = pcap_open_offline(path, errbuf);
	if (!p) {
		fprintf(stderr, "ndpi-driver: %s\n", errbuf);
		exit(2);
	}
	nflows = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		__u8 key[40];
		struct dflow *f = NULL;
		const __u8 *ip = data + 14;
		__u32 iplen;
		ndpi_protocol r;
		unsigned long long t0;

		if (h->caplen != h->len || h->caplen < 14 + 20)
			continue;
		iplen = h->caplen - 14;
		if (counting) {
			t_bytes += h->caplen;
			t_pkts++;
		}
		if (flow_key(ip, iplen, key))
			continue;
		for (i = 0; i < nflows; i++)
			if (!memcmp(flows[i].key, key, 40)) {
				f = &flows[i];
				break;
			}
		if (!f) {
			if (nflows == MAX_FLOWS)
				continue;
			f = &flows[nflows++];
			memset(f, 0, sizeof(*f));
			memcpy(f->key, key, 40);
			f->f = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
			if (!f->f)
				exit(2);
			memset(f->f, 0, SIZEOF_FLOW_STRUCT);
			snprintf(f->result, sizeof(f->result), "unknown");
		}
		f->packets++;
		if (f->done)
			continue;
		t0 = now_ns();
		r = ndpi_detection_process_packet(ndpi, f->f, ip, iplen,
						  h->ts.tv_sec * 1000ull + h->ts.tv_usec / 1000);
		if (counting)
			t_ns += now_ns() - t0;
		if (r.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
		    r.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
			f->done = true;
			f->needed = f->packets;
			result_of(r, f->result, sizeof(f->result));
		}
	}
	pcap_close(p);
	snprintf(pc, sizeof(pc), "%s", path);
	for (i = 0; i < nflows; i++) {
		struct dflow *f = &flows[i];

		if (!f->done) {
			__u8 guessed = 0;
			ndpi_protocol r = ndpi_detection_giveup(ndpi, f->f, 0, &guessed);

			result_of(r, f->result, sizeof(f->result));
			f->needed = f->packets;
		}
		if (print)
			printf("%-28s %3d %-20s packets %u\n", basename(pc), i + 1, f->result,
			       f->needed);
		ndpi_free_flow(f->f);	/* frees the struct too */
	}
}

int main(int argc, char **argv)
{
	NDPI_PROTOCOL_BITMASK all;
	unsigned long long best_ns = 0, best_bytes = 0, best_pkts = 0;
	int opt, i, r, repeat = 1;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r' || (repeat = atoi(optarg)) < 1) {
			fprintf(stderr, "usage: ndpi-driver [-r REPEAT] PCAP...\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: ndpi-driver [-r REPEAT] PCAP...\n");
		return 2;
	}
	ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!ndpi)
		return 2;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ndpi, &all);
	ndpi_finalize_initialization(ndpi);
	/* With repeats, the first run warms caches and lazy tables, untimed. */
	/* The fastest timed run counts: the others lost time to neighbours. */
	for (r = 0; r < repeat; r++) {
		unsigned long long ns0 = t_ns, b0 = t_bytes, p0 = t_pkts;

		counting = repeat == 1 || r > 0;
		for (i = optind; i < argc; i++)
			run_pcap(argv[i], r == repeat - 1);
		if (counting && (!best_pkts || t_ns - ns0 < best_ns)) {
			best_ns = t_ns - ns0;
			best_bytes = t_bytes - b0;
			best_pkts = t_pkts - p0;
		}
	}
	printf("# packets %llu bytes %llu ns %llu\n", best_pkts, best_bytes, best_ns);
	ndpi_exit_detection_module(ndpi);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfgrep-test: run filters over pcaps with the datapath's own matcher.
 *
 * The nfx XDP program (flow stage + nfgrep stage, exactly as attached) is
 * loaded privately and every packet of every pcap goes through
 * BPF_PROG_TEST_RUN in capture order, so flow and match state carry from
 * packet to packet as on a link. Per flow it prints the result and the
 * number of packets the flow had when it was decided.
 *
 *   nfgrep-test [-e EXPECTED] [-r REPEAT] [-t] [-q] [-v] FILTER... PCAP...
 *
 * EXPECTED lines: "<pcap file name> <flow number> <result>", flows numbered
 * from 1 in order of their first packet, result a name or "unknown".
 * Exit: 0 all as expected, 1 a mismatch, 2 usage or input error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
/* pcap-bpf.h and linux/bpf.h both define struct bpf_insn. */
struct bpf_program;
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nfx/nfgc.h"
#include "nfx/libnfx.h"
#include "nfx/hash.h"
#include "nfx/config.h"
#include "nfx_xdp.skel.h"
#include "../../bpf/lib/parse.h"

#define MAX_FLOWS 4096
#define MAX_EXPECT 4096

struct tflow {
	struct flow_key key;
	__u64 hash;
	__u32 packets;			/* packets seen so far */
	__u32 needed;			/* packets when decided, 0 not yet */
	__u16 app;			/* final app id */
	__u16 best;			/* provisional (parent of `then`), app id */
	__u32 best_at;
	struct nfx_pkt first;
};

struct expect {
	char file[128];
	int flow;
	char result[NFG_NAME_MAX + 16];
	bool used;
};

static struct nfx_xdp_bpf *skel;
static __u64 secret[2] = { 0x6e66677265702d74ull, 0x6573742d6b657921ull };
static struct tflow flows[MAX_FLOWS];
static int nflows;
static struct expect expects[MAX_EXPECT];
static int nexpects;
static struct nfg_prog active;
static char names[NFG_APPS_MAX][NFG_NAME_MAX];
static bool timing, quiet, verbose;
static int repeat = 1;
static bool counting = true;	/* off during the warm-up run */
static __u64 total_ns, total_bytes, total_pkts;

static int usage(void)
{
	fprintf(stderr,
		"usage: nfgrep-test [-e EXPECTED] [-r REPEAT] [-t] [-q] [-v] FILTER... PCAP...\n");
	return 2;
}

static bool is_pcap(const char *path)
{
	__u32 magic = 0;
	FILE *f = fopen(path, "rb");
	bool r = false;

	if (!f)
		return false;
	if (fread(&magic, 4, 1, f) == 1)
		r = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
		    magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a;
	fclose(f);
	return r;
}

static int setup(struct nfg_compiled *c)
{
	struct nfx_config cfg = {};
	struct nfx_link_conf lc = { .ifindex = 1, .flags = NFX_CFG_READY };
	struct nfg_maps m;
	__u32 zero = 0, id;
	int err, i;

	skel = nfx_xdp_bpf__open();
	if (!skel)
		return -errno;
	memcpy((void *)skel->rodata->hash_key, secret, sizeof(secret));
	err = nfx_xdp_bpf__load(skel);
	if (err) {
		fprintf(stderr, "nfgrep-test: loading the XDP program: %s\n", strerror(-err));
		return err;
	}
	memcpy(cfg.hash_key, secret, sizeof(secret));
	for (i = 0; i < FLOW_TCP_STATE_MAX; i++)
		cfg.timeouts.tcp[i] = 86400;	/* pcap time is not the clock */
	cfg.timeouts.udp_unreplied = cfg.timeouts.udp_assured = 86400;
	cfg.timeouts.icmp = cfg.timeouts.other = 86400;
	cfg.flags = NFX_CFG_READY;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_config), &zero, &cfg, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_link), &zero, &lc, 0))
		return -errno;
	err = nfg_matcher_install(bpf_map__fd(skel->maps.nfx_nfg_jmp),
				  bpf_program__fd(skel->progs.nfx_nfgrep));
	if (err) {
		fprintf(stderr, "nfgrep-test: %s\n", nfx_errmsg());
		return err;
	}
	m.prog_fd = bpf_map__fd(skel->maps.nfx_nfg_prog);
	m.active_fd = bpf_map__fd(skel->maps.nfx_nfg_active);
	m.names_fd = bpf_map__fd(skel->maps.nfx_nfg_names);
	err = nfg_install(&m, c);
	if (err) {
		fprintf(stderr, "nfgrep-test: installing filters: %s\n", nfx_errmsg());
		return err;
	}
	memcpy(&active, c->prog, sizeof(active));
	for (id = 1; id < NFG_APPS_MAX; id++) {
		struct nfg_name n;

		if (!bpf_map_lookup_elem(m.names_fd, &id, &n))
			memcpy(names[id], n.name, NFG_NAME_MAX);
	}
	return 0;
}

static const char *app_name(__u16 app)
{
	if (!app || app == NFG_APP_NONE)
		return "unknown";
	return names[app & (NFG_APPS_MAX - 1)][0] ? names[app & (NFG_APPS_MAX - 1)] : "?";
}

/* Empty the flow and match tables: every pcap starts from nothing. */
static void flush_maps(void)
{
	int fds[3] = { bpf_map__fd(skel->maps.nfx_flows), bpf_map__fd(skel->maps.nfx_flows_new),
		       bpf_map__fd(skel->maps.nfx_nfg_state) };
	__u64 key, next;
	int i;

	for (i = 0; i < 3; i++)
		while (!bpf_map_get_next_key(fds[i], NULL, &next)) {
			key = next;
			if (bpf_map_delete_elem(fds[i], &key))
				break;
		}
}

static struct tflow *flow_of(const __u8 *data, __u32 len, struct nfx_pkt *pkt)
{
	struct flow_key k;
	__u64 h;
	int i;

	if (nfx_parse((void *)data, (void *)(data + len), pkt) != NFX_PARSE_L4)
		return NULL;
	if (pkt->l4proto != NFX_IPPROTO_TCP && pkt->l4proto != NFX_IPPROTO_UDP)
		return NULL;
	nfx_flow_key_make(&k, pkt->family, pkt->l4proto, 0, &pkt->saddr, pkt->sport, &pkt->daddr,
			  pkt->dport);
	h = nfx_flow_hash(&k, secret);
	for (i = 0; i < nflows; i++)
		if (flows[i].hash == h && !memcmp(&flows[i].key, &k, sizeof(k)))
			return &flows[i];
	if (nflows == MAX_FLOWS)
		return NULL;
	memset(&flows[nflows], 0, sizeof(flows[0]));
	flows[nflows].key = k;
	flows[nflows].hash = h;
	flows[nflows].first = *pkt;
	return &flows[nflows++];
}

static int flow_app(const struct tflow *f)
{
	struct flow_entry e;

	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows), &f->hash, &e) ||
	    !bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_flows_new), &f->hash, &e))
		return e.app_id;
	return 0;
}

static int run_packet(const __u8 *data, __u32 len)
{
	__u8 buf[4096 + 14];
	struct nfx_pkt pkt;
	struct tflow *f;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = len, .repeat = 1);
	int err;

	if (len > 4096 || len < 14)
		return 0;
	memcpy(buf, data, len);
	f = flow_of(data, len, &pkt);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.nfx_xdp), &opts);
	if (err)
		return -errno;
	if (counting) {
		total_ns += opts.duration;
		total_bytes += len;
		total_pkts++;
	}
	if (!f)
		return 0;
	f->packets++;
	if (!f->needed) {
		int app = flow_app(f);

		if (app) {
			f->app = app;
			f->needed = f->packets;
		} else if (!f->best) {
			struct nfg_state st;

			if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_nfg_state), &f->hash,
						 &st) &&
			    st.best && st.best <= NFG_MAX_PROTO) {
				f->best = active.proto[st.best - 1].app_id;
				f->best_at = f->packets;
			}
		}
	}
	return 0;
}

static const char *expected_for(const char *file, int flow)
{
	int i;

	for (i = 0; i < nexpects; i++)
		if ((!strcmp(expects[i].file, file)) &&
		    (expects[i].flow == flow || expects[i].flow == 0)) {
			expects[i].used = true;
			return expects[i].result;
		}
	return NULL;
}

static int load_expect(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int ln = 0;

	if (!f) {
		fprintf(stderr, "nfgrep-test: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		struct expect *e = &expects[nexpects];
		char flow[16];

		ln++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (nexpects == MAX_EXPECT ||
		    sscanf(line, "%127s %15s %63s", e->file, flow, e->result) != 3) {
			fprintf(stderr, "%s:%d:1: expected \"<pcap> <flow|*> <result>\"\n", path,
				ln);
			fclose(f);
			return -EINVAL;
		}
		e->flow = strcmp(flow, "*") ? atoi(flow) : 0;
		nexpects++;
	}
	fclose(f);
	return 0;
}

static int run_pcap(const char *path, int *mismatches, bool last)
{
	char errbuf[PCAP_ERRBUF_SIZE], a[64], b[64];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int r, i, dlt;
	char pathcopy[4096];
	const char *base;

	snprintf(pathcopy, sizeof(pathcopy), "%s", path);
	base = basename(pathcopy);
	p = pcap_open_offline(path, errbuf);
	if (!p) {
		fprintf(stderr, "nfgrep-test: %s\n", errbuf);
		return -EINVAL;
	}
	dlt = pcap_datalink(p);
	if (dlt != 1) {	/* DLT_EN10MB, in the header left out */
		fprintf(stderr, "nfgrep-test: %s: link type %d, only Ethernet is read\n", path,
			dlt);
		pcap_close(p);
		return -EINVAL;
	}
	flush_maps();
	nflows = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (h->caplen != h->len)
			continue;	/* truncated capture: nothing to match on */
		r = run_packet(data, h->caplen);
		if (r) {
			fprintf(stderr, "nfgrep-test: %s: BPF_PROG_TEST_RUN: %s\n", path,
				strerror(-r));
			pcap_close(p);
			return r;
		}
	}
	pcap_close(p);
	for (i = 0; last && i < nflows; i++) {
		struct tflow *f = &flows[i];
		const struct nfx_pkt *k = &f->first;
		const char *res = f->needed ? app_name(f->app) :
				  f->best   ? app_name(f->best) :
					      "unknown";
		__u32 needed = f->needed ? f->needed : f->best ? f->best_at : f->packets;
		const char *want = expected_for(base, i + 1);
		bool bad = want && strcmp(want, res);

		if (bad)
			(*mismatches)++;
		if (quiet && !bad)
			continue;
		printf("%-28s %3d %-3s %s:%u -> %s:%u %-20s packets %u%s%s%s\n", base, i + 1,
		       k->l4proto == NFX_IPPROTO_TCP ? "tcp" : "udp",
		       nfx_addr_str(k->family, &k->saddr, a, sizeof(a)), ntohs(k->sport),
		       nfx_addr_str(k->family, &k->daddr, b, sizeof(b)), ntohs(k->dport), res,
		       needed, f->needed ? "" : " (undecided)", bad ? "  MISMATCH, expected " : "",
		       bad ? want : "");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *expect = NULL, *filters[256];
	struct nfg_compiled c;
	char err[NFG_ERR_MAX];
	int nfilters = 0, opt, i, ret, mismatches = 0;

	while ((opt = getopt(argc, argv, "e:r:tqvh")) != -1) {
		switch (opt) {
		case 'e':
			expect = optarg;
			break;
		case 't':
			timing = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'r':
			repeat = atoi(optarg);
			if (repeat < 1)
				return usage();
			break;
		default:
			return usage();
		}
	}
	for (i = optind; i < argc && !is_pcap(argv[i]); i++) {
		if (nfilters == 256)
			return usage();
		filters[nfilters++] = argv[i];
	}
	if (!nfilters || i == argc)
		return usage();
	if (expect && load_expect(expect))
		return 2;
	ret = nfg_load_any(filters, nfilters, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (!verbose)
		libbpf_set_print(NULL);
	ret = setup(&c);
	nfg_compiled_free(&c);
	if (ret)
		goto out;
	for (; i < argc; i++) {
		if (!is_pcap(argv[i])) {
			fprintf(stderr, "nfgrep-test: %s: not a pcap file (filters come first)\n",
				argv[i]);
			ret = -EINVAL;
			goto out;
		}
		int r;

		__u64 best_ns = 0, best_bytes = 0, best_pkts = 0, ns0, b0, p0;

		/*
		 * With repeats, the first run is a warm-up and not timed, and the
		 * fastest timed run counts: the others lost time to neighbours.
		 */
		for (r = 0; r < repeat && !ret; r++) {
			counting = repeat == 1 || r > 0;
			ns0 = total_ns;
			b0 = total_bytes;
			p0 = total_pkts;
			ret = run_pcap(argv[i], &mismatches, r == repeat - 1);
			if (counting && (!best_pkts || total_ns - ns0 < best_ns)) {
				best_ns = total_ns - ns0;
				best_bytes = total_bytes - b0;
				best_pkts = total_pkts - p0;
			}
			total_ns = ns0;
			total_bytes = b0;
			total_pkts = p0;
		}
		total_ns += best_ns;
		total_bytes += best_bytes;
		total_pkts += best_pkts;
		if (ret)
			goto out;
	}
	for (i = 0; i < nexpects; i++)
		if (!expects[i].used) {
			/* An expected flow that never showed up is a mismatch too. */
			bool seen = false;
			int k;

			for (k = optind; k < argc; k++) {
				char pc[4096];

				snprintf(pc, sizeof(pc), "%s", argv[k]);
				seen = seen || !strcmp(basename(pc), expects[i].file);
			}
			if (seen) {
				printf("%-28s %3d missing flow, expected %s  MISMATCH\n",
				       expects[i].file, expects[i].flow, expects[i].result);
				mismatches++;
			}
		}
	if (timing)
		printf("# packets %llu bytes %llu ns %llu\n", (unsigned long long)total_pkts,
		       (unsigned long long)total_bytes, (unsigned long long)total_ns);
	if (expect)
		printf("# %d mismatch%s\n", mismatches, mismatches == 1 ? "" : "es");
out:
	nfx_xdp_bpf__destroy(skel);
	if (ret)
		return 2;
	return mismatches ? 1 : 0;
}

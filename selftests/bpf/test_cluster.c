// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cluster stage through BPF_PROG_TEST_RUN. Two (or three) loaded copies of
 * the pipeline play the nodes of one cluster: they are fed the same packets
 * and must agree, packet by packet, that exactly one of them passes it.
 */
#include <arpa/inet.h>
#include <string.h>
#include <bpf/bpf.h>

#include "../lib/tap.h"
#include "../lib/pkt.h"
#include "nfx/libnfx.h"
#include "nfx/cluster.h"
#include "nfx/hash.h"
#include "../lib/xdp_test.h"

#define PASS 2
#define DROP 1
#define NODES 3
#define FLOWS 64

static const __u64 test_key[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

static int set_cluster(struct nfx_xdp_bpf *skel, __u8 self, const __u8 *ids, int n,
		       const __u8 *alive, int nalive, const char *vip4, const char *vip6)
{
	struct nfx_cluster c = {};
	__u32 zero = 0;
	int i;

	memcpy(c.key, test_key, sizeof(c.key));
	c.self = self;
	for (i = 0; i < n; i++)
		c.ids[c.nmembers++] = ids[i];
	for (i = 0; i < nalive; i++)
		c.live[alive[i] >> 6] |= 1ULL << (alive[i] & 63);
	if (vip4) {
		nfx_addr_parse(vip4, &c.vips[c.nvips]);
		c.vip_family[c.nvips++] = NFX_AF_INET;
	}
	if (vip6) {
		nfx_addr_parse(vip6, &c.vips[c.nvips]);
		c.vip_family[c.nvips++] = NFX_AF_INET6;
	}
	c.flags = NFX_CLUSTER_F_ON;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.nfx_cluster), &zero, &c, 0);
}

static uint64_t cl_stat(struct nfx_xdp_bpf *skel, enum nfx_cluster_stat idx)
{
	__u64 vals[512] = {}, sum = 0;
	__u32 i = idx;
	int c, ncpu = libbpf_num_possible_cpus();

	if (ncpu > 512 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfx_cluster_stats), &i, vals))
		return ~0ULL;
	for (c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

static int run(struct nfx_xdp_bpf *skel, struct pkt_spec *s)
{
	uint8_t frame[256];
	size_t n = pkt_build(s, frame, sizeof(frame));

	return n ? xdp_test_run(skel, frame, n) : -1;
}

static void flow_ports(int i, char *client, size_t len, uint16_t *cport)
{
	snprintf(client, len, "192.0.2.%d", 1 + i % 200);
	*cport = 30000 + i;
}

/* The owner user space expects for a packet, computed like the datapath. */
static __u8 expected_owner(const struct nfx_cluster *c, int fam, const char *src, uint16_t sp,
			   const char *dst, uint16_t dp)
{
	union nfx_addr a = {}, b = {};
	struct flow_key k;

	nfx_addr_parse(src, &a);
	nfx_addr_parse(dst, &b);
	nfx_flow_key_make(&k, fam == 4 ? NFX_AF_INET : NFX_AF_INET6, 6, 0, &a, htons(sp), &b,
			  htons(dp));
	return nfx_cluster_hrw(c, nfx_flow_hash(&k, test_key), 0);
}

struct nodes {
	struct nfx_xdp_bpf *skel[NODES];
	int n;
};

static bool nodes_load(struct nodes *nd, int n)
{
	int i;

	nd->n = n;
	for (i = 0; i < n; i++) {
		nd->skel[i] = xdp_test_load(NULL);
		if (!nd->skel[i])
			return false;
	}
	return true;
}

static void nodes_free(struct nodes *nd)
{
	int i;

	for (i = 0; i < nd->n; i++)
		nfx_xdp_bpf__destroy(nd->skel[i]);
}

/* Every node gets the packet; returns the id of the one node that passed it, 0 none, -1 several. */
static int deliver(struct nodes *nd, struct pkt_spec *s)
{
	int i, who = 0;

	for (i = 0; i < nd->n; i++) {
		int r = run(nd->skel[i], s);

		if (r == PASS)
			who = who ? -1 : i + 1;
		else if (r != DROP)
			return -2;
	}
	return who;
}

static void set_all(struct nodes *nd, const __u8 *ids, int n, const __u8 *alive, int na)
{
	int i;

	for (i = 0; i < nd->n; i++)
		set_cluster(nd->skel[i], i + 1, ids, n, alive, na, "192.0.2.254", "2001:db8::fe");
}

TEST(off_passes_everything)
{
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec s = PKT_TCP4("192.0.2.1", 1000, "198.51.100.1", 80, PKT_SYN);
	struct flow_entry e;

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(run(skel, &s), PASS, "no cluster configured: pass");
	ASSERT_EQ(xdp_test_flow(skel, 4, 6, "192.0.2.1", 1000, "198.51.100.1", 80, &e, NULL), 0,
		  "entry");
	ASSERT_EQ(e.owner, 0, "no owner without a cluster");
	nfx_xdp_bpf__destroy(skel);
}

static void split_and_agree(int fam)
{
	static const __u8 ids[] = { 1, 2 };
	struct nodes nd = {};
	struct nfx_cluster c = { .nmembers = 2, .ids = { 1, 2 } };
	int i, per[3] = {};
	const char *srv = fam == 4 ? "198.51.100.1" : "2001:db8:1::1";

	ASSERT_TRUE(nodes_load(&nd, 2), "load two nodes");
	set_all(&nd, ids, 2, ids, 2);
	memcpy(c.key, test_key, sizeof(c.key));
	c.live[0] = (1 << 1) | (1 << 2);
	for (i = 0; i < FLOWS; i++) {
		struct pkt_spec syn = {
			.family = fam, .proto = 6, .dst = srv, .dport = 80, .tcp_flags = PKT_SYN
		};
		struct pkt_spec synack = { .family = fam,
					   .proto = 6,
					   .src = srv,
					   .sport = 80,
					   .tcp_flags = PKT_SYN | PKT_ACK };
		char cli[64];
		uint16_t cp;
		int who, back;
		struct flow_entry e;

		flow_ports(i, cli, sizeof(cli), &cp);
		if (fam == 6)
			snprintf(cli, sizeof(cli), "2001:db8::%x", 1 + i % 200);
		syn.src = cli;
		syn.sport = cp;
		synack.dst = cli;
		synack.dport = cp;
		who = deliver(&nd, &syn);
		back = deliver(&nd, &synack);
		ASSERT_TRUE(who == 1 || who == 2, "exactly one node passes the SYN");
		ASSERT_EQ(back, who, "the reply goes through the same node");
		ASSERT_EQ(who, expected_owner(&c, fam, cli, cp, srv, 80), "HRW owner");
		ASSERT_EQ(xdp_test_flow(nd.skel[0], fam, 6, cli, cp, srv, 80, &e, NULL), 0,
			  "entry on node 1");
		ASSERT_EQ(e.owner, who, "owner stored on node 1");
		ASSERT_EQ(xdp_test_flow(nd.skel[1], fam, 6, cli, cp, srv, 80, &e, NULL), 0,
			  "entry on node 2");
		ASSERT_EQ(e.owner, who, "owner stored on node 2");
		if (who > 0)
			per[who]++;
	}
	/* 64 flows, fixed key: a fair split keeps both well away from 0 and 64. */
	ASSERT_GE(per[1], 16, "node 1 owns a share");
	ASSERT_GE(per[2], 16, "node 2 owns a share");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_DECIDED), FLOWS, "one decision per flow on node 1");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_OWNED), 2 * per[1], "owned packets counted");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_FOREIGN), 2 * per[2], "foreign packets counted");
	nodes_free(&nd);
}

TEST(v4_flows_split_both_directions_agree)
{
	split_and_agree(4);
}
TEST(v6_flows_split_both_directions_agree)
{
	split_and_agree(6);
}

/* Establish FLOWS connections on all nodes; owner[i] gets each flow's owner. */
static void establish(struct nodes *nd, int first, int count, int *owner)
{
	int i;

	for (i = first; i < first + count; i++) {
		struct pkt_spec p = { .family = 4, .proto = 6, .dst = "198.51.100.1", .dport = 80 };
		char cli[32];
		uint16_t cp;

		flow_ports(i, cli, sizeof(cli), &cp);
		p.src = cli;
		p.sport = cp;
		p.tcp_flags = PKT_SYN;
		owner[i] = deliver(nd, &p);
		{
			struct pkt_spec r = { .family = 4,
					      .proto = 6,
					      .src = "198.51.100.1",
					      .sport = 80,
					      .dst = cli,
					      .dport = cp,
					      .tcp_flags = PKT_SYN | PKT_ACK };

			ASSERT_EQ(deliver(nd, &r), owner[i], "SYN-ACK through the same owner");
		}
		p.tcp_flags = PKT_ACK;
		ASSERT_EQ(deliver(nd, &p), owner[i], "ACK to the same owner");
	}
}

static int data_pkt(struct nodes *nd, int i, bool reply)
{
	struct pkt_spec p = { .family = 4, .proto = 6, .tcp_flags = PKT_ACK | PKT_PSH };
	char cli[32];
	uint16_t cp;

	flow_ports(i, cli, sizeof(cli), &cp);
	p.src = reply ? "198.51.100.1" : cli;
	p.dst = reply ? cli : "198.51.100.1";
	p.sport = reply ? 80 : cp;
	p.dport = reply ? cp : 80;
	return deliver(nd, &p);
}

TEST(join_does_not_move_established_flows)
{
	static const __u8 two[] = { 1, 2 }, three[] = { 1, 2, 3 };
	struct nodes nd = {};
	int owner[2 * FLOWS], i, moved = 0, to3 = 0;

	ASSERT_TRUE(nodes_load(&nd, 3), "load three nodes");
	/* Node 3 is a member but down while the first flows open. */
	set_all(&nd, three, 3, two, 2);
	establish(&nd, 0, FLOWS, owner);
	for (i = 0; i < FLOWS; i++)
		ASSERT_TRUE(owner[i] == 1 || owner[i] == 2, "owned by a live node");
	set_all(&nd, three, 3, three, 3);
	for (i = 0; i < FLOWS; i++) {
		moved += data_pkt(&nd, i, false) != owner[i];
		moved += data_pkt(&nd, i, true) != owner[i];
	}
	ASSERT_EQ(moved, 0, "no established flow moved when node 3 joined");
	establish(&nd, FLOWS, FLOWS, owner);
	for (i = FLOWS; i < 2 * FLOWS; i++) {
		ASSERT_TRUE(owner[i] >= 1 && owner[i] <= 3, "exactly one owner");
		to3 += owner[i] == 3;
	}
	ASSERT_GE(to3, 10, "new flows reach the node that joined");
	nodes_free(&nd);
}

TEST(dead_owner_flows_taken_over)
{
	static const __u8 two[] = { 1, 2 }, one[] = { 1 };
	struct nodes nd = {};
	int owner[FLOWS], i, of2 = 0, wrong = 0;
	uint64_t foreign_before;

	ASSERT_TRUE(nodes_load(&nd, 2), "load two nodes");
	set_all(&nd, two, 2, two, 2);
	establish(&nd, 0, FLOWS, owner);
	for (i = 0; i < FLOWS; i++)
		of2 += owner[i] == 2;
	ASSERT_GT(of2, 0, "node 2 owns flows");
	/* Node 2 dies: only node 1 is told (node 2 receives nothing any more). */
	set_cluster(nd.skel[0], 1, two, 2, one, 1, NULL, NULL);
	foreign_before = cl_stat(nd.skel[0], NFX_CL_FOREIGN);
	for (i = 0; i < FLOWS; i++) {
		struct pkt_spec p = { .family = 4,
				      .proto = 6,
				      .dst = "198.51.100.1",
				      .dport = 80,
				      .tcp_flags = PKT_ACK };
		char cli[32];
		uint16_t cp;
		struct flow_entry e;

		flow_ports(i, cli, sizeof(cli), &cp);
		p.src = cli;
		p.sport = cp;
		wrong += run(nd.skel[0], &p) != PASS;
		ASSERT_EQ(xdp_test_flow(nd.skel[0], 4, 6, cli, cp, "198.51.100.1", 80, &e, NULL), 0,
			  "entry");
		ASSERT_EQ(e.owner, 1, "every flow owned by the survivor");
		ASSERT_EQ(e.tcp_state, FLOW_TCP_ESTABLISHED, "state kept through the takeover");
	}
	ASSERT_EQ(wrong, 0, "survivor passes every flow");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_REOWNED), of2, "re-owned = flows of the dead node");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_TAKEN_OVER), of2, "all taken over here");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_FOREIGN), foreign_before,
		  "nothing dropped after the death");
	nodes_free(&nd);
}

static size_t arp_request(uint8_t *f, const char *sender, const char *target, bool reply)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memcpy(f + 6, mac, sizeof(mac));
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, arp_hdr, sizeof(arp_hdr));
	if (reply)
		f[21] = 2;
	memcpy(f + 22, mac, sizeof(mac));
	inet_pton(AF_INET, sender, f + 28);
	inet_pton(AF_INET, target, f + 38);
	return 60;
}

static int arp_deliver(struct nodes *nd, const char *target, bool reply)
{
	uint8_t f[64];
	size_t n = arp_request(f, "192.0.2.1", target, reply);
	int i, who = 0;

	for (i = 0; i < nd->n; i++)
		if (xdp_test_run(nd->skel[i], f, n) == PASS)
			who = who ? -1 : i + 1;
	return who;
}

static int ns_deliver(struct nodes *nd, const char *target, int type)
{
	uint8_t tgt[16];
	struct pkt_spec p = { .family = 6,
			      .proto = 58,
			      .src = "2001:db8::1",
			      .dst = "ff02::1:ff00:fe",
			      .icmp_type = type,
			      .payload = tgt,
			      .payload_len = 16 };

	inet_pton(AF_INET6, target, tgt);
	return deliver(nd, &p);
}

TEST(one_node_answers_arp_and_nd)
{
	static const __u8 two[] = { 1, 2 }, only2[] = { 2 };
	struct nodes nd = {};

	ASSERT_TRUE(nodes_load(&nd, 2), "load two nodes");
	set_all(&nd, two, 2, two, 2);
	ASSERT_EQ(arp_deliver(&nd, "192.0.2.254", false), 1,
		  "ARP for the VIP: lowest live node only");
	ASSERT_EQ(arp_deliver(&nd, "192.0.2.77", false), -1, "ARP for another address: every node");
	ASSERT_EQ(arp_deliver(&nd, "192.0.2.254", true), -1, "ARP replies reach every node");
	ASSERT_EQ(ns_deliver(&nd, "2001:db8::fe", 135), 1, "NS for the VIP: lowest live node only");
	ASSERT_EQ(ns_deliver(&nd, "2001:db8::77", 135), -1, "NS for another address: every node");
	ASSERT_EQ(ns_deliver(&nd, "2001:db8::fe", 136), -1, "NA reaches every node");
	ASSERT_EQ(cl_stat(nd.skel[1], NFX_CL_NEIGH_SILENT), 2, "node 2 stayed silent twice");
	ASSERT_EQ(cl_stat(nd.skel[0], NFX_CL_NEIGH_ANSWER), 2, "node 1 answered twice");
	/* Node 1 dies: node 2 takes the slot. */
	set_cluster(nd.skel[1], 2, two, 2, only2, 1, "192.0.2.254", "2001:db8::fe");
	{
		struct nodes survivor = { .skel = { nd.skel[1] }, .n = 1 };

		ASSERT_EQ(arp_deliver(&survivor, "192.0.2.254", false), 1, "survivor answers ARP");
		ASSERT_EQ(ns_deliver(&survivor, "2001:db8::fe", 135), 1, "survivor answers NS");
	}
	nodes_free(&nd);
}

TEST(untracked_packets_forwarded_once)
{
	static const __u8 two[] = { 1, 2 };
	struct nodes nd = {};
	struct pkt_spec frag = { .family = 6,
				 .proto = 17,
				 .src = "2001:db8::1",
				 .dst = "2001:db8:1::1",
				 .sport = 1,
				 .dport = 2,
				 .frag_later = true };
	struct pkt_spec err = { .family = 4,
				.proto = 1,
				.src = "192.0.2.1",
				.dst = "198.51.100.1",
				.icmp_type = 3,
				.icmp_code = 1 };

	ASSERT_TRUE(nodes_load(&nd, 2), "load two nodes");
	set_all(&nd, two, 2, two, 2);
	ASSERT_EQ(deliver(&nd, &frag), 1, "later fragment: the slot node only");
	ASSERT_EQ(deliver(&nd, &err), 1, "ICMP error: the slot node only");
	nodes_free(&nd);
}

TEST(midstream_kernel_mode_leaves_unknown_flows_to_peers)
{
	static const __u8 two[] = { 1, 2 }, one[] = { 1 };
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct nfx_cluster c;
	struct flow_entry e;
	__u32 zero = 0;
	int i, mine = 0, fd;

	ASSERT_TRUE(skel, "load");
	fd = bpf_map__fd(skel->maps.nfx_cluster);
	ASSERT_EQ(set_cluster(skel, 1, two, 2, two, 2, NULL, NULL), 0, "configure");
	ASSERT_EQ(bpf_map_lookup_elem(fd, &zero, &c), 0, "read back");
	c.flags |= NFX_CLUSTER_F_MIDSTREAM_KERNEL;
	ASSERT_EQ(bpf_map_update_elem(fd, &zero, &c, 0), 0, "mid-stream mode");
	/* No kernel conntrack entry here: every mid-stream flow is the peer's. */
	for (i = 0; i < 32; i++) {
		struct pkt_spec p = PKT_TCP4("192.0.2.1", 2000 + i, "198.51.100.1", 80, PKT_ACK);

		ASSERT_EQ(run(skel, &p), DROP, "mid-stream without kernel state: dropped");
		ASSERT_EQ(xdp_test_flow(skel, 4, 6, "192.0.2.1", 2000 + i, "198.51.100.1", 80, &e,
					NULL),
			  0, "entry");
		ASSERT_EQ(e.owner, 2, "owned by the other node");
	}
	/* SYNs are still split by the hash. */
	for (i = 0; i < 32; i++) {
		struct pkt_spec p = PKT_TCP4("192.0.2.1", 3000 + i, "198.51.100.1", 80, PKT_SYN);

		mine += run(skel, &p) == PASS;
	}
	ASSERT_GT(mine, 0, "new flows still reach this node");
	ASSERT_LT(mine, 32, "and the other");
	/* Alone, a node takes mid-stream flows itself. */
	ASSERT_EQ(set_cluster(skel, 1, two, 2, one, 1, NULL, NULL), 0, "node 2 gone");
	ASSERT_EQ(bpf_map_lookup_elem(fd, &zero, &c), 0, "read back");
	c.flags |= NFX_CLUSTER_F_MIDSTREAM_KERNEL;
	ASSERT_EQ(bpf_map_update_elem(fd, &zero, &c, 0), 0, "mid-stream mode");
	{
		struct pkt_spec p = PKT_TCP4("192.0.2.9", 4000, "198.51.100.1", 80, PKT_ACK);

		ASSERT_EQ(run(skel, &p), PASS, "only live node takes a mid-stream flow");
	}
	nfx_xdp_bpf__destroy(skel);
}

TEST(no_live_member_fails_open)
{
	static const __u8 two[] = { 1, 2 };
	struct nfx_xdp_bpf *skel = xdp_test_load(NULL);
	struct pkt_spec s = PKT_TCP4("192.0.2.1", 1000, "198.51.100.1", 80, PKT_SYN);

	ASSERT_TRUE(skel, "load");
	ASSERT_EQ(set_cluster(skel, 1, two, 2, NULL, 0, NULL, NULL), 0, "configure");
	ASSERT_EQ(run(skel, &s), PASS, "nobody alive: pass rather than black-hole");
	ASSERT_EQ(cl_stat(skel, NFX_CL_NO_OWNER), 1, "counted");
	nfx_xdp_bpf__destroy(skel);
}

int main(void)
{
	return tap_run();
}

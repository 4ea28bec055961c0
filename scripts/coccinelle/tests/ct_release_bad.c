// Planted: early returns that keep the conntrack reference.
// Each line a report must point at ends in "expected report".
int adopt(struct xdp_md *ctx, struct bpf_sock_tuple *tup, struct bpf_ct_opts *opts)
{
	struct nf_conn *ct;

	ct = bpf_xdp_ct_lookup(ctx, tup, sizeof(tup->ipv4), opts, sizeof(*opts));
	if (!ct)
		return 0;
	if (ct->mark == 7)
		return 1; /* expected report */
	bpf_ct_release(ct);
	return 0;
}

int adopt_skb(struct __sk_buff *skb, struct bpf_sock_tuple *tup, struct bpf_ct_opts *opts)
{
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, tup, sizeof(tup->ipv6), opts, sizeof(*opts));

	if (ct == NULL)
		return 0;
	switch (ct->proto.tcp.state) {
	case 3:
		bpf_ct_release(ct);
		break;
	default:
		break;
	}
	return 1; /* expected report */
}

int create(struct xdp_md *ctx, struct bpf_sock_tuple *tup, struct bpf_ct_opts *opts)
{
	struct nf_conn___init *nct;

	nct = bpf_xdp_ct_alloc(ctx, tup, sizeof(tup->ipv4), opts, sizeof(*opts));
	if (!nct)
		return 0;
	if (tup->ipv4.sport == 0)
		return -1; /* expected report */
	bpf_ct_insert_entry(nct);
	return 0;
}

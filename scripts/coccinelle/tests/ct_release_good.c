// Released on every path that holds it; the allocation is consumed by insert.
int adopt(struct xdp_md *ctx, struct bpf_sock_tuple *tup, struct bpf_ct_opts *opts)
{
	struct nf_conn *ct;
	int mark;

	ct = bpf_xdp_ct_lookup(ctx, tup, sizeof(tup->ipv4), opts, sizeof(*opts));
	if (!ct)
		return 0;
	mark = ct->mark;
	if (mark == 7) {
		bpf_ct_release(ct);
		return 1;
	}
	bpf_ct_release(ct);
	return 0;
}

struct nf_conn *create(struct xdp_md *ctx, struct bpf_sock_tuple *tup, struct bpf_ct_opts *opts)
{
	struct nf_conn___init *nct;
	struct nf_conn *ct;

	nct = bpf_xdp_ct_alloc(ctx, tup, sizeof(tup->ipv4), opts, sizeof(*opts));
	if (!nct)
		return 0;
	ct = bpf_ct_insert_entry(nct);
	return ct;
}

// Every lookup tested before use, in the forms the datapath uses.
int count(struct nfx_pkt *pkt)
{
	struct nfx_counter *c;
	__u32 idx = 0;

	c = bpf_map_lookup_elem(&nfx_stats, &idx);
	if (c) {
		c->packets++;
		c->bytes += pkt->len;
	}
	return 0;
}

int timeout(void)
{
	__u32 zero = 0;
	struct nfx_config *cfg = bpf_map_lookup_elem(&nfx_config, &zero);

	if (!cfg || !(cfg->flags & 1))
		return 0;
	return cfg->timeouts.icmp;
}

int lookup_tier(struct flow_ctx *fc)
{
	struct flow_entry *e;

	e = bpf_map_lookup_elem(&nfx_flows_new, &fc->hash);
	if (e && e->key.proto != fc->key.proto)
		return -1;
	if (e == NULL)
		return 0;
	return e->flags;
}

int route(int rc)
{
	__u32 zero = 0;
	struct nfx_nat_conf *conf;

	conf = bpf_map_lookup_elem(&nfx_nat_conf, &zero);
	if (rc != 0 || !conf || conf->fwd != 1)
		return 2;
	return 3;
}

// Planted: lookups used before the NULL test.
// Each line a report must point at ends in "expected report".
int count(struct nfx_pkt *pkt)
{
	struct nfx_counter *c;
	__u32 idx = 0;

	c = bpf_map_lookup_elem(&nfx_stats, &idx);
	c->packets++; /* expected report */
	return 0;
}

int timeout(void)
{
	__u32 zero = 0;
	struct nfx_config *cfg = bpf_map_lookup_elem(&nfx_config, &zero);
	__u32 t = cfg->timeouts.icmp; /* expected report */

	if (!cfg)
		return 0;
	return t;
}

int first_word(__u32 key)
{
	__u64 *w = bpf_map_lookup_elem(&nfx_words, &key);

	if (key > 3)
		return *w; /* expected report */
	if (w == NULL)
		return 0;
	return w[1];
}

int chained(__u32 key)
{
	struct nfx_counter *c = bpf_map_lookup_elem(&nfx_stats, &key);

	if (key > 3 || c->packets > 10) /* expected report */
		return 1;
	return 0;
}

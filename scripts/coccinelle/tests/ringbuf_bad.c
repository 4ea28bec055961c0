// Planted: the filter check returns with the record still reserved, and
// the dynptr is dropped when its reservation fails.
// Each line a report must point at ends in "expected report".
int emit(struct nfx_pkt *pkt)
{
	struct nfx_event *ev;

	ev = bpf_ringbuf_reserve(&nfx_events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->len = pkt->len;
	if (pkt->len < 64)
		return 0; /* expected report */
	bpf_ringbuf_submit(ev, 0);
	return 1;
}

int emit_decl(struct nfx_pkt *pkt)
{
	struct nfx_event *ev = bpf_ringbuf_reserve(&nfx_events, sizeof(*ev), 0);

	if (ev == NULL)
		return 0;
	if (pkt->len < 64)
		goto out;
	bpf_ringbuf_submit(ev, 0);
out:
	return 1; /* expected report */
}

int emit_dyn(struct nfx_pkt *pkt)
{
	struct bpf_dynptr dp;

	if (bpf_ringbuf_reserve_dynptr(&nfx_events, 64, 0, &dp))
		return 0; /* expected report */
	bpf_ringbuf_submit_dynptr(&dp, 0);
	return 1;
}

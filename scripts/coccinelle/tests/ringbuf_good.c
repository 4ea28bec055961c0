// Submitted or discarded on every path.
int emit(struct nfx_pkt *pkt)
{
	struct nfx_event *ev;

	ev = bpf_ringbuf_reserve(&nfx_events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->len = pkt->len;
	if (pkt->len < 64) {
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	bpf_ringbuf_submit(ev, 0);
	return 1;
}

int emit_dyn(struct nfx_pkt *pkt)
{
	struct bpf_dynptr dp;

	if (bpf_ringbuf_reserve_dynptr(&nfx_events, 64, 0, &dp)) {
		bpf_ringbuf_discard_dynptr(&dp, 0);
		return 0;
	}
	bpf_ringbuf_submit_dynptr(&dp, 0);
	return 1;
}

// Planted: error paths after open that forget the skeleton / object.
// Each line a report must point at ends in "expected report".
int load(int ifindex)
{
	struct nfx_xdp_bpf *skel;
	int err;

	skel = nfx_xdp_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->features = 1;
	err = nfx_xdp_bpf__load(skel);
	if (err)
		return err; /* expected report */
	err = attach(skel, ifindex);
	nfx_xdp_bpf__destroy(skel);
	return err;
}

int load_file(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err;

	if (libbpf_get_error(obj))
		return -EINVAL;
	err = bpf_object__load(obj);
	if (err)
		goto out;
	bpf_object__close(obj);
out:
	return err; /* expected report */
}

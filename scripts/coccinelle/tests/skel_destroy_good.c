// Destroyed on every path, or handed on to the caller.
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
		goto out;
	err = attach(skel, ifindex);
out:
	nfx_xdp_bpf__destroy(skel);
	return err;
}

int load_keep(struct nfx_link *link)
{
	struct nfx_xdp_bpf *skel = nfx_xdp_bpf__open_and_load();

	if (!skel)
		return -errno;
	link->skel = skel;
	return 0;
}

struct bpf_object *open_checked(const char *path)
{
	struct bpf_object *obj;

	obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(obj))
		return NULL;
	if (bpf_object__load(obj)) {
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

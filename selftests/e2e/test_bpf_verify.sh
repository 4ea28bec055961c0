#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Verification matrix, one kernel per run: every program of every
# build/*.bpf.o must pass this kernel's verifier, with the run-time feature
# flags off (what an old kernel gets) and all on (so the code behind them
# is verified, not dropped as dead). Runs on the host and, through
# scripts/vm/run.sh, on Debian's 6.1 and 6.12. A program that the verifier
# must refuse proves the tool reports a rejection.
. "$(dirname "$0")/../lib/lib.sh"

verify=$NFX_BUILD/tools/nfx-verify
[ "$(id -u)" -eq 0 ] || nfx_skip "needs root (BPF_PROG_LOAD)"
[ -x "$verify" ] || nfx_skip "$verify not built"
objs=$(ls "$NFX_BUILD"/*.bpf.o 2>/dev/null)
[ -n "$objs" ] || nfx_skip "no BPF objects in $NFX_BUILD"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t_plan 4
echo "# kernel $(uname -r)"
# shellcheck disable=SC2086
"$verify" $objs >"$tmp/plain" 2>"$tmp/plain.err"
rc=$?
sed 's/^/# /' "$tmp/plain" "$tmp/plain.err"
t_eq "every program accepted, features off" "$rc" 0

# shellcheck disable=SC2086
"$verify" -j -D features=0xffffffff $objs >"$tmp/all" 2>"$tmp/all.err"
rc=$?
sed 's/^/# /' "$tmp/all" "$tmp/all.err"
t_eq "every program accepted, features on" "$rc" 0
n=$(jq -s 'map(select(.loaded and .xlated_insns > 0 and .jited_bytes > 0)) | length' "$tmp/all")
t_eq "instruction counts for every program" "$n" "$(wc -l <"$tmp/all")"

# Negative control: an unchecked map lookup must be rejected and reported.
# (A hash map: newer kernels know that an array lookup with a constant
# in-range key cannot fail.)
cat >"$tmp/bad.bpf.c" <<'SRC'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nfx_ctl_map SEC(".maps");
SEC("xdp")
int nfx_ctl(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&nfx_ctl_map, &k);
	return *v ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
SRC
cc=$(command -v clang-19 || command -v clang)
if [ -z "$cc" ] || ! "$cc" -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
	-c "$tmp/bad.bpf.c" -o "$tmp/bad.bpf.o" 2>"$tmp/cc.err"; then
	t_skip "unchecked map lookup rejected" "cannot build the control program"
else
	"$verify" "$tmp/bad.bpf.o" >"$tmp/bad.out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -q REJECTED "$tmp/bad.out" && grep -q "invalid mem access" "$tmp/bad.out"; then
		t_ok "unchecked map lookup rejected and reported"
	else
		t_not_ok "unchecked map lookup rejected and reported (exit $rc)"
		sed 's/^/#   /' "$tmp/bad.out" | tail -20
	fi
fi
t_done

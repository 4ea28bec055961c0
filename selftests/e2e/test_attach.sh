#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach / detach / status: pins, BTF-named maps, errors, and a clean detach.
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
command -v bpftool >/dev/null || nfx_skip "bpftool missing"
nfx_topology || { echo "# topology failed"; exit 1; }

t_plan 21
t_check "attach $IF_RA" nfx_loader attach "$IF_RA"
t_check "pin directory exists" test -d "$NFX_PIN_ROOT/$IF_RA"
t_check "program pinned" test -e "$NFX_PIN_ROOT/$IF_RA/nfx_xdp"
t_check "flow table pinned" test -e "$NFX_PIN_ROOT/$IF_RA/nfx_flows"
t_check "XDP program on the link" sh -c "ip -n $NS_R -d link show $IF_RA | grep -q 'prog/xdp'"

# bpftool prints BTF field names of a pinned map
in_c ping -c2 -i0.2 -W1 $S4 >/dev/null 2>&1
t_check "bpftool dumps named fields" sh -c \
	"bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_config | grep -q '\"hash_key\"'"
t_check "bpftool dumps flow entries with names" sh -c \
	"bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_flows_new | grep -q '\"lo_addr\"' || bpftool map dump pinned $NFX_PIN_ROOT/$IF_RA/nfx_flows | grep -q '\"lo_addr\"'"

out=$(nfx_loader attach "$IF_RA" 2>&1); rc=$?
t_eq "second attach fails with exit 1" "$rc" 1
t_check "second attach says already attached" sh -c "echo '$out' | grep -q 'already attached'"
t_check "attach --replace works" nfx_loader attach --replace "$IF_RA"

out=$(nfx_loader attach nosuchif0 2>&1); rc=$?
t_check "unknown interface: one clear line, exit 1" sh -c \
	"[ $rc -eq 1 ] && [ \$(echo '$out' | wc -l) -eq 1 ] && echo '$out' | grep -q 'no such interface'"
# A failed attach leaves nothing: lo has no native XDP.
out=$(nfx_loader attach lo --mode native 2>&1); rc=$?
t_check "native mode on lo fails with a hint" sh -c "[ $rc -eq 1 ] && echo '$out' | grep -q 'native'"
t_check "failed attach left no pins" sh -c "! test -e $NFX_PIN_ROOT/lo"
t_check "failed attach left no program on lo" sh -c "! ip -n $NS_R -d link show lo | grep -q 'prog/xdp'"
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$NFX_LOADER" attach lo 2>&1); rc=$?
	t_check "unprivileged attach: one line, exit 1" sh -c \
		"[ $rc -eq 1 ] && echo '$out' | grep -q 'permission denied'"
else
	t_skip "unprivileged attach" "setpriv missing"
fi
nfx_loader attach "$IF_RA" --mode bogus >/dev/null 2>&1; rc=$?
t_eq "bad --mode is a usage error (exit 2)" "$rc" 2

nfx_loader -j status "$IF_RA" >/tmp/nfx-t$nfx_id.json
t_check "status -j parses and shows attached" sh -c \
	"jq -e '.[0].attached == true and .[0].ifname == \"$IF_RA\"' /tmp/nfx-t$nfx_id.json"

t_check "detach" nfx_loader detach "$IF_RA"
t_check "no pins left" sh -c "! test -e $NFX_PIN_ROOT/$IF_RA && ! test -e $NFX_PIN_ROOT"
t_check "no XDP program left on the link" sh -c "! ip -n $NS_R -d link show $IF_RA | grep -q 'prog/xdp'"
nfx_loader detach "$IF_RA" >/dev/null 2>&1; rc=$?
t_eq "detach when not attached fails (exit 1)" "$rc" 1
t_done

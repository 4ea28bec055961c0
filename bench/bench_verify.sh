#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Verifier cost of every BPF program (build/tools/nfx-verify, features on so
# that nothing is dropped as dead code): instructions in the object, after
# the verifier's rewrites, JITed bytes, and instructions the verifier walked.
# The peer figure is the kernel's limit on walked instructions
# (BPF_COMPLEXITY_LIMIT_INSNS, 1M): the ratio is the headroom left.
set -u
cd "$(dirname "$0")/.."
B=${NFX_BUILD:-build}
OUT=${NFX_BENCH_OUT:-/dev/null}
[ "$(id -u)" -eq 0 ] || { echo "bench_verify: needs root (BPF_PROG_LOAD)"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$B/tools/nfx-verify" -j -D features=0xffffffff "$B"/*.bpf.o >"$tmp"
rc=$?
printf '%-18s %-22s %8s %8s %8s %9s %9s\n' object program insns xlated jited verified headroom
jq -r 'select(.loaded) | [.object, .program, .insns, .xlated_insns, .jited_bytes, .verified_insns,
	(1000000 / (if .verified_insns > 0 then .verified_insns else 1 end) * 10 | round / 10)] | @tsv' "$tmp" |
	awk -F'\t' '{ printf "%-18s %-22s %8s %8s %8s %9s %8sx\n", $1, $2, $3, $4, $5, $6, $7 }'
jq -c 'select(.loaded) | {bench: "verify", metric: ("verified_insns " + .object + "/" + .program),
	unit: "insns", nfx: .verified_insns, peer: "verifier limit (1M insns)", peer_value: 1000000,
	ratio: (1000000 / (if .verified_insns > 0 then .verified_insns else 1 end)),
	note: ("xlated " + (.xlated_insns | tostring) + " insns, jited " + (.jited_bytes | tostring) +
	" B, kernel " + .kernel)}' "$tmp" >>"$OUT"
exit $rc

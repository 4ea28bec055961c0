#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Selective flush of UNREPLIED flows out of N (default 1,000,000, half
# matching): nfx's in-kernel flush against `conntrack -D` on a kernel
# conntrack table of the same shape filled over ctnetlink, in the same run;
# and the collector's CPU cost per second over N live flows.
#
# Environment: N (flows), NFX_BENCH_OUT (JSON Lines), CT_SECS (time limit
# for filling the kernel table, default 150 s).
set -u
cd "$(dirname "$0")/.."
N=${N:-1000000}
CT_SECS=${CT_SECS:-150}
OUT=${NFX_BENCH_OUT:-/dev/null}
TOOL=build/tools/bench_flush
[ -x "$TOOL" ] || { echo "bench_flush: $TOOL not built (make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench_flush: needs root" >&2; exit 1; }

val() { sed -n "s/^$1=//p" "$2"; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
tmp=$(mktemp -d)
NS=nfxbench$$
old_max=$(sysctl -n net.netfilter.nf_conntrack_max 2>/dev/null || echo)
cleanup() {
	ip netns del "$NS" 2>/dev/null
	# nf_conntrack_max can only be set from the initial namespace; put it back
	[ -n "$old_max" ] && sysctl -qw net.netfilter.nf_conntrack_max="$old_max"
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- nfx ----
"$TOOL" nfx "$N" >"$tmp/nfx" || { echo "bench_flush: nfx run failed" >&2; exit 1; }
nfx_ns=$(val nfx_flush_ns "$tmp/nfx")
nfx_removed=$(val nfx_removed "$tmp/nfx")
nfx_load=$(val nfx_load_ns "$tmp/nfx")
user_ns=$(val user_flush_ns "$tmp/nfx")
user_calls=$(val user_syscalls "$tmp/nfx")
gc_cycle=$(val gc_cycle_ns "$tmp/nfx")
gc_slices=$(val gc_cycle_slices "$tmp/nfx")
gc_rescan=$(val gc_rescan_cycle_ns "$tmp/nfx")
gc_rescan_slices=$(val gc_rescan_slices "$tmp/nfx")
gc_int=$(val gc_interval_ms "$tmp/nfx")
gc_max=$(val gc_interval_max_ms "$tmp/nfx")

# ---- kernel conntrack, in a namespace of its own ----
ct_note=""
ct_ms=""
nfx_ns_eq=$nfx_ns
if command -v conntrack >/dev/null && ip netns add "$NS" 2>/dev/null; then
	[ -n "$old_max" ] && [ "$old_max" -lt $((N + 1000)) ] &&
		sysctl -qw net.netfilter.nf_conntrack_max=$((N + 1000))
	ip netns exec "$NS" "$TOOL" ct "$N" "$CT_SECS" >"$tmp/ct"
	ct_n=$(ip netns exec "$NS" conntrack -C 2>/dev/null || echo 0)
	ct_unrep_before=$(ip netns exec "$NS" conntrack -L -p tcp --state SYN_SENT 2>/dev/null | wc -l)
	t0=$(date +%s%N)
	ip netns exec "$NS" conntrack -D -p tcp --state SYN_SENT >/dev/null 2>&1
	t1=$(date +%s%N)
	ct_left=$(ip netns exec "$NS" conntrack -C 2>/dev/null || echo 0)
	ct_ms=$(( (t1 - t0) / 1000000 ))
	ct_removed=$((ct_n - ct_left))
	if [ "$ct_n" -lt "$N" ]; then
		ct_note="kernel table reached $ct_n of $N entries within ${CT_SECS}s of ctnetlink fill"
		# compare at the size the kernel table reached
		"$TOOL" nfx "$ct_n" >"$tmp/nfx_eq" && nfx_ns_eq=$(val nfx_flush_ns "$tmp/nfx_eq")
	else
		nfx_ns_eq=$nfx_ns
	fi
else
	ct_note="conntrack tool or netns unavailable: peer not measured"
fi

printf '%-44s %14s %14s %8s\n' "figure" "nfx" "conntrack -D" "ratio"
ratio_txt=n/a
[ -n "$ct_ms" ] && ratio_txt=$(awk "BEGIN { printf \"%.1fx\", $ct_ms * 1000000 / $nfx_ns_eq }")
printf '%-44s %11.1f ms %11s ms %8s\n' "flush UNREPLIED of $N (removed $nfx_removed)" \
	"$(calc "$nfx_ns / 1000000")" "${ct_ms:-n/a}" \
	"$ratio_txt"
[ -n "$ct_ms" ] && printf '%-44s %s\n' "  kernel: $ct_n entries, removed $ct_removed" "(unreplied before: $ct_unrep_before)"
printf '%-44s %11.1f ms\n' "  flush program load (once per call)" "$(calc "$nfx_load / 1000000")"
printf '%-44s %11.1f ms   (user-space walk + delete per entry: %.1f ms, %s syscalls, %.1fx)\n' \
	"  same table from user space" "$(calc "$nfx_ns / 1000000")" "$(calc "$user_ns / 1000000")" \
	"$user_calls" "$(calc "$user_ns / $nfx_ns")"
gc_ms_per_s=$(calc "$gc_cycle / ($gc_slices * $gc_int * 1000)")
gc_idle_ms_per_s=$(calc "$gc_cycle / ($gc_slices * $gc_max * 1000)")
printf '%-44s %11.1f ms   (rescan, a walk of the maps in slices: %.1f ms in %s slices, %.1fx)\n' \
	"gc: one cycle from the queues, $N live flows" "$(calc "$gc_cycle / 1000000")" \
	"$(calc "$gc_rescan / 1000000")" "$gc_rescan_slices" "$(calc "$gc_rescan / $gc_cycle")"
printf '%-44s %11.2f ms/s (%d slices, one every %d ms)\n' "gc: CPU per second, base cadence" \
	"$gc_ms_per_s" "$gc_slices" "$gc_int"
printf '%-44s %11.2f ms/s (backed off: one every %d ms)\n' "gc: CPU per second, nothing expiring" \
	"$gc_idle_ms_per_s" "$gc_max"
[ -n "$ct_note" ] && echo "note: $ct_note"

{
	if [ -n "$ct_ms" ]; then
		printf '{"bench":"flush","metric":"flush_unreplied_%s","unit":"ms","nfx":%.3f,"peer":"conntrack -D -p tcp --state SYN_SENT","peer_value":%s,"ratio":%.2f,"note":"%s"}\n' \
			"$ct_n" "$(calc "$nfx_ns_eq / 1000000")" "$ct_ms" \
			"$(calc "$ct_ms * 1000000 / $nfx_ns_eq")" \
			"nfx: one BPF_PROG_TEST_RUN of a SYSCALL program (load $((nfx_load / 1000000)) ms not included); kernel table filled over ctnetlink in a dedicated netns${ct_note:+; $ct_note}"
	fi
	printf '{"bench":"flush","metric":"flush_unreplied_%s_nfx_vs_userspace","unit":"ms","nfx":%.3f,"peer":"user-space batch walk + one delete per entry","peer_value":%.3f,"ratio":%.2f,"note":"removed %s; user space made %s syscalls, nfx one"}\n' \
		"$N" "$(calc "$nfx_ns / 1000000")" "$(calc "$user_ns / 1000000")" "$(calc "$user_ns / $nfx_ns")" "$nfx_removed" "$user_calls"
	printf '{"bench":"flush","metric":"gc_cycle_%s","unit":"ms","nfx":%.3f,"peer":"rescan: the same cycle as a sliced walk of the maps","peer_value":%.3f,"ratio":%.2f,"note":"queue cycle %s slices, rescan %s slices"}\n' \
		"$N" "$(calc "$gc_cycle / 1000000")" "$(calc "$gc_rescan / 1000000")" \
		"$(calc "$gc_rescan / $gc_cycle")" "$gc_slices" "$gc_rescan_slices"
	printf '{"bench":"flush","metric":"gc_cpu_per_second_%s","unit":"ms/s","nfx":%.3f,"peer":null,"peer_value":null,"ratio":null,"note":"base cadence (expiring or under pressure): full cycle %.1f ms in %s slices, one slice every %s ms; backed off to %s ms when nothing expires: %.2f ms/s"}\n' \
		"$N" "$gc_ms_per_s" "$(calc "$gc_cycle / 1000000")" "$gc_slices" "$gc_int" "$gc_max" "$gc_idle_ms_per_s"
} >>"$OUT"

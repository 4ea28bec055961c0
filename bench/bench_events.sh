#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Events per second delivered to user space, 1 and 2 producers (threads
# pinned to different CPUs), for:
#   percpu          nfx's design: one BPF ring per CPU, sampled wake-ups
#   shared          one BPF ring buffer for all CPUs (default wake-ups)
#   shared-sampled  one ring with nfx's wake-up sampling (the lock alone)
#   percpu-libnfx   nfx's rings read through libnfx's callback API
#   ctnetlink       kernel conntrack events read with recvmsg (libnfx
#                   --kernel reader), producers creating and deleting
#                   conntrack entries in a private namespace
# Each figure is the median of REPS runs of SECS seconds.
#
# Environment: SECS (default 1), REPS (default 3), NFX_BENCH_OUT (JSON Lines).
set -u
cd "$(dirname "$0")/.."
SECS=${SECS:-1}
REPS=${REPS:-3}
OUT=${NFX_BENCH_OUT:-/dev/null}
TOOL=build/tools/bench_events
[ -x "$TOOL" ] || { echo "bench_events: $TOOL not built (make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench_events: needs root" >&2; exit 1; }
ncpus=$(nproc)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

val() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" "$2"; }

# run MODE PRODUCERS -> median line of REPS runs (by delivered rate)
run() {
	local i f="$tmp/$1.$2"
	: >"$f"
	for i in $(seq "$REPS"); do
		"$TOOL" "$1" "$2" "$SECS" >>"$f" 2>"$tmp/err" ||
			{ echo "bench_events: $1 $2 failed: $(cat "$tmp/err")" >&2; return 1; }
	done
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "rate") r = kv[2] }
	       print r, $0 }' "$f" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p" |
		cut -d' ' -f2- >"$f.med"
}

modes="percpu shared shared-sampled percpu-libnfx ctnetlink"
# kmod nfx_nlmmap: only where it is loaded (the VM); it reads the initial
# namespace, where the producers then create their entries.
[ -e /dev/nfx_nlmmap ] && modes="$modes nlmmap"
for m in $modes; do
	for p in 1 2; do
		run "$m" "$p" || exit 1
	done
done

rate() { val rate "$tmp/$1.$2.med"; }
lostpct() {
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	     END { t = v["delivered"] + v["lost"]; printf "%.1f", t ? 100 * v["lost"] / t : 0 }' \
		"$tmp/$1.$2.med"
}

printf 'events delivered to user space (%d CPUs, median of %d x %ss)\n' "$ncpus" "$REPS" "$SECS"
printf '%-16s %16s %8s %16s %8s\n' "design" "1 producer/s" "lost %" "2 producers/s" "lost %"
for m in $modes; do
	printf '%-16s %16s %8s %16s %8s\n' "$m" "$(rate "$m" 1)" "$(lostpct "$m" 1)" \
		"$(rate "$m" 2)" "$(lostpct "$m" 2)"
done
echo
printf '%-44s %8s %8s\n' "ratio (nfx percpu / peer, >1: nfx better)" "1 prod" "2 prod"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for peer in shared shared-sampled ctnetlink; do
	printf '%-44s %8s %8s\n' "percpu vs $peer" \
		"$(ratio "$(rate percpu 1)" "$(rate $peer 1)")" "$(ratio "$(rate percpu 2)" "$(rate $peer 2)")"
done
case $modes in *nlmmap*)
	printf '%-44s %8s %8s\n' "nlmmap vs ctnetlink recvmsg" \
		"$(ratio "$(rate nlmmap 1)" "$(rate ctnetlink 1)")" "$(ratio "$(rate nlmmap 2)" "$(rate ctnetlink 2)")"
esac
printf '%-44s %8s %8s\n' "2 producers / 1 producer, percpu" "" "$(ratio "$(rate percpu 2)" "$(rate percpu 1)")"
printf '%-44s %8s %8s\n' "2 producers / 1 producer, shared" "" "$(ratio "$(rate shared 2)" "$(rate shared 1)")"
[ "$ncpus" -le 2 ] && echo "note: $ncpus CPUs: producers and the reader share them, so 2 producers also take CPU from the reader"

for p in 1 2; do
	case $modes in *nlmmap*)
		printf '{"bench":"events","metric":"kernel_ct_delivered_per_s_%dp","unit":"events/s","nfx":%s,"peer":"ctnetlink recvmsg","peer_value":%s,"ratio":%s,"note":"kmod nfx_nlmmap mapped ring vs recvmsg; ratio = nfx/peer, >1 means nfx better"}\n' \
			"$p" "$(rate nlmmap $p)" "$(rate ctnetlink $p)" "$(ratio "$(rate nlmmap $p)" "$(rate ctnetlink $p)")" >>"$OUT"
	esac
	for peer in shared shared-sampled ctnetlink; do
		nfx=$(rate percpu $p)
		pv=$(rate $peer $p)
		printf '{"bench":"events","metric":"delivered_per_s_%dp","unit":"events/s","nfx":%s,"peer":"%s","peer_value":%s,"ratio":%s,"note":"throughput: ratio = nfx/peer, >1 means nfx better; lost%% nfx %s peer %s; %d CPUs, median of %d x %ss"}\n' \
			"$p" "$nfx" "$peer" "$pv" "$(ratio "$nfx" "$pv")" "$(lostpct percpu $p)" \
			"$(lostpct $peer $p)" "$ncpus" "$REPS" "$SECS" >>"$OUT"
	done
done

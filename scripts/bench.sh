#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: run every benchmark (bench/bench_*.sh), gather the figures
# they append as JSON Lines to $NFX_BENCH_OUT, and present them together:
#   bench/results.json   {"kernel", "cpu", "date", "results": [...], "failed": [...]}
#   stdout               one table of every figure, with its ratio to the
#                        peer measured in the same run (>1: nfx better)
#   bench/results.png    the ratios as bars, log scale (svg if no png terminal)
#   scripts/bench.sh [NAME...]    only bench/bench_NAME.sh
# A benchmark that fails is listed in "failed" and the others still run;
# the exit status is 1 then.
set -u
cd "$(dirname "$0")/.."
out_dir=bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in bench/bench_*.sh; do
		[ -x "$f" ] && names+=("$(basename "$f" .sh | sed 's/^bench_//')")
	done
fi
failed=()
for n in "${names[@]}"; do
	b=bench/bench_$n.sh
	echo "=== $n ($b)"
	if [ ! -x "$b" ]; then
		echo "bench.sh: no executable $b" >&2
		failed+=("$n")
		continue
	fi
	start=$(date +%s)
	NFX_BENCH_OUT=$tmp/$n.jsonl "$b"
	rc=$?
	echo "--- $n: exit $rc, $(( $(date +%s) - start ))s"
	[ $rc -eq 0 ] || failed+=("$n")
	touch "$tmp/$n.jsonl"
	# Keep only well-formed objects; a broken line is a failed benchmark.
	if ! jq -c . "$tmp/$n.jsonl" >"$tmp/$n.ok" 2>/dev/null; then
		echo "bench.sh: $n wrote lines that are not JSON" >&2
		failed+=("$n")
		: >"$tmp/$n.ok"
	fi
done

cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
cat "$tmp"/*.ok 2>/dev/null | jq -s \
	--arg kernel "$(uname -r)" --arg cpu "$cpu" --arg date "$(date -u +%FT%TZ)" \
	--argjson failed "$(printf '%s\n' "${failed[@]}" | jq -R . | jq -sc 'map(select(length > 0))')" \
	'{kernel: $kernel, cpu: $cpu, date: $date, results: ., failed: $failed}' \
	>"$out_dir/results.json.tmp" && mv "$out_dir/results.json.tmp" "$out_dir/results.json"

echo
echo "=== results ($(jq '.results | length' "$out_dir/results.json") figures, kernel $(uname -r))"
jq -r '.results[] | [.bench, .metric, .unit, (.nfx | tostring), .peer,
	(.peer_value | tostring), (if .ratio == null then "-" else (.ratio * 1000 | round / 1000 | tostring) end)] | @tsv' \
	"$out_dir/results.json" |
	awk -F'\t' 'BEGIN { printf "%-10s %-30s %-10s %12s  %-34s %12s %8s\n", "bench", "metric", "unit", "nfx", "peer", "peer", "ratio" }
		{ printf "%-10s %-30s %-10s %12s  %-34s %12s %8s\n", $1, substr($2, 1, 30), $3, $4, substr($5, 1, 34), $6, $7 }'
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"

# The plot: one bar per figure with a ratio, log scale, 1 marked.
jq -r '.results[] | select(.ratio != null and .ratio > 0) |
	[(.bench + ": " + .metric + " vs " + .peer | gsub("[\"\t]"; "")), .ratio] | @tsv' \
	"$out_dir/results.json" >"$tmp/plot.tsv"
if command -v gnuplot >/dev/null && [ -s "$tmp/plot.tsv" ]; then
	rows=$(wc -l <"$tmp/plot.tsv")
	if gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
		term="pngcairo size 1200,$((200 + rows * 22)) font 'sans,9'"
		plot=$out_dir/results.png
	else
		term="svg size 1200,$((200 + rows * 22))"
		plot=$out_dir/results.svg
	fi
	gnuplot <<GP
set terminal $term
set output '$plot'
set termoption noenhanced
set datafile separator '\t'
set title "nfx against peers, measured in one run on $(uname -r) (ratio > 1: nfx better)"
set logscale x 10
set xlabel 'ratio (peer / nfx for costs)'
set ytics nomirror
set grid xtics
set style fill solid 0.6
set key off
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb '#cc0000'
set offsets 0, 0, 0.5, 0.5
set yrange [*:*] reverse
plot '$tmp/plot.tsv' using (sqrt(\$2)):0:(1):(\$2):(\$0-0.35):(\$0+0.35):yticlabels(1) \
	with boxxyerror lc rgb '#3366aa'
GP
	[ -s "$plot" ] && echo "plot: $plot"
fi
echo "json: $out_dir/results.json"
[ ${#failed[@]} -eq 0 ]
